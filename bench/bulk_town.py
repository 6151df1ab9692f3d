"""Large registers made quickly, equal to what intake would make: a synthetic town of a few
thousand people is sent through the real intake once (`flask demo town`), and its rows are
then copied k times into a new database, each copy a town of new villages with new ids,
uuids, village codes and ID numbers, as if k such towns had sent their phones' submissions
to one server.

    python bench/bulk_town.py --db sqlite|postgresql --people 100000 [--source-people 10000]
                              [--check]

What a copy changes, and nothing else (every row of every table the town wrote is copied):
- ids: copy j's ids are the source's plus j times the source's largest id of that table, and
  every reference follows (submission, version, entity, app user, village);
- villages: copy j of village `dongwan` is a new area `dongwan_j` (名 + j), and the code is
  renamed wherever it is a value (an XML answer `>dongwan<`, a JSON string `"dongwan"`);
- uuids (instance ids, entities, branches, people named in events): the first 8 hex digits
  become `b` and j in 7 hex digits, wherever they occur (XML, JSON, columns);
- resident ID numbers: the 6-digit region code becomes 9, j in 3 digits and the region's
  index in 2, with the check character recomputed so that a valid number stays valid and a
  slip stays the same slip (the validation issue's message is rewritten to match), so no
  person of one copy is a duplicate of another's (the duplicate check goes by ID number);
- XML hashes are recomputed; app users (one per phone) are copied with their villages.
Names, dates, answers and the events' order within a copy are the source's.

How it is checked (`--check`, or `check_copy`): copy j alone is lifted into a scratch SQLite
database (its id ranges, the shared forms and lists) and `app.register.rebuild.check` runs on
it: the journal replayed through the merge gives exactly its entities and versions, and the
life events derived again from its submissions' XML are exactly its life_events rows; the
source gets the same check. Over the whole register, `check_distinct` confirms no ID number,
uuid or instance id is shared between copies.

Built databases are cached (bench/.cache, and PostgreSQL databases named
doorstep_reports_<people>_<source>_<villages>_<key>), keyed by the code that wrote them (app/,
forms/, migrations/, this file), so reruns are quick. Also: the whole register's report cells
against its events (`check_cells`, app.reports.cells.compare).
"""
import argparse
import hashlib
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from app.reports import bases as report_bases  # noqa: E402

