"""Submissions written over Central's JSON API (issue 22, part 3): POST of XML, PUT of a new
version, attachment upload; Central's shapes and codes, Doorstep's intake underneath
(idempotent on instanceID, validated, merged, scoped to the writer's villages, audited)."""
import uuid

from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.submissions.models import Submission, SubmissionDef
from tests.events.conftest import FORM_ID as PROBE, probe_form  # noqa: F401 - a fixture
from tests.events.test_record import events, probe
from tests.factories import make_instance, make_xform, new_instance_id

BASE = "/v1/projects/1/forms/simple/submissions"
XML = {"Content-Type": "application/xml"}


def post(client, headers, xml, url=BASE):
    return client.post(url, data=xml, headers={**headers, **XML})


def put(client, headers, iid, xml, url=BASE):
    return client.put(f"{url}/{iid}", data=xml, headers={**headers, **XML})


def audit(db, action):
    db.session.rollback()
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                              .order_by(AuditEvent.id)).all()


def defs(db, iid):
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(SubmissionDef).join(
        Submission, Submission.id == SubmissionDef.submission_id)
        .where(Submission.instance_id == iid))


def test_post_answers_centrals_submission_and_is_readable_afterwards(client, db, simple_form,
                                                                      login, personas):
    headers = login("admin")
    iid = new_instance_id()
    response = client.post(f"{BASE}?deviceID=pyodk:1", headers={**headers, **XML},
                           data=make_instance(instance_id=iid, values={"village": "dongwan"}))
    assert response.status_code == 200, response.json
    body = response.json
    assert (body["instanceId"], body["submitterId"]) == (iid, personas["admin"].id)
    assert (body["deviceId"], body["reviewState"]) == ("pyodk:1", None)
    assert body["createdAt"].endswith("Z") and body["currentVersion"]["instanceId"] == iid
    assert client.get(f"{BASE}/{iid}", headers=headers).json["instanceId"] == iid
    [created] = audit(db, "submission.create")
    assert (created.actor_id, created.details["instanceId"]) == (personas["admin"].id, iid)


def test_the_same_xml_again_is_a_retry_other_xml_under_its_instance_id_is_409_3(
        client, db, simple_form, login):
    headers = login("admin")
    iid = new_instance_id()
    xml = make_instance(instance_id=iid, values={"name": "a"})
    first = post(client, headers, xml)
    again = post(client, headers, xml)
    assert again.status_code == 200 and again.json == first.json
    other = post(client, headers, make_instance(instance_id=iid, values={"name": "b"}))
    assert other.status_code == 409 and other.json["code"] == "409.3"
    assert other.json["details"] == {"uuid": iid}
    assert defs(db, iid) == 1 and len(audit(db, "submission.create")) == 1


def test_xml_that_cannot_be_read_or_names_no_form_is_a_400_and_stores_nothing(
        client, db, simple_form, login):
    headers = login("admin")
    assert post(client, headers, b"<data id='simple'><meta>").json["code"] == "400.2"
    assert post(client, headers, b"<!DOCTYPE d [<!ENTITY e 'x'>]><data id='simple'/>"
                ).json["code"] == "400.2"
    assert post(client, headers, b"<data><meta/></data>").json["code"] == "400.8"
    assert post(client, headers, b"").status_code == 400
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Submission)) == 0


def test_xml_of_another_form_is_400_241_and_an_unknown_form_404_2(client, db, simple_form,
                                                                   publish, login):
    publish(make_xform("other", "1"))
    headers = login("admin")
    wrong = post(client, headers, make_instance("other", "1"), url=BASE)
    assert wrong.status_code == 400 and wrong.json["code"] == "400.241"
    assert wrong.json["details"] == {"value": "other", "form": "simple"}
    missing = post(client, headers, make_instance(), url="/v1/projects/1/forms/nope/submissions")
    assert missing.status_code == 404 and missing.json["code"] == "404.2"
    unknown_version = post(client, headers, make_instance(version="9"))
    assert unknown_version.json["code"] == "404.6"


