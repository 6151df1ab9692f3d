"""Server time of every page of the web console on a large register: each GET route of the
`console` blueprint, as an admin (town-wide) and as a village supervisor, with p50 and p95 of
the time the server spends on it and, beside it, the database time of the same requests.

    python bench/console.py                      # 100,000 people, SQLite and PostgreSQL
    python bench/console.py --quick --db sqlite  # 10,000 people, to try it out
    python bench/console.py --only people        # routes whose endpoint or rule holds "people"

The register is built by bench/bulk_town.py (a town sent through the real intake, copied into
new villages; cached under bench/.cache, and DOORSTEP_BENCH_KEY reuses a register built by an
earlier commit). Each run works on a scratch copy of it (a file copy on SQLite, a database made
from it as a template on PostgreSQL, named doorstep_bench_console_*, dropped at the end), brought
to the migrations' head there, so the pages' sign-ins and audit rows never reach the cache and
a register built before a page's migration still serves that page.

What is walked: the URL map. Every GET route of the blueprint (sign-in, sign-out and static
files aside) has its path arguments filled by name from the register (fillers(): the names
tests/web/test_route_policy.py knows), each with a few query variants (VARIANTS, keyed by
endpoint; a variant naming a field the page's query schema does not have is printed, not
sent), and for each answer holding a "More" link (`?after=`), its second page too. A route
with an argument nothing fills is printed as such. Nothing is skipped silently.

How it is timed: in process, through Flask's test client (no network, no HTTP parsing, so the
figure is the server's own work: WSGI call to the last byte of the body), after signing in
through the real /login. Each page: --warmups requests, then --rounds timed ones, in rounds
that take every page in turn. The database time of each request is the sum of its
statements' times: SQLAlchemy's before/after_cursor_execute events, plus what those events
cannot see: on SQLite the rows a statement yields after its first (sqlite3 steps the
statement as the rows are fetched), and statements Doorstep runs on the driver's own cursor
(app.db.driver_sql, which bypasses SQLAlchemy's events). Goal (issue 19): p95 under 150 ms on
this 2-core machine.
"""
import argparse
import datetime as dt
import html
import json
import os
import platform
import re
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from urllib.parse import urlencode

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bulk_town  # noqa: E402
import common  # noqa: E402

GOAL_MS = 150
PUBLIC = {"console.login", "console.login_post", "console.logout", "console.static"}
#: files, not pages: their speed is bench/export.py's and bench/export_people.py's
DOWNLOAD = re.compile(r"\.(xlsx|csv|zip)$")
ARG = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
MORE = re.compile(r'href="([^"]*[?&](?:amp;)?after=[^"]*)"')
PLACEHOLDER = re.compile(r"\{(\w+)\}")

#: query variants per endpoint, besides the page as it opens: (label, query); "{name}" is
#: filled from the register (what fillers() finds: the path arguments' values, and village,
#: pinyin, initials, han, id_tail, phone_tail, person_target, month_ago). A page with a
#: `village` query field and no entry here is also timed with ?village=.
VARIANTS = {
    "console.dashboard": [("one village", {"village": "{village}"})],
    "console.review": [("one village", {"village": "{village}"}),
                       ("state=hasIssues", {"state": "hasIssues"}),
                       ("state=received", {"state": "received"}),
                       ("one form", {"form": "{xml_form_id}"}),
                       ("one phone", {"submitter": "app_user:{app_user_id}"}),
                       ("received in the last 30 days", {"since": "{month_ago}"})],
    "console.people": [("q=pinyin", {"q": "{pinyin}"}),
                       ("q=initials", {"q": "{initials}"}),
                       ("q=Han name part", {"q": "{han}"}),
                       ("q=ID tail", {"q": "{id_tail}"}),
                       ("q=phone tail", {"q": "{phone_tail}"}),
                       ("q=pinyin, one village", {"q": "{pinyin}", "village": "{village}"}),
                       ("one village", {"village": "{village}"}),
                       ("women 15-49", {"wra": "true"}),
                       ("pregnant", {"pregnant": "true"})],
    "console.person": [("reveal=id", {"reveal": "id"})],
    "console.conflicts": [("one village", {"village": "{village}"}),
                          ("kind=soft", {"kind": "soft"}), ("kind=hard", {"kind": "hard"}),
                          ("kind=held", {"kind": "held"})],
    "console.phones": [("one village", {"village": "{village}"})],
    "console.audit": [("one target", {"target": "{person_target}"}),
                      ("one actor", {"actor": "user:{user_id}"}),
                      ("action=person.read", {"action": "person.read"}),
                      ("one village", {"village": "{village}"}),
                      ("last 30 days", {"since": "{month_ago}"})],
    "console.reports": [("one village", {"village": "{village}"})],
}


