"""Central's CSV exports, generated as byte streams. No Flask.

- `submissions_zip(…)`: `<formId>.csv` (the root table), one `<formId>-<repeat>.csv` per
  repeat (`~N` after the name when two repeats share it), then the received files under
  `media/` unless attachments are left out: what central-backend's streamBriefcaseCsvs and
  streamAttachments write (lib/data/briefcase.js, attachments.js).
- `submissions_csv(…)`: the root table alone (Central's `submissions.csv`).
- `entities_csv(…)`: a list's entities as Central's admin export
  (`__id,label,<properties>,__createdAt,__creatorId,__creatorName,__updates,__updatedAt,
  __version`, lib/data/entity.js streamEntityCsv), newest first.

Values as Central writes them: SubmissionDate and entity timestamps as ISO 8601 UTC with
milliseconds (`2026-11-20T02:00:00.000Z`); a missing or empty answer is an empty cell; the
submitter's id and display name; ReviewState empty while received; Status empty (or "not
decrypted" for an encrypted submission, whose data this server cannot read). CSV quoting is
csv-stringify's (`"` around a cell holding a comma, a quote or a line break; `\\n` between
rows; no byte-order mark).

With Central's default options the per-submission cells come from app.exports.lines (kept
per submission version, computed from the XML only on a miss), and a whole form's export
copies the runs kept by app.exports.segments (every table's lines of a few hundred
submissions, deflated once) instead of writing their rows; the output is the same byte for
byte either way.

Each batch's text is deflated as one piece per table (app.exports.deflated); the root
table's pieces go into the archive as submissions are read, the repeat tables' are spooled
(app.exports.zipping) and appended after it, as Central appends its substreams. Every
generator reads through app.exports.reading (own connection, keyset batches) and calls
cooperative.pause() every PAUSE_ROWS submissions parsed (or their worth in kept lines).
"""
import csv
import io
import re
from dataclasses import dataclass

from sqlalchemy import func, select

from app.exports import deflated, filters, lines, reading, segments, zipping
from app.exports.cooperative import pause
from app.exports.instances import Layout
from app.exports.zipping import ZipStream
from app.register.models import Entity, EntityVersion

#: submissions between two pauses: a short enough stretch of parsing that other requests on
#: the worker wait little (docs/exports.md, "How it streams with flat memory")
PAUSE_ROWS = 32
#: a row written from its kept lines is far cheaper than one parsed (app.exports.lines), so
#: warm rows pause this many times less often: as often would poll sockets more than needed
KEPT_PER_PARSED = 8
#: characters of CSV text gathered before it is encoded and handed on
FLUSH_CHARS = 1 << 16
NOT_DECRYPTED = "not decrypted"


@dataclass(frozen=True)
class Options:
    """Central's query options of the CSV exports (lib/util/db.js fromSubmissionCsvRequest)."""
    group_paths: bool = True                # column names with their groups' path
    split_select_multiples: bool = False    # a 0/1 column per chosen value
    deleted_fields: bool = False            # fields of older versions too
    attachments: bool = True                # media/ files in the zip


class _Table:
    """One CSV being written: a csv.writer over a text buffer, flushed as UTF-8 to `out` or
    taken as text."""

    def __init__(self, out):
        self.out = out
        self.buffer = io.StringIO()
        self.writer = csv.writer(self.buffer, lineterminator="\n")

    def flush(self, force=False):
        if force or self.buffer.tell() >= FLUSH_CHARS:
            self.out.write(self.take().encode("utf-8"))

    def take(self):
        """The text written since the last take."""
        text = self.buffer.getvalue()
        self.buffer.seek(0)
        self.buffer.truncate()
        return text


def sanitize(name):
    """sanitize-filename as Central uses it: no path separators, reserved or control
    characters, no trailing dots or spaces, at most 255 bytes."""
    name = re.sub(r'[/?<>\\:*|"\x00-\x1f\x80-\x9f]', "", name)
    if re.fullmatch(r"\.+", name):
        name = ""
    if re.match(r"^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$", name, re.IGNORECASE):
        name = ""
    name = re.sub(r"[. ]+$", "", name)
    return name.encode("utf-8")[:255].decode("utf-8", "ignore")


