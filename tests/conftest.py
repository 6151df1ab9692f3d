"""Fixtures: app → db → client → collect (an OpenRosa client) and personas.

The database is SQLite by default; set DOORSTEP_TEST_DATABASE_URL to a PostgreSQL server URL
(postgresql://postgres@127.0.0.1:5432/test) to run the same suite there. Each run creates its
own PostgreSQL database, migrates it with Alembic (so the migrations are tested too) and drops
it at the end. Every test starts from empty tables holding only project 1 and its villages.
DOORSTEP_TEST_STORAGE=s3 keeps blobs in a real S3 API on loopback instead of DATA_DIR.
"""
import dataclasses
import hashlib
import os
import uuid
from dataclasses import dataclass

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app import create_app
from app.auth import accounts
from app.db import db as _db
from app.forms import publish as publishing
from tests.collect import CollectClient
from tests.factories import make_xform

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VILLAGES = os.path.join(ROOT, "forms", "villages.csv")
SHARED = os.path.abspath(os.path.join(ROOT, "..", "shared"))
REALM = "Doorstep"


def _create_pg_database(server_url):
    url = make_url(server_url.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"doorstep_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as e:  # noqa: BLE001
        pytest.exit(f"PostgreSQL at {server_url} is not reachable: {e}", returncode=3)
    return admin, name, url.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    server_url = os.environ.get("DOORSTEP_TEST_DATABASE_URL", "")
    if not server_url.startswith("postgres"):
        yield server_url or "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite3")
        return
    admin, name, url = _create_pg_database(server_url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session", autouse=True)
def compile_each_workbook_once():
    """pyxform gives the same XForm for the same workbook and file name, and converting one
    costs tens of milliseconds to a second: publishing (the `town` fixture, `flask demo town`,
    drafts) converts each distinct workbook once per session. Tests of the conversion itself
    call app.forms.compile.compile_form, which is left as it is; refusals are never kept."""
    from app.forms import compile as compiling, drafts
    real, kept = compiling.compile_form, {}

    def compile_form(filename, data):
        key = (os.path.basename(filename), hashlib.sha256(data).digest())
        if key not in kept:
            kept[key] = real(filename, data)
        return dataclasses.replace(kept[key], warnings=list(kept[key].warnings))

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(publishing, "compile_form", compile_form)
        patch.setattr(drafts, "compile_form", compile_form)
        yield


@pytest.fixture(scope="session")
def storage_settings():
    """DOORSTEP_TEST_STORAGE=s3 keeps the app's blobs in a bucket of a real S3 API (moto's
    server on a free loopback port) for the whole run; unset, in the local store."""
    if os.environ.get("DOORSTEP_TEST_STORAGE") != "s3":
        yield {"STORAGE_URL": ""}       # whatever DOORSTEP_STORAGE_URL this shell has
        return
    from tests.storage.conftest import CREDENTIALS, moto_server, s3_client
    with moto_server() as endpoint:
        s3_client(endpoint).create_bucket(Bucket="doorstep-test")
        yield {**CREDENTIALS, "STORAGE_URL": "s3://doorstep-test/run",
               "STORAGE_ENDPOINT_URL": endpoint}


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory, storage_settings):
    app = create_app({
        **storage_settings,
        "TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "test-secret",
        "DATA_DIR": str(tmp_path_factory.mktemp("data")), "PUBLIC_URL": "",
        "INSTANCE_DIR": str(tmp_path_factory.mktemp("instance")),
        "MAX_CONTENT_LENGTH": 2_000_000, "PROJECT_NAME": "Test town",
        # Same scrypt code path, a smaller work factor: personas are made for every test.
        "PASSWORD_HASH": "scrypt:1024:8:1",
    })
    with app.app_context():
        from flask_migrate import upgrade
        upgrade()
    yield app
    with app.app_context():
        _db.engine.dispose()


#: every sequence of the schema starts again at 1 (a table emptied by its test kept its count)
_RESTART_SEQUENCES = text(
    "SELECT setval(c.oid, 1, false) FROM pg_class c JOIN pg_namespace n ON n.oid = "
    "c.relnamespace WHERE c.relkind = 'S' AND n.nspname = current_schema()")