# ---------------------------------------------------------------------------- database clock

class Clock:
    """The database time and statements of the request being served. Nested timers (a
    driver statement fetching on an instrumented cursor) count once: only the outermost."""

    def __init__(self):
        self.reset()
        self.depth = 0

    def reset(self):
        self.seconds, self.statements, self.by_sql = 0.0, 0, {}
        self.params = {}            # the parameters each statement was last sent with

    def add(self, seconds, sql, statement=True, params=None):
        self.seconds += seconds
        self.statements += statement
        key = " ".join((sql or "?").split())
        self.by_sql[key] = self.by_sql.get(key, 0.0) + seconds
        if params is not None:
            self.params[key] = (sql, params)


CLOCK = Clock()


def _before(conn, cursor, statement, parameters, context, executemany):
    conn.info["bench_started"] = time.perf_counter()


def _after(conn, cursor, statement, parameters, context, executemany):
    started = conn.info.pop("bench_started", None)
    if started is not None and CLOCK.depth == 0:
        CLOCK.add(time.perf_counter() - started, statement,
                  params=None if executemany else parameters)


class TimedCursor(sqlite3.Cursor):
    """sqlite3 runs a query as its rows are fetched: the fetches are database time too (the
    execute is timed by SQLAlchemy's events, or by the driver statement's timer)."""

    def _timed(self, method, *args):
        if CLOCK.depth:
            return method(*args)
        started = time.perf_counter()
        try:
            return method(*args)
        finally:
            CLOCK.add(time.perf_counter() - started, getattr(self, "_bench_sql", None)
                      or "(rows of the statement before)", statement=False)

    def execute(self, sql, *args):
        self._bench_sql = sql
        return super().execute(sql, *args)

    def fetchone(self):
        return self._timed(super().fetchone)

    def fetchmany(self, *args):
        return self._timed(super().fetchmany, *args)

    def fetchall(self):
        return self._timed(super().fetchall)

    def __next__(self):
        return self._timed(super().__next__)


class TimedConnection(sqlite3.Connection):
    def cursor(self, factory=TimedCursor):
        return super().cursor(factory)


# Doorstep's SQLite set-up (app/db/engine.py) recognises a connection by its class's module
TimedConnection.__module__ = "sqlite3"


def instrument_engine(engine):
    """Time every statement SQLAlchemy sends on `engine`; returns a function undoing it."""
    from sqlalchemy import event
    event.listen(engine, "before_cursor_execute", _before)
    event.listen(engine, "after_cursor_execute", _after)

    def undo():
        event.remove(engine, "before_cursor_execute", _before)
        event.remove(engine, "after_cursor_execute", _after)
    return undo


def instrument(app):
    """Hook the clock onto the app's engine and onto app.db.driver_sql's statements; returns a
    function undoing both."""
    from app.db import driver_sql
    from app.db import db
    with app.app_context():
        undo_engine = instrument_engine(db.engine)
    plain = driver_sql.DriverStatement._execute
    if getattr(plain, "bench_timed", False):          # instrumented already
        return undo_engine

    def timed(self, session, params):
        outer = CLOCK.depth == 0
        CLOCK.depth += 1
        started = time.perf_counter()
        try:
            return plain(self, session, params)
        finally:
            CLOCK.depth -= 1
            if outer:
                elapsed = time.perf_counter() - started
                compiled = self._by_dialect.get(session.get_bind().dialect.name)
                CLOCK.add(elapsed, compiled.sql if compiled else str(self.statement))
    timed.bench_timed = True
    driver_sql.DriverStatement._execute = timed

    def undo():
        undo_engine()
        driver_sql.DriverStatement._execute = plain
    return undo


