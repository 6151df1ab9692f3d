"""Every message of the console and of the browser forms' pages (app/webforms) has its Chinese, and every compiled catalogue (.mo, what
Flask-Babel loads) matches its source (.po): run `pybabel compile -d app/web/translations/<page>`
after editing one."""
import glob
import os

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from tests.conftest import ROOT

pytestmark = pytest.mark.database_independent
WEB = os.path.join(ROOT, "app", "web")
#: where messages are written: the console, and the browser forms' pages (their Chinese is in
#: the console's catalogues too, app/web/translations/webforms)
SOURCES = (WEB, os.path.join(ROOT, "app", "webforms"))
METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]


def _catalogues():
    return sorted(glob.glob(os.path.join(WEB, "translations", "*", "zh", "LC_MESSAGES",
                                         "messages.po")))


def _chinese():
    found = {}
    for path in _catalogues():
        with open(path, "rb") as f:
            for message in read_po(f):
                if message.id and message.string:
                    found[message.id] = message.string
    return found


def _messages(root):
    for filename, _line, message, _comments, _context in extract_from_dir(root, METHODS):
        ids = message if isinstance(message, tuple) else (message,)
        yield from ((filename, m) for m in ids[:1] if m)


def test_every_console_and_browser_forms_message_has_its_chinese():
    chinese = _chinese()
    missing = {found for root in SOURCES for found in _messages(root) if found[1] not in chinese}
    assert not missing, sorted(missing)


def test_the_browser_forms_pages_are_extracted():
    """The walk does reach app/webforms' templates (a moved folder would pass unseen)."""
    found = {m for _f, m in _messages(SOURCES[1])}
    assert {"Doorstep forms", "My forms", "Preview: nothing was sent."} <= found


def test_each_compiled_catalogue_matches_its_source():
    assert _catalogues()
    for path in _catalogues():
        with open(path, "rb") as f:
            source = {m.id: m.string for m in read_po(f) if m.id}
        with open(path[:-3] + ".mo", "rb") as f:
            compiled = {m.id: m.string for m in read_mo(f) if m.id}
        assert compiled == source, f"{path}: run pybabel compile"


def test_a_message_in_several_catalogues_reads_the_same_in_each():
    """Flask-Babel merges the pages' catalogues into one: a message two pages translate
    differently would read as whichever loaded last, on every page ("Version %(n)s" was
    第 %(n)s 版 in one and 第%(n)s版 in another)."""
    seen, differ = {}, []
    for path in _catalogues():
        with open(path, "rb") as f:
            for message in read_po(f):
                if message.id and message.string:
                    first = seen.setdefault(message.id, (path, message.string))
                    if first[1] != message.string:
                        differ.append((message.id, first, (path, message.string)))
    assert not differ, differ
