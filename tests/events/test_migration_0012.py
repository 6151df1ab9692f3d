"""Migration 0012 derives the events of a database of the previous version again, so they
carry the new kind `registered` and the new details (who died or moved, a couple's woman, a
procedure's previous method), keep the time they were first written, and
`flask register rebuild --check` finds no difference afterwards. The previous version's events
are made by today's intake, then taken back to what 0011's derivers wrote (no `registered`,
none of the new details) and the database to 0011, and upgraded again."""
import datetime as dt
import glob
import json
import os

from flask_migrate import downgrade, upgrade
from sqlalchemy import select, text

from app import create_app
from app.auth import accounts
from app.cli import publish_paths
from app.db import db as _db
from app.events.models import LifeEvent
from app.forms import publish as publishing
from app.projects.service import ensure_default_project, import_areas
from app.register import rebuild
from tests.collect import CollectClient
from tests.conftest import FORMS_DIR, VILLAGES
from tests.samples import SAMPLES, earlier_form, instance, old_instance
from tests.samples.register import seed_register
from tests.test_migrations import empty_database_url  # noqa: F401 - a fixture

#: the details 0011's derivers did not write, per kind
NEW_DETAILS = {"death": ("sex", "dob", "marital_status", "contraception"),
               "moved_in": ("sex", "dob", "marital_status", "contraception"),
               "moved_out": ("sex", "dob", "marital_status", "contraception"),
               "newborn_death": ("sex",), "marriage": ("woman", "woman_dob"),
               "divorce": ("woman", "woman_dob"), "contraception_procedure": ("previous_method",)}
LONG_AGO = dt.datetime(2026, 11, 20, 8, 0)


def rows(session):
    found = session.execute(select(LifeEvent.submission_id, LifeEvent.kind, LifeEvent.details,
                                   LifeEvent.created_at).order_by(LifeEvent.submission_id,
                                                                  LifeEvent.position)).all()
    return [(r.submission_id, r.kind, json.loads(r.details) if isinstance(r.details, str)
             else r.details, r.created_at) for r in found]


def as_0011_wrote_them(session):
    """Take today's events back to what the previous version wrote, first written long ago."""
    session.execute(text("DELETE FROM life_events WHERE kind = 'registered'"))
    for event_id, kind, details in session.execute(select(
            LifeEvent.id, LifeEvent.kind, LifeEvent.details)).all():
        details = json.loads(details) if isinstance(details, str) else dict(details)
        for name in NEW_DETAILS.get(kind, ()):
            details.pop(name, None)
        session.execute(LifeEvent.__table__.update().where(LifeEvent.__table__.c.id == event_id)
                        .values(details=details, created_at=LONG_AGO))


def _instance_id(xml):
    from lxml import etree
    return etree.fromstring(xml).findtext("meta/instanceID")


def _time(value):
    # SQLite hands a raw column back as text
    return dt.datetime.fromisoformat(value) if isinstance(value, str) else value


def test_upgrade_to_0012_derives_the_events_again_with_registrations_and_details(
        empty_database_url, tmp_path):  # noqa: F811
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url, "SECRET_KEY": "x",
                      "DATA_DIR": str(tmp_path / "data"), "INSTANCE_DIR": str(tmp_path),
                      "PUBLIC_URL": "", "TESTING": True})
    with app.app_context():
        upgrade()
        s = _db.session
        ensure_default_project(s, "Test town")
        import_areas(s, 1, VILLAGES)
        with open(os.path.join(FORMS_DIR, "villages.csv"), "rb") as f:
            villages = f.read()
        with open(earlier_form("person"), "rb") as f:
            publishing.publish(s, app.extensions["blob_store"], 1, "person.xlsx", f.read(),
                               {"villages.csv": villages})
        messages = []
        assert publish_paths(sorted(glob.glob(os.path.join(FORMS_DIR, "*.xlsx"))),
                             messages.append) == 0, messages
        seed_register(s)
        tokens = {name: accounts.create_app_user(s, 1, name, areas)[1] for name, areas in (
            ("worker_a", ["dongwan"]), ("worker_b", ["xishan"]), ("leader", ["dongwan"]))}
        s.commit()
        client = app.test_client()
        names = ("person_registered", "home_visit_death", "home_visit_marriage",
                 "migrant_moving_in", "person_divorce", "birth_twins_newborn_death",
                 "contraception_implant")
        for name in names:
            phone = CollectClient(client, f"/v1/key/{tokens[SAMPLES[name].persona]}/projects/1")
            assert phone.submit(instance(name)).status_code == 201, name
        # a version that asked no reason of a new person: it wrote no event then
        phone = CollectClient(client, f"/v1/key/{tokens['worker_a']}/projects/1")
        assert phone.submit(old_instance("person_registered")).status_code == 201
        stored = s.execute(text("SELECT d.submission_id, d.created_at FROM submission_defs d"
                                " JOIN submissions x ON x.id = d.submission_id"
                                " WHERE x.instance_id = :i"), {"i": _instance_id(
                                    old_instance("person_registered"))}).one()
        today = rows(s)
        assert "registered" in [kind for _s, kind, _d, _t in today]
        as_0011_wrote_them(s)
        s.commit()
        before = rows(s)
        assert "registered" not in [kind for _s, kind, _d, _t in before]
        s.remove()

        downgrade(revision="0011")
        upgrade()

        after = rows(s)
        assert [(sid, kind, details) for sid, kind, details, _t in after] == [
            (sid, kind, details) for sid, kind, details, _t in today]
        first = {sid: t for sid, _k, _d, t in before}
        assert all(t == first[sid] for sid, _k, _d, t in after if sid in first)
        registered = [(sid, t) for sid, kind, _d, t in after if kind == "registered"]
        # the person registered on marriage had a marriage event: it keeps its time; the
        # old version's registration had none: the time its submission was stored
        assert sorted(registered) == sorted([(sid, LONG_AGO) for sid, _t in registered
                                             if sid != stored[0]] + [
            (stored[0], _time(stored[1]))])
        assert len(registered) == 2
        by_kind = {kind: details for _sid, kind, details, _t in after}
        assert by_kind["death"]["sex"] == "male" and by_kind["marriage"]["woman_dob"]
        assert by_kind["contraception_procedure"]["previous_method"] == "iud"
        assert by_kind["newborn_death"]["sex"] == "male"
        assert rebuild.check(s, 1).differences == []
        # 0013 fills the cells from these events; the check above compared them too
        assert s.scalar(text("SELECT COUNT(*) FROM report_cells")) > 0
        s.remove()
        _db.engine.dispose()
