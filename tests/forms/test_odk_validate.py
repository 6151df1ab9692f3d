"""ODK Validate (JavaRosa: what ODK Collect is built on and what ODK Central runs on every
XLSForm upload) accepts every form in forms/, and publishing refuses an XLSForm it refuses,
with its error, from `flask forms publish` (the JSON API: tests/api/test_forms_api.py and
tests/e2e/test_form_validate.py). It needs Java: without it these tests skip with the reason,
and fail under CI=true."""
import glob
import os

import pytest
from click.testing import CliRunner
from pyxform.xls2xform import convert
from sqlalchemy import func, select

from app.cli import forms as forms_cli
from app.forms.compile import odk_validate_unavailable
from app.forms.models import Form
from tests.conftest import FORMS_DIR
from tests.factories import make_xlsform

XLSFORMS = sorted(glob.glob(os.path.join(FORMS_DIR, "*.xlsx")))
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def require_odk_validate():
    reason = odk_validate_unavailable()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"ODK Validate is needed under CI: {reason}")
        pytest.skip(f"ODK Validate cannot run here: {reason}")


def group_of_calculations(version="1"):
    """A small XLSForm ODK Validate refuses: a group holding only a calculation gets an empty
    <group> in the body, as pregnancy_report's and three_checks' did."""
    return make_xlsform(
        survey=[{"type": "text", "name": "name", "label": "Name"},
                {"type": "begin_group", "name": "update"},
                {"type": "calculate", "name": "flag", "calculation": "'yes'"},
                {"type": "end_group", "name": "update"}],
        settings={"form_id": "checked", "version": version, "form_title": "Checked"})


def fixed(version="2"):
    return make_xlsform(
        survey=[{"type": "begin_group", "name": "update"},
                {"type": "text", "name": "name", "label": "Name"},
                {"type": "calculate", "name": "flag", "calculation": "'yes'"},
                {"type": "end_group", "name": "update"}],
        settings={"form_id": "checked", "version": version, "form_title": "Checked"})


@pytest.mark.database_independent
@pytest.mark.parametrize("path", XLSFORMS, ids=os.path.basename)
def test_every_town_form_passes_odk_validate(path):
    require_odk_validate()
    warnings = []
    convert(xlsform=path, warnings=warnings, validate=True)      # raises on Validate's errors
    assert not [w for w in warnings if "ODK Validate" in w]


def test_flask_forms_publish_prints_odk_validates_error_and_refuses(app, db, tmp_path):
    require_odk_validate()
    broken = tmp_path / "checked.xlsx"
    broken.write_bytes(group_of_calculations())
    result = CliRunner().invoke(forms_cli, ["publish", str(broken)], obj=app.extensions)
    assert result.exit_code != 0
    assert "REFUSED" in result.output
    assert "Group has no children! Group: ${update}" in result.output
    assert "fails ODK Validate" in result.output and "未通过 ODK Validate" in result.output
    assert "Result: Invalid" not in result.output and "failed validation" not in result.output
    assert db.session.scalar(select(func.count()).select_from(Form)) == 0

    skipped = CliRunner().invoke(forms_cli, ["publish", "--skip-validate", str(broken)],
                                 obj=app.extensions)
    assert skipped.exit_code == 0 and "checked version 1: created" in skipped.output

    broken.write_bytes(fixed())
    result = CliRunner().invoke(forms_cli, ["publish", str(broken)], obj=app.extensions)
    assert result.exit_code == 0 and "checked version 2: new version" in result.output



def test_without_java_publish_says_validate_did_not_run_and_publishes(app, db, tmp_path,
                                                                       monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))                   # no java on this PATH
    assert odk_validate_unavailable() == "Java is not installed"
    form = tmp_path / "checked.xlsx"
    form.write_bytes(group_of_calculations())
    result = CliRunner().invoke(forms_cli, ["publish", str(form)], obj=app.extensions)
    assert result.exit_code == 0, result.output
    assert "ODK Validate will not check these forms: Java is not installed" in result.output
    assert "checked version 1: created" in result.output