class ServerTimer:
    """WSGI middleware: the server's time for one request, from the call to the body's last
    byte, the database clock of that request, and the CPU time this thread spent on it (what
    a busy machine inflates less than the wall clock; PostgreSQL's own work is not in it)."""

    def __init__(self, wsgi_app):
        self.wsgi_app, self.last = wsgi_app, None
        self.params = {}            # statement -> (as sent, its parameters), for explain()

    def __call__(self, environ, start_response):
        CLOCK.reset()
        cpu, started = time.thread_time(), time.perf_counter()
        body = self.wsgi_app(environ, start_response)
        try:
            chunks = list(body)
        finally:
            if hasattr(body, "close"):
                body.close()
        self.last = (time.perf_counter() - started, CLOCK.seconds, CLOCK.statements,
                     dict(CLOCK.by_sql), sum(len(c) for c in chunks),
                     time.thread_time() - cpu)
        self.params.update(CLOCK.params)
        return chunks


# ---------------------------------------------------------------------------- the register

def scratch(kind, url):
    """A scratch copy of the cached register: (url, cleanup function)."""
    if kind == "sqlite":
        source = url[len("sqlite:///"):]
        folder = tempfile.mkdtemp(prefix="doorstep-bench-console-")
        target = os.path.join(folder, "console.sqlite3")
        for suffix in ("", "-wal"):
            if os.path.exists(source + suffix):
                shutil.copyfile(source + suffix, target + suffix)
        return f"sqlite:///{target}", lambda: shutil.rmtree(folder, ignore_errors=True)
    import psycopg
    template, name = url.rsplit("/", 1)[1], f"doorstep_bench_console_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(bulk_town.SERVER, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY')

    def drop():
        with psycopg.connect(bulk_town.SERVER, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return url.rsplit("/", 1)[0] + "/" + name, drop


def make_app(url, data_dir):
    import logging
    logging.getLogger("alembic").setLevel(logging.WARNING)
    from app import create_app
    config = {"SQLALCHEMY_DATABASE_URI": url, "DATA_DIR": data_dir, "SECRET_KEY": "bench"}
    if url.startswith("sqlite"):
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_recycle": 3600,
                                               "connect_args": {"factory": TimedConnection}}
    return create_app(config)


def upgrade(app):
    """Bring the scratch copy to the migrations' head; returns (revision before, after)."""
    import logging

    from flask_migrate import upgrade as migrate
    from sqlalchemy import text

    from app.db import db
    with app.app_context():
        def revision():
            found = db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
            db.session.rollback()
            return found
        before = revision()
        logging.disable(logging.INFO)
        try:
            migrate()
        finally:
            logging.disable(logging.NOTSET)
        after = revision()
        if before != after and db.engine.dialect.name == "postgresql":
            # autovacuum would analyse the new tables of a real server within minutes
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.execute(text("ANALYZE"))
        db.engine.dispose()
    return before, after


def one(session, sql, **params):
    from sqlalchemy import text
    return session.execute(text(sql), params).first()


