"""The people search's index (person_search) follows the register: written with each create,
update, delete and restore (API and submissions alike), equal to what a rebuild makes, and
filled by its migration for a register already there."""
import json
import uuid

from flask_migrate import upgrade
from sqlalchemy import select, text, update

from app import create_app
from app.db import db as _db
from app.register import entities, rebuild, search
from app.register.models import Entity, PersonNameTerm, PersonSearch
from tests.samples import instance
from tests.samples import register as sample
from tests.test_migrations import empty_database_url  # noqa: F401 - a fixture


def _row(db, uuid_):
    return db.session.execute(select(PersonSearch).join(Entity, Entity.id == PersonSearch.entity_id)
                              .where(Entity.uuid == uuid_)).scalar_one_or_none()


def _terms(db, entity_id):
    return db.session.scalars(select(PersonNameTerm.term).where(
        PersonNameTerm.entity_id == entity_id).order_by(PersonNameTerm.term)).all()


def _entity(db, uuid_):
    return db.session.scalar(select(Entity).where(Entity.uuid == uuid_))


def test_every_live_person_has_one_row_as_the_builder_makes_it(town, db):
    rows = db.session.scalars(select(PersonSearch)).all()
    assert len(rows) == len(sample.PEOPLE)              # households and pregnancies have none
    li = _row(db, sample.LI_XIUYING)
    assert (li.name, li.pinyin, li.initials) == ("李秀英", "lixiuying", "lxy")
    assert li.id_reversed == "610425197109300424"[::-1] and li.sex == "female"
    assert str(li.dob) == "1971-09-30" and li.household == sample.H1
    sun = _row(db, sample.SUN_MIN)
    assert sun.phone_reversed == "13600006666"[::-1]


def test_an_update_a_delete_and_a_restore_keep_the_row(town, db):
    entity = _entity(db, sample.LI_XIUYING)
    entities.update(db.session, entity, data={"full_name": "吕秀英", "phone": "139-0000-1234"})
    db.session.flush()
    row = _row(db, sample.LI_XIUYING)
    assert (row.name, row.pinyin, row.initials) == ("吕秀英", "lvxiuying", "lxy")
    assert row.phone_reversed == "13900001234"[::-1]
    assert _terms(db, entity.id) == ["吕秀英", "秀英", "英"]
    entities.delete(db.session, entity)
    db.session.flush()
    assert _row(db, sample.LI_XIUYING) is None and _terms(db, entity.id) == []
    entities.restore(db.session, entity)
    db.session.flush()
    assert _row(db, sample.LI_XIUYING).name == "吕秀英"
    db.session.commit()
    assert rebuild.check(db.session, 1).differences == []


def test_people_made_and_changed_by_submissions_are_indexed(town, db):
    phone = town.phone("worker_a")
    assert phone.submit(instance("home_visit_birth")).status_code == 201
    db.session.rollback()
    live = {e.uuid for e in db.session.scalars(select(Entity).join(
        PersonSearch, PersonSearch.entity_id == Entity.id))}
    assert len(live) == len(sample.PEOPLE) + 1           # the newborn
    report = rebuild.check(db.session, 1)
    assert report.differences == []


def test_a_rebuild_finds_an_index_row_changed_behind_its_back_and_repairs_it(town, db, app):
    db.session.execute(update(PersonSearch).values(pinyin="x"))
    db.session.commit()
    differences = rebuild.check(db.session, 1).differences
    assert len(differences) == len(sample.PEOPLE)
    assert all(d.startswith("person_search ") and "'pinyin': 'x'" in d for d in differences)
    rebuild.replace(db.session, 1)
    db.session.commit()
    assert rebuild.check(db.session, 1).differences == []
    assert _row(db, sample.LI_XIUYING).pinyin == "lixiuying"


def test_the_migration_fills_the_index_for_the_people_already_there(empty_database_url,  # noqa: F811
                                                                      tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url, "SECRET_KEY": "x",
                      "DATA_DIR": str(tmp_path / "data"), "INSTANCE_DIR": str(tmp_path)})
    with app.app_context():
        upgrade(revision="0019")
        with _db.engine.begin() as c:
            for name in ("people", "households"):
                c.execute(text("INSERT INTO datasets (project_id, name, approval_required,"
                               " revision, schema_revision, created_at) VALUES (1, :n, false, 1,"
                               " 0, CURRENT_TIMESTAMP)"), {"n": name})
            for dataset, data, deleted in (
                    (1, {"full_name": "王小梅", "id_number": "61042519900101123x",
                         "phone": "13912345678", "sex": "female", "dob": "1990-01-01"}, False),
                    (1, {"full_name": "已删"}, True),
                    (2, {"address": "东湾村"}, False)):
                c.execute(text("INSERT INTO entities (dataset_id, uuid, label, version, data,"
                               " force_created, created_at, deleted_at) VALUES (:d, :u, 'x', 1,"
                               " :j, false, CURRENT_TIMESTAMP, :x)"),
                          {"d": dataset, "u": str(uuid.uuid4()), "j": json.dumps(data),
                           "x": "2026-01-01 00:00:00" if deleted else None})
        upgrade()
        with _db.engine.connect() as c:
            rows = c.execute(text("SELECT entity_id, name, pinyin, initials, id_reversed,"
                                  " phone_reversed FROM person_search")).all()
        assert [tuple(r) for r in rows] == [(1, "王小梅", "wangxiaomei", "wxm",
                                             "61042519900101123X"[::-1],
                                             "87654321931")]
        _db.engine.dispose()


def test_a_prefix_is_an_index_range_on_both_databases(town, db):
    found = db.session.scalars(select(PersonSearch.name).where(
        search.prefix(PersonSearch.pinyin, "wang")).order_by(PersonSearch.pinyin)).all()
    assert found == ["王建国", "王强", "王小宝"]
