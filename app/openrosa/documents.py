"""One function per OpenRosa XML document (after ODK Central's lib/formats/openrosa.js).

Built as text with explicit escaping: these documents are small, hot and must be exact.
Collect discards a whole form list or manifest if any entry lacks formID/name/downloadUrl
(filename/hash/downloadUrl), and cuts the first four characters of every hash, so every entry
is complete and every hash is "md5:<hex>".
"""
from xml.sax.saxutils import escape, quoteattr

SUCCESS_EN = "full submission upload was successful!"
SUCCESS_ZH = "提交成功！"


def openrosa_response(message, nature=""):
    return ('<OpenRosaResponse xmlns="http://openrosa.org/http/response" items="0">'
            f'<message nature={quoteattr(nature)}>{escape(message)}</message>'
            '</OpenRosaResponse>')


def success(english_first=False):
    parts = (SUCCESS_EN, SUCCESS_ZH) if english_first else (SUCCESS_ZH, SUCCESS_EN)
    return openrosa_response(" / ".join(parts))


def form_list(entries):
    """entries: dicts with form_id, name, version, hash (hex), download_url, manifest_url|None."""
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n'
             '<xforms xmlns="http://openrosa.org/xforms/xformsList">']
    for e in entries:
        parts.append(
            f"<xform><formID>{escape(e['form_id'])}</formID><name>{escape(e['name'])}</name>"
            f"<version>{escape(e['version'])}</version><hash>md5:{e['hash']}</hash>"
            f"<downloadUrl>{escape(e['download_url'])}</downloadUrl>")
        if e.get("manifest_url"):
            parts.append(f"<manifestUrl>{escape(e['manifest_url'])}</manifestUrl>")
        parts.append("</xform>")
    parts.append("</xforms>")
    return "".join(parts)


def manifest(files):
    """files: dicts with filename, hash (hex), download_url, and for entity lists type and
    integrity_url."""
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n'
             '<manifest xmlns="http://openrosa.org/xforms/xformsManifest">']
    for f in files:
        kind = f' type={quoteattr(f["type"])}' if f.get("type") else ""
        parts.append(f"<mediaFile{kind}><filename>{escape(f['filename'])}</filename>"
                     f"<hash>md5:{f['hash']}</hash>"
                     f"<downloadUrl>{escape(f['download_url'])}</downloadUrl>")
        if f.get("integrity_url"):
            parts.append(f"<integrityUrl>{escape(f['integrity_url'])}</integrityUrl>")
        parts.append("</mediaFile>")
    parts.append("</manifest>")
    return "".join(parts)


def integrity(states):
    """The OpenRosa integrity response: <deleted> is exactly "true" or "false" (Collect parses
    it strictly)."""
    rows = "".join(f"<entity id={quoteattr(uuid)}><deleted>{'true' if gone else 'false'}"
                   "</deleted></entity>" for uuid, gone in states.items())
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<data><entities>{rows}</entities></data>'
