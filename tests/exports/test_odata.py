"""The OData feeds (app/api/odata_views.py) through Flask's test client on the real database:
documents shaped as Central's (its test/integration/api/odata.js), the Submissions table and
its repeat tables, paging, $count, $filter, $select, $expand=*, $wkt, village scope, app users
refused, and one audit row per read."""
import hashlib
import json

import pytest
from lxml import etree
from sqlalchemy import select

from app.audit.models import AuditEvent
from tests.collect import CollectClient

NS = ('xmlns="http://www.w3.org/2002/xforms" xmlns:h="http://www.w3.org/1999/xhtml" '
      'xmlns:jr="http://openrosa.org/javarosa" xmlns:odk="http://www.opendatakit.org/xforms"')

VISIT = f"""<?xml version="1.0"?>
<h:html {NS}><h:head><h:title>Visit</h:title><model>
<instance><data id="visit" version="1">
<village/><age/><weight/><where/><visited/><at/>
<household><head/><members jr:template=""><name/><children jr:template=""><cname/></children>
</members></household>
<meta><instanceID/></meta></data></instance>
<bind nodeset="/data/village" type="string"/>
<bind nodeset="/data/age" type="int"/>
<bind nodeset="/data/weight" type="decimal"/>
<bind nodeset="/data/where" type="geopoint"/>
<bind nodeset="/data/visited" type="date"/>
<bind nodeset="/data/at" type="dateTime"/>
<bind nodeset="/data/household/head" type="string"/>
<bind nodeset="/data/household/members/name" type="string"/>
<bind nodeset="/data/household/members/children/cname" type="string"/>
<bind nodeset="/data/meta/instanceID" type="string" readonly="true()" jr:preload="uid"/>
</model></h:head><h:body>
<input ref="/data/village"><label>v</label></input>
<group ref="/data/household"><label>h</label>
<group ref="/data/household/members"><label>m</label>
<repeat nodeset="/data/household/members"><input ref="/data/household/members/name"><label>n</label></input>
<group ref="/data/household/members/children"><label>c</label>
<repeat nodeset="/data/household/members/children"><input ref="/data/household/members/children/cname"><label>c</label></input></repeat>
</group></repeat></group></group>
</h:body></h:html>""".encode()


def visit(instance_id, village="dongwan", age="30", members=(), head="王",
          at="2024-01-31T08:00:00.000+08:00"):
    inner = "".join(
        f"<members><name>{name}</name>"
        + "".join(f"<children><cname>{c}</cname></children>" for c in kids) + "</members>"
        for name, kids in members)
    return (f'<data id="visit" version="1"><village>{village}</village><age>{age}</age>'
            f'<weight>61.5</weight><where>23.1 113.2 10 5</where><visited>2024-01-31</visited>'
            f'<at>{at}</at>'
            f'<household><head>{head}</head>{inner}</household>'
            f'<meta><instanceID>{instance_id}</instanceID></meta></data>').encode()


@pytest.fixture
def visits(publish, client, personas):
    """Three submissions: two in dongwan (one with repeats), one in xishan."""
    publish(VISIT, filename="visit.xml")
    a = CollectClient(client, f"/v1/key/{personas['worker_a'].token}/projects/1")
    b = CollectClient(client, f"/v1/key/{personas['worker_b'].token}/projects/1")
    assert a.submit(visit("uuid:one", members=[("甲", ["a1", "a2"]), ("乙", [])])).status_code == 201
    assert a.submit(visit("uuid:two", age="41")).status_code == 201
    assert b.submit(visit("uuid:three", village="xishan", age="x",
                                         at="2024-01-31T08:00:00.000+08")).status_code == 201
    return client


def _get(client, url, headers):
    response = client.get(url, headers=headers)
    return response, (json.loads(response.get_data()) if response.mimetype == "application/json"
                      else None)


BASE = "/v1/projects/1/forms/visit.svc"


def sha(*parts):
    return hashlib.sha1("%%".join(parts).encode()).hexdigest()


