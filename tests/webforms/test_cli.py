"""`flask webforms install`: from a node_modules into WEBFORMS_DIR, once; a wrong one refused
with the reason and a non-zero exit."""
import json
import os

import pytest

from app.webforms import assets
from tests.webforms.test_assets import NODE_MODULES


@pytest.fixture
def webforms_dir(app, tmp_path):
    kept = app.config["WEBFORMS_DIR"]
    app.config["WEBFORMS_DIR"] = str(tmp_path / "vendor")
    yield tmp_path / "vendor"
    app.config["WEBFORMS_DIR"] = kept


def _run(app, *args):
    """Through the app's own `flask` group, as a person types it."""
    return app.test_cli_runner().invoke(args=["webforms", "install", *args])


def test_install_from_node_modules_then_again(app, webforms_dir):
    first = _run(app, "--from-node-modules", NODE_MODULES)
    assert first.exit_code == 0, first.output
    assert f"ODK Web Forms {assets.tag()} installed in {webforms_dir}" in first.output
    assert assets.installed(str(webforms_dir))
    again = _run(app, "--from-node-modules", NODE_MODULES)
    assert again.exit_code == 0 and "already in" in again.output


def test_install_from_a_wrong_node_modules_fails_with_the_reason(app, webforms_dir, tmp_path):
    fake = tmp_path / "node_modules" / "vue"
    fake.mkdir(parents=True)
    (fake / "package.json").write_text(json.dumps({"version": "3.4.0"}))
    result = _run(app, "--from-node-modules", str(tmp_path / "node_modules"))
    assert result.exit_code == 1 and "is not installed in" in result.output
    assert not os.path.exists(webforms_dir)
