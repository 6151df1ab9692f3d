"""Migration 0010 brings a database of the previous version up to date: the events of every
submission that counts are derived (as intake would have written them), held and rejected
ones get none, pregnancies get `reported_on` and `ended_on` and the dead their `death_date`
from what the old data holds, and
`flask register rebuild --check` finds no difference afterwards. The previous version's data
is made by today's intake, then the database is taken back to 0009 (which drops what 0010
adds) and upgraded again."""
import datetime as dt
import uuid

from flask_migrate import downgrade, upgrade
from sqlalchemy import func, select, text

from app import create_app
from app.audit import verify as audit_verify
from app.audit.models import AuditEvent
from app.auth import accounts
from app.db import db as _db
from app.events import derive
from app.events.derive import Event
from app.events.models import LifeEvent
from app.forms import publish as publishing
from app.projects.service import ensure_default_project, import_areas
from app.register import rebuild
from app.register.models import Entity, RegisterEvent
from app.submissions.models import Submission
from tests.collect import CollectClient
from tests.conftest import VILLAGES
from tests.events.conftest import FORM_ID, probe_deriver, probe_xlsform
from tests.events.test_record import probe
from tests.factories import make_entity_xform, new_instance_id
from tests.test_migrations import empty_database_url  # noqa: F401 - a fixture

PREGNANCY_FORM = "old_pregnancy_report"
PROPS = ("woman_name", "village", "report_date", "outcome", "outcome_date")


def pregnancy_instance(entity_id, **values):
    fields = "".join(f"<{p}>{values.get(p, '')}</{p}>" for p in PROPS)
    return (f'<data id="{PREGNANCY_FORM}" version="1">{fields}<meta>'
            f'<instanceID>{new_instance_id()}</instanceID>'
            f'<entity dataset="pregnancies" id="{entity_id}" create="1"><label>'
            f'{values.get("woman_name", "")}</label></entity></meta></data>').encode()


PERSON_FORM = "old_person"
PERSON_PROPS = ("full_name", "village", "deceased", "change_date")


def person_instance(entity_id, **values):
    fields = "".join(f"<{p}>{values.get(p, '')}</{p}>" for p in PERSON_PROPS)
    return (f'<data id="{PERSON_FORM}" version="1">{fields}<meta>'
            f'<instanceID>{new_instance_id()}</instanceID>'
            f'<entity dataset="people" id="{entity_id}" create="1"><label>'
            f'{values.get("full_name", "")}</label></entity></meta></data>').encode()


def died(a):
    """An old form's deriver: a death on the change date."""
    if a.get("deceased") == "yes":
        yield Event("death", a.date("change_date"), person=a.entity_id(),
                    details={"cause": "", "place": ""})


def reported(a):
    """An old form's deriver: the pregnancy reported on its report date."""
    yield Event("pregnancy_reported", a.date("report_date"), pregnancy=a.entity_id(),
                details={"reported_by": "group_leader"})


def snapshot(session):
    rows = session.execute(select(*(LifeEvent.__table__.c[c] for c in (
        "submission_id", "submission_def_id", "form_id", "kind", "occurred_on", "area_id",
        "person", "pregnancy", "details", "position"))).order_by(LifeEvent.id)).all()
    flags = session.execute(select(Submission.id, Submission.in_register)
                            .order_by(Submission.id)).all()
    return [tuple(r) for r in rows], [tuple(f) for f in flags]


