"""Migration 0030 on a register that holds data: the pairs entity_duplicate_candidates noted
(a shared ID number) are found again by the matcher, with their evidence, and the old table
goes."""
import json
import uuid

from flask_migrate import upgrade
from sqlalchemy import inspect, text

from app import create_app
from app.db import db as _db
from tests.test_migrations import empty_database_url  # noqa: F401 - the fixture


def test_upgrade_to_0030_matches_the_register_already_there(
        empty_database_url, tmp_path):  # noqa: F811
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url, "SECRET_KEY": "x",
                      "DATA_DIR": str(tmp_path / "data"), "INSTANCE_DIR": str(tmp_path)})
    people = [("张丽", "610425199606080628", "1996-06-08"), ("张莉", "610425199606080628",
                                                            "1996-06-08"),
              ("王强", "610425199402170517", "1994-02-17")]
    uuids = sorted(str(uuid.uuid4()) for _ in people)
    with app.app_context():
        upgrade(revision="0029")
        with _db.engine.begin() as c:
            c.execute(text("INSERT INTO datasets (project_id, name, approval_required, revision,"
                           " schema_revision, created_at) VALUES (1, 'people', false, 1, 0,"
                           " CURRENT_TIMESTAMP)"))
            for u, (name, number, dob) in zip(uuids, people):
                c.execute(text("INSERT INTO entities (dataset_id, uuid, label, version, data,"
                               " id_number, force_created, created_at) VALUES (1, :u, :n, 1, :d,"
                               " :i, false, CURRENT_TIMESTAMP)"),
                          {"u": u, "n": name, "i": number, "d": json.dumps(
                              {"full_name": name, "id_number": number, "dob": dob,
                               "sex": "female" if name != "王强" else "male",
                               "village": "dongwan"})})
            for a, b in ((1, 2), (2, 1)):
                c.execute(text("INSERT INTO entity_duplicate_candidates (entity_id, other_id,"
                               " reason, value, created_at) VALUES (:a, :b, 'id_number',"
                               " '610425199606080628', CURRENT_TIMESTAMP)"), {"a": a, "b": b})
        upgrade()
        with _db.engine.connect() as c:
            found = c.execute(text("SELECT a_uuid, b_uuid, band, status, evidence"
                                   " FROM duplicate_pairs")).all()
            keys = c.execute(text("SELECT COUNT(*) FROM person_match_keys")).scalar()
            tables = inspect(c).get_table_names()
        _db.engine.dispose()
    assert [(a, b, band, status) for a, b, band, status, _e in found] == [
        (uuids[0], uuids[1], "likely", "open")]
    evidence = found[0][4] if isinstance(found[0][4], dict) else json.loads(found[0][4])
    assert evidence["id_number"] == "same" and evidence["name"] == "sounds_same"
    assert keys == 3 and "entity_duplicate_candidates" not in tables
