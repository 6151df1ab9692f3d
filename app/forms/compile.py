"""XLSForm → XForm with pyxform: one entry point, compile_form(), returning a result object.

pyxform is given a file path, not bytes, so that a form without a form_id in its settings sheet
gets its file name as id, exactly as `xls2xform` and ODK Central's X-XlsForm-FormId-Fallback do.
XForm (.xml) sources pass through unchanged: their bytes are what phones will hash.

validate_xform() runs ODK Validate (JavaRosa, which Collect is built on and ODK Central runs on
every XLSForm upload) on a compiled XForm; it needs Java, so callers ask
odk_validate_unavailable() first and turn it on where it can run.
"""
import os
import shutil
import tempfile
from dataclasses import dataclass, field

from pyxform.errors import PyXFormError
from pyxform.validators import odk_validate
from pyxform.xls2xform import convert

from app.problems import Problem

XLSFORM_EXTENSIONS = (".xlsx", ".xls", ".xlsm")


@dataclass
class Compiled:
    xml: bytes
    warnings: list = field(default_factory=list)
    #: itemsets.csv content when the form uses external choices
    itemsets: bytes | None = None
    source: bytes | None = None        # the XLSForm workbook, kept with the version
    source_name: str | None = None


def compile_form(filename, data):
    """Compile an XLSForm (or accept an XForm) given its file name and bytes.

    Raises Problem 400.4 with pyxform's message when the form is not valid.
    """
    ext = os.path.splitext(filename)[1].lower()
    if ext == ".xml":
        return Compiled(xml=data)
    if ext not in XLSFORM_EXTENSIONS:
        raise Problem("400.12", {"name": filename})
    name = os.path.basename(filename)
    # pyxform reads its fallback form id from the file's name, so the file bears it; a name
    # no file system takes (a NUL, over 255 bytes: pyodk's X-XlsForm-FormId-Fallback) is 400
    if "\x00" in name or len(name.encode("utf-8", "surrogatepass")) > 255:
        raise Problem("400.4", {"reason": "the form's file name, or X-XlsForm-FormId-Fallback, "
                                          "cannot name a file (a NUL, or over 255 bytes)"})
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, name)
        with open(path, "wb") as f:
            f.write(data)
        try:
            result = convert(xlsform=path, warnings=[])
        except (PyXFormError, ValueError, KeyError, IndexError) as e:
            raise Problem("400.4", {"reason": f"{os.path.basename(filename)}: {e}"}) from e
    return Compiled(xml=result.xform.encode("utf-8"), warnings=list(result.warnings),
                    itemsets=result.itemsets.encode("utf-8") if result.itemsets else None,
                    source=data, source_name=os.path.basename(filename))


#: Longest ODK Validate report kept in an error message (a broken form can list many errors).
VALIDATE_REPORT_CHARS = 4000
_NOISE = ("The following files failed validation:", "Result: Invalid", "ODK Validate Errors:")


def odk_validate_unavailable():
    """None when ODK Validate can run here, else the reason it cannot."""
    if shutil.which("java") is None:
        return "Java is not installed"
    if not odk_validate.install_exists():
        return "pyxform's ODK Validate is not installed"
    return None


def validate_xform(filename, xml):
    """Run ODK Validate on a compiled XForm; returns its warnings, raises Problem 400.81 with
    its errors. pyxform gives it 100 s; past that it warns and the form passes, as in Central."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "form.xml")
        with open(path, "wb") as f:
            f.write(xml)
        try:
            return odk_validate.check_xform(path)
        except odk_validate.ODKValidateError as e:
            raise Problem("400.81", {"name": os.path.basename(filename),
                                     "errors": _report(str(e))}) from e


def _report(text):
    """Validate's errors without its banner, the temporary file's name or Java noise."""
    lines, file_names_follow = [], False
    for line in (raw.strip().lstrip(": ").strip() for raw in text.splitlines()):
        if line.startswith(_NOISE[0]):
            file_names_follow = True
        elif not line:
            file_names_follow = False
        if (file_names_follow or not line or line.startswith((*_NOISE, ">>", "...", "Caused by:"))
                or line in lines):
            continue
        lines.append(line)
    report = " ".join(lines) or text.strip()
    if len(report) > VALIDATE_REPORT_CHARS:
        report = report[:VALIDATE_REPORT_CHARS] + " …"
    return report