def test_put_adds_a_version_and_the_chain_refuses_a_stale_or_missing_deprecated_id(
        client, db, simple_form, login):
    headers = login("supervisor")
    root, second, third = new_instance_id(), new_instance_id(), new_instance_id()
    post(client, headers, make_instance(instance_id=root, values={"village": "dongwan"}))
    edit = make_instance(instance_id=second, deprecated_id=root,
                         values={"name": "changed", "village": "dongwan"})
    response = put(client, headers, root, edit)
    assert response.status_code == 200, response.json
    assert response.json["instanceId"] == root and response.json["reviewState"] == "edited"
    assert response.json["currentVersion"]["instanceId"] == second
    assert put(client, headers, root, edit).json == response.json        # a retry
    stale = put(client, headers, root, make_instance(instance_id=third, deprecated_id=root))
    assert stale.status_code == 409 and stale.json["code"] == "409.9"
    none = put(client, headers, root, make_instance(instance_id=third))
    assert none.status_code == 400 and none.json["code"] == "400.19"
    taken = put(client, headers, root, make_instance(instance_id=second, deprecated_id=root,
                                                     values={"name": "other"}))
    assert taken.status_code == 409 and taken.json["code"] == "409.3"
    assert put(client, headers, new_instance_id(), edit).json["code"] == "404.1"
    # the first version's XML again: its instanceID is taken by a version since replaced
    replaced = post(client, headers, make_instance(instance_id=root, values={"village": "dongwan"}))
    assert replaced.status_code == 409 and replaced.json["code"] == "409.3"
    assert defs(db, root) == 2
    [version] = audit(db, "submission.update.version")
    assert version.details == {"instanceId": second, "deprecatedId": root}
    xml = client.get(f"{BASE}/{root}.xml", headers=headers).data
    assert b"<name>changed</name>" in xml


def test_put_is_validated_and_merged_again_as_a_phones_edit_is(client, db, probe_form, login):
    base = f"/v1/projects/1/forms/{PROBE}/submissions"
    headers = login("admin")
    first, second, third = new_instance_id(), new_instance_id(), new_instance_id()
    person = str(uuid.uuid4())
    assert post(client, headers, probe(first, person=person), url=base).status_code == 200
    assert [e.person for e in events(db)] == [person]
    bad = put(client, headers, first, probe(second, deprecated_id=first, weeks="99"), url=base)
    assert bad.json["reviewState"] == "hasIssues"
    assert [i["path"] for i in bad.json["issues"]] == ["/data/weeks"]
    assert events(db) == []                  # held for review: the old version's events went
    fixed = put(client, headers, first, probe(third, deprecated_id=second, person=person,
                                              event_date="2026-11-21"), url=base)
    assert fixed.json["reviewState"] == "edited" and fixed.json["issues"] == []
    assert [(e.person, str(e.occurred_on)) for e in events(db)] == [(person, "2026-11-21")]


def test_attachments_only_the_ones_the_xml_names_and_listed_with_exists(
        client, db, simple_form, login):
    headers = login("admin")
    iid = new_instance_id()
    created = post(client, headers, make_instance(instance_id=iid, values={"photo": "p.jpg"}))
    assert (created.json["attachmentsPresent"], created.json["attachmentsExpected"]) == (0, 1)
    listed = f"{BASE}/{iid}/attachments"
    assert client.get(listed, headers=headers).json == [{"name": "p.jpg", "exists": False}]
    uploaded = client.post(f"{listed}/p.jpg", data=b"\xff\xd8 jpeg",
                           headers={**headers, "Content-Type": "image/jpeg"})
    assert uploaded.status_code == 200 and uploaded.json == {"success": True}
    assert client.get(listed, headers=headers).json == [{"name": "p.jpg", "exists": True}]
    assert client.get(f"{listed}/p.jpg", headers=headers).data == b"\xff\xd8 jpeg"
    unexpected = client.post(f"{listed}/other.jpg", data=b"x", headers=headers)
    assert unexpected.status_code == 404 and unexpected.json["code"] == "404.1"
    [event] = audit(db, "submission.attachment.update")
    assert event.details == {"instanceId": iid, "names": ["p.jpg"], "replaced": False}


