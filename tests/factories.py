"""Readable test data: XForms and submission instances built from keyword defaults.

make_xform(form_id="visit", version="2", fields=["name", "village"], binary=["photo"])
gives a form a reader can see whole in the test; make_instance() gives its filled instance.
"""
import uuid
from xml.sax.saxutils import escape, quoteattr

NS = ('xmlns="http://www.w3.org/2002/xforms" xmlns:h="http://www.w3.org/1999/xhtml" '
      'xmlns:jr="http://openrosa.org/javarosa" xmlns:orx="http://openrosa.org/xforms" '
      'xmlns:odk="http://www.opendatakit.org/xforms"')


def make_xform(form_id="simple", version="1", title=None, fields=("name", "village"),
               binary=(), media=(), repeat_binary=(), encrypted=False):
    """An XForm with string `fields`, binary (file) questions, optional media references
    (jr://images/<name> for images, jr://file-csv/<name> for CSVs) and a repeat of photos."""
    version_attr = f" version={quoteattr(version)}" if version is not None else ""
    nodes = "".join(f"<{f}/>" for f in (*fields, *binary))
    if repeat_binary:
        nodes += "<rep>" + "".join(f"<{f}/>" for f in repeat_binary) + "</rep>"
    binds = "".join(f'<bind nodeset="/data/{f}" type="string"/>' for f in fields)
    binds += "".join(f'<bind nodeset="/data/{f}" type="binary"/>' for f in binary)
    binds += "".join(f'<bind nodeset="/data/rep/{f}" type="binary"/>' for f in repeat_binary)
    refs = "".join(
        f'<text id="m{i}"><value form="image">jr://images/{m}</value></text>'
        for i, m in enumerate(x for x in media if not x.endswith(".csv")))
    itext = f"<itext><translation lang='default'>{refs}</translation></itext>" if refs else ""
    instances = "".join(f'<instance id="{m[:-4]}" src="jr://file-csv/{m}"/>'
                        for m in media if m.endswith(".csv"))
    submission = ('<submission base64RsaPublicKey="MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIB" '
                  'method="post"/>') if encrypted else ""
    body = "".join(f'<input ref="/data/{f}"><label>{f}</label></input>' for f in fields)
    body += "".join(f'<upload ref="/data/{f}" mediatype="image/*"><label>{f}</label></upload>'
                    for f in binary)
    return (f'<?xml version="1.0"?>\n<h:html {NS}><h:head><h:title>{escape(title or form_id)}'
            f'</h:title><model odk:xforms-version="1.0.0">{itext}<instance>'
            f'<data id={quoteattr(form_id)}{version_attr}>{nodes}<meta><instanceID/></meta>'
            f'</data></instance>{instances}{binds}'
            '<bind nodeset="/data/meta/instanceID" type="string" readonly="true()" '
            f'jr:preload="uid"/>{submission}</model></h:head><h:body>{body}</h:body></h:html>'
            ).encode("utf-8")


def new_instance_id():
    return f"uuid:{uuid.uuid4()}"


def make_instance(form_id="simple", version="1", instance_id=None, deprecated_id=None,
                  values=None, repeat=()):
    """Instance XML bytes. `values` maps field → text; `repeat` is a list of dicts."""
    instance_id = instance_id or new_instance_id()
    version_attr = f" version={quoteattr(version)}" if version is not None else ""
    fields = "".join(f"<{k}>{escape(str(v))}</{k}>" for k, v in (values or {}).items())
    fields += "".join("<rep>" + "".join(f"<{k}>{escape(v)}</{k}>" for k, v in r.items())
                      + "</rep>" for r in repeat)
    meta = f"<instanceID>{instance_id}</instanceID>" if instance_id != "-" else ""
    if deprecated_id:
        meta += f"<deprecatedID>{deprecated_id}</deprecatedID>"
    return (f'<?xml version="1.0"?><data xmlns:jr="http://openrosa.org/javarosa" '
            f'xmlns:orx="http://openrosa.org/xforms" id={quoteattr(form_id)}{version_attr}>'
            f"{fields}<meta>{meta}</meta></data>").encode("utf-8")


def make_encrypted_envelope(form_id="secret", version="1", instance_id=None, media=()):
    """An encrypted submission manifest as Collect sends it (XF-ENC)."""
    meta = (f'<meta xmlns="http://openrosa.org/xforms"><instanceID>{instance_id}</instanceID>'
            "</meta>") if instance_id else ""
    files = "".join(f"<media><file>{m}</file></media>" for m in media)
    return (f'<data xmlns="http://opendatakit.org/submissions" id="{form_id}" '
            f'version="{version}" encrypted="yes"><base64EncryptedKey>S2V5</base64EncryptedKey>'
            f"{files}<encryptedXmlFile>submission.xml.enc</encryptedXmlFile>{meta}</data>"
            ).encode("utf-8")


def make_entity_xform(form_id="register_person", dataset="people", version="1", create=True,
                      update=False, properties=("full_name", "village"), uses_list=False,
                      entities_version="2024.1.0", reads=None):
    """A form declaring one entity block on `dataset`; `uses_list` adds the list itself as a
    secondary instance (jr://file-csv/<dataset>.csv), as update forms need, and shows the
    entity's `reads` (default: its properties) from it in a label, so phones are sent them."""
    attrs = (' create="1"' if create else "") + (
        ' update="1" baseVersion="" trunkVersion="" branchId=""' if update else "")
    fields = "".join(f"<{p}/>" for p in properties)
    binds = "".join(f'<bind nodeset="/data/{p}" type="string" entities:saveto="{p}"/>'
                    for p in properties)
    list_instance = (f'<instance id="{dataset}" src="jr://file-csv/{dataset}.csv"/>'
                     if uses_list else "")
    outputs = "".join(f'<output value="instance(\'{dataset}\')/root/item[name = '
                      f'/data/meta/entity/@id]/{p}"/>'
                      for p in (properties if reads is None else reads)) if uses_list else ""
    body = f"<h:body><group><label>{outputs}</label></group></h:body>" if outputs else "<h:body/>"
    return (f'<?xml version="1.0"?>\n<h:html {NS} '
            'xmlns:entities="http://www.opendatakit.org/xforms/entities"><h:head>'
            f'<h:title>{form_id}</h:title><model odk:xforms-version="1.0.0" '
            f'entities:entities-version="{entities_version}"><instance>'
            f'<data id="{form_id}" version="{version}">{fields}<meta><instanceID/>'
            f'<entity dataset="{dataset}" id=""{attrs}><label/></entity></meta></data>'
            f'</instance>{list_instance}{binds}'
            '<bind nodeset="/data/meta/instanceID" type="string" readonly="true()" '
            f'jr:preload="uid"/></model></h:head>{body}</h:html>').encode("utf-8")


def make_xlsform(survey, choices=(), settings=None):
    """XLSForm workbook bytes from rows written as dicts, the way a form designer fills the
    sheets: make_xlsform([{"type": "text", "name": "name", "label": "Name"}], ...)."""
    import io

    import openpyxl
    wb = openpyxl.Workbook()
    sheets = [("survey", survey), ("choices", choices),
              ("settings", [settings] if settings else [])]
    wb.remove(wb.active)
    for title, rows in sheets:
        if not rows:
            continue
        sheet = wb.create_sheet(title)
        columns = list(dict.fromkeys(k for row in rows for k in row))
        sheet.append(columns)
        for row in rows:
            sheet.append([row.get(c, "") for c in columns])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