def test_service_document_lists_submissions_and_each_repeat(visits, login):
    response, body = _get(visits, BASE, login("admin"))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json; charset=utf-8; odata.metadata=minimal"
    assert response.headers["OData-Version"] == "4.0"
    assert body == {"@odata.context": "http://localhost/v1/projects/1/forms/visit.svc/$metadata",
                    "value": [{"name": "Submissions", "kind": "EntitySet", "url": "Submissions"},
                              {"name": "Submissions.household.members", "kind": "EntitySet",
                               "url": "Submissions.household.members"},
                              {"name": "Submissions.household.members.children",
                               "kind": "EntitySet",
                               "url": "Submissions.household.members.children"}]}


def test_metadata_is_central_edmx_with_types_and_parent_keys(visits, login):
    response = visits.get(f"{BASE}/$metadata", headers=login("admin"))
    assert response.status_code == 200 and response.mimetype == "application/xml"
    doc = etree.fromstring(response.get_data())
    edm = {"edm": "http://docs.oasis-open.org/odata/ns/edm"}
    schema = doc.find(".//edm:Schema[@Namespace='org.opendatakit.user.visit']", edm)
    types = {p.get("Name"): p.get("Type") for p in schema.find(
        "edm:EntityType[@Name='Submissions']", edm)}
    assert types == {None: None, "__id": "Edm.String",
                     "__system": "org.opendatakit.submission.metadata",
                     "village": "Edm.String", "age": "Edm.Int64", "weight": "Edm.Decimal",
                     "where": "Edm.GeographyPoint", "visited": "Edm.Date",
                     "at": "Edm.DateTimeOffset",
                     "household": "org.opendatakit.user.visit.household",
                     "meta": "org.opendatakit.user.visit.meta"}
    household = schema.find("edm:ComplexType[@Name='household']", edm)
    nav = household.find("edm:NavigationProperty", edm)
    assert (nav.get("Name"), nav.get("Type")) == (
        "members", "Collection(org.opendatakit.user.visit.Submissions.household.members)")
    members = schema.find("edm:EntityType[@Name='Submissions.household.members']", edm)
    assert [p.get("Name") for p in members.findall("edm:Property", edm)] == [
        "__id", "__Submissions-id", "name"]
    children = schema.find("edm:EntityType[@Name='Submissions.household.members.children']", edm)
    assert [p.get("Name") for p in children.findall("edm:Property", edm)] == [
        "__id", "__Submissions-household-members-id", "cname"]
    container = schema.find("edm:EntityContainer", edm)
    assert container.get("Name") == "visit"
    assert [s.get("Name") for s in container.findall("edm:EntitySet", edm)] == [
        "Submissions", "Submissions.household.members", "Submissions.household.members.children"]


def test_submissions_rows_as_central_shapes_them(visits, login, personas):
    response, body = _get(visits, f"{BASE}/Submissions", login("admin"))
    assert response.status_code == 200
    assert body["@odata.context"] == ("http://localhost/v1/projects/1/forms/visit.svc/"
                                      "$metadata#Submissions")
    assert "@odata.count" not in body and "@odata.nextLink" not in body
    # newest first, as Central
    assert [r["__id"] for r in body["value"]] == ["uuid:three", "uuid:two", "uuid:one"]
    one = body["value"][2]
    system = one.pop("__system")
    assert one == {
        "__id": "uuid:one", "village": "dongwan", "age": 30, "weight": 61.5,
        "where": {"type": "Point", "coordinates": [113.2, 23.1, 10],
                  "properties": {"accuracy": 5}},
        "visited": "2024-01-31", "at": "2024-01-31T08:00:00.000+08:00",
        "household": {"head": "王", "members@odata.navigationLink":
                      "Submissions('uuid%3Aone')/household/members"},
        "meta": {"instanceID": "uuid:one"}}
    assert system["submitterId"] == str(personas["worker_a"].id)
    assert system["submitterName"] == "worker_a"
    assert system["reviewState"] is None and system["status"] is None
    assert system["edits"] == 0 and system["formVersion"] == "1"
    assert system["deviceId"] == "collect:abc" and system["deletedAt"] is None
    assert system["attachmentsPresent"] == 0 and system["attachmentsExpected"] == 0
    assert system["submissionDate"].endswith("Z")
    # an int that is not one is a null, as Central's parseInt gives NaN → null; Collect's
    # +08 offset is written +08:00
    assert body["value"][0]["age"] is None
    assert body["value"][0]["at"] == "2024-01-31T08:00:00.000+08:00"
    # a submission without repeats has a frame of nulls, not missing keys
    assert body["value"][1]["household"] == {"head": "王"}