def fillers(session):
    """Values for path arguments and variants, all in the one village the supervisor has
    (the register's largest): {name: value}; a name with nothing to fill it is absent."""
    from app.register.models import Entity
    found = {}
    # the largest village among those holding a conflict (the conflict pages then have one
    # to show), else the largest
    row = one(session, "SELECT e.area_id, a.code, COUNT(*) FROM entities e JOIN datasets d "
                       "ON d.id = e.dataset_id JOIN areas a ON a.id = e.area_id "
                       "WHERE d.name = 'people' AND e.deleted_at IS NULL "
                       "GROUP BY e.area_id, a.code ORDER BY MAX(CASE WHEN e.area_id IN "
                       "(SELECT area_id FROM entities WHERE conflict IS NOT NULL) THEN 1 ELSE 0 "
                       "END) DESC, COUNT(*) DESC, e.area_id LIMIT 1")
    if row is None:
        raise RuntimeError("the register holds no people: nothing to open the pages on")
    area, found["village"], found["village_people"] = row
    found["area_id"] = area
    # the person with the longest life course in the village
    row = one(session, "SELECT l.person, COUNT(*) FROM life_events l JOIN entities e "
                       "ON e.uuid = l.person WHERE l.area_id = :v AND e.area_id = :v "
                       "AND e.deleted_at IS NULL GROUP BY l.person "
                       "ORDER BY COUNT(*) DESC, l.person LIMIT 1", v=area)
    if not row:     # no life events: any person of the village
        row = one(session, "SELECT e.uuid, 0 FROM entities e JOIN datasets d ON d.id = "
                           "e.dataset_id WHERE d.name = 'people' AND e.area_id = :v AND "
                           "e.deleted_at IS NULL ORDER BY e.id LIMIT 1", v=area)
    if row:
        found["person"], found["person_events"] = row
        found["person_target"] = f"entity:{row[0]}"
        person = session.query(Entity).filter_by(uuid=row[0]).one()
        data = dict(person.data or {})
        name = data.get("full_name") or person.label
        if data.get("household"):
            found["household"] = data["household"]
        if name:
            found["han"] = name[1:] if len(name) > 2 else name
            try:
                from pypinyin import lazy_pinyin
                syllables = lazy_pinyin(name)
                found["pinyin"] = "".join(syllables)
                found["initials"] = "".join(s[0] for s in syllables if s)
            except ImportError:
                pass
        if person.id_number:
            found["id_tail"] = person.id_number[-4:]
    if "household" not in found:
        row = one(session, "SELECT household FROM life_events WHERE area_id = :v AND "
                           "household IS NOT NULL GROUP BY household ORDER BY COUNT(*) DESC, "
                           "household LIMIT 1", v=area)
        if row:
            found["household"] = row[0]
    for entity in session.query(Entity).filter(Entity.area_id == area,
                                               Entity.deleted_at.is_(None)).order_by(
                                                   Entity.id).limit(500):
        phone = (entity.data or {}).get("phone")
        if phone and len(phone) >= 4:
            found["phone_tail"] = phone[-4:]
            break
    row = one(session, "SELECT uuid FROM entities WHERE area_id = :v AND conflict IS NOT NULL "
                       "AND deleted_at IS NULL ORDER BY id LIMIT 1", v=area)
    found["entity_conflict"] = bool(row)
    if row or "person" in found:
        found["entity"] = row[0] if row else found["person"]
    row = (one(session, "SELECT id FROM submissions WHERE area_id = :v AND review_state = "
                        "'hasIssues' AND deleted_at IS NULL ORDER BY id DESC LIMIT 1", v=area)
           or one(session, "SELECT id FROM submissions WHERE area_id = :v AND deleted_at IS NULL "
                           "ORDER BY id DESC LIMIT 1", v=area))
    if row:
        found["submission_id"] = row[0]
    row = one(session, "SELECT d.submission_id, a.name FROM submission_attachments a JOIN "
                       "submission_defs d ON d.id = a.def_id JOIN submissions s ON s.id = "
                       "d.submission_id WHERE s.area_id = :v AND d.current ORDER BY a.id LIMIT 1",
              v=area)
    if row:
        found["attachment"] = (row[0], row[1])
    row = one(session, "SELECT u.id FROM app_users u JOIN app_user_areas a ON a.app_user_id = "
                       "u.id AND a.area_id = :v WHERE NOT EXISTS (SELECT 1 FROM app_user_areas b "
                       "WHERE b.app_user_id = u.id AND b.area_id <> :v) ORDER BY (SELECT COUNT(*) "
                       "FROM submissions s WHERE s.submitter_kind = 'app_user' AND "
                       "s.submitter_id = u.id) DESC, u.id LIMIT 1", v=area)
    if row:
        found["app_user_id"] = row[0]
    row = one(session, "SELECT f.xml_form_id FROM forms f JOIN submissions s ON s.form_id = f.id "
                       "GROUP BY f.id, f.xml_form_id ORDER BY COUNT(*) DESC, f.id LIMIT 1")
    if row:
        found["xml_form_id"] = row[0]
    row = one(session, "SELECT MAX(created_at) FROM submissions WHERE area_id = :v", v=area)
    if row and row[0]:
        received = row[0] if isinstance(row[0], dt.datetime) else dt.datetime.fromisoformat(
            str(row[0]))
        found["month_ago"] = (received.date() - dt.timedelta(days=30)).isoformat()
    row = one(session, "SELECT MAX(occurred_on) FROM life_events WHERE area_id = :v AND "
                       "occurred_on <= :today", v=area, today=dt.date.today())
    if row and row[0]:
        day = row[0] if isinstance(row[0], dt.date) else dt.date.fromisoformat(str(row[0])[:10])
        found["month"] = f"{day:%Y-%m}"
    session.rollback()
    return found


