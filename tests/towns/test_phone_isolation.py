"""A phone of town B that sends what a phone of town A sent (the same forms exist in both
towns, and entity UUIDs are unique server-wide): the submission is kept in town B, and town
A's register is never touched: an update of A's person is not applied, and a create under the
UUID of A's person makes no entity."""
from lxml import etree
from sqlalchemy import select

from app.auth import accounts
from app.register.models import Dataset, Entity
from app.submissions.models import Submission
from tests.collect import CollectClient
from tests.samples import instance


def _entity(db, uuid):
    db.session.expire_all()
    return db.session.execute(select(Entity.version, Entity.data, Dataset.project_id)
                              .join(Dataset, Dataset.id == Entity.dataset_id)
                              .where(Entity.uuid == uuid)).one()


def test_town_bs_phone_never_changes_town_as_register(client, db, towns):
    b_phone = CollectClient(client, f"/v1/key/{towns.b_token}/projects/2")
    update = instance("person_method_stated")          # an update of a person of town A
    person = etree.fromstring(update).find(".//{*}entity").get("id")
    before = _entity(db, person)
    assert before.project_id == 1
    assert b_phone.submit(update).status_code == 201
    assert _entity(db, person) == before
    # a create under the UUID of a person of town A: kept, flagged, no entity made or changed
    create = instance("person_registered")
    uuid = etree.fromstring(create).find(".//{*}entity").get("id")
    a_phone = _town_a_phone(client, db)
    assert a_phone.submit(create).status_code == 201
    made = _entity(db, uuid)
    assert made.project_id == 1
    assert b_phone.submit(create).status_code == 201
    assert _entity(db, uuid) == made
    kept = db.session.scalars(select(Submission).where(
        Submission.instance_id == etree.fromstring(create).findtext(".//{*}instanceID"))).all()
    assert len(kept) == 2          # one per town's form: the same instanceID, two forms
    b_kept = max(kept, key=lambda k: k.id)
    assert (b_kept.review_state, b_kept.in_register) == ("hasIssues", False)   # for review


def _town_a_phone(client, db):
    """A phone of every village of town A."""
    _phone, token = accounts.create_app_user(db.session, 1, "phone_a_all")
    db.session.commit()
    return CollectClient(client, f"/v1/key/{token}/projects/1")