def test_repeat_tables_carry_central_ids_and_parent_keys(visits, login):
    _, body = _get(visits, f"{BASE}/Submissions.household.members", login("admin"))
    first = sha("Submissions#uuid:one", "household#", "members#0")
    second = sha("Submissions#uuid:one", "household#", "members#1")
    assert body["value"] == [
        {"name": "甲", "__id": first, "__Submissions-id": "uuid:one",
         "children@odata.navigationLink":
             f"Submissions('uuid%3Aone')/household/members('{first}')/children"},
        {"name": "乙", "__id": second, "__Submissions-id": "uuid:one"}]
    _, body = _get(visits, f"{BASE}/Submissions.household.members.children", login("admin"))
    assert [(r["cname"], r["__Submissions-household-members-id"]) for r in body["value"]] == [
        ("a1", first), ("a2", first)]
    assert body["value"][1]["__id"] == sha("Submissions#uuid:one", "household#", "members#0",
                                           "children#1")


def test_expand_star_nests_every_repeat(visits, login):
    _, body = _get(visits, f"{BASE}/Submissions?$expand=*&$filter=__id eq 'uuid:one'",
                   login("admin"))
    [one] = body["value"]
    members = one["household"]["members"]
    assert [m["name"] for m in members] == ["甲", "乙"]
    assert [c["cname"] for c in members[0]["children"]] == ["a1", "a2"]


def test_one_submission_and_its_repeat_by_key(visits, login):
    response, body = _get(visits, f"{BASE}/Submissions('uuid:one')", login("admin"))
    assert response.status_code == 200
    assert [r["__id"] for r in body["value"]] == ["uuid:one"]
    _, body = _get(visits, f"{BASE}/Submissions('uuid:one')/household/members", login("admin"))
    assert [r["name"] for r in body["value"]] == ["甲", "乙"]
    assert visits.get(f"{BASE}/Submissions('uuid:nope')", headers=login("admin")).status_code == 404
    assert visits.get(f"{BASE}/Submissions.nothing", headers=login("admin")).status_code == 404


def test_top_skip_count_and_next_link_walk_every_row(visits, login):
    headers = login("admin")
    response, body = _get(visits, f"{BASE}/Submissions?$top=2&$count=true", headers)
    assert body["@odata.count"] == 3
    assert [r["__id"] for r in body["value"]] == ["uuid:three", "uuid:two"]
    link = body["@odata.nextLink"]
    assert link.startswith("http://localhost/v1/projects/1/forms/visit.svc/Submissions?")
    assert "%24skiptoken=01" in link and "%24top=2" in link
    _, body = _get(visits, link.removeprefix("http://localhost"), headers)
    assert [r["__id"] for r in body["value"]] == ["uuid:one"]
    assert "@odata.nextLink" not in body and body["@odata.count"] == 3
    _, body = _get(visits, f"{BASE}/Submissions?$skip=1&$top=1", headers)
    assert [r["__id"] for r in body["value"]] == ["uuid:two"] and "@odata.nextLink" in body
    _, body = _get(visits, f"{BASE}/Submissions?$top=0&$count=true", headers)
    assert body["value"] == [] and body["@odata.count"] == 3


def test_repeat_table_pages_by_row(visits, login):
    headers = login("admin")
    _, body = _get(visits, f"{BASE}/Submissions.household.members.children?$top=1&$count=true",
                   headers)
    assert [r["cname"] for r in body["value"]] == ["a1"] and body["@odata.count"] == 2
    _, body = _get(visits, body["@odata.nextLink"].removeprefix("http://localhost"), headers)
    assert [r["cname"] for r in body["value"]] == ["a2"] and "@odata.nextLink" not in body