def personas(app, village):
    """Web users for the bench (an admin, a supervisor of `village`), in the scratch copy:
    {who: (username, password, user id)}."""
    from app.auth import accounts
    from app.db import db
    out = {}
    with app.app_context():
        for who, role, areas in (("admin", "admin", None),
                                 ("supervisor", "supervisor", [village])):
            username, password = f"bench_{who}", f"bench-{who}-password"
            user = accounts.create_user(db.session, username, password, role,
                                        app.config["AUTH_REALM"], areas,
                                        hash_method=app.config["PASSWORD_HASH"])
            out[who] = (username, password, user.id)
        db.session.commit()
    return out


def sign_in(app, username, password):
    """A test client signed in through the real /login form."""
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    answer = client.post("/login", data={"csrf": token, "username": username,
                                          "password": password})
    if answer.status_code != 303:
        raise RuntimeError(f"signing in as {username}: {answer.status_code}")
    return client


# ---------------------------------------------------------------------------- the walk

def routes(app, only=None):
    """(rule, endpoint, query field names or None) of every GET route of the console."""
    from app.web.session import DECLARATION
    out = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        if not rule.endpoint.startswith("console.") or rule.endpoint in PUBLIC:
            continue
        if "GET" not in rule.methods:
            continue
        if only and only not in rule.endpoint and only not in rule.rule:
            continue
        declaration = getattr(app.view_functions[rule.endpoint], DECLARATION, None)
        fields = ({f.data_key or name for name, f in declaration.query().fields.items()}
                  if declaration is not None else None)
        out.append((rule, rule.endpoint, fields))
    return out


def path_of(rule, values):
    """(path, None) or (None, what is missing)."""
    names = ARG.findall(rule.rule)
    values = dict(values)
    if "name" in names and "attachment" in values and "submission_id" in names:
        values["submission_id"], values["name"] = values["attachment"]
    missing = [n for n in names if n not in values]
    if missing:
        why = (" (no submission of the village has an attachment)"
               if missing == ["name"] and "submission_id" in names else "")
        return None, "no value for " + ", ".join(f"<{n}>" for n in missing) + why
    return ARG.sub(lambda m: str(values[m.group(1)]), rule.rule), None


def variants(endpoint, fields, values):
    """[(label, query dict or None, note)] for a route: the page as it opens, then its
    variants (None: not sent, the note says why)."""
    listed = list(VARIANTS.get(endpoint, []))
    if fields and "village" in fields and not any("village" in q for _l, q in listed):
        listed.append(("one village", {"village": "{village}"}))
    out = [("", {}, "")]
    for label, query in listed:
        unknown = sorted(set(query) - fields) if fields is not None else []
        if unknown:
            out.append((label, None, "the page has no query field " + ", ".join(unknown)))
            continue
        wanted = {m for v in query.values() for m in PLACEHOLDER.findall(v)}
        missing = sorted(wanted - set(values))
        if missing:
            out.append((label, None, "nothing in the register for " + ", ".join(missing)))
            continue
        out.append((label, {k: PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), v)
                            for k, v in query.items()}, ""))
    return out


def first_answer(app, client, url):
    """The result of one page as its first request finds it: {status, bytes, more, and the
    lists the timed requests fill}."""
    answer = client.get(url)
    result = {"status": answer.status_code, "server": [], "db": [], "statements": [],
              "by_sql": [], "cpu": [], "bytes": app.wsgi_app.last[4], "more": None}
    if answer.status_code == 200:
        found = MORE.search(answer.get_data(as_text=True))
        if found:
            result["more"] = html.unescape(found.group(1))
    return result