def _own_name(name, taken):
    """The media entry's file name: sanitized, never empty ('..' and 'con.jpg' sanitize to
    nothing, and an entry named 'media/' is a directory), and not one already in the archive
    (two phones' photo.jpg would be two entries of one name, which unzip tools overwrite or
    refuse): 'file', then 'photo~2.jpg'. Memory: one name per file, as the zip's own
    directory keeps."""
    base = sanitize(name) or "file"
    stem, dot, extension = base.rpartition(".")
    if not stem:
        stem, dot, extension = base, "", ""
    found, n = base, 1
    while found in taken:
        n += 1
        found = f"{stem}~{n}{dot}{extension}"
    taken.add(found)
    return found


def table_names(xml_form_id, layout):
    """File names of the layout's tables, root first, as Central names them."""
    totals = {}
    for t in layout.tables[1:]:
        totals[t.name] = totals.get(t.name, 0) + 1
    names, counts = [f"{sanitize(xml_form_id)}.csv"], {}
    for t in layout.tables[1:]:
        if totals[t.name] > 1:
            counts[t.name] = counts.get(t.name, 0) + 1
            names.append(sanitize(f"{xml_form_id}-{t.name}~{counts[t.name]}.csv"))
        else:
            names.append(sanitize(f"{xml_form_id}-{t.name}.csv"))
    return names


def select_values(engine, selection, fields):
    """{field rel: sorted values} chosen in the selected submissions' select multiples, for
    splitSelectMultiples (Central reads them from the data, not from the choice lists)."""
    multiples = [f for f in fields if f.select_multiple]
    if not multiples:
        return {}
    probe = Layout(multiples_only(fields))
    values = {f.rel: set() for f in multiples}
    for batch in reading.batches(engine, selection):
        for row in batch:
            if row.encrypted:
                continue
            root, subrows = probe.read(row.xml, row.instance_id)
            for table, rows in zip(probe.tables, [[root]] + subrows):
                for column, (f, _part) in enumerate(table.columns):
                    if f is None or not f.select_multiple:
                        continue
                    for r in rows:
                        if r[column]:
                            values[f.rel].update(r[column].split())
        pause()
    return {rel: sorted(v) for rel, v in values.items() if v}


def multiples_only(fields):
    """The fields with every leaf but select multiples left out (structures and repeats kept,
    so the tables and paths stay the same): a cheap reader for select_values()."""
    return [f for f in fields if f.structural or f.select_multiple]


def isoformat(value):
    """app.db.columns.isoformat's shape (UTC, milliseconds, Z) by datetime.isoformat, much
    quicker than its strftime (docs/exports.md): it runs once per exported row."""
    if value is None:
        return None
    return value.isoformat(timespec="milliseconds") + "Z"


def _root_row(layout, row):
    if row.encrypted:
        values = layout.new_root_row()
    else:
        values, subrows = layout.read(row.xml, row.instance_id)
    meta = layout.root.meta
    values[0] = isoformat(row.created_at)
    values[meta["KEY"]] = row.instance_id
    if row.submitter_id is not None:
        values[meta["SubmitterID"]] = row.submitter_id
        values[meta["SubmitterName"]] = row.submitter_name
    values[meta["AttachmentsPresent"]] = row.attachments_present
    values[meta["AttachmentsExpected"]] = row.attachments_expected
    if row.encrypted:
        values[meta["Status"]] = NOT_DECRYPTED
    values[meta["ReviewState"]] = row.review_state
    values[meta["DeviceID"]] = row.device_id
    values[meta["Edits"]] = row.edits
    values[meta["FormVersion"]] = row.form_version
    return values, (None if row.encrypted else subrows)


