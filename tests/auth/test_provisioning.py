"""Checklist item 60: the ODK Collect settings QR code, and the CLI that prints it."""
import re

from app.auth import provisioning
from app.auth.models import AppUser
from app.cli import create_app_user


def test_item_60_payload_is_base64_zlib_json_with_managed_settings():
    url = "https://town.example/v1/key/abc/projects/1"
    payload = provisioning.encode(provisioning.collect_settings(url, "东湾镇"))
    settings = provisioning.decode(payload)
    assert settings == {"general": {"server_url": url, "form_update_mode": "match_exactly",
                                    "autosend": "wifi_and_cellular"},
                        "admin": {}, "project": {"name": "东湾镇"}}
    import base64
    import json
    import zlib
    assert json.loads(zlib.decompress(base64.b64decode(payload))) == settings


def test_item_60_cli_prints_url_payload_and_writes_qr(app, db, tmp_path):
    qr = tmp_path / "qr.png"
    result = app.test_cli_runner().invoke(create_app_user, [
        "--name", "王秀英", "--areas", "dongwan,xishan", "--base-url", "http://10.0.0.5:8000",
        "--qr", str(qr)])
    assert result.exit_code == 0, result.output
    url = re.search(r"Server URL for ODK Collect: (\S+)", result.output).group(1)
    assert re.fullmatch(r"http://10\.0\.0\.5:8000/v1/key/[A-Za-z0-9]{64}/projects/1", url)
    payload = re.search(r"Collect settings payload: (\S+)", result.output).group(1)
    assert provisioning.decode(payload)["general"]["server_url"] == url
    assert qr.read_bytes().startswith(b"\x89PNG")
    app_user = db.session.query(AppUser).one()
    assert sorted(a.code for a in app_user.areas) == ["dongwan", "xishan"] and app_user.all_forms
    assert url.split("/")[5] not in app_user.token_hash       # stored hashed only


def test_cli_refuses_unknown_village(app, db):
    result = app.test_cli_runner().invoke(create_app_user, ["--name", "x", "--areas", "atlantis"])
    assert result.exit_code != 0 and "atlantis" in result.output
