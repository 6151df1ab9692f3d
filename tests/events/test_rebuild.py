"""`flask register rebuild --check` derives every counted submission's events again and finds
them equal to the live ones after creates, edits, holds, approvals, rejections and deletions;
a row changed behind intake's back is reported, and `flask register rebuild` puts the events
rebuilt from the submissions in place."""
from click.testing import CliRunner
from sqlalchemy import select, update

from app.cli import register_group
from app.events.models import LifeEvent
from app.register import rebuild
from tests.events.test_record import BASE, events, probe
from tests.factories import new_instance_id


def check(app):
    return CliRunner().invoke(register_group, ["rebuild", "--check"], obj=app.extensions)


def a_reviewed_history(collect, client, login):
    admin = login("admin")
    ids = [new_instance_id() for _ in range(6)]
    assert collect.submit(probe(ids[0], moved_to="xishan")).status_code == 201
    assert collect.submit(probe(ids[1], weeks="50")).status_code == 201          # held
    assert collect.submit(probe(ids[2], village="xishan")).status_code == 201    # outside
    assert collect.submit(probe(ids[3])).status_code == 201
    assert collect.submit(probe(ids[4], deprecated_id=ids[3], person="boom")).status_code == 201
    assert collect.submit(probe(ids[5], deprecated_id=ids[0])).status_code == 201
    for instance_id, state in ((ids[2], "approved"), (ids[3], "rejected")):
        assert client.patch(f"{BASE}/{instance_id}", json={"reviewState": state},
                            headers=admin).status_code == 200


def test_rebuild_check_finds_the_events_rebuilt_from_submissions_equal_to_the_live_ones(
        probe_form, collect, client, login, db, app):
    a_reviewed_history(collect, client, login)
    live = events(db)
    assert len(live) == 2
    result = check(app)
    assert result.exit_code == 0, result.output
    assert "2 life events derived from the counted submissions." in result.output
    assert "No difference from the live register." in result.output


def test_a_tampered_event_is_found_and_rebuild_repairs_it(probe_form, collect, client, login, db,
                                                          app):
    a_reviewed_history(collect, client, login)
    before = events(db)
    first = db.session.scalar(select(LifeEvent.id).order_by(LifeEvent.id).limit(1))
    db.session.execute(update(LifeEvent).where(LifeEvent.id == first).values(kind="death"))
    db.session.execute(LifeEvent.__table__.delete().where(LifeEvent.id != first))
    db.session.commit()
    result = check(app)
    assert result.exit_code != 0
    assert "kind: live 'death', rebuilt 'birth'" in result.output
    assert "only in the rebuilt events" in result.output

    result = CliRunner().invoke(register_group, ["rebuild"], obj=app.extensions)
    assert result.exit_code == 0, result.output
    db.session.rollback()
    assert events(db) == before
    assert rebuild.check(db.session, 1).differences == []


def test_the_rebuild_reads_the_submissions_a_batch_at_a_time(probe_form, collect, db):
    for _ in range(5):
        assert collect.submit(probe(new_instance_id())).status_code == 201
    db.session.rollback()
    with rebuild.scratch(db.session) as scratch:
        assert rebuild.derive_life_events(scratch, 1, batch=2) == 5
        assert rebuild.life_event_snapshot(scratch, 1) == rebuild.life_event_snapshot(db.session, 1)