def _reset(session):
    tables = [t.name for t in reversed(_db.metadata.sorted_tables)]
    if session.get_bind().dialect.name == "postgresql":
        # only the tables holding rows: truncating every table gives each a new file, which
        # costs more than most tests take; not DELETE, whose freed space later rows fill, so
        # that rows read without an ORDER BY would no longer come in the order written
        filled = session.execute(text(" UNION ALL ".join(
            f"SELECT '{table}' WHERE EXISTS (SELECT 1 FROM {table})" for table in tables))
        ).scalars().all()
        if filled:
            session.execute(text(f"TRUNCATE {', '.join(filled)} CASCADE"))
        session.execute(_RESTART_SEQUENCES)
    else:
        for table in tables:
            session.execute(text(f"DELETE FROM {table}"))
    from app.projects.service import ensure_default_project, import_areas
    ensure_default_project(session, "Test town")
    import_areas(session, 1, VILLAGES)
    session.commit()


@pytest.fixture
def db(app):
    """A clean database for this test, inside an app context."""
    with app.app_context():
        _reset(_db.session)
        yield _db
        _db.session.remove()


@pytest.fixture
def client(app, db):
    return app.test_client()


@dataclass
class Persona:
    name: str
    token: str = None        # app users
    password: str = None     # web users
    id: int = None


@pytest.fixture
def personas(db):
    """Named people, as Central's tests have Alice and Bob: workers in two villages, a group
    leader, a supervisor of village dongwan, a town viewer and an admin."""
    s = db.session
    people = {}
    for name, areas in (("worker_a", ["dongwan"]), ("worker_b", ["xishan"]),
                        ("leader", ["dongwan"])):
        app_user, token = accounts.create_app_user(s, 1, name, areas)
        people[name] = Persona(name, token=token, id=app_user.id)
    for name, role, areas in (("admin", "admin", None), ("supervisor", "supervisor", ["dongwan"]),
                              ("viewer", "viewer", None)):
        user = accounts.create_user(s, name, f"{name}-password", role, REALM, areas,
                                    hash_method="scrypt:1024:8:1")
        people[name] = Persona(name, password=f"{name}-password", id=user.id)
    s.commit()
    return people


@pytest.fixture
def login(client, personas):
    """login(persona name) → headers with a bearer token for that web user (the JSON API's
    and the exports' tests)."""
    def _login(username):
        response = client.post("/v1/sessions", json={"email": username,
                                                      "password": f"{username}-password"})
        assert response.status_code == 200, response.json
        return {"Authorization": f"Bearer {response.json['token']}"}
    return _login


@pytest.fixture
def publish(app, db):
    """publish(xml_bytes_or_path, media={}, filename=None) → Published, committed."""
    def _publish(source, media=None, filename=None):
        if isinstance(source, (str, os.PathLike)):
            filename = filename or os.path.basename(source)
            with open(source, "rb") as f:
                source = f.read()
        result = publishing.publish(db.session, app.extensions["blob_store"], 1,
                                    filename or "form.xml", source, media or {})
        db.session.commit()
        return result
    return _publish


@pytest.fixture
def collect(client, personas):
    """An OpenRosa client acting as worker_a's phone (token URL)."""
    return CollectClient(client, f"/v1/key/{personas['worker_a'].token}/projects/1")