def test_an_edit_carries_the_attachments_over_and_a_file_goes_to_the_current_version(
        client, db, simple_form, login):
    headers = login("admin")
    root, second = new_instance_id(), new_instance_id()
    post(client, headers, make_instance(instance_id=root, values={"photo": "p.jpg"}))
    client.post(f"{BASE}/{root}/attachments/p.jpg", data=b"one", headers=headers)
    put(client, headers, root, make_instance(instance_id=second, deprecated_id=root,
                                             values={"name": "n", "photo": "p.jpg"}))
    assert client.get(f"{BASE}/{root}/attachments/p.jpg", headers=headers).data == b"one"
    client.post(f"{BASE}/{root}/attachments/p.jpg", data=b"two", headers=headers)
    assert client.get(f"{BASE}/{root}/attachments/p.jpg", headers=headers).data == b"two"
    assert audit(db, "submission.attachment.update")[-1].details["replaced"] is True


def test_a_village_supervisor_cannot_reach_another_villages_submission(
        client, db, simple_form, login):
    admin, supervisor = login("admin"), login("supervisor")         # supervisor: dongwan
    theirs = new_instance_id()
    post(client, admin, make_instance(instance_id=theirs, values={"village": "xishan",
                                                                  "photo": "p.jpg"}))
    edit = make_instance(instance_id=new_instance_id(), deprecated_id=theirs,
                         values={"village": "dongwan"})
    assert put(client, supervisor, theirs, edit).json["code"] == "404.1"
    assert client.post(f"{BASE}/{theirs}/attachments/p.jpg", data=b"x",
                       headers=supervisor).json["code"] == "404.1"
    # an edit posted as a new submission meets intake's own refusal
    assert post(client, supervisor, edit).json["code"] == "403.53"
    assert defs(db, theirs) == 1


def test_what_a_village_supervisor_posts_about_another_village_is_held_not_merged(
        client, db, probe_form, login):
    base = f"/v1/projects/1/forms/{PROBE}/submissions"
    iid = new_instance_id()
    response = post(client, login("supervisor"), probe(iid, village="xishan"), url=base)
    assert response.status_code == 200 and response.json["reviewState"] == "hasIssues"
    assert [i["code"] for i in response.json["issues"]] == ["outside_villages"]
    assert events(db) == []
    assert client.get(f"{base}/{iid}", headers=login("supervisor")).status_code == 404


def test_who_may_write(client, db, simple_form, login, personas):
    iid = new_instance_id()
    post(client, login("admin"), make_instance(instance_id=iid))
    edit = make_instance(instance_id=new_instance_id(), deprecated_id=iid)
    viewer = login("viewer")
    assert post(client, viewer, make_instance()).json["code"] == "403.2"
    assert put(client, viewer, iid, edit).json["code"] == "403.2"
    assert client.post(f"{BASE}/{iid}/attachments/p.jpg", data=b"x",
                       headers=viewer).json["code"] == "403.2"
    anonymous = post(client, {}, make_instance())
    assert anonymous.status_code == 401 and anonymous.json["code"] == "401.2"
    assert put(client, {}, iid, edit).status_code == 401
    # a phone's key may create, as Central's app users may, but not edit over the API
    token = {"st": personas["worker_a"].token}
    phone = client.post(BASE, query_string=token, data=make_instance(), headers=XML)
    assert phone.status_code == 200 and phone.json["submitterType"] == "app_user"
    assert client.put(f"{BASE}/{iid}", query_string=token, data=edit,
                      headers=XML).json["code"] == "403.2"
    assert defs(db, iid) == 1


def test_a_device_id_longer_than_its_column_is_refused(client, simple_form, login):
    response = client.post(f"{BASE}?deviceID={'d' * 256}", data=make_instance(),
                           headers={**login("admin"), **XML})
    assert response.status_code == 400 and response.json["code"] == "400.79"


def test_versions_newest_first_in_centrals_shape(client, db, simple_form, login, personas):
    headers = login("admin")
    root, second = new_instance_id(), new_instance_id()
    post(client, headers, make_instance(instance_id=root))
    put(client, headers, root, make_instance(instance_id=second, deprecated_id=root))
    versions = client.get(f"{BASE}/{root}/versions", headers=headers)
    assert versions.status_code == 200
    assert [(v["instanceId"], v["current"]) for v in versions.json] == [(second, True),
                                                                         (root, False)]
    assert set(versions.json[0]) == {"instanceId", "instanceName", "submitterId", "deviceId",
                                     "userAgent", "createdAt", "current"}
    assert versions.json[0]["submitterId"] == personas["admin"].id
    assert audit(db, "submission.read")[-1].details == {"part": "versions"}
    assert client.get(f"{BASE}/{root}/versions", headers=login("supervisor")).status_code == 404