def test_filter_on_system_fields_and_bad_filters_are_400(visits, login):
    headers = login("admin")
    _, body = _get(visits, f"{BASE}/Submissions?$filter=__system/reviewState eq null and "
                   f"year(__system/submissionDate) ge 2024&$count=true", headers)
    assert body["@odata.count"] == 2      # three has issues (its age is no int)
    _, body = _get(visits, f"{BASE}/Submissions?$filter=__system/reviewState ne 'hasIssues'",
                   headers)
    assert [r["__id"] for r in body["value"]] == ["uuid:two", "uuid:one"]
    response, body = _get(visits, f"{BASE}/Submissions?$filter=age gt 3", headers)
    assert response.status_code == 400 and body["code"] == "400.192"
    response, body = _get(visits, f"{BASE}/Submissions?$filter=substringof('a',__id)", headers)
    assert response.status_code == 501 and body["code"] == "501.191"
    response, body = _get(visits, f"{BASE}/Submissions?$orderby=age", headers)
    assert response.status_code == 400 and body["code"] == "400.195"
    response, body = _get(visits, f"{BASE}/Submissions?$skiptoken=garbage", headers)
    assert response.status_code == 400 and body["code"] == "400.197"
    response, body = _get(visits, f"{BASE}/Submissions?$expand=household", headers)
    assert response.status_code == 501
    response, body = _get(visits, f"{BASE}/Submissions?$apply=x", headers)
    assert response.status_code == 400 and body["code"] == "400.79"


def test_orderby_oldest_first(visits, login):
    _, body = _get(visits, f"{BASE}/Submissions?$orderby=__system/submissionDate asc",
                   login("admin"))
    assert [r["__id"] for r in body["value"]] == ["uuid:one", "uuid:two", "uuid:three"]


def test_select_keeps_named_fields_groups_and_system(visits, login):
    headers = login("admin")
    _, body = _get(visits, f"{BASE}/Submissions?$select=__id,age,household/head,"
                   f"__system/submitterId&$filter=__id eq 'uuid:two'", headers)
    [row] = body["value"]
    assert row == {"__id": "uuid:two", "age": 41, "household": {"head": "王"},
                   "__system": {"submitterId": row["__system"]["submitterId"]}}
    _, body = _get(visits, f"{BASE}/Submissions?$select=meta&$filter=__id eq 'uuid:two'",
                   headers)
    assert body["value"] == [{"meta": {"instanceID": "uuid:two"}}]
    response, body = _get(visits, f"{BASE}/Submissions?$select=nothing", headers)
    assert response.status_code == 400 and body["code"] == "400.196"


def test_wkt_gives_well_known_text(visits, login):
    _, body = _get(visits, f"{BASE}/Submissions?$wkt=true&$select=where&$top=1", login("admin"))
    assert body["value"][0]["where"] == "POINT (113.2 23.1 10)"


def test_village_staff_read_only_their_villages(visits, login):
    _, body = _get(visits, f"{BASE}/Submissions?$count=true", login("supervisor"))
    assert [r["__id"] for r in body["value"]] == ["uuid:two", "uuid:one"]
    assert body["@odata.count"] == 2
    response = visits.get(f"{BASE}/Submissions('uuid:three')", headers=login("supervisor"))
    assert response.status_code == 404


def test_app_users_and_strangers_are_refused(visits, personas):
    token = personas["worker_a"].token
    assert visits.get(f"/v1/key/{token}/projects/1/forms/visit.svc/Submissions").status_code \
        in (403, 404)
    assert visits.get(f"{BASE}/Submissions?st={token}").status_code == 403
    assert visits.get(f"{BASE}/Submissions").status_code == 401
    assert visits.get(BASE).status_code == 401
    assert visits.get(f"{BASE}/$metadata").status_code == 401


def test_basic_auth_over_https_as_excel_sends_it(visits):
    import base64
    basic = base64.b64encode(b"viewer:viewer-password").decode()
    response = visits.get(f"{BASE}/Submissions", headers={"Authorization": f"Basic {basic}"},
                          base_url="https://localhost")
    assert response.status_code == 200
    assert len(json.loads(response.get_data())["value"]) == 3


def test_every_feed_read_is_one_audit_row(visits, login, db, personas):
    headers = login("viewer")
    visits.get(f"{BASE}/Submissions?$top=1&$filter=__id ne 'x'", headers=headers).get_data()
    visits.get(f"{BASE}/Submissions.household.members", headers=headers).get_data()
    rows = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "submission.odata")
                              .order_by(AuditEvent.id)).all()
    assert [(r.actor_id, r.details["table"]) for r in rows] == [
        (personas["viewer"].id, "Submissions"), (personas["viewer"].id,
                                                 "Submissions.household.members")]
    assert rows[0].details["filter"] == "__id ne 'x'" and rows[0].details["top"] == 1


