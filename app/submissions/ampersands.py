"""Bare ampersands in a submission sent over the JSON API.

Scripts written for ODK Central build submission XML by pasting values into a template, and
an instanceID or answer holding "&" then arrives as a bare "&", which is not XML. Central's
lenient parser takes it as the character itself; Doorstep's parser refuses it. For the JSON
API only (Collect and Enketo always escape), a document whose sole fault is such ampersands
is read as Central reads it: each "&" that starts no entity or character reference becomes
"&amp;", and the repaired document is what is stored. Anything else still wrong keeps its 400.
"""
import re

from app.problems import Problem
from app.submissions.parse import read_instance

#: an "&" that begins no reference (a name or a character number, then ";")
_BARE = re.compile(rb"&(?!(?:[A-Za-z_:][\w.:-]*|#[0-9]+|#x[0-9A-Fa-f]+);)")


def read_leniently(xml):
    """(instance, xml): the submission read as is, or else with its bare ampersands escaped
    when that alone makes it XML (the document then stored). Other faults raise as before."""
    try:
        return read_instance(xml), xml
    except Problem as refused:
        if refused.code != "400.2" or not _BARE.search(xml):
            raise
        repaired = _BARE.sub(b"&amp;", xml)
        try:
            return read_instance(repaired), repaired
        except Problem:
            raise refused from None
