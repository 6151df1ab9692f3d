"""The audit log's hash chain (docs/audit.md): normal work grows each project's chain and the
system-wide one, verify passes, and each kind of tampering with the table is caught and
named, on SQLite and PostgreSQL."""
import pytest

from app.audit import chain
from tests.audit.helpers import check, entries, forge, normal_day, tamper


@pytest.fixture
def day(client, collect, publish, login):
    return normal_day(client, collect, publish, login)


def test_normal_work_grows_linked_chains_per_project_that_verify(db, day):
    project = entries(db, 1)
    actions = [r.action for r in project]
    for action in ("form.publish", "submission.create", "entity.create", "entity.update",
                   "submission.list", "app_user.create"):
        assert action in actions, actions
    assert "user.session.create" in [r.action for r in entries(db, None)]  # sign-in: system
    for rows in (project, entries(db, None)):
        assert rows[0].prev_hash == chain.GENESIS
        assert [r.prev_hash for r in rows[1:]] == [r.hash for r in rows[:-1]]
    walked = check(db, 1)
    assert walked.broken is None and walked.length == len(project)
    assert walked.head == project[-1].hash
    assert check(db, None).broken is None


def test_an_entry_whose_details_were_edited_is_named(db, day):
    rows = entries(db)
    victim = rows[len(rows) // 2]
    tamper(db, "UPDATE audit_events SET details = :d WHERE id = :i", d='{"x": 1}', i=victim.id)
    broken = check(db).broken
    assert (broken.kind, broken.id) == ("edited", victim.id)


def test_an_entry_inserted_in_the_middle_with_a_plausible_hash_is_named(db, day):
    rows = entries(db)
    before = rows[len(rows) // 2]
    # make room after it, as a tamperer would, and forge an entry that follows it
    tamper(db, "UPDATE audit_events SET id = id + 100000 WHERE id > :i", i=before.id)
    forge(db, before.id + 1, before.hash)
    broken = check(db).broken
    assert (broken.kind, broken.id) == ("inserted", before.id + 1)


def test_an_entry_inserted_with_any_prev_hash_is_named(db, day):
    rows = entries(db)
    before = rows[len(rows) // 2]
    tamper(db, "UPDATE audit_events SET id = id + 100000 WHERE id > :i", i=before.id)
    forge(db, before.id + 1, "ab" * 32)
    broken = check(db).broken
    assert (broken.kind, broken.id) == ("inserted", before.id + 1)


def test_an_entry_deleted_in_the_middle_is_named_by_the_entry_after_it(db, day):
    rows = entries(db)
    middle = len(rows) // 2
    tamper(db, "DELETE FROM audit_events WHERE id = :i", i=rows[middle].id)
    broken = check(db).broken
    assert (broken.kind, broken.id) == ("deleted", rows[middle + 1].id)


def test_the_last_entry_deleted_is_caught_by_the_chain_head(db, day):
    rows = entries(db)
    tamper(db, "DELETE FROM audit_events WHERE id = :i", i=rows[-1].id)
    broken = check(db).broken
    assert (broken.kind, broken.id) == ("deleted", rows[-2].id)


def test_an_entry_appended_past_the_head_is_caught(db, day):
    rows = entries(db)
    forge(db, rows[-1].id + 1000, rows[-1].hash)
    assert check(db).broken.kind == "inserted"


def test_a_cut_with_the_head_rewritten_too_passes_verify_but_not_the_recorded_anchor(db, day):
    # what verify alone cannot see: the head row rewritten with the chain; the minutes can
    rows = entries(db)
    anchor = rows[-1].hash
    tamper(db, "DELETE FROM audit_events WHERE id = :i", i=rows[-1].id)
    tamper(db, "UPDATE audit_chain_heads SET length = length - 1, hash = prev_hash"
               " WHERE chain = 1")
    walked = check(db)
    assert walked.broken is None and anchor not in walked.hashes


def test_a_canonical_form_an_outsider_can_recompute(db, day):
    """docs/audit.md's script: hashlib and json over the table's raw rows, no Doorstep code."""
    import hashlib
    import json
    from sqlalchemy import text
    db.session.rollback()
    rows = db.session.execute(text(
        "SELECT id, project_id, actor_type, actor_id, action, target, details, logged_at,"
        " prev_hash, hash FROM audit_events WHERE project_id = 1 ORDER BY id")).all()
    prev = "0" * 64
    for id, project, actor_type, actor_id, action, target, details, at, prev_hash, h in rows:
        if isinstance(at, str):                                         # SQLite: its text
            at = at.replace(" ", "T") + ("" if "." in at else ".000000")
            details = json.loads(details) if details else None
        else:                                                           # PostgreSQL
            at = at.strftime("%Y-%m-%dT%H:%M:%S.%f")
        body = "\n" + json.dumps({"project_id": project, "actor_type": actor_type,
                                  "actor_id": actor_id, "action": action, "target": target,
                                  "details": details, "logged_at": at},
                                 sort_keys=True, separators=(",", ":"), ensure_ascii=True)
        assert prev_hash == prev, f"link broken before entry {id}"
        assert hashlib.sha256((prev_hash + body).encode()).hexdigest() == h, id
        prev = h
    assert len(rows) > 5 and prev == check(db).head


@pytest.mark.database_independent
def test_details_that_json_gives_back_differently_hash_as_stored():
    assert chain.canonical_details({"n": 1e20, "t": (1, 2.0), 3: "x"}) == \
        {"n": 10 ** 20, "t": [1, 2], "3": "x"}
