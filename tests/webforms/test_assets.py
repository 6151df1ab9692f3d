"""Installing ODK Web Forms' files (app/webforms/assets.py): from an npm-installed
node_modules (checked versions), or from a registry's tarballs over real HTTP (a local
http.server playing the registry), refused whole when a tarball's SHA-512 is not the pinned
one or a package is the wrong version: then nothing is installed and nothing is left behind."""
import base64
import gzip
import hashlib
import http.server
import io
import json
import os
import tarfile
import threading

import brotli
import pytest

from app.webforms import assets

pytestmark = pytest.mark.database_independent
NODE_MODULES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                            "engine", "node_modules")


def _names():
    return sorted(os.path.basename(p) for _, _, files in assets.PACKAGES.values() for p in files)


def _leftovers(parent):
    return [n for n in os.listdir(parent) if n.startswith(".webforms-")]


@pytest.fixture
def registry():
    """A registry on 127.0.0.1 serving the tarballs put in `registry.files` by URL path."""
    files = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            body = files.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.files = files
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield server
    server.shutdown()
    server.server_close()


def _tarball(name, version):
    """A package tarball with the pinned files, taken from tests/engine/node_modules."""
    out = io.BytesIO()
    root = os.path.join(NODE_MODULES, *name.split("/"))
    with tarfile.open(fileobj=out, mode="w:gz") as archive:
        for path in assets.PACKAGES[name][2]:
            archive.add(os.path.join(root, path), arcname=f"package/{path}")
    return out.getvalue()


def _path(name, version):
    return f"/{name}/-/{name.rsplit('/', 1)[-1]}-{version}.tgz"


def _integrity(data):
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def test_install_from_node_modules_writes_each_file_and_its_gzip_copy(tmp_path):
    target = tmp_path / "vendor"
    assert assets.install(str(target), node_modules=NODE_MODULES, quality=1) is True
    assert assets.installed(str(target))
    for name in _names():
        data = (target / name).read_bytes()
        assert gzip.decompress((target / (name + ".gz")).read_bytes()) == data
        assert brotli.decompress((target / (name + ".br")).read_bytes()) == data
    assert json.loads((target / assets.MANIFEST).read_text())["tag"] == assets.tag()
    assert assets.install(str(target), node_modules=NODE_MODULES, quality=1) is False    # already there
    assert _leftovers(tmp_path) == []


def test_a_node_modules_with_another_version_is_refused_and_nothing_installed(tmp_path):
    fake = tmp_path / "node_modules" / "@getodk" / "web-forms"
    fake.mkdir(parents=True)
    (fake / "package.json").write_text(json.dumps({"version": "0.21.0"}))
    target = tmp_path / "vendor"
    with pytest.raises(assets.AssetsError, match=r"0\.21\.0 .*pins 0\.22\.0"):
        assets.install(str(target), node_modules=str(tmp_path / "node_modules"), quality=1)
    assert not target.exists() and _leftovers(tmp_path) == []


def test_a_tarball_with_a_wrong_sha512_is_refused_and_nothing_installed(tmp_path, registry):
    for name, (version, _integrity_, _files) in assets.PACKAGES.items():
        registry.files[_path(name, version)] = _tarball(name, version)   # not the registry's bytes
    target = tmp_path / "vendor"
    with pytest.raises(assets.AssetsError, match="sha512 is not the pinned one"):
        assets.install(str(target), registry=registry.url, quality=1)
    assert not target.exists() and _leftovers(tmp_path) == []


def test_a_previous_install_survives_a_refused_one(tmp_path, registry):
    target = tmp_path / "vendor"
    assets.install(str(target), node_modules=NODE_MODULES, quality=1)
    (target / assets.MANIFEST).write_text(json.dumps({"tag": "an older release"}))
    with pytest.raises(assets.AssetsError):
        assets.install(str(target), registry=registry.url, quality=1)  # the registry has nothing: 404
    assert (target / assets.ENGINE).exists() and _leftovers(tmp_path) == []


def test_a_registry_that_answers_404_is_a_download_error(tmp_path, registry):
    with pytest.raises(assets.AssetsError, match="could not download"):
        assets.install(str(tmp_path / "vendor"), registry=registry.url, quality=1)


def test_tarballs_with_the_pinned_sha512_are_unpacked_over_http(tmp_path, registry,
                                                                monkeypatch):
    """The registry's own tarballs are not here (no internet): the pins are pointed at
    tarballs made from the same files, so the download, check and unpacking all run."""
    pinned = {}
    for name, (version, _integrity_, files) in assets.PACKAGES.items():
        data = _tarball(name, version)
        registry.files[_path(name, version)] = data
        pinned[name] = (version, _integrity(data), files)
    monkeypatch.setattr(assets, "PACKAGES", pinned)
    target = tmp_path / "vendor"
    assert assets.install(str(target), registry=registry.url, quality=1) is True
    engine = os.path.join(NODE_MODULES, "@getodk", "web-forms", "dist", "index.js")
    assert (target / assets.ENGINE).read_bytes() == open(engine, "rb").read()
    assert sorted(n for n in os.listdir(target) if not n.endswith((".gz", ".br"))) == sorted(
        _names() + [assets.MANIFEST])
