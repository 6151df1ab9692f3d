"""Flattened lines kept per submission version: the CSV exports' per-submission work done
once, not on every export. No Flask.

Parsing a visit's XML and walking it is the whole of an export's work per visit (figures:
docs/exports.md, "Kept lines"); an export with Central's default options (groupPaths on, no
splitSelectMultiples, no deletedFields) writes the same cells for the same submission version
every time, so `export_lines` (app.exports.models) keeps them:

- `root`: the root row's form-field cells (those between SubmissionDate and KEY), already
  CSV-encoded and comma-joined. The metadata cells that change without a new version
  (SubmissionDate, KEY, SubmitterID/Name, Attachments*, Status, ReviewState, DeviceID, Edits,
  FormVersion) are never kept: the export computes them as before.
- `repeats`: every repeat table's complete CSV lines for this version, length-prefixed:
  `<table index> <characters>\n<lines>` per table that has rows ("" when none), so the export
  slices each table's text out and appends it to that table's spool with no parsing (a JSON
  object {index: lines} was tried: decoding it made a warm zip noticeably slower, figures in
  docs/exports.md, "With kept lines").
- `signature`: sha256 of what decides those cells (the tables, their columns in order, the
  fields behind them, the options, and FORMAT): a row with another signature is a miss, so
  publishing a version whose columns differ recomputes, and one whose columns are the same
  keeps every line.

`Cache` is what reading.batches() uses: the batch query LEFT OUTER JOINs export_lines on the
def id and the signature; the misses' XML is then read in a second query (a warm export never
reads the XML), computed the usual way (instances.Layout), and written back in one upsert per
batch, in a short transaction of its own on a short-lived connection of the export's (never
the request's session; see write() for why not the reading connection). Writing back is best
effort: a version deleted meanwhile, or a lock not granted, leaves the row uncached and the
export unaffected. Encrypted versions are never cached (their
cells are empty; nothing to save).

The table is derived: dropping its rows changes no export; `flask --app wsgi exports warm`
fills it (app.exports.central_csv.warm()).
"""
import csv
import hashlib
import io
import json

from sqlalchemy import null, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, IntegrityError

from app.exports.cooperative import pause
from app.exports.models import ExportLines
from app.submissions.models import SubmissionDef

#: misses parsed between two cooperative pauses (as central_csv.PAUSE_ROWS, for the same reason)
PAUSE_ROWS = 32
#: bump when what is stored changes shape (every row then misses once)
FORMAT = 1

L = ExportLines.__table__
D = SubmissionDef.__table__


def cacheable(options):
    """Whether an export with these options reads and writes the kept lines."""
    return (options.group_paths and not options.split_select_multiples
            and not options.deleted_fields)


def signature(layout):
    """sha256 hex of what decides a version's cells under `layout` (a full instances.Layout)."""
    def field(f):
        return None if f is None else [f.rel, f.name, f.type, f.select_multiple]
    described = {
        "format": FORMAT,
        "group_paths": layout.group_paths,
        "select_values": {k: list(v) for k, v in sorted(layout.select_values.items())},
        "fields": [field(f) for f in layout.fields],
        "tables": [[t.path, t.header, [[field(f), part] for f, part in t.columns]]
                   for t in layout.tables],
    }
    text = json.dumps(described, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Encoder:
    """A version's cells → (root, repeats) text, with csv.writer's quoting exactly."""

    def __init__(self, layout):
        self.layout = layout
        self.end = layout.root.meta["KEY"]      # root cells kept: [1, end)
        self.buffer = io.StringIO()
        self.writer = csv.writer(self.buffer, lineterminator="\n")

    def _take(self):
        text = self.buffer.getvalue()
        self.buffer.seek(0)
        self.buffer.truncate()
        return text

    def encode(self, values, subrows):
        if self.end > 1:
            # a leading empty cell: the row then always has two or more cells, so csv's
            # quoting of a lone empty cell ("") never applies; cut it and the newline off
            self.writer.writerow(["", *values[1:self.end]])
            root = self._take()[1:-1]
        else:
            root = ""
        repeats = []
        for i, rows in enumerate(subrows, start=1):
            if rows:
                self.writer.writerows(rows)
                text = self._take()
                repeats.append(f"{i} {len(text)}\n")
                repeats.append(text)
        return root, "".join(repeats)

    def compute(self, xml, instance_id):
        return self.encode(*self.layout.read(xml, instance_id))


def decode_repeats(text):
    """[(table index, lines)] of a kept `repeats` value (see the module docstring)."""
    out = []
    at, end = 0, len(text)
    while at < end:
        newline = text.index("\n", at)
        index, _, size = text[at:newline].partition(" ")
        start = newline + 1
        at = start + int(size)
        out.append((int(index), text[start:at]))
    return out


class Cache:
    """The kept lines of one export layout: what reading.batches() joins and fills."""

    def __init__(self, layout, repeats=True, writer=None):
        self.layout = layout
        # Write-backs take a second connection while the reading one is held: from the
        # exports' own pool, as many cold exports as it has connections would each wait for
        # one more (app/exports/pool.py). Handlers pass the requests' engine.
        self.writer = writer
        # the plain CSV reads the root cells alone (the repeats' lines are still written
        # back on a miss, for the zip's sake)
        self.columns = (L.c.root.label("line_root"),
                        (L.c.repeats if repeats else null()).label("line_repeats"))
        self.signature = signature(layout)
        self.encoder = Encoder(layout)
        self.computed = 0       # misses computed (and written back, when that succeeded)
        self.written = 0

    def join(self, defs):
        """The outer join condition of export_lines onto submission_defs `defs`."""
        return (L.c.def_id == defs.c.id) & (L.c.signature == self.signature)

    def fill(self, connection, misses):
        """Compute the misses (ExportRow with def_id, not encrypted) from their XML, set
        their lines, and write them back. `connection`: the export's own, between
        transactions."""
        xml = dict(connection.execute(select(D.c.id, D.c.xml)
                                      .where(D.c.id.in_([r.def_id for r in misses]))).all())
        connection.commit()
        values = []
        for n, r in enumerate(misses, start=1):
            if n % PAUSE_ROWS == 0:
                pause()         # parsing is the slow work: let the worker's other requests in
            root, repeats = self.encoder.compute(xml.get(r.def_id) or "", r.instance_id)
            r.root_line, r.repeat_lines = root, repeats
            if r.def_id in xml:
                values.append({"def_id": r.def_id, "signature": self.signature,
                               "root": root, "repeats": repeats})
        self.computed += len(misses)
        if values:
            self.written += write(self.writer or connection.engine, values)


def write(engine, values):
    """Upsert kept lines in a short write transaction of their own; the rows written (0 when
    the write could not be made: a version deleted meanwhile, a lock not granted).

    On a connection of its own from the engine, not the export's reading one: on SQLite the
    writers' lock (app/db/engine.py) is released when a connection goes back to the pool,
    so a write on the reading connection would hold it until the export ended, and every
    other writer on the worker would wait for the whole export."""
    insert = (postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert)(L)
    statement = insert.on_conflict_do_update(
        index_elements=[L.c.def_id],
        set_={"signature": insert.excluded.signature, "root": insert.excluded.root,
              "repeats": insert.excluded.repeats})
    try:
        with engine.begin() as connection:
            connection.execute(statement, values)
        return len(values)
    except (IntegrityError, DBAPIError):
        return 0