def timed_request(app, client, url, result):
    """One timed request into `result`; False when it was not a 200 (the page is then timed
    no more)."""
    answer = client.get(url)
    if answer.status_code != 200:
        result["status"] = answer.status_code
        return False
    server, database, statements, by_sql, _size, cpu = app.wsgi_app.last
    result["server"].append(server * 1000)
    result["cpu"].append(cpu * 1000)
    result["db"].append(database * 1000)
    result["statements"].append(statements)
    result["by_sql"].append(by_sql)
    return True


def walk(app, clients, values, warmups, rounds, only=None, echo=None):
    """Rows: (rule, variant label, who, result or None, note). Every page is found first
    (its status, its "More" link), then warmed up, then timed in rounds that take each page
    in turn, so a change in the shared machine's load falls on every page alike, and no page
    is timed with its rows fresh in the cache from the request before."""
    echo = echo or progress
    rows, pages = [], []
    for rule, endpoint, fields in routes(app, only):
        if DOWNLOAD.search(rule.rule):
            rows.append((rule.rule, "", "-", None, "a download, timed by bench/export*.py"))
            echo(f"  {rule.rule}: not timed (a download)", flush=True)
            continue
        path, missing = path_of(rule, values)
        if path is None:
            rows.append((rule.rule, "", "-", None, missing))
            echo(f"  {rule.rule}: not timed ({missing})", flush=True)
            continue
        for label, query, note in variants(endpoint, fields, values):
            if query is None:
                rows.append((rule.rule, label, "-", None, note))
                continue
            url = path + ("?" + urlencode(query) if query else "")
            for who, client in clients.items():
                result = first_answer(app, client, url)
                rows.append((rule.rule, label, who, result, url))
                echo(f"  {url} as {who}: {result['status']}", flush=True)
                if result["status"] == 200:
                    pages.append((client, url, result))
                    if result["more"]:
                        more = first_answer(app, client, result["more"])
                        rows.append((rule.rule, (label + ", " if label else "") + "page 2",
                                     who, more, result["more"]))
                        if more["status"] == 200:
                            pages.append((client, result["more"], more))
    for _ in range(max(warmups - 1, 0)):
        for client, url, _result in pages:
            client.get(url)
    echo(f"  {len(pages)} pages, {rounds} rounds", flush=True)
    for n in range(rounds):
        pages = [(c, u, r) for c, u, r in pages if timed_request(app, c, u, r)]
        if (n + 1) % 10 == 0:
            echo(f"  round {n + 1} of {rounds} done", flush=True)
    return rows


# ---------------------------------------------------------------------------- the run

def describe(session):
    from sqlalchemy import text
    counts = {}
    for label, sql in (("people", "SELECT COUNT(*) FROM entities e JOIN datasets d ON d.id = "
                                  "e.dataset_id WHERE d.name = 'people'"),
                       ("entities", "SELECT COUNT(*) FROM entities"),
                       ("submissions", "SELECT COUNT(*) FROM submissions"),
                       ("life events", "SELECT COUNT(*) FROM life_events"),
                       ("audit rows", "SELECT COUNT(*) FROM audit_events"),
                       ("villages", "SELECT COUNT(*) FROM areas")):
        counts[label] = session.execute(text(sql)).scalar()
    session.rollback()
    return ", ".join(f"{n:,} {label}" for label, n in counts.items())


def database_version(session):
    from sqlalchemy import text
    if session.get_bind().dialect.name == "postgresql":
        return "PostgreSQL " + session.execute(text("SHOW server_version")).scalar()
    return f"SQLite {sqlite3.sqlite_version}"


def progress(*args, **kw):
    """Progress lines go to stderr: stdout is the report (markdown)."""
    print(*args, file=sys.stderr, **kw)


