"""Turning one submission into the life events it reports.

Each town form has a deriver (app/events/derivers/<form id>.py), a plain function from the
submission's answers to Event values; `derive` runs the one registered for the form. Derivers
never raise on what a phone sent: odd or missing answers give fewer events, because events are
written in intake's transaction and a submission must never be lost over them.
"""
import datetime as dt
import logging
from dataclasses import dataclass, field

from app import safexml

log = logging.getLogger(__name__)

#: xmlFormId -> function(Answers) -> iterable of Event
DERIVERS = {}
#: xmlFormId -> the kinds its deriver may yield (docs/register.md is checked against it)
YIELDS = {}


@dataclass(frozen=True)
class Event:
    kind: str
    occurred_on: dt.date | None
    person: str | None = None
    other_person: str | None = None
    household: str | None = None
    pregnancy: str | None = None
    #: village code; None: the submission's own village answer
    village: str | None = None
    details: dict = field(default_factory=dict)


def deriver(form_id, yields=()):
    """Register the decorated function as the deriver of `form_id`."""
    def register(function):
        DERIVERS[form_id] = function
        YIELDS[form_id] = tuple(yields)
        return function
    return register


def uuid_of(value):
    """An entity id as the register keeps it: lower case, without the uuid: prefix; None if
    blank."""
    value = (value or "").strip().lower()
    if value.startswith("uuid:"):
        value = value[5:]
    return value or None


class Answers:
    """A read-only view of a submission instance. Paths are relative to the instance root
    (`outcome`, `child/newborn/child_sex`); a missing or blank answer reads as ''."""

    def __init__(self, root, form_id=None, version=None):
        self.root, self.form_id = root, form_id
        self.version = version if version is not None else (root.get("version") or "")
        #: path -> {child name: first such child} of the element there, built on first use:
        #: a deriver reads many answers of one group, and intake runs it on every submission
        self._children = {}

    def _children_at(self, path, node):
        found = self._children.get(path)
        if found is None:
            found = self._children[path] = {}
            for child in node:
                if isinstance(child.tag, str):
                    found.setdefault(safexml.local(child.tag), child)
        return found

    def _find(self, path):
        node, at = self.root, ""
        for step in path.strip("/").split("/"):
            if not step:
                continue
            node = self._children_at(at, node).get(step)
            if node is None:
                return None
            at = f"{at}/{step}"
        return node

    def has(self, path):
        """Whether the instance has an element at `path` (blank or not): the form version
        asks or computes it."""
        return self._find(path) is not None

    def get(self, path):
        node = self._find(path)
        return (node.text or "").strip() if node is not None else ""

    def date(self, path):
        text = self.get(path)[:10]
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            return None

    def int(self, path):
        try:
            return int(self.get(path))
        except ValueError:
            return None

    def decimal(self, path):
        try:
            return float(self.get(path))
        except ValueError:
            return None

    def selected(self, path):
        return self.get(path).split()

    def repeat(self, path):
        """Each instance of the repeat at `path`, as Answers relative to it."""
        parent_path, _, name = path.strip("/").rpartition("/")
        parent = self._find(parent_path) if parent_path else self.root
        if parent is None:
            return []
        return [Answers(c, self.form_id, self.version) for c in parent
                if isinstance(c.tag, str) and safexml.local(c.tag) == name]

    def entity_id(self, scope=""):
        """The id of the meta/entity block in `scope` ('' for the form's own), or None."""
        node = self._find(f"{scope}/meta/entity" if scope else "meta/entity")
        return uuid_of(node.get("id")) if node is not None else None


def derive(form_id, root, version=None):
    """The events a submission of `form_id` reports ([] for a form without a deriver)."""
    from app.events import derivers  # noqa: F401,PLC0415 - registers every deriver
    function = DERIVERS.get(form_id)
    if function is None:
        return []
    try:
        return list(function(Answers(root, form_id, version)))
    except Exception:  # noqa: BLE001 - an event is never worth a submission
        log.exception("deriving events of a %s submission failed", form_id)
        return []