def test_deleted_submissions_only_when_the_filter_asks(visits, login, db):
    from app.db.columns import utcnow
    from app.submissions.models import Submission
    row = db.session.scalar(select(Submission).where(Submission.instance_id == "uuid:two"))
    row.deleted_at = utcnow()
    db.session.commit()
    headers = login("admin")
    _, body = _get(visits, f"{BASE}/Submissions", headers)
    assert [r["__id"] for r in body["value"]] == ["uuid:three", "uuid:one"]
    _, body = _get(visits, f"{BASE}/Submissions?$filter=__system/deletedAt ne null", headers)
    assert [r["__id"] for r in body["value"]] == ["uuid:two"]
    assert body["value"][0]["__system"]["deletedAt"].endswith("Z")


@pytest.mark.database_independent
def test_feed_writes_rows_in_chunks_while_it_reads_them():
    from app.exports.odata import feed
    pulled = []

    def rows():
        for n in range(20000):
            pulled.append(n)
            yield {"__id": f"uuid:{n}", "text": "x" * 40}
    chunks = feed(rows(), "ctx", next_link=lambda: "next", count=lambda: len(pulled))
    first = next(chunks)
    # the first chunk leaves while most rows are still unread: memory holds a chunk, not a page
    assert 0 < len(pulled) < 2000 and len(first) <= 64 * 1024 + 200
    body = first + b"".join(chunks)
    doc = json.loads(body)
    assert len(doc["value"]) == 20000 and doc["@odata.count"] == 20000
    assert doc["@odata.nextLink"] == "next" and doc["@odata.context"] == "ctx"
    assert json.loads(b"".join(feed(iter(()), "ctx"))) == {"value": [], "@odata.context": "ctx"}


@pytest.mark.database_independent
@pytest.mark.parametrize("form", ["home_visit", "three_checks", "person"])
def test_emptying_repeats_before_parsing_changes_no_submissions_row(form):
    """The Submissions table's shortcut (each repeat's instances emptied in the text before
    parsing) gives the rows the full parse gives, on every sample of the town's forms."""
    import os

    from pyxform.xls2xform import convert

    from app.exports import fields as export_fields
    from app.exports import odata
    from tests.samples import SAMPLES, instance
    xform = convert(xlsform=os.path.join("forms", f"{form}.xlsx")).xform
    found = odata.form_fields(export_fields.form_fields(xform))
    facts = odata.SubmissionFacts("uuid:x", None, None, None, 1, "a", 0, 0, None, None, 0, "1")
    samples = [name for name, s in SAMPLES.items() if s.form == form]
    assert samples
    for name in samples:
        fast = odata.Shaper(found, "Submissions")
        full = odata.Shaper(found, "Submissions")
        full._hollow = ()
        assert fast._hollow or form != "home_visit"     # its members are emptied
        xml = instance(name)
        assert fast.rows(facts, xml) == full.rows(facts, xml), name


def test_a_form_id_with_a_slash_and_percent_has_its_feeds(publish, client, personas, login):
    """pyodk's own suite names a form "'=+/*-451%/%": its feeds route, and the service root
    in each document is escaped as Central's encodeURIComponent escapes it."""
    odd = "'=+/*-451%/%"
    publish(VISIT.replace(b'id="visit"', f'id="{odd}"'.encode()), filename="odd.xml")
    phone = CollectClient(client, f"/v1/key/{personas['worker_a'].token}/projects/1")
    xml = visit("uuid:odd").replace(b'id="visit"', f'id="{odd}"'.encode())
    assert phone.submit(xml).status_code == 201
    base = "/v1/projects/1/forms/%27%3D%2B%2F*-451%25%2F%25.svc"
    response, body = _get(client, base, login("admin"))
    assert response.status_code == 200
    assert body["@odata.context"] == f"http://localhost{base.replace('%27', chr(39))}/$metadata"
    assert _get(client, f"{base}/", login("admin"))[1] == body     # Excel adds the slash
    response, body = _get(client, f"{base}/Submissions", login("admin"))
    assert [row["__id"] for row in body["value"]] == ["uuid:odd"]
    assert body["@odata.context"].startswith(f"http://localhost/v1/projects/1/forms/'%3D%2B%2F*")