def _write_rows(engine, selection, layout, tables, cache=None, plan=None):
    """Read every selected submission into `tables` (a _Table per layout table, root first),
    yielding once per batch: (rows, each table's text for them), or (segments.Hit, None) in
    place of a valid kept segment's rows (with `plan`). Calls pause() every PAUSE_ROWS parsed
    submissions or their worth in kept ones. With `cache` (a lines.Cache over the full
    layout) rows come with their kept lines (app.exports.lines) and no XML is parsed."""
    root = tables[0]
    subs = tables[1:]
    kept = _Kept(layout, root, subs)
    work, every = 0, PAUSE_ROWS * KEPT_PER_PARSED
    for batch in reading.batches(engine, selection, lines=cache, segments=plan):
        if not isinstance(batch, list):
            yield batch, None
            continue
        for row in batch:
            if row.root_line is not None:
                kept.write(row)
                work += 1
            else:
                work += KEPT_PER_PARSED
                values, subrows = _root_row(layout, row)
                root.writer.writerow(values)
                if subrows:
                    for table, rows in zip(subs, subrows):
                        if rows:
                            table.writer.writerows(rows)
            if work >= every:
                work = 0
                pause()
        yield batch, [table.take() for table in tables]


def _pieces(texts):
    """Each table's text of a batch deflated: [Piece or None (no rows)], root first."""
    level = zipping.COMPRESS_LEVEL
    return [deflated.deflate(t.encode("utf-8"), level) if t else None for t in texts]


def _keep(plan, rows, texts, pieces=None):
    """Keep a batch as a segment when the plan wants it: its `pieces`, or `texts` deflated
    (only then: the plain CSV sends text and deflates only what it keeps)."""
    if plan is not None and plan.wants(rows):
        pieces = pieces or _pieces(texts)
        plan.keep(rows, pieces[0], [(i, p) for i, p in enumerate(pieces[1:], start=1) if p])


#: a cell holding one of these may be quoted by csv.writer; any other is written as it is
_QUOTABLE = re.compile('[,"\r\n]').search


class _Kept:
    """Writes rows from their kept lines: SubmissionDate, the kept cells, then the ten
    metadata cells, as csv.writer would write the whole row, in one write a row.

    The metadata cells after KEY (submitter, attachments, review state, device, edits,
    version) repeat across a form's submissions, so each distinct combination is encoded
    by csv.writer once and kept (about a dozen in an export: a few dozen bytes each);
    KEY is written as it is unless it holds a character csv.writer may quote."""

    def __init__(self, layout, root, subs):
        self.root, self.subs = root, subs
        self.with_cells = layout.root.meta["KEY"] > 1
        self.suffixes = {}
        self.buffer = io.StringIO()
        self.writer = csv.writer(self.buffer, lineterminator="\n")
        # a form with one repeat table (the common case) appends each row's repeat text
        # after its one length prefix, with no decoding
        self.one_repeat = len(subs) == 1

    def _encode(self, cells):
        self.writer.writerow(cells)
        text = self.buffer.getvalue()
        self.buffer.seek(0)
        self.buffer.truncate()
        return text

    def write(self, row):
        key = (row.submitter_id, row.submitter_name, row.attachments_present,
               row.attachments_expected, row.review_state, row.device_id, row.edits,
               row.form_version)
        suffix = self.suffixes.get(key)
        if suffix is None:
            # a leading empty cell keeps csv from quoting a lone empty one; cut it off
            suffix = self._encode(("", row.submitter_id,
                                   row.submitter_name if row.submitter_id is not None else None,
                                   row.attachments_present, row.attachments_expected, None,
                                   row.review_state, row.device_id, row.edits,
                                   row.form_version))
            if len(self.suffixes) < SUFFIXES:
                self.suffixes[key] = suffix
        instance_id = row.instance_id
        if _QUOTABLE(instance_id):
            instance_id = self._encode(("", instance_id))[1:-1]
        if self.with_cells:
            self.root.buffer.write(f"{isoformat(row.created_at)},{row.root_line},"
                                   f"{instance_id}{suffix}")
        else:
            self.root.buffer.write(f"{isoformat(row.created_at)},{instance_id}{suffix}")
        repeats = row.repeat_lines
        if repeats and self.subs:
            if self.one_repeat:
                self.subs[0].buffer.write(repeats[repeats.index("\n") + 1:])
            else:
                for index, text in lines.decode_repeats(repeats):
                    self.subs[index - 1].buffer.write(text)


