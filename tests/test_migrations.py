"""Schema changes go through migrations, and upgrading a database that holds data works."""
import os
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import text

from app import create_app
from app.db import db as _db
from tests.conftest import _create_pg_database


@pytest.fixture
def empty_database_url(database_url, tmp_path):
    if not database_url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path}/migrate.sqlite3"
        return
    server = os.environ["DOORSTEP_TEST_DATABASE_URL"]
    admin, name, url = _create_pg_database(server)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_upgrade_from_0001_with_data_keeps_it(empty_database_url, tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url, "SECRET_KEY": "x",
                      "DATA_DIR": str(tmp_path / "data"), "INSTANCE_DIR": str(tmp_path)})
    with app.app_context():
        upgrade(revision="0001")
        iid = f"uuid:{uuid.uuid4()}"
        with _db.engine.begin() as c:
            c.execute(text("INSERT INTO forms (project_id, xml_form_id, state, current_version_id,"
                           " created_at) VALUES (1, 'visit', 'open', 1, CURRENT_TIMESTAMP)"))
            c.execute(text("INSERT INTO form_versions (form_id, version, title, xml, md5,"
                           " binary_paths, encrypted, warnings, published_at) VALUES (1, '1', 'V',"
                           " '<x/>', 'abc', '[]', false, '[]', CURRENT_TIMESTAMP)"))
            c.execute(text("INSERT INTO form_attachments (form_version_id, name, kind)"
                           " VALUES (1, 'people.csv', 'file')"))
            c.execute(text("INSERT INTO submissions (form_id, instance_id, submitter_kind,"
                           " created_at) VALUES (1, :i, 'app_user', CURRENT_TIMESTAMP)"), {"i": iid})
        upgrade()
        with _db.engine.connect() as c:
            assert c.execute(text("SELECT instance_id FROM submissions")).scalar() == iid
            row = c.execute(text("SELECT entities, entities_version FROM form_versions")).one()
            assert list(row[0] if isinstance(row[0], list) else __import__("json").loads(row[0])) == []
            assert row[1] == ""
            assert c.execute(text("SELECT dataset_id FROM form_attachments")).scalar() is None
        _db.engine.dispose()


def test_upgrade_to_0005_indexes_the_id_numbers_already_in_the_register(empty_database_url,
                                                                        tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url, "SECRET_KEY": "x",
                      "DATA_DIR": str(tmp_path / "data"), "INSTANCE_DIR": str(tmp_path)})
    with app.app_context():
        upgrade(revision="0004")
        with _db.engine.begin() as c:
            c.execute(text("INSERT INTO datasets (project_id, name, approval_required, revision,"
                           " schema_revision, created_at) VALUES (1, 'people', false, 1, 0,"
                           " CURRENT_TIMESTAMP)"))
            for n, number in enumerate([" 61042519900101123x", "", None]):
                data = {"full_name": f"P{n}"} if number is None else {"id_number": number}
                c.execute(text("INSERT INTO entities (dataset_id, uuid, label, version, data,"
                               " force_created, created_at) VALUES (1, :u, 'x', 1, :d, false,"
                               " CURRENT_TIMESTAMP)"),
                          {"u": str(uuid.uuid4()), "d": __import__("json").dumps(data)})
        upgrade()
        with _db.engine.connect() as c:
            found = [r[0] for r in c.execute(text("SELECT id_number FROM entities ORDER BY id"))]
        assert found == ["61042519900101123X", None, None]
        _db.engine.dispose()


def test_models_and_migrations_agree(app, db):
    """Fails when a model changed without a migration (what `flask db check` reports)."""
    with _db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), _db.metadata)
    assert diff == []


def test_upgrade_to_0008_finds_the_columns_existing_form_versions_read(empty_database_url,
                                                                       tmp_path):
    from tests.factories import make_entity_xform
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url, "SECRET_KEY": "x",
                      "DATA_DIR": str(tmp_path / "data"), "INSTANCE_DIR": str(tmp_path)})
    xml = make_entity_xform("update_person", "people", create=False, update=True,
                            uses_list=True, properties=("full_name",)).decode()
    with app.app_context():
        upgrade(revision="0006")
        with _db.engine.begin() as c:
            c.execute(text("INSERT INTO forms (project_id, xml_form_id, state, current_version_id,"
                           " created_at) VALUES (1, 'update_person', 'open', 1,"
                           " CURRENT_TIMESTAMP)"))
            c.execute(text("INSERT INTO form_versions (form_id, version, title, xml, md5,"
                           " binary_paths, encrypted, warnings, entities, entities_version,"
                           " published_at) VALUES (1, '1', 'V', :x, 'abc', '[]', false, '[]',"
                           " '[]', '', CURRENT_TIMESTAMP)"), {"x": xml})
        upgrade()
        with _db.engine.connect() as c:
            reads = c.execute(text("SELECT list_reads FROM form_versions")).scalar()
        reads = reads if isinstance(reads, dict) else __import__("json").loads(reads)
        assert reads == {"people.csv": ["full_name", "name"]}
        _db.engine.dispose()
