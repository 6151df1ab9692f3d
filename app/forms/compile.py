"""XLSForm → XForm with pyxform: one entry point, compile_form(), returning a result object.

pyxform is given a file path, not bytes, so that a form without a form_id in its settings sheet
gets its file name as id, exactly as `xls2xform` and ODK Central's X-XlsForm-FormId-Fallback do.
XForm (.xml) sources pass through unchanged: their bytes are what phones will hash.
"""
import os
import tempfile
from dataclasses import dataclass, field

from pyxform.errors import PyXFormError
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
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, os.path.basename(filename))
        with open(path, "wb") as f:
            f.write(data)
        try:
            result = convert(xlsform=path, warnings=[])
        except (PyXFormError, ValueError, KeyError, IndexError) as e:
            raise Problem("400.4", {"reason": f"{os.path.basename(filename)}: {e}"}) from e
    return Compiled(xml=result.xform.encode("utf-8"), warnings=list(result.warnings),
                    itemsets=result.itemsets.encode("utf-8") if result.itemsets else None,
                    source=data, source_name=os.path.basename(filename))
