"""The ODK Collect settings QR code, exactly as ODK Central draws it for an app user.

Payload: Base64(zlib(JSON)) with `general` (server_url, and for a managed code
form_update_mode=match_exactly and autosend=wifi_and_cellular), `admin` (present even when
empty: absent keys are reset to defaults on scan) and `project.name`.
"""
import base64
import json
import zlib

import segno


def collect_settings(server_url, project_name, managed=True):
    general = {"server_url": server_url}
    if managed:
        general.update(form_update_mode="match_exactly", autosend="wifi_and_cellular")
    return {"general": general, "admin": {}, "project": {"name": project_name}}


def encode(settings):
    raw = json.dumps(settings, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return base64.b64encode(zlib.compress(raw)).decode("ascii")


def decode(payload):
    return json.loads(zlib.decompress(base64.b64decode(payload)).decode("utf-8"))


def write_qr_png(payload, path, scale=6):
    # Error correction L, as Central: the payload is long and phones scan it from a screen.
    segno.make(payload, error="l", micro=False).save(path, scale=scale, border=4)