#: distinct metadata suffixes kept per export (a bound, for an export of millions of
#: submissions each with another device)
SUFFIXES = 10000


def _cache(fields, options, layout=None, repeats=True, writer=None):
    """The kept lines' cache for an export with these options (None when they change cells
    the cache does not describe); built over the full layout, so the plain CSV and the zip
    share one signature. `writer`: the engine its write-backs use (see lines.Cache)."""
    if not lines.cacheable(options):
        return None
    return lines.Cache(layout or Layout(fields, group_paths=options.group_paths), repeats,
                       writer=writer)


def _whole_form(selection):
    """Whether an export reads every live submission of its form (no $filter, no village
    scope): only such an export reads and keeps segments."""
    return selection.filter is None and selection.area_ids is None


def _plan(selection, cache, repeats=True):
    """The kept segments an export may read and keep (None: none): a whole form's, with
    Central's default options (a kept lines cache)."""
    if cache is None or not _whole_form(selection):
        return None
    return segments.Plan(selection.form_id, cache.signature, writer=cache.writer,
                         repeats=repeats)


def submissions_csv(engine, selection, fields, options, kept_lines=True, writer=None):
    """Central's submissions.csv: the root table only, as a generator of bytes.
    kept_lines=False: every submission parsed, the kept lines and segments neither read nor
    written; `writer`: the engine they are written back through (default: `engine`)."""
    values = select_values(engine, selection, fields) if options.split_select_multiples else {}
    # the repeats' kept lines are read only when a run may be kept as a segment
    cache = (_cache(fields, options, repeats=_whole_form(selection), writer=writer or engine)
             if kept_lines else None)
    plan = _plan(selection, cache, repeats=False)
    # with kept lines the full layout reads (and keeps) the repeats too, for the zip's sake;
    # its root table is the root-only layout's
    layout = cache.layout if cache else Layout(fields, values, group_paths=options.group_paths,
                                               root_only=True)
    out = _Bytes()
    tables = [_Table(out)]
    if plan is not None:
        # runs kept as segments need every table's lines, though only the root's is sent
        tables += [_Table(None) for _ in layout.tables[1:]]
    tables[0].writer.writerow(layout.root.header)
    out.write(tables[0].take().encode("utf-8"))
    for batch, texts in _write_rows(engine, selection, layout, tables, cache, plan):
        if texts is None:
            out.write(deflated.inflate(batch.root))
        else:
            out.write(texts[0].encode("utf-8"))
            _keep(plan, batch, texts)
        yield from out.drain()
        pause()


def submissions_zip(engine, store, selection, fields, xml_form_id, options, kept_lines=True,
                    writer=None):
    """Central's submissions.csv.zip as a generator of bytes (see the module docstring).
    kept_lines=False: every submission parsed, the kept lines and segments neither read nor
    written; `writer`: the engine they are written back through (default: `engine`)."""
    values = select_values(engine, selection, fields) if options.split_select_multiples else {}
    layout = Layout(fields, values, group_paths=options.group_paths)
    cache = _cache(fields, options, layout, writer=writer or engine) if kept_lines else None
    plan = _plan(selection, cache)
    names = table_names(xml_form_id, layout)
    archive = ZipStream()
    try:
        with archive.entry(names[0]) as root_entry:
            sinks = [root_entry] + [archive.spool(name) for name in names[1:]]
            tables = [_Table(None) for _ in names]
            for table, sink, t in zip(tables, sinks, layout.tables):
                table.writer.writerow(t.header)
                sink.write(table.take().encode("utf-8"))
            for batch, texts in _write_rows(engine, selection, layout, tables, cache, plan):
                if texts is None:
                    root_entry.write_piece(batch.root)
                    for index, piece in batch.repeats:
                        sinks[index].write_piece(piece)
                else:
                    pieces = _pieces(texts)
                    for sink, piece in zip(sinks, pieces):
                        if piece is not None:
                            sink.write_piece(piece)
                    _keep(plan, batch, texts, pieces)
                if archive.pending:
                    yield archive.take()
                pause()
        yield archive.take()
        if options.attachments:
            taken = set()
            for name, sha256 in reading.attachments(engine, selection):
                yield from archive.add_file(f"media/{_own_name(name, taken)}",
                                            _file(store, sha256))
                pause()
        for chunk in archive.finish():
            yield chunk
            pause()
    finally:
        archive.close()


