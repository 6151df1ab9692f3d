"""A merge settles the duplicate pair it acts on (app.quality.merging → duplicates.mark): the
pair of the two people is "merged" and leaves the open queue, an unmerge opens it again, and
`register rebuild --check` agrees after each, since the decision is an input it copies."""
from sqlalchemy import select

from app.quality.models import DuplicateDecision
from app.register import rebuild
from tests.quality.test_duplicates import DUPLICATES, _key, _pairs, _register
from tests.samples.register import ZHANG_LI

PEOPLE = "/v1/projects/1/datasets/people/entities"


def _open_pairs(client, headers):
    return [(p["a"]["uuid"], p["b"]["uuid"]) for p in client.get(
        f"{DUPLICATES}?status=open", headers=headers).json["pairs"]]


def _rebuilds_the_same(db):
    db.session.rollback()
    assert rebuild.check(db.session, 1).differences == []
    db.session.rollback()


def test_a_merge_marks_its_pair_merged_and_an_unmerge_opens_it_again(town, db, client, login):
    again = _register(town, db)
    supervisor = login("supervisor")
    assert _open_pairs(client, supervisor) == [_key(ZHANG_LI, again)]

    merged = client.post(f"{PEOPLE}/{ZHANG_LI}/merge", headers=supervisor, json={"from": again})
    assert merged.status_code == 200, merged.json
    assert _pairs(db)[_key(ZHANG_LI, again)].status == "merged"
    assert db.session.scalar(select(DuplicateDecision.status)) == "merged"
    assert _open_pairs(client, supervisor) == []
    _rebuilds_the_same(db)

    unmerged = client.post(f"{PEOPLE}/{again}/unmerge", headers=supervisor)
    assert unmerged.status_code == 200, unmerged.json
    assert _pairs(db)[_key(ZHANG_LI, again)].status == "open"
    assert _open_pairs(client, supervisor) == [_key(ZHANG_LI, again)]
    _rebuilds_the_same(db)


def test_a_merged_pair_is_listed_under_status_merged_until_it_is_unmerged(town, db, client,
                                                                            login):
    again = _register(town, db)
    supervisor = login("supervisor")
    assert client.post(f"{PEOPLE}/{ZHANG_LI}/merge", headers=supervisor,
                       json={"from": again}).status_code == 200
    listed = client.get(f"{DUPLICATES}?status=merged", headers=supervisor).json["pairs"]
    assert [((p["a"]["uuid"], p["b"]["uuid"]), p["status"]) for p in listed] == [
        (_key(ZHANG_LI, again), "merged")]
    assert client.post(f"{PEOPLE}/{again}/unmerge", headers=supervisor).status_code == 200
    assert client.get(f"{DUPLICATES}?status=merged", headers=supervisor).json["pairs"] == []
    # a person put in the trash leaves every list, the merged one too
    assert client.post(f"{PEOPLE}/{ZHANG_LI}/merge", headers=supervisor,
                       json={"from": again}).status_code == 200
    assert client.delete(f"{PEOPLE}/{ZHANG_LI}", headers=login("admin")).status_code == 200
    assert client.get(f"{DUPLICATES}?status=merged", headers=supervisor).json["pairs"] == []