def run(kind, people, source_people, warmups, rounds, only=None, echo=progress,
        explain_slow=True):
    """(header lines, rows) for one database."""
    cached, info = bulk_town.build(kind, people, source_people, echo=echo)
    load = os.getloadavg()[0]
    url, cleanup = scratch(kind, cached)
    try:
        with tempfile.TemporaryDirectory() as data:
            app = make_app(url, data)
            before, after = upgrade(app)
            instrument(app)
            from app.db import db
            with app.app_context():
                values = fillers(db.session)
                header = [f"{database_version(db.session)}; register: {info['copies']} copies "
                          f"of a {info['source_people']:,}-person town: "
                          f"{describe(db.session)}"
                          + ("" if before == after else
                             f"; migrated from {before} to {after} for this run")]
            who = personas(app, values["village"])
            values["user_id"] = who["supervisor"][2]
            shown = {k: values[k] for k in ("village", "person", "household", "entity",
                                            "submission_id", "app_user_id", "user_id",
                                            "xml_form_id", "month", "pinyin", "initials",
                                            "han", "id_tail", "phone_tail") if k in values}
            header.append("supervisor's village and the things pages are opened on: "
                          + ", ".join(f"{k}={v}" for k, v in shown.items())
                          + f" (the person has {values.get('person_events', 0)} life events; "
                          + ("the entity has a conflict" if values.get("entity_conflict")
                             else "no entity of the village has a conflict: entity = person")
                          + ")")
            app.wsgi_app = ServerTimer(app.wsgi_app)
            clients = {w: sign_in(app, u, p) for w, (u, p, _id) in who.items()}
            # no app context around the requests: each gets its own, and its own session,
            # as on a server
            rows = walk(app, clients, values, warmups, rounds, only, echo)
            if explain_slow:
                explain(app, rows)
            with app.app_context():
                db.engine.dispose()
    finally:
        cleanup()
    header.append(f"load average (1 min) {load:.1f} before, {os.getloadavg()[0]:.1f} after "
                  f"(on {os.cpu_count()} cores: above that, pages waited for a core)")
    return header, rows


def _short(sql, limit=700):
    """A statement as the report shows it: a long column list elided (the WHERE, ORDER BY
    and LIMIT are what tell why it is slow)."""
    sql = re.sub(r"^SELECT (?:DISTINCT )?(.{60,}?) FROM ", "SELECT … FROM ", sql, count=1)
    return sql if len(sql) <= limit else sql[:limit] + " …"


def _ms(values, p):
    return f"{common.percentile(values, p):.1f}" if values else "-"


def table(rows):
    """The markdown table of one database's rows, and the notes on slow pages."""
    head = ("page", "variant", "who", "status", "KB", "p50 ms", "p95 ms", "DB p50 ms",
            "DB p95 ms", "statements", "CPU p50 ms", f"p95 < {GOAL_MS} ms (or why not timed)")
    lines, slow = [head], []
    for rule, label, who, result, note in rows:
        if result is None:
            lines.append((f"`{rule}`", label or "-", who, "not timed", "", "", "", "", "", "",
                          "", note))
            continue
        server = result["server"]
        p95 = common.percentile(server, 95) if server else None
        met = "-" if p95 is None else ("✓" if p95 < GOAL_MS else "✗")
        lines.append((f"`{rule}`", label or "-", who, str(result["status"]),
                      f"{result['bytes'] / 1024:.0f}", _ms(server, 50), _ms(server, 95),
                      _ms(result["db"], 50), _ms(result["db"], 95),
                      f"{statistics.median(result['statements']):.0f}"
                      if result["statements"] else "-", _ms(result["cpu"], 50), met))
        if p95 is not None and p95 >= GOAL_MS:
            slow.append((rule, label, who, result, note))
    widths = [max(len(r[i]) for r in lines) for i in range(len(head))]
    out = ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |" for r in lines]
    out.insert(1, "| " + " | ".join("-" * w for w in widths) + " |")
    for rule, label, who, result, url in slow:
        out.append(f"\nSlow: {url} as {who} (p95 {_ms(result['server'], 95)} ms); its "
                   "costliest statements (median ms per request):")
        out.extend(f"- {ms:.1f} ms: `{_short(sql)}`" for sql, ms in costliest(result))
        if result.get("plan"):
            out.append("\n  Plan of the first (" + result["plan"][0] + "):\n")
            out.extend("      " + line for line in result["plan"][1])
    return out


def costliest(result, n=3):
    """[(statement, median ms per request)] of a page's `n` costliest statements."""
    totals = {}
    for by_sql in result["by_sql"]:
        for sql, seconds in by_sql.items():
            totals.setdefault(sql, []).append(seconds * 1000)
    ranked = sorted(((sql, statistics.median(t)) for sql, t in totals.items()),
                    key=lambda kv: -kv[1])
    return ranked[:n]


