"""Parse untrusted XML safely: no DTD, no entity expansion, no network, bounded cost.

Every document is first turned into text by Python, whatever encoding it declares (UTF-8 as
is; UTF-16 and UTF-32 by their byte order mark or first bytes; any other encoding Python knows,
such as ISO-8859-1 or GB18030, by its declaration), and every check reads that text: a
document type declaration is refused outright, which removes billion-laughs bombs and external
entities as a class whatever the encoding hides them in (UTF-7's `+ADw-!DOCTYPE` included);
the markup is counted before anything is built, so an element bomb costs a count, not a tree.
libxml2 then parses UTF-8 only (its encoding is forced), so it never decodes anything the
checks did not read; it also never resolves entities or fetches anything, and keeps its own
limits on depth (256) and on one text node (10 MB).
"""
import codecs
import re
from dataclasses import dataclass

from lxml import etree

from app.problems import Problem

#: the largest XML document (a submission's XML part, a form's XForm), in bytes
MAX_XML_BYTES = 10_000_000
#: the most elements plus attributes in one document, counted as its `<` and `=` characters
#: (an upper bound: comments, text and expressions count too); a big household form sends
#: a few thousand, a big XForm some tens of thousands
MAX_NODES = 100_000
#: libxml2's own limits without its huge-tree option, documented here with the others
MAX_DEPTH = 256
MAX_TEXT_NODE_CHARS = 10_000_000

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                          dtd_validation=False, huge_tree=False, remove_comments=False,
                          encoding="utf-8")
_DOCTYPE = re.compile(r"<!DOCTYPE|<!ENTITY", re.IGNORECASE)
_DOCTYPE_BYTES = re.compile(_DOCTYPE.pattern.encode(), re.IGNORECASE)
#: the encoding pseudo-attribute of an XML declaration in an ASCII-compatible document
_DECLARED = re.compile(rb"<\?xml[^>]{0,200}?\bencoding\s*=\s*[\"']([A-Za-z][\w.:-]{0,60})[\"']")
_DECLARED_TEXT = re.compile(r"\A(<\?xml[^>]{0,200}?\bencoding\s*=\s*[\"'])([^\"']{0,62})([\"'])")
#: first bytes that fix the encoding before any declaration is read (XML 1.0 appendix F)
_BY_FIRST_BYTES = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                   (b"<\x00\x00\x00", "utf-32-le"), (b"\x00\x00\x00<", "utf-32-be"),
                   (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
                   (b"<\x00", "utf-16-le"), (b"\x00<", "utf-16-be"))


@dataclass(frozen=True)
class Document:
    root: object        # the lxml root element
    text: str           # the document as text; a declared encoding other than UTF-8 now says UTF-8


def parse(data):
    """Parse bytes into an lxml element; raises Problem 400.2 on anything unsafe or malformed,
    400.61 on an encoding that cannot be read, 413.63 / 400.62 beyond the limits above."""
    return read(data).root


def read(data):
    """The parsed document and its text (what is stored: see Document)."""
    if len(data) > MAX_XML_BYTES:
        raise Problem("413.63", {"size": len(data), "limit": MAX_XML_BYTES})
    encoding = _encoding(data)
    if encoding == "utf-8":
        # the hot path: checks on the bytes themselves, at C speed
        text = _decode(data, "utf-8")
        _check(data, _DOCTYPE_BYTES, b"<", b"=")
        utf8 = data
    else:
        text = _DECLARED_TEXT.sub(r"\1UTF-8\3", _decode(data, encoding).lstrip("\ufeff"), 1)
        _check(text, _DOCTYPE, "<", "=")
        utf8 = text.encode("utf-8")
    try:
        root = etree.fromstring(utf8, _PARSER)
    except etree.XMLSyntaxError as e:
        raise Problem("400.2", {"reason": str(e).split("(")[0].strip() or "malformed XML"})
    if root is None:
        raise Problem("400.2", {"reason": "empty document"})
    if root.getroottree().docinfo.internalDTD is not None:     # cannot pass _check; kept as a guard
        raise Problem("400.2", {"reason": "document type declarations are not allowed"})
    return Document(root, text)


def _encoding(data):
    """The Python codec name for the document's encoding."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8"
    for start, name in _BY_FIRST_BYTES:
        if data.startswith(start):
            return name
    # most documents declare no encoding: look for the word before running the expression
    if not data.startswith(b"<?xml") or b"encoding" not in data[:300]:
        return "utf-8"
    declared = _DECLARED.match(data)
    if declared is None:
        return "utf-8"
    name = declared.group(1).decode("ascii")
    if name in ("UTF-8", "utf-8"):
        return "utf-8"
    try:
        info = codecs.lookup(name)
    except LookupError:
        raise Problem("400.61", {"encoding": name}) from None
    # hex, base64, zlib and the like are codecs but not text encodings
    if not getattr(info, "_is_text_encoding", True):
        raise Problem("400.61", {"encoding": name})
    return info.name


def _decode(data, encoding):
    try:
        return data.decode(encoding)
    except (UnicodeError, LookupError) as e:     # `undefined` refuses every byte
        raise Problem("400.61", {"encoding": encoding.upper()}) from e


def _check(data, doctype, lt, eq):
    if doctype.search(data):
        raise Problem("400.2", {"reason": "document type declarations are not allowed"})
    if len(data) <= MAX_NODES:      # each node takes a character: a phone's usual XML is not counted
        return
    nodes = data.count(lt) + data.count(eq)
    if nodes > MAX_NODES:
        raise Problem("400.62", {"count": nodes, "limit": MAX_NODES})


def local(tag):
    """The local name of an element tag, without namespace."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def element_path(elem):
    """/data/group/question: local names from the root of an instance (a submission's, or a
    form's primary instance, whose <instance> wrapper is not part of the path)."""
    steps = []
    while elem is not None and isinstance(elem.tag, str) and local(elem.tag) != "instance":
        steps.append(local(elem.tag))
        elem = elem.getparent()
    return "/" + "/".join(reversed(steps))
