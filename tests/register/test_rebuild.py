"""Provenance and rebuild: after a randomized run of thousands of creates, updates, conflicts,
offline chains, deletes and API changes through OpenRosa and the register's functions,
`flask register rebuild --check` rebuilds the register from them and finds no difference; a
change made behind the journal's back is found, and `flask register rebuild` repairs it."""
import datetime as dt
import random
import uuid

from click.testing import CliRunner
from sqlalchemy import select, update

from app.auth import accounts
from app.cli import register_group
from app.register import entities, merge, rebuild
from app.register.models import Entity, EntityBacklog, EntityVersion
from tests.collect import CollectClient
from tests.factories import make_entity_xform
from tests.register.test_merge import PROPS, entity_instance

OPERATIONS = 2000


def random_run(collect, db, seed=20261129):
    rnd = random.Random(seed)
    known = {}                                   # uuid -> version the phone believes
    for step in range(OPERATIONS):
        roll = rnd.random()
        if roll < 0.25 or not known:
            eid = str(uuid.UUID(int=rnd.getrandbits(128), version=4))
            body = entity_instance(eid, f"人{step}", create=True, full_name=f"人{step}",
                                   village=rnd.choice(["dongwan", "xishan"]), phone=str(step))
            known[eid] = 1
        elif roll < 0.70:                        # an update, sometimes on an old version
            eid = rnd.choice(list(known))
            base = known[eid] if rnd.random() < 0.7 else rnd.randint(1, known[eid])
            omit = rnd.choice([(), ("phone",), ("full_name",), ("full_name", "phone")])
            body = entity_instance(eid, rnd.choice(["", f"改{step}"]), update=True,
                                   base=str(base), omit=omit, phone=str(rnd.randint(0, 3)),
                                   full_name=f"名{rnd.randint(0, 3)}")
            known[eid] += 1
        elif roll < 0.80:                        # an offline chain of three, newest first
            eid, branch = rnd.choice(list(known)), str(uuid.UUID(int=rnd.getrandbits(128), version=4))
            trunk = known[eid]
            chain = [entity_instance(eid, "", update=True, base=str(trunk + i), trunk=str(trunk),
                                     branch=branch, omit=("full_name",), phone=f"b{i}")
                     for i in range(3)]
            if rnd.random() < 0.8:
                chain.reverse()
            else:
                chain = chain[1:]                # its first change never arrives: forced later
            for body in chain[:-1]:
                assert collect.submit(body).status_code == 201
            body = chain[-1]
            known[eid] += 3
        elif roll < 0.85:                        # a broken submission: rolled back, kept
            body = entity_instance("not-a-uuid", "x", create=True)
        elif roll < 0.92:                        # a supervisor deletes, restores, edits
            found = db.session.scalar(select(Entity).where(Entity.uuid == rnd.choice(list(known))))
            if found.deleted_at is None and rnd.random() < 0.5:
                entities.delete(db.session, found)
            elif found.deleted_at is not None:
                entities.restore(db.session, found)
            else:
                entities.update(db.session, found, data={"phone": f"api{step}"})
            db.session.commit()
            continue
        else:                                    # the timer forces what waited too long
            db.session.execute(update(EntityBacklog).values(held_at=dt.datetime(2026, 1, 1)))
            merge.process_backlog(db.session)
            db.session.commit()
            continue
        assert collect.submit(body).status_code == 201
    db.session.rollback()


def test_a_randomized_run_rebuilds_to_the_same_register(client, personas, publish, db, app):
    publish(make_entity_xform("people_form", create=True, update=True, properties=PROPS,
                              uses_list=True))
    # a town-wide key: it may change both villages (tests/register/test_village_writes.py
    # rebuilds a register with submissions held for another village)
    _, token = accounts.create_app_user(db.session, 1, "镇干部")
    db.session.commit()
    random_run(CollectClient(client, f"/v1/key/{token}/projects/1"), db)
    live = db.session.scalars(select(Entity)).all()
    assert len(live) > 300
    assert {e.conflict for e in live} >= {None, "soft", "hard"}
    assert db.session.scalar(select(EntityVersion).where(EntityVersion.source == "backlog").limit(1))
    assert db.session.scalar(select(Entity).where(Entity.deleted_at.is_not(None)).limit(1))

    result = CliRunner().invoke(register_group, ["rebuild", "--check"], obj=app.extensions)
    assert result.exit_code == 0, result.output
    assert f"changes replayed, {len(live)} entities." in result.output
    assert "No difference from the live register." in result.output


def test_a_change_behind_the_journals_back_is_found_and_rebuild_repairs_it(collect, publish, db, app):
    publish(make_entity_xform("people_form", create=True, update=True, properties=PROPS,
                              uses_list=True))
    eid = str(uuid.uuid4())
    collect.submit(entity_instance(eid, "王芳", create=True, full_name="王芳", phone="1"))
    collect.submit(entity_instance(eid, "", update=True, base="1", omit=("full_name",), phone="2"))
    db.session.execute(update(Entity).values(label="篡改"))         # not through the register
    db.session.commit()
    result = CliRunner().invoke(register_group, ["rebuild", "--check"], obj=app.extensions)
    assert result.exit_code != 0 and "label: live '篡改', rebuilt '王芳'" in result.output

    result = CliRunner().invoke(register_group, ["rebuild"], obj=app.extensions)
    assert result.exit_code == 0, result.output
    db.session.rollback()
    entity = db.session.scalar(select(Entity).where(Entity.uuid == eid))
    assert (entity.label, entity.version, entity.data["phone"]) == ("王芳", 2, "2")
    assert rebuild.check(db.session, 1).differences == []
    # the phone can go on: the rebuilt register keeps its ids and versions
    assert collect.submit(entity_instance(eid, "", update=True, base="2", omit=("full_name",),
                                          phone="3")).status_code == 201
    db.session.rollback()
    assert db.session.scalar(select(Entity.version).where(Entity.uuid == eid)) == 3