def warm(engine, form_id, fields):
    """Fill the kept lines and segments of a form's submissions (the CLI's `exports warm`),
    as a whole-form zip export with Central's default options would, writing nothing out.
    Returns (submissions read, lines computed, segments kept)."""
    cache = _cache(fields, Options(), writer=engine)
    selection = reading.Selection(form_id=form_id, area_ids=None, has_attachments=True)
    plan = _plan(selection, cache)
    layout = cache.layout
    tables = [_Table(None) for _ in layout.tables]
    read = 0
    for batch, texts in _write_rows(engine, selection, layout, tables, cache, plan):
        if texts is None:
            read += batch.segment.rows
        else:
            read += len(batch)
            _keep(plan, batch, texts)
    return read, cache.computed, plan.kept


def _file(store, sha256):
    with store.open(sha256) as f:
        while chunk := f.read(1 << 16):
            yield chunk


class _Bytes:
    """A sink for one CSV outside a zip: collects UTF-8 bytes until drained."""

    def __init__(self):
        self.parts = []

    def write(self, data):
        self.parts.append(data)

    def drain(self):
        if self.parts:
            data = b"".join(self.parts)
            self.parts.clear()
            yield data


# --------------------------------------------------------------------------- entities

ENTITY_META = ("__createdAt", "__creatorId", "__creatorName", "__updates", "__updatedAt",
               "__version")


def entity_header(properties):
    return ["__id", "label", *properties, *ENTITY_META]


def entity_count(connection, dataset_id, area_ids, condition):
    query = select(func.count()).select_from(Entity).where(*_entity_where(dataset_id, area_ids,
                                                                          condition))
    return connection.scalar(query)


def _entity_where(dataset_id, area_ids, condition):
    where = [Entity.dataset_id == dataset_id, condition]
    if area_ids is not None:
        where.append(Entity.area_id.in_(sorted(area_ids)))
    return where


def entities_csv(engine, dataset_id, properties, area_ids, condition, batch=1000):
    """Central's entities.csv for one list, newest first, as a generator of bytes.
    `condition`: filters.where(…) over filters.entity_columns() (deleted ones left out)."""
    out = _Bytes()
    table = _Table(out)
    table.writer.writerow(entity_header(properties))
    creator = (select(EntityVersion.actor_kind, EntityVersion.actor_id)
               .where(EntityVersion.entity_id == Entity.id, EntityVersion.version == 1)
               .correlate(Entity))
    with reading.connect(engine) as connection:
        names = reading.Names(connection)
        after = None
        while True:
            query = (select(Entity.id, Entity.uuid, Entity.label, Entity.data, Entity.created_at,
                            Entity.updated_at, Entity.version,
                            creator.with_only_columns(EntityVersion.actor_kind)
                            .scalar_subquery().label("creator_kind"),
                            creator.with_only_columns(EntityVersion.actor_id)
                            .scalar_subquery().label("creator_id"))
                     .where(*_entity_where(dataset_id, area_ids, condition))
                     .order_by(Entity.created_at.desc(), Entity.id.desc()).limit(batch))
            if after is not None:
                query = query.where(filters.older_than(Entity.created_at, Entity.id, after))
            rows = connection.execute(query).all()
            connection.commit()
            for r in rows:
                data = r.data or {}
                table.writer.writerow([
                    r.uuid, r.label, *[data.get(p, "") for p in properties],
                    isoformat(r.created_at), r.creator_id, names.get(r.creator_kind, r.creator_id),
                    r.version - 1, isoformat(r.updated_at), r.version])
            table.flush()
            yield from out.drain()
            pause()
            if len(rows) < batch:
                break
            after = (rows[-1].created_at, rows[-1].id)
    table.flush(force=True)
    yield from out.drain()