@pytest.fixture
def shared_dir():
    """../shared, which only this workplace has: skip elsewhere, fail under CI=true."""
    if not os.path.isdir(SHARED):
        if os.environ.get("CI") == "true":
            pytest.fail(f"{SHARED} is missing under CI")
        pytest.skip("../shared (wild forms, bench forms) is not beside this checkout")
    return SHARED


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "database_independent: never touches the test database, so it runs in the "
        "SQLite pass only (CI runs the suite once per database)")
    config.addinivalue_line(
        "markers", "once(pass='sqlite'): a slow end-to-end check whose database code the other "
        "tests cover on both databases; it runs in one pass only, SQLite's unless once('postgresql') "
        "(CI balances its two passes so)")
    config.addinivalue_line(
        "markers", "postgresql_only: checks what only PostgreSQL has (several hosts on one "
        "database); skipped with the reason in the SQLite pass, run in the PostgreSQL pass")
    # openpyxl warns about Excel extensions in some wild XLSForms; it is noise for us.
    config.addinivalue_line("filterwarnings", "ignore:Unknown extension is not supported")
    config.addinivalue_line("filterwarnings", "ignore:Data Validation extension is not supported")


@pytest.fixture
def simple_form(publish):
    """`simple` v1: name, village and a photo."""
    return publish(make_xform("simple", "1", title="Simple", binary=["photo"]))


@pytest.fixture
def media_form(publish):
    """`withmedia`: references an image and a CSV; only the image is uploaded."""
    return publish(make_xform("withmedia", "1", title="With media",
                              media=["logo.png", "villages.csv"]),
                   media={"logo.png": b"\x89PNG fake image bytes"})


FORMS_DIR = os.path.join(ROOT, "forms")


@dataclass
class Town:
    """The town's forms published from forms/, the sample register, and a phone per persona."""
    client: object
    personas: dict

    def phone(self, persona="worker_a"):
        return CollectClient(self.client, f"/v1/key/{self.personas[persona].token}/projects/1")


@pytest.fixture
def town(app, db, client, personas):
    import glob

    from app.cli import publish_paths
    from tests.samples.register import seed_register
    messages = []
    failed = publish_paths(sorted(glob.glob(os.path.join(FORMS_DIR, "*.xlsx"))), messages.append)
    assert failed == 0, messages
    seed_register(db.session)
    db.session.commit()
    return Town(client, personas)


def _once_pass(item):
    """The pass a `once` test runs in: "postgresql" when marked once("postgresql"), else
    "sqlite"; None for a test run by both."""
    if item.get_closest_marker("database_independent") is not None:
        return "sqlite"
    marker = item.get_closest_marker("once")
    if marker is None:
        return None
    return marker.args[0] if marker.args else "sqlite"


def pytest_collection_modifyitems(config, items):
    """On PostgreSQL, leave out the tests that would run exactly as they did on SQLite. Under
    DOORSTEP_TEST_SPLIT (CI, which runs both passes side by side), the SQLite pass leaves out
    the `once("postgresql")` and `postgresql_only` tests the other pass runs; alone, a SQLite
    run runs the former and skips the latter with the reason."""
    on_postgresql = bool(os.environ.get("DOORSTEP_TEST_DATABASE_URL"))
    if on_postgresql:
        kept = [i for i in items if _once_pass(i) in (None, "postgresql")]
    elif os.environ.get("DOORSTEP_TEST_SPLIT"):
        kept = [i for i in items if _once_pass(i) != "postgresql"
                and i.get_closest_marker("postgresql_only") is None]
    else:
        skip = pytest.mark.skip(reason="PostgreSQL only: SQLite is one host by design "
                                "(set DOORSTEP_TEST_DATABASE_URL to run it)")
        for item in items:
            if item.get_closest_marker("postgresql_only") is not None:
                item.add_marker(skip)
        return
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in kept])
        items[:] = kept


@pytest.fixture(scope="session")
def webforms_files(app):
    """ODK Web Forms' files installed where the server serves them from (WEBFORMS_DIR), taken
    from tests/engine/node_modules (the README's test command runs npm ci there, which checks
    them against the lock file). Skips with the reason where they are missing; fails under CI."""
    from app.webforms import assets
    node_modules = os.path.join(os.path.dirname(os.path.abspath(__file__)), "engine",
                                "node_modules")
    try:
        assets.install(app.config["WEBFORMS_DIR"], node_modules=node_modules)
    except assets.AssetsError as error:
        reason = f"ODK Web Forms is not installed: {error} (npm ci --prefix tests/engine)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return app.config["WEBFORMS_DIR"]