CACHE = os.environ.get("DOORSTEP_BENCH_CACHE", os.path.join(common.ROOT, "bench", ".cache"))
SERVER = os.environ.get("DOORSTEP_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
SOURCE_SEED = 1

# How each table's columns change in copy j. "id": the row's own id (offset by the table's
# largest id); a table name: a reference to that table's ids; "area": a village (0 and NULL
# stay); "text": uuids, village codes and ID numbers rewritten; "app_user": an actor id when
# the row's kind column says app_user. Tables not named are copied once, unchanged
# (ONCE), or must be empty (anything else: a table this does not know stops the build).
ONCE = ("projects", "users", "blobs", "forms", "form_versions", "datasets",
        "dataset_properties", "form_attachments", "report_stock_cuts", "alembic_version",
        "user_areas")
SKIP = ("api_sessions", "digest_nonce_uses", "login_failures",
        # the people search's index: built again from the copied people (index_people)
        "person_search", "person_name_terms",
        # the duplicate finder's keys and pairs: found again in batch (index_people)
        "person_match_keys", "duplicate_pairs",
        # summed from the copied cells at the end (BASES), at the source's cut
        "report_stock_bases",
        # the audit log's chains: chained again over the copied events (chain_audit)
        "audit_chain_heads")
#: app.reports.bases.rebuild in one statement: each village's stock cells to the cut (its
#: stock names, from app.reports.bases)
BASES = ("INSERT INTO report_stock_bases (project_id, area_id, cell, n)"
         " SELECT c.project_id, c.area_id, c.cell, SUM(c.n) FROM report_cells c"
         " JOIN report_stock_cuts k ON k.project_id = c.project_id WHERE c.month <= k.cut"
         " AND (" + " OR ".join([f"c.cell LIKE '{p}%'" for p in report_bases.STOCK_PREFIXES]
                              + [f"c.cell = '{n}'" for n in report_bases.STOCK_NAMES]) + ")"
         " GROUP BY c.project_id, c.area_id, c.cell HAVING SUM(c.n) <> 0")
PER_COPY = {
    "areas": {"id": "id"},
    "app_users": {"id": "id"},
    "app_user_areas": {"app_user_id": "app_users", "area_id": "area"},
    "app_user_forms": {"app_user_id": "app_users"},
    "dataset_area_revisions": {"id": "id", "area_key": "area"},
    "submissions": {"id": "id", "instance_id": "text", "area_id": "area",
                    "submitter_id": ("app_user", "submitter_kind")},
    "submission_defs": {"id": "id", "submission_id": "submissions", "instance_id": "text",
                        "deprecated_id": "text", "xml": "text", "issues": "text",
                        "submitter_id": ("app_user", "submitter_kind")},
    "submission_attachments": {"id": "id", "def_id": "submission_defs"},
    "entities": {"id": "id", "uuid": "text", "data": "text", "id_number": "text",
                 "area_id": "area"},
    "entity_versions": {"id": "id", "entity_id": "entities", "data": "text",
                        "received": "text", "branch_id": "text",
                        "submission_id": "submissions", "submission_def_id": "submission_defs",
                        "actor_id": ("app_user", "actor_kind")},
    "entity_backlog": {"id": "id", "submission_id": "submissions",
                       "submission_def_id": "submission_defs", "entity_uuid": "text",
                       "branch_id": "text"},
    "register_events": {"id": "id", "submission_def_id": "submission_defs",
                        "entity_uuid": "text", "payload": "text",
                        "actor_id": ("app_user", "actor_kind")},
    "life_events": {"id": "id", "submission_id": "submissions",
                    "submission_def_id": "submission_defs", "area_id": "area",
                    "person": "text", "other_person": "text", "household": "text",
                    "pregnancy": "text", "details": "text"},
    "audit_events": {"id": "id", "target": "target", "details": "text",
                     "actor_id": ("app_user", "actor_type")},
    "report_cells": {"area_id": "cells_area"},
}
#: the order rows are written in (parents first; ONCE's before these)
ORDER = ("areas", "user_areas", "app_users", "app_user_areas", "app_user_forms",
         "dataset_area_revisions",
         "submissions", "submission_defs", "submission_attachments", "entities",
         "entity_versions", "entity_backlog", "register_events",
         "life_events", "audit_events", "report_cells")
CHECK_CHARACTERS = "10X98765432"
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_TARGET = re.compile(r"^(submission|app_user):(\d+)$")
_CHECKSUM_MESSAGE = re.compile(r"(（应为|it should be )([0-9X])")


def check_character(first17):
    return CHECK_CHARACTERS[sum(int(d) * w for d, w in zip(first17, WEIGHTS)) % 11]


def code_key(this_file=True):
    """A hash of the code that writes a register (app/, forms/, migrations/, and for the
    copies this file): cached databases are used only by the code that built them.
    DOORSTEP_BENCH_KEY names another (a register built by an earlier commit whose writes
    are the same: say so beside the figures)."""
    if os.environ.get("DOORSTEP_BENCH_KEY"):
        return os.environ["DOORSTEP_BENCH_KEY"]
    digest = hashlib.sha1()
    for top in ("app", "forms", "migrations"):
        for base, dirs, files in sorted(os.walk(os.path.join(common.ROOT, top))):
            dirs.sort()
            for name in sorted(files):
                if name.endswith((".pyc", ".pyo")):
                    continue
                path = os.path.join(base, name)
                digest.update(os.path.relpath(path, common.ROOT).encode())
                with open(path, "rb") as f:
                    digest.update(f.read())
    if this_file:
        with open(os.path.abspath(__file__), "rb") as f:
            digest.update(f.read())
    return digest.hexdigest()[:10]


# ---------------------------------------------------------------------------- the source town

def source_town(people, echo=print, villages=12):
    """The path of a SQLite database holding a town of `people` sent through the real intake
    by `flask demo town` (built once per code version, then cached)."""
    os.makedirs(CACHE, exist_ok=True)
    path = os.path.join(CACHE, f"source-{people}-{villages}-{SOURCE_SEED}-"
                               f"{code_key(False)}.sqlite3")
    if os.path.exists(path + ".done"):
        return path
    for leftover in (path, path + "-wal", path + "-shm"):
        if os.path.exists(leftover):
            os.remove(leftover)
    echo(f"# building the source town: flask demo town --people {people} (real intake)")
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as data:
        env = {**os.environ, "DOORSTEP_DATABASE_URL": f"sqlite:///{path}",
               "DOORSTEP_DATA_DIR": data, "DOORSTEP_SECRET_KEY": "bench"}
        done = subprocess.run(
            [os.path.join(os.path.dirname(sys.executable), "flask"), "--app", "wsgi", "demo",
             "town", "--people", str(people), "--villages", str(villages),
             "--seed", str(SOURCE_SEED),
             "--truth", path + ".truth.json"],
            cwd=common.ROOT, env=env, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"flask demo town failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    echo("# " + " / ".join(line for line in done.stdout.splitlines()[-4:]))
    echo(f"# source town built in {time.perf_counter() - start:.0f} s")
    open(path + ".done", "w").close()
    return path


# ---------------------------------------------------------------------------- rewriting

class Templates:
    """Each distinct source text split once into literal pieces and the tokens a copy
    rewrites (uuid heads, village codes, ID numbers), so a copy is rendered by joining pieces
    instead of searching every text again (a regex pass over each copy's 24 MB of XML cost
    about 10 s; a join costs a few microseconds a row)."""

    def __init__(self, codes):
        alternatives = "|".join(sorted(map(re.escape, codes), key=len, reverse=True))
        self.pattern = re.compile(
            r"(?P<u>(?<![0-9a-f])[0-9a-f]{8}(?=-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-"
            r"[0-9a-f]{12}))"
            rf"|(?<=[>\"])(?P<v>{alternatives})(?=[<\"])"
            r"|(?<![0-9])(?P<i>[0-9]{6}(?:19|20)[0-9]{9}[0-9X])(?![0-9X])")
        self.cache = {}

    def of(self, value):
        """(literal pieces, tokens): value == pieces[0] + token 0 + pieces[1] + …"""
        found = self.cache.get(value)
        if found is None:
            pieces, tokens, at = [], [], 0
            for m in self.pattern.finditer(value):
                pieces.append(value[at:m.start()])
                tokens.append((m.lastgroup, m.group()))
                at = m.end()
            pieces.append(value[at:])
            found = self.cache[value] = (pieces, tokens)
        return found


class Copy:
    """The rewriting of one copy j (j = 0: the source itself, unchanged)."""

    def __init__(self, j, offsets, templates, regions):
        self.j, self.offsets, self.templates, self.regions = j, offsets, templates, regions
        self.prefix = f"b{j:07x}"
        self.suffix = f"_{j}"
        self.numbers = {}

    def token(self, kind, value):
        if kind == "u":
            return self.prefix
        if kind == "v":
            return value + self.suffix
        found = self.numbers.get(value)
        if found is None:
            found = self.numbers[value] = self.id_number(value)
        return found

    def id_number(self, old):
        region = self.regions.setdefault(old[:6], len(self.regions))
        if region > 99 or self.j > 999:
            raise ValueError("more than 100 regions or 1000 copies: widen the ID number scheme")
        body = f"9{self.j:03d}{region:02d}" + old[6:17]
        slip = CHECK_CHARACTERS.index(old[17]) - CHECK_CHARACTERS.index(check_character(old[:17]))
        return body + CHECK_CHARACTERS[(CHECK_CHARACTERS.index(check_character(body)) + slip) % 11]

    def text(self, value):
        if value is None or self.j == 0:
            return value
        pieces, tokens = self.templates.of(value)
        if not tokens:
            return value
        out = [pieces[0]]
        for (kind, token), piece in zip(tokens, pieces[1:]):
            out.append(self.token(kind, token))
            out.append(piece)
        return "".join(out)

    def issues(self, value):
        """An issues list: rewritten, with a checksum issue's message naming the new check
        character (as validation would have written it for the rewritten number)."""
        value = self.text(value)
        if self.j == 0 or not value or "id_number_checksum" not in value:
            return value
        issues = json.loads(value)
        for issue in issues:
            if issue.get("code") == "id_number_checksum" and issue.get("value"):
                expected = check_character(issue["value"][:17])
                for key in ("message_zh", "message_en"):
                    issue[key] = _CHECKSUM_MESSAGE.sub(lambda m: m.group(1) + expected,
                                                       issue[key])
        return json.dumps(issues)

    def ref(self, table, value):
        return None if value is None else value + self.j * self.offsets[table]

    def area(self, value):
        return value if not value else value + self.j * self.offsets["areas"]


def rows_of_copy(table, columns, rows, copy, copies):
    """Rewrite the source rows of `table` for copy `copy.j`."""
    rule = PER_COPY[table]
    idx = {c: i for i, c in enumerate(columns)}
    plan = []
    for column, how in rule.items():
        i = idx[column]
        if how == "id":
            plan.append((i, lambda v, r, t=table: copy.ref(t, v)))
        elif how == "area":
            plan.append((i, lambda v, r: copy.area(v)))
        elif how == "cells_area":
            continue                    # below: area 0 is the sum over copies
        elif how == "text":
            f = copy.issues if column == "issues" else copy.text
            plan.append((i, lambda v, r, f=f: f(v)))
        elif how == "target":
            plan.append((i, lambda v, r: _target(copy, v)))
        elif isinstance(how, tuple):
            k = idx[how[1]]
            plan.append((i, lambda v, r, k=k: copy.ref("app_users", v)
                         if r[k] == "app_user" else v))
        else:
            plan.append((i, lambda v, r, t=how: copy.ref(t, v)))
    sha = idx.get("xml_sha256")
    out = []
    for row in rows:
        if table == "audit_events" and copy.j and not _per_copy_audit(row, idx):
            continue
        new = list(row)
        for i, f in plan:
            new[i] = f(row[i], row)
        if table == "submission_defs" and copy.j and new[idx["xml"]] is not None:
            new[sha] = hashlib.sha256(new[idx["xml"]].encode("utf-8")).hexdigest()
        elif table == "areas" and copy.j:
            new[idx["code"]] += copy.suffix
            new[idx["name_zh"]] = f"{new[idx['name_zh']]}{copy.j}"
            new[idx["name_en"]] = f"{new[idx['name_en']]} {copy.j}"
        elif table == "app_users" and copy.j:
            new[idx["token_hash"]] = hashlib.sha256(f"{row[idx['token_hash']]}:{copy.j}"
                                                    .encode()).hexdigest()
            kind, _, village = row[idx["display_name"]].partition(":")
            new[idx["display_name"]] = f"{kind}:{village}{copy.suffix}"
        elif table == "report_cells":
            area = row[idx["area_id"]]
            if not area:
                if copy.j:
                    continue
                new[idx["n"]] = row[idx["n"]] * copies
            else:
                new[idx["area_id"]] = copy.area(area)
        out.append(new)
    return out


def _target(copy, value):
    if value is None or copy.j == 0:
        return value
    m = _TARGET.match(value)
    if m:
        table = "submissions" if m.group(1) == "submission" else "app_users"
        return f"{m.group(1)}:{copy.ref(table, int(m.group(2)))}"
    return copy.text(value)


def _per_copy_audit(row, idx):
    """Whether an audit row belongs to each town (its submissions, entities, app users) or
    only once (publishing the shared forms)."""
    target = row[idx["target"]] or ""
    return row[idx["actor_type"]] == "app_user" or target.startswith(
        ("submission:", "app_user:", "entity:"))


# ---------------------------------------------------------------------------- building

def read_source(path):
    """{table: (columns, rows)} of every table of the source town, rows by id."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    out = {}
    for (table,) in con.execute("SELECT name FROM sqlite_master WHERE type='table' "
                                "AND name NOT LIKE 'sqlite_%'"):
        columns = [r[1] for r in con.execute(f'PRAGMA table_info("{table}")')]
        order = " ORDER BY id" if "id" in columns else ""
        out[table] = (columns, con.execute(f'SELECT * FROM "{table}"{order}').fetchall())
    con.close()
    unknown = [t for t, (_c, rows) in out.items()
               if rows and t not in PER_COPY and t not in ONCE and t not in SKIP]
    if unknown:
        raise RuntimeError(f"bench/bulk_town.py does not know how to copy {unknown}")
    return out


def offsets_of(source):
    return {t: max((r[cols.index("id")] for r in rows), default=0)
            for t, (cols, rows) in source.items() if "id" in cols}


def build(kind, people, source_people=10_000, echo=print, villages=12):
    """The URL of a register of about `people` people (copies of a `source_people` town),
    built if not cached. Returns (url, info dict)."""
    copies = max(1, round(people / source_people))
    key = code_key()
    name = f"reports_{people}_{source_people}_{villages}_{key}"
    os.makedirs(CACHE, exist_ok=True)
    marker = os.path.join(CACHE, f"{kind}-{name}.json")
    if kind == "sqlite":
        url = f"sqlite:///{os.path.join(CACHE, name + '.sqlite3')}"
    else:
        url = SERVER.rsplit("/", 1)[0] + "/doorstep_" + name
    if os.path.exists(marker):
        with open(marker) as f:
            return url, json.load(f)
    path = source_town(source_people, echo, villages)
    start = time.perf_counter()
    source = read_source(path)
    offsets = offsets_of(source)
    codes = [r[source["areas"][0].index("code")] for r in source["areas"][1]]
    echo(f"# copying the {source_people}-person town {copies} times into {kind} ({url})")
    writer = _writer(kind, url)
    try:
        regions, templates = {}, Templates(codes)
        for table in ONCE[:-1] + ORDER:
            if table not in source or table == "alembic_version":
                continue
            if table not in PER_COPY:
                if source[table][1]:
                    writer.write(table, *source[table])
                continue
            columns, rows = source[table]
            for j in range(copies):
                writer.write(table, columns, rows_of_copy(table, columns, rows,
                                                          Copy(j, offsets, templates, regions),
                                                          copies))
        writer.finish(offsets, copies)
        index_people(url)
        chain_audit(url)
    except BaseException:
        writer.abort()
        raise
    info = {"people": people, "source_people": source_people, "copies": copies,
            "source": path, "offsets": offsets, "codes": codes,
            "seconds": round(time.perf_counter() - start, 1),
            "rows": {t: len(source[t][1]) * copies for t in PER_COPY if t in source}}
    with open(marker, "w") as f:
        json.dump(info, f)
    echo(f"# built in {info['seconds']} s: " + ", ".join(
        f"{t} {n:,}" for t, n in info["rows"].items() if n))
    return url, info


def index_people(url):
    """The people search's index of the copied register, by the builder the register's writes
    use (app.register.search.fill): a copy's ID numbers are new, and the index keeps them
    reversed too; and its duplicate pairs, found in batch (app.quality.duplicates)."""
    with tempfile.TemporaryDirectory() as data:
        app = common.make_app(url, data)
        with app.app_context():
            from app.db import db
            from app.quality import duplicates
            from app.register import search
            search.fill(db.session)
            for project_id in db.session.scalars(db.text("SELECT id FROM projects")).all():
                duplicates.recompute(db.session, project_id)
            db.session.commit()
            db.engine.dispose()


def _writer(kind, url):
    return SqliteWriter(url) if kind == "sqlite" else PostgresWriter(url)


def _migrate(url):
    """A fresh database at `url` with the schema at the migrations' head."""
    import logging

    from flask_migrate import upgrade
    with tempfile.TemporaryDirectory() as data:
        app = common.make_app(url, data)
        with app.app_context():
            logging.disable(logging.INFO)           # the migrations' chatter
            try:
                upgrade()
            finally:
                logging.disable(logging.NOTSET)
            from app.db import db
            db.engine.dispose()


class SqliteWriter:
    """Rows straight into a SQLite file: the source's stored values are SQLite's already."""

    def __init__(self, url):
        self.path = url[len("sqlite:///"):]
        for leftover in (self.path, self.path + "-wal", self.path + "-shm"):
            if os.path.exists(leftover):
                os.remove(leftover)
        _migrate(url)
        self.con = sqlite3.connect(self.path)
        self.con.execute("PRAGMA journal_mode=WAL")
        self.con.execute("PRAGMA synchronous=OFF")
        self.con.execute("BEGIN")

    def write(self, table, columns, rows):
        if table == "projects":
            self.con.execute("DELETE FROM report_stock_cuts")    # the source's comes next
            self.con.execute("DELETE FROM projects")   # the migration's default project
        if rows:
            marks = ", ".join("?" * len(columns))
            names = ", ".join(f'"{c}"' for c in columns)
            self.con.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', rows)

    def finish(self, offsets, copies):
        self.con.execute(BASES)
        self.con.execute("COMMIT")
        self.con.execute("ANALYZE")
        self.con.close()

    def abort(self):
        self.con.close()
        os.remove(self.path)


class PostgresWriter:
    """Rows into a new PostgreSQL database by COPY (text format: SQLite's stored text for
    dates, JSON and 0/1 booleans is what PostgreSQL's input functions read)."""

    def __init__(self, url):
        import psycopg
        self.url, self.name = url, url.rsplit("/", 1)[1]
        with psycopg.connect(SERVER, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{self.name}"')
        _migrate(url)
        self.con = psycopg.connect(url)
        self.con.execute("SET session_replication_role = replica")  # no FK triggers per row

    def write(self, table, columns, rows):
        if table == "projects":
            self.con.execute("DELETE FROM report_stock_cuts")    # the source's comes next
            self.con.execute("DELETE FROM projects")
        if not rows:
            return
        bools = {r[0] for r in self.con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
            "AND data_type = 'boolean'", (table,))}
        flips = [i for i, c in enumerate(columns) if c in bools]
        names = ", ".join(f'"{c}"' for c in columns)
        with self.con.cursor().copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
            for row in rows:
                if flips:
                    row = list(row)
                    for i in flips:
                        if row[i] is not None:
                            row[i] = bool(row[i])
                copy.write_row(row)

    def finish(self, offsets, copies):
        for table, top in offsets.items():
            if table in PER_COPY or table in ONCE:
                seq = self.con.execute("SELECT pg_get_serial_sequence(%s, 'id')",
                                       (table,)).fetchone()[0]
                if seq:
                    self.con.execute("SELECT setval(%s, %s)", (seq, max(top * copies, 1)))
        self.con.execute(BASES)
        self.con.commit()
        self.con.autocommit = True
        self.con.execute("VACUUM ANALYZE")
        self.con.close()

    def abort(self):
        self.con.close()


# ---------------------------------------------------------------------------- checking

def extract(url, info, j, target_url):
    """Copy j alone into a fresh database at `target_url`: its rows (by id range), the
    shared forms and lists, every village (only copy j's hold anything), and for the cells
    of no village (area 0) copy j's share."""
    from sqlalchemy import create_engine, insert, select, text

    from app.db import db
    _migrate(target_url)
    source = create_engine(_driver(url))
    target = create_engine(target_url)
    offsets, copies = info["offsets"], info["copies"]
    with source.connect() as read, target.begin() as write:
        write.execute(db.metadata.tables["report_stock_cuts"].delete())
        write.execute(db.metadata.tables["projects"].delete())
        for name in ONCE[:-1] + ORDER:
            table = db.metadata.tables.get(name)
            if table is None:
                continue
            query = select(table)
            if name in PER_COPY and name != "areas":
                if "id" in table.c:
                    lo = j * offsets[name]
                    query = query.where(table.c.id > lo, table.c.id <= lo + offsets[name])
                elif name in ("app_user_areas", "app_user_forms"):
                    lo = j * offsets["app_users"]
                    query = query.where(table.c.app_user_id > lo,
                                        table.c.app_user_id <= lo + offsets["app_users"])
                elif name == "report_cells":
                    lo = j * offsets["areas"]
                    query = query.where(((table.c.area_id > lo)
                                         & (table.c.area_id <= lo + offsets["areas"]))
                                        | (table.c.area_id == 0))
            rows = [dict(r._mapping) for r in read.execute(query)]
            if name == "report_cells":
                for r in rows:
                    if r["area_id"] == 0:
                        if r["n"] % copies:
                            raise AssertionError(f"area 0 cell {r} is not {copies} equal shares")
                        r["n"] //= copies
            if rows:
                write.execute(insert(table), rows)
        lo, span = j * offsets["entities"], offsets["entities"]
        for name in ("person_search", "person_name_terms"):     # the people search's index
            table = db.metadata.tables[name]
            rows = [dict(r._mapping) for r in read.execute(select(table).where(
                table.c.entity_id > lo, table.c.entity_id <= lo + span))]
            if rows:
                write.execute(insert(table), rows)
        write.execute(text(BASES))
    source.dispose()
    target.dispose()
    _pair_people(target_url)
    chain_audit(target_url)


def chain_audit(url):
    """Chain the copied audit events again, each project's in id order, as migration 0033
    chains a database's existing events: copies carry their source's hashes, which link
    nothing in the big register."""
    with tempfile.TemporaryDirectory() as data:
        app = common.make_app(url, data)
        with app.app_context():
            from sqlalchemy import bindparam, delete, insert, select, update

            from app.audit import chain
            from app.audit.models import AuditChainHead, AuditEvent
            from app.audit.record import chain_key
            from app.db import db
            from app.db.columns import utcnow
            events, heads = AuditEvent.__table__, {}
            rows = db.session.execute(select(events).order_by(events.c.id)).all()
            links = []
            for r in rows:
                prev = heads.get(chain_key(r.project_id), (0, chain.GENESIS, chain.GENESIS))
                entry = chain.link(prev[2], chain.body(r.project_id, r.actor_type, r.actor_id,
                                                       r.action, r.target, r.details,
                                                       r.logged_at))
                links.append({"i": r.id, "p": prev[2], "h": entry})
                heads[chain_key(r.project_id)] = (prev[0] + 1, prev[2], entry)
            if links:
                db.session.execute(update(events).where(events.c.id == bindparam("i"))
                                   .values(prev_hash=bindparam("p"), hash=bindparam("h")),
                                   links)
            db.session.execute(delete(AuditChainHead.__table__))
            if heads:
                db.session.execute(insert(AuditChainHead.__table__), [
                    {"chain": c, "length": n, "prev_hash": p, "hash": h, "updated_at": utcnow()}
                    for c, (n, p, h) in heads.items()])
            db.session.commit()
            db.engine.dispose()


def _pair_people(url):
    """The copy's duplicate pairs, found in batch as index_people finds the big register's:
    the big register's pairs include pairs between copies, which one copy alone has not."""
    with tempfile.TemporaryDirectory() as data:
        app = common.make_app(url, data)
        with app.app_context():
            from app.db import db
            from app.quality import duplicates
            duplicates.recompute(db.session, 1)
            db.session.commit()
            db.engine.dispose()


def _driver(url):
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


def rebuild_check(url):
    """`flask register rebuild --check` (app.register.rebuild.check) on the database at
    `url`: (seconds, report)."""
    with tempfile.TemporaryDirectory() as data:
        app = common.make_app(url, data)
        with app.app_context():
            from app.db import db
            from app.register import rebuild
            start = time.perf_counter()
            report = rebuild.check(db.session, 1)
            seconds = time.perf_counter() - start
            db.session.rollback()
            db.engine.dispose()
    return seconds, report


def check_copy(url, info, j, echo=print):
    """Lift copy j out of the big register and run the rebuild check on it. Returns the
    report (its .differences must be empty)."""
    with tempfile.TemporaryDirectory() as tmp:
        sample = f"sqlite:///{tmp}/copy{j}.sqlite3"
        start = time.perf_counter()
        extract(url, info, j, sample)
        lifted = time.perf_counter() - start
        seconds, report = rebuild_check(sample)
        report.differences += village_answers(sample)
    echo(f"# rebuild --check, copy {j} of {info['copies']} (lifted in {lifted:.0f} s): "
         f"{report.events} journal events replayed, {report.entities} entities, "
         f"{report.life_events} life events derived, {len(report.differences)} differences "
         f"({seconds:.0f} s)")
    for line in report.differences[:20]:
        echo("#   " + line)
    return report


def village_answers(url):
    """Differences between each submission's village (area_id, which intake sets from the
    village answer) and its current XML's <village> answer: the one column the rebuild
    check takes as given."""
    from sqlalchemy import create_engine, text
    engine = create_engine(url)
    out = []
    with engine.connect() as c:
        for sid, code, xml in c.execute(text(
                "SELECT s.id, a.code, d.xml FROM submissions s LEFT JOIN areas a "
                "ON a.id = s.area_id JOIN submission_defs d ON d.submission_id = s.id "
                "AND d.current")):
            m = re.search(r"<village>([^<]*)</village>", xml or "")
            if m and m.group(1) != code:
                out.append(f"submission {sid}: village answer {m.group(1)!r}, area {code!r}")
    engine.dispose()
    return out


def check_distinct(url, info):
    """Over the whole register: no ID number, entity uuid or instance id is shared between
    copies (so the duplicate check would have found across copies nothing it did not find
    within one), and every copy holds the same number of rows. Returns a list of problems."""
    from sqlalchemy import create_engine, text
    engine = create_engine(_driver(url))
    problems = []
    copies = info["copies"]
    with engine.connect() as c:
        shared = c.execute(text(
            "SELECT COUNT(*) FROM (SELECT id_number FROM entities WHERE id_number IS NOT NULL "
            "GROUP BY dataset_id, id_number HAVING COUNT(*) > 1) d")).scalar()
        with sqlite3.connect(f"file:{info['source']}?mode=ro", uri=True) as src:
            within = src.execute(
                "SELECT COUNT(*) FROM (SELECT id_number FROM entities WHERE id_number IS NOT "
                "NULL GROUP BY dataset_id, id_number HAVING COUNT(*) > 1) d").fetchone()[0]
        if shared != within * copies:
            problems.append(f"{shared} ID numbers held twice, expected {within} x {copies}")
        for table, column in (("entities", "uuid"), ("submissions", "instance_id")):
            n, distinct = c.execute(text(
                f"SELECT COUNT(*), COUNT(DISTINCT {column}) FROM {table}")).one()
            if n != distinct or n != info["rows"][table]:
                problems.append(f"{table}.{column}: {n} rows, {distinct} distinct, "
                                f"expected {info['rows'][table]}")
    engine.dispose()
    return problems


def check_cells(url):
    """Over the whole register: the report cells equal what its life events give
    (app.reports.cells.compare), area 0's sums included. Returns a list of problems."""
    from app.reports import cells
    if not hasattr(cells, "compare"):
        return []
    with tempfile.TemporaryDirectory() as data:
        app = common.make_app(url, data)
        with app.app_context():
            from app.db import db
            start = time.perf_counter()
            found = [str(d) for d in cells.compare(db.session, 1)]
            print(f"# report cells against the life events, whole register: "
                  f"{len(found)} differences ({time.perf_counter() - start:.0f} s)")
            db.session.rollback()
            db.engine.dispose()
    return found


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--source-people", type=int, default=10_000)
    parser.add_argument("--check", action="store_true",
                        help="rebuild --check on the source and on the last copy")
    args = parser.parse_args(argv)
    url, info = build(args.db, args.people, args.source_people)
    print(f"# {url}: {info['copies']} copies of {info['source_people']} people, built in "
          f"{info['seconds']} s")
    if args.check:
        seconds, report = rebuild_check(f"sqlite:///{info['source']}")
        print(f"# rebuild --check, the source town: {report.events} journal events, "
              f"{report.entities} entities, {report.life_events} life events, "
              f"{len(report.differences)} differences ({seconds:.0f} s)")
        sample = check_copy(url, info, info["copies"] - 1)
        problems = check_distinct(url, info) + check_cells(url)
        print("# across copies: " + ("; ".join(problems) or "no ID number, uuid or instance "
                                      "id shared between copies"))
        if report.differences or sample.differences or problems:
            sys.exit(1)


if __name__ == "__main__":
    main()
