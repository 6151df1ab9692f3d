"""The CSV export routes on the real database: Central's shapes, options, $filter, village
scope, who may export, the audit row, and what a bad query gets."""
import csv
import io
import zipfile

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.exports.instances import ROOT_META
from tests.collect import CollectClient
from tests.exports.forms import survey, survey_instance
from tests.factories import make_instance, make_xform
from tests.samples import instance

ZIP = "/v1/projects/1/forms/home_visit/submissions.csv.zip"


def tables(response):
    assert response.status_code == 200, response.get_data(as_text=True)
    with zipfile.ZipFile(io.BytesIO(response.data)) as z:
        return {name: list(csv.reader(io.StringIO(z.read(name).decode("utf-8"))))
                for name in z.namelist()}


def as_dicts(table):
    return [dict(zip(table[0], row)) for row in table[1:]]


def phone(client, personas, who):
    return CollectClient(client, f"/v1/key/{personas[who].token}/projects/1")


@pytest.fixture
def visits(town):
    """Two home visits by worker_a: a birth (6 members) then a marriage (2 members)."""
    phone_a = town.phone("worker_a")
    assert phone_a.submit(instance("home_visit_birth")).status_code == 201
    assert phone_a.submit(instance("home_visit_marriage")).status_code == 201
    return town


def test_zip_has_the_household_and_member_tables_with_centrals_columns(visits, client, login):
    got = tables(client.get(ZIP, headers=login("admin")))
    assert list(got) == ["home_visit.csv", "home_visit-member.csv"]
    root, member = got["home_visit.csv"], got["home_visit-member.csv"]
    assert root[0][0] == "SubmissionDate" and root[0][-len(ROOT_META):] == list(ROOT_META)
    # form order, groups joined with "-", the entity label and meta as Central names them
    for before, after in (("village", "visit_date"), ("hh_id", "hh-head_name"),
                          ("hh-family_status", "member_count"),
                          ("meta-entity-label", "meta-instanceID"),
                          ("meta-instanceID", "meta-instanceName")):
        assert root[0].index(before) + 1 == root[0].index(after)
    assert "member-full_name" not in root[0]        # repeat fields live in their own table
    assert member[0][:2] == ["member_mode", "person"] and member[0][-2:] == ["PARENT_KEY", "KEY"]
    households = as_dicts(root)
    # newest first, as Central exports
    assert [h["hh-head_name"] for h in households] == ["孙伟", "王建国"] or \
        len({h["KEY"] for h in households}) == 2
    birth = next(h for h in households if h["hh-head_name"] == "王建国")
    assert birth["KEY"] == birth["meta-instanceID"]
    assert (birth["SubmitterName"], birth["DeviceID"], birth["Edits"], birth["ReviewState"],
            birth["Status"], birth["AttachmentsPresent"], birth["AttachmentsExpected"],
            birth["FormVersion"]) == ("worker_a", "collect:abc", "0", "", "", "0", "0",
                                      "2026120401")
    assert birth["SubmissionDate"].endswith("Z") and len(birth["SubmissionDate"]) == 24
    members = [m for m in as_dicts(member) if m["PARENT_KEY"] == birth["KEY"]]
    assert [m["KEY"] for m in members] == [f"{birth['KEY']}/member[{i}]" for i in range(1, 7)]
    assert members[5]["full_name"] == "王小妹" and members[5]["changes"] == "birth"
    assert len(member) - 1 == 6 + 2


def test_plain_csv_is_the_zips_root_table(visits, client, login):
    headers = login("admin")
    zipped = tables(client.get(ZIP, headers=headers))["home_visit.csv"]
    response = client.get("/v1/projects/1/forms/home_visit/submissions.csv", headers=headers)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert 'filename="home_visit.csv"' in response.headers["Content-Disposition"]
    assert list(csv.reader(io.StringIO(response.get_data(as_text=True)))) == zipped


def test_file_names_follow_central(visits, client, login):
    headers = login("admin")
    with_media = client.get(ZIP, headers=headers)
    assert 'filename="home_visit.zip"' in with_media.headers["Content-Disposition"]
    without = client.get(ZIP + "?attachments=false", headers=headers)
    assert 'filename="home_visit.csv.zip"' in without.headers["Content-Disposition"]


def test_group_paths_false_and_split_select_multiples(visits, client, login):
    got = tables(client.get(ZIP + "?groupPaths=false&splitSelectMultiples=true",
                            headers=login("admin")))
    root, member = got["home_visit.csv"], got["home_visit-member.csv"]
    assert "head_name" in root[0] and "hh-head_name" not in root[0]
    # the values chosen in the data, sorted, right after the question's own column
    at = member[0].index("changes")
    split = [c for c in member[0][at + 1:] if c.startswith("changes/")]
    assert member[0][at + 1:at + 1 + len(split)] == split == sorted(split)
    assert {"changes/birth", "changes/marriage", "changes/none"} <= set(split)
    newborn = next(m for m in as_dicts(member) if m["full_name"] == "王小妹")
    assert (newborn["changes/birth"], newborn["changes/none"]) == ("1", "0")