def test_a_nul_in_the_url_finds_nothing_rather_than_failing(client, simple_form, login):
    headers = login("admin")
    iid = new_instance_id()
    post(client, headers, make_instance(instance_id=iid, values={"photo": "p.jpg"}))
    for response in (client.get(f"{BASE}/a%00b/comments", headers=headers),
                     client.post(f"{BASE}/a%00b/comments", json={"body": "x"}, headers=headers),
                     put(client, headers, "a%00b", make_instance(deprecated_id=iid)),
                     client.post(f"{BASE}/{iid}/attachments/p%00.jpg", data=b"x",
                                 headers=headers),
                     client.get(f"{BASE}/a%00b", headers=headers),
                     post(client, headers, make_instance(),
                          url="/v1/projects/1/forms/si%00mple/submissions")):
        assert response.status_code == 404 and response.json["code"] == "404.1"


def test_a_phones_key_may_add_only_a_missing_file_of_its_own_first_version(
        client, db, simple_form, login, personas):
    mine, others = new_instance_id(), new_instance_id()
    token = {"st": personas["worker_a"].token}
    created = client.post(BASE, query_string=token, headers=XML, data=make_instance(
        instance_id=mine, values={"village": "dongwan", "photo": "p.jpg"}))
    assert created.status_code == 200
    post(client, login("admin"), make_instance(instance_id=others,
                                               values={"village": "dongwan", "photo": "p.jpg"}))

    def upload(iid):
        return client.post(f"{BASE}/{iid}/attachments/p.jpg", query_string=token, data=b"x")
    assert upload(others).json["code"] == "403.2"
    assert upload(mine).json == {"success": True}
    assert upload(mine).json["code"] == "403.2"             # there already: a reviewer's call
    assert [e.actor_type for e in audit(db, "submission.attachment.update")] == ["app_user"]


def test_a_bare_ampersand_is_read_as_central_reads_it_and_stored_escaped(
        client, db, simple_form, login):
    """pyodk's own suite (and any script pasting values into XML) sends an instanceID such
    as "a&*()": Central takes the "&" as itself; so does the API, storing "&amp;"."""
    headers = login("admin")
    iid = f"scna+~!@#$%^&*()_+=-✅✅+{uuid.uuid4()}"
    xml = make_instance(instance_id="IID", values={"name": "R&D <b>"}).replace(
        b"IID", iid.encode())
    assert b"^&*" in xml
    first = post(client, headers, xml)
    assert first.status_code == 200, first.json
    assert first.json["instanceId"] == iid
    assert post(client, headers, xml).json == first.json           # a retry, the same answer
    stored = client.get(f"{BASE}/{iid.replace('%', '%25').replace('#', '%23')}.xml",
                        headers=headers).get_data()
    assert b"^&amp;*()" in stored and b"R&amp;D &lt;b&gt;" in stored
    assert defs(db, iid) == 1


def test_ampersands_leave_other_faults_and_real_references_as_they_were(
        client, db, simple_form, login):
    headers = login("admin")
    unclosed = b"<data id='simple'><a>x & y</a><meta><instanceID>u:1</instanceID></meta>"
    assert post(client, headers, unclosed).json["code"] == "400.2"
    undefined = make_instance(values={"name": "x"}).replace(b">x<", b">&nbsp; & y<")
    assert post(client, headers, undefined).json["code"] == "400.2"
    cdata = make_instance(instance_id="uuid:cdata").replace(
        b"<meta>", b"<name><![CDATA[a &amp; b]]></name><meta>")
    assert post(client, headers, cdata).status_code == 200
    stored = client.get(f"{BASE}/uuid:cdata.xml", headers=headers).get_data()
    assert b"<![CDATA[a &amp; b]]>" in stored                        # well-formed: untouched