def explain(app, rows):
    """For each page missing the goal, the plan of its costliest statement, as the database
    gives it for the parameters last sent (EXPLAIN QUERY PLAN on SQLite, EXPLAIN ANALYZE on
    PostgreSQL; SELECTs only): into result["plan"]."""
    from app.db import db
    sent = app.wsgi_app.params
    with app.app_context():
        engine = db.engine
        for _rule, _label, _who, result, _note in rows:
            if result is None or not result["server"]:
                continue
            if common.percentile(result["server"], 95) < GOAL_MS:
                continue
            top = costliest(result, 1)
            if not top or top[0][0] not in sent:
                continue
            sql, params = sent[top[0][0]]
            if not sql.lstrip().upper().startswith(("SELECT", "WITH")):
                continue
            sqlite = engine.dialect.name == "sqlite"
            how = "EXPLAIN QUERY PLAN" if sqlite else "EXPLAIN (ANALYZE, BUFFERS)"
            raw = engine.raw_connection()
            try:
                cursor = raw.cursor()
                cursor.execute(f"{how} {sql}", params)
                lines = [r[-1] if sqlite else r[0]
                         for r in cursor.fetchall()]
                raw.rollback()
            except Exception as e:  # noqa: BLE001 - a plan is a hint, not the measurement
                lines = [f"(no plan: {e})"]
            finally:
                raw.close()
            result["plan"] = (how, lines)


def _plain(rule, label, who, result, note):
    """One row for --json."""
    if result is None:
        return {"rule": rule, "variant": label, "not_timed": note}
    out = {"rule": rule, "variant": label, "who": who, "url": note,
           "status": result["status"], "bytes": result["bytes"]}
    if result["server"]:
        for p in (50, 95):
            out[f"p{p}_ms"] = round(common.percentile(result["server"], p), 2)
            out[f"db_p{p}_ms"] = round(common.percentile(result["db"], p), 2)
            out[f"cpu_p{p}_ms"] = round(common.percentile(result["cpu"], p), 2)
        out["statements"] = statistics.median(result["statements"])
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--quick", action="store_true", help="10,000 people (to try it out)")
    parser.add_argument("--people", type=int, help="default 100,000 (10,000 with --quick)")
    parser.add_argument("--source-people", type=int, default=10_000,
                        help="the town sent through intake and copied")
    parser.add_argument("--rounds", type=int, default=30, help="timed requests per page")
    parser.add_argument("--warmups", type=int, default=3, help="requests before timing")
    parser.add_argument("--only", help="routes whose endpoint or rule contains this")
    parser.add_argument("--json", help="also write the figures to this file (JSON)")
    args = parser.parse_args(argv)
    people = args.people or (10_000 if args.quick else 100_000)
    from reports import machine
    title = (f"Doorstep console bench, {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC; "
             f"{machine()}; Python {platform.python_version()}; CPU reference "
             f"{common.cpu_reference():.0f} ms (bench/common.py); {people:,} people; "
             f"{args.rounds} requests per page after {args.warmups} warm-ups")
    print("# " + title, flush=True)
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    saved = {"title": title, "goal_ms": GOAL_MS, "databases": {}}
    for kind in kinds:
        print(f"\n## {kind}\n", flush=True)
        header, rows = run(kind, people, args.source_people, args.warmups, args.rounds,
                           args.only)
        saved["databases"][kind] = {"header": header, "rows": [_plain(*r) for r in rows]}
        if args.json:
            with open(args.json, "w") as f:
                json.dump(saved, f, indent=1, ensure_ascii=False)
        print()
        for line in header:
            print(f"- {line}")
        print(f"- server time: in process (Flask test client), the WSGI call to the body's "
              f"last byte; DB: the sum of the request's statement times; statements: "
              f"median count per request; CPU: this process's CPU time for the request "
              f"(PostgreSQL's own not in it); goal p95 < {GOAL_MS} ms\n")
        print("\n".join(table(rows)), flush=True)


if __name__ == "__main__":
    main()