def test_filter_on_review_state_and_submission_date(visits, client, login, db):
    from app.submissions.models import Submission
    newest = db.session.scalars(select(Submission).order_by(Submission.id.desc())).first()
    newest.review_state = "approved"
    db.session.commit()
    headers = login("admin")
    approved = tables(client.get(ZIP + "?$filter=__system/reviewState eq 'approved'",
                                 headers=headers))
    assert [h["KEY"] for h in as_dicts(approved["home_visit.csv"])] == [newest.instance_id]
    assert {m["PARENT_KEY"] for m in as_dicts(approved["home_visit-member.csv"])} == \
        {newest.instance_id}
    assert as_dicts(approved["home_visit.csv"])[0]["ReviewState"] == "approved"
    later = tables(client.get(ZIP + "?$filter=__system/submissionDate gt 2999-01-01",
                              headers=headers))
    assert len(later["home_visit.csv"]) == 1 and len(later["home_visit-member.csv"]) == 1


def test_a_village_supervisor_exports_only_her_villages(client, publish, personas, login):
    publish(survey())
    assert phone(client, personas, "worker_a").submit(survey_instance("uuid:a")).status_code == 201
    assert phone(client, personas, "worker_b").submit(survey_instance("uuid:b")).status_code == 201
    url = "/v1/projects/1/forms/survey/submissions.csv.zip"
    mine = tables(client.get(url, headers=login("supervisor")))
    assert [r["KEY"] for r in as_dicts(mine["survey.csv"])] == ["uuid:a"]
    assert {r["PARENT_KEY"] for r in as_dicts(mine["survey-person.csv"])} == {"uuid:a"}
    everyone = tables(client.get(url, headers=login("viewer")))
    assert sorted(r["KEY"] for r in as_dicts(everyone["survey.csv"])) == ["uuid:a", "uuid:b"]


def test_nested_repeats_get_their_own_tables_with_keys(client, publish, personas, login):
    publish(survey())
    assert phone(client, personas, "worker_a").submit(survey_instance("uuid:a")).status_code == 201
    got = tables(client.get("/v1/projects/1/forms/survey/submissions.csv.zip",
                            headers=login("admin")))
    assert list(got) == ["survey.csv", "survey-person.csv", "survey-visit.csv"]
    assert got["survey-visit.csv"] == [
        ["day", "PARENT_KEY", "KEY"],
        ["2026-01-01", "uuid:a/hh/person[1]", "uuid:a/hh/person[1]/visit[1]"],
        ["2026-02-01", "uuid:a/hh/person[1]", "uuid:a/hh/person[1]/visit[2]"]]
    root = as_dicts(got["survey.csv"])[0]
    assert (root["place-Latitude"], root["place-Accuracy"], root["pets"]) == ("31.2", "10",
                                                                             "cat dog")


def test_deleted_fields_come_back_after_the_current_ones(client, publish, personas, login):
    publish(survey("1"))
    assert phone(client, personas, "worker_a").submit(survey_instance("uuid:a")).status_code == 201
    publish(survey("2", with_old=False))
    url = "/v1/projects/1/forms/survey/submissions.csv"
    headers = login("admin")
    current = list(csv.reader(io.StringIO(client.get(url, headers=headers).get_data(as_text=True))))
    assert "old_q" not in current[0]
    merged = list(csv.reader(io.StringIO(
        client.get(url + "?deletedFields=true", headers=headers).get_data(as_text=True))))
    assert merged[0][merged[0].index("meta-instanceID") + 1] == "old_q"
    assert dict(zip(merged[0], merged[1]))["old_q"] == "gone"
    assert dict(zip(merged[0], merged[1]))["FormVersion"] == "1"


def test_media_files_go_under_media_unless_left_out(client, simple_form, collect, login):
    xml = make_instance(values={"name": "a", "photo": "p.jpg"})
    assert collect.submit(xml, files={"p.jpg": b"\xff\xd8 jpeg"}).status_code == 201
    url = "/v1/projects/1/forms/simple/submissions.csv.zip"
    headers = login("admin")
    response = client.get(url, headers=headers)
    with zipfile.ZipFile(io.BytesIO(response.data)) as z:
        assert z.namelist() == ["simple.csv", "media/p.jpg"]
        assert z.read("media/p.jpg") == b"\xff\xd8 jpeg"
        row = as_dicts(list(csv.reader(io.StringIO(z.read("simple.csv").decode()))))[0]
    assert (row["photo"], row["AttachmentsPresent"], row["AttachmentsExpected"]) == \
        ("p.jpg", "1", "1")
    with zipfile.ZipFile(io.BytesIO(client.get(url + "?attachments=false",
                                               headers=headers).data)) as z:
        assert z.namelist() == ["simple.csv"]