def test_upgrade_to_0010_derives_the_events_and_brings_pregnancies_up_to_date(
        empty_database_url, tmp_path):  # noqa: F811
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url, "SECRET_KEY": "x",
                      "DATA_DIR": str(tmp_path / "data"), "INSTANCE_DIR": str(tmp_path),
                      "PUBLIC_URL": "", "TESTING": True})
    derive.deriver(FORM_ID, yields=("birth", "moved_out"))(probe_deriver)
    derive.deriver(PREGNANCY_FORM, yields=("pregnancy_reported",))(reported)
    derive.deriver(PERSON_FORM, yields=("death",))(died)
    try:
        with app.app_context():
            upgrade()
            s = _db.session
            ensure_default_project(s, "Test town")
            import_areas(s, 1, VILLAGES)
            store = app.extensions["blob_store"]
            publishing.publish(s, store, 1, f"{FORM_ID}.xlsx", probe_xlsform())
            publishing.publish(s, store, 1, "p.xml", make_entity_xform(
                PREGNANCY_FORM, "pregnancies", properties=PROPS))
            publishing.publish(s, store, 1, "q.xml", make_entity_xform(
                PERSON_FORM, "people", properties=PERSON_PROPS))
            _user, token = accounts.create_app_user(s, 1, "worker", ["dongwan"])
            s.commit()
            phone = CollectClient(app.test_client(), f"/v1/key/{token}/projects/1")
            ended, ongoing = str(uuid.uuid4()), str(uuid.uuid4())
            dead, alive = str(uuid.uuid4()), str(uuid.uuid4())
            bodies = [
                person_instance(dead, full_name="赵伯", village="dongwan", deceased="yes",
                                change_date="2026-05-17"),
                person_instance(alive, full_name="钱叔", village="dongwan", deceased="no"),
                pregnancy_instance(ended, woman_name="李梅", village="dongwan",
                                   report_date="2026-03-02", outcome="late_termination",
                                   outcome_date="2026-07-09"),
                pregnancy_instance(ongoing, woman_name="王芳", village="dongwan",
                                   report_date="2026-09-14"),
                probe(moved_to="xishan"), probe(weeks="50"), probe(village="xishan")]
            rejected = new_instance_id()
            bodies.append(probe(rejected))
            for body in bodies:
                assert phone.submit(body).status_code == 201
            s.execute(text("UPDATE submissions SET review_state = 'rejected'"
                           " WHERE instance_id = :i"), {"i": rejected})
            s.execute(text("DELETE FROM life_events WHERE submission_id ="
                           " (SELECT id FROM submissions WHERE instance_id = :i)"), {"i": rejected})
            s.commit()
            before = snapshot(s)
            assert len(before[0]) == 5 and [f for _i, f in before[1]] == [
                True, True, True, True, True, False, False, True]
            s.remove()

            downgrade(revision="0009")
            with _db.engine.connect() as c:
                assert "life_events" not in _db.inspect(c).get_table_names()
            upgrade()

            assert snapshot(s) == before
            # the events the data migrations wrote before the chain existed were chained by 0033
            assert s.scalar(select(func.count()).select_from(AuditEvent).where(
                AuditEvent.hash.is_(None))) == 0
            assert [audit_verify.verify(s, p).broken for p in audit_verify.chains(s)] == [
                None] * len(audit_verify.chains(s))
            pregnancy = s.scalar(select(Entity).where(Entity.uuid == ended))
            assert (pregnancy.data["reported_on"], pregnancy.data["ended_on"],
                    pregnancy.data["outcome"], pregnancy.version) == (
                "2026-03-02", "2026-07-09", "medical_termination", 2)
            other = s.scalar(select(Entity).where(Entity.uuid == ongoing))
            assert other.data["reported_on"] == "2026-09-14" and "ended_on" not in other.data
            assert s.scalar(select(Entity).where(Entity.uuid == dead)).data["death_date"] == (
                "2026-05-17")
            assert "death_date" not in s.scalar(select(Entity).where(Entity.uuid == alive)).data
            assert s.scalars(select(RegisterEvent.kind).order_by(RegisterEvent.id)).all() == [
                "submission"] * 4 + ["api.update"] * 3
            assert rebuild.check(s, 1).differences == []
            assert s.scalar(select(LifeEvent.occurred_on).where(
                LifeEvent.pregnancy == ended)) == dt.date(2026, 3, 2)
            s.remove()
            _db.engine.dispose()
    finally:
        for form_id in (FORM_ID, PREGNANCY_FORM, PERSON_FORM):
            derive.DERIVERS.pop(form_id, None)
            derive.YIELDS.pop(form_id, None)