def test_each_export_is_one_audit_row_with_format_filters_and_rows(visits, client, login, db):
    client.get(ZIP + "?attachments=false&$filter=__system/reviewState eq null",
               headers=login("viewer"))
    client.get("/v1/projects/1/datasets/people/entities.csv", headers=login("viewer"))
    rows = db.session.scalars(select(AuditEvent).where(AuditEvent.action.in_(
        ("submission.export", "entity.export"))).order_by(AuditEvent.id)).all()
    assert [(r.action, r.details["format"]) for r in rows] == [
        ("submission.export", "csv.zip (no attachments)"), ("entity.export", "csv")]
    assert rows[0].details["rows"] == 2
    assert rows[0].details["filters"] == {"attachments": False,
                                          "filter": "__system/reviewState eq null"}
    assert rows[0].target.startswith("form:") and rows[1].target.startswith("dataset:")


@pytest.mark.parametrize("url", [ZIP, "/v1/projects/1/forms/home_visit/submissions.csv",
                                 "/v1/projects/1/datasets/people/entities.csv"])
def test_app_users_may_not_export(town, client, url):
    response = client.get(f"{url}?st={town.personas['worker_a'].token}")
    assert response.status_code == 403


@pytest.mark.parametrize("query, code", [
    ("?attachments=maybe", "400.79"), ("?unknown=1", "400.79"), ("?1=passphrase", "400.79"),
    ("?$filter=__system/reviewState eq", None), ("?$filter=nosuchfield eq 1", None)])
def test_a_bad_query_is_a_400_never_a_500(visits, client, login, query, code):
    response = client.get(ZIP + query, headers=login("admin"))
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.json["code"] == code or (code is None and
                                             response.json["code"].startswith("400.19"))


def test_unknown_form_and_list_are_404(town, client, login):
    headers = login("admin")
    assert client.get("/v1/projects/1/forms/nope/submissions.csv.zip",
                      headers=headers).status_code == 404
    assert client.get("/v1/projects/1/datasets/nope/entities.csv",
                      headers=headers).status_code == 404


def test_entities_csv_has_centrals_admin_shape_scoped_to_villages(visits, client, login, db):
    from app.register.models import Dataset, Entity
    people = db.session.scalar(select(Dataset).where(Dataset.name == "people"))
    properties = [p.name for p in people.properties]
    response = client.get("/v1/projects/1/datasets/people/entities.csv",
                          headers=login("supervisor"))
    assert response.status_code == 200
    table = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert table[0] == ["__id", "label", *properties, "__createdAt", "__creatorId",
                        "__creatorName", "__updates", "__updatedAt", "__version"]
    supervisor_sees = {e.uuid for e in db.session.scalars(select(Entity).where(
        Entity.dataset_id == people.id, Entity.deleted_at.is_(None),
        Entity.area_id == _area(db, "dongwan")))}
    assert {r["__id"] for r in as_dicts(table)} == supervisor_sees
    newborn = next(r for r in as_dicts(table) if r["label"] == "王小妹")
    assert (newborn["__creatorName"], newborn["__version"], newborn["__updates"],
            newborn["sex"]) == ("worker_a", "1", "0", "female")
    everyone = client.get("/v1/projects/1/datasets/people/entities.csv", headers=login("admin"))
    assert len(list(csv.reader(io.StringIO(everyone.get_data(as_text=True))))) >= len(table)


def _area(db, code):
    from app.projects.models import Area
    return db.session.scalar(select(Area.id).where(Area.code == code))


def test_keyset_batches_lose_no_submission_that_shares_an_arrival_time(client, publish, db):
    """Batches continue after (created_at, id): submissions arriving in the same instant, split
    across batches, are each read once."""
    from datetime import datetime

    from app.exports import reading
    from app.submissions.models import Submission, SubmissionDef
    published = publish(survey())
    same = datetime(2026, 5, 1, 8, 0, 0)
    for i in range(7):
        submission = Submission(form_id=published.form.id, instance_id=f"uuid:t{i}",
                                submitter_kind="user", created_at=same if i < 5 else
                                datetime(2026, 5, 1, 9, i))
        db.session.add(submission)
        db.session.flush()
        db.session.add(SubmissionDef(submission_id=submission.id, form_id=published.form.id,
                                     form_version_id=published.version.id,
                                     instance_id=f"uuid:t{i}", xml=survey_instance().decode(),
                                     xml_sha256="x", submitter_kind="user"))
    db.session.commit()
    selection = reading.Selection(form_id=published.form.id, area_ids=None)
    got = [r.instance_id for batch in reading.batches(db.engine, selection, batch=2)
           for r in batch]
    assert sorted(got) == [f"uuid:t{i}" for i in range(7)]
    assert got[:2] == ["uuid:t6", "uuid:t5"] and got[2:] == [f"uuid:t{i}" for i in (4, 3, 2, 1, 0)]
