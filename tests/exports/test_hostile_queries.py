"""Review of issue 21's routes as an attacker and a confused user would use them: each test
is one finding of the review (docs: the report of branch h-review), proved on the real
database through Flask's test client."""
import pytest

from app.exports import odata
from tests.exports.test_odata import BASE, visits  # noqa: F401 - the three visits fixture

CSV = "/v1/projects/1/forms/visit/submissions.csv"


@pytest.mark.parametrize("number", ["99999999999999999999999999", "-9223372036854775809",
                                    "1e999", "-1e999"])
@pytest.mark.parametrize("url", [f"{BASE}/Submissions", CSV,
                                 "/v1/projects/1/datasets/people.svc/Entities"])
def test_a_number_too_large_for_the_database_in_a_filter_is_a_400_not_a_500(
        visits, login, number, url, publish):  # noqa: F811
    from tests.factories import make_entity_xform
    publish(make_entity_xform("register_person", "people", properties=("full_name",)))
    field = "__system/version" if "Entities" in url else "__system/submitterId"
    response = visits.get(url, query_string={"$filter": f"{field} eq {number}"},
                          headers=login("admin"))
    assert response.status_code == 400
    assert response.json["code"] == "400.191"
    assert "too large" in response.json["message"] and response.json["message_zh"]


def test_a_skiptoken_naming_another_villages_submission_tells_a_supervisor_nothing(
        visits, login):  # noqa: F811
    """uuid:three is xishan's: a crafted token naming it is answered exactly as a token
    naming a submission that never existed (else the 200 would say it exists)."""
    headers = login("supervisor")
    answers = []
    for instance_id in ("uuid:three", "uuid:never-seen"):
        token = odata.skiptoken({"instanceId": instance_id})
        response = visits.get(f"{BASE}/Submissions", query_string={"$skiptoken": token},
                              headers=headers)
        answers.append((response.status_code, response.json["code"]))
    assert answers == [(400, "400.197"), (400, "400.197")]
    # the admin, who sees xishan, resumes after it
    token = odata.skiptoken({"instanceId": "uuid:three"})
    assert visits.get(f"{BASE}/Submissions", query_string={"$skiptoken": token},
                      headers=login("admin")).status_code == 200


def test_a_skiptoken_naming_another_villages_entity_tells_a_supervisor_nothing(
        client, publish, login):
    from tests.exports.test_odata_entities import UUIDS
    from tests.factories import make_entity_xform
    publish(make_entity_xform("register_person", "people"))
    admin = login("admin")
    for uuid, village in ((UUIDS[0], "dongwan"), (UUIDS[2], "xishan")):
        assert client.post("/v1/projects/1/datasets/people/entities", headers=admin, json={
            "uuid": uuid, "label": "x", "data": {"village": village}}).status_code == 200
    url = "/v1/projects/1/datasets/people.svc/Entities"
    token = odata.skiptoken({"uuid": UUIDS[2]})
    theirs = client.get(url, query_string={"$skiptoken": token}, headers=login("supervisor"))
    assert (theirs.status_code, theirs.json["code"]) == (400, "400.197")
    assert client.get(url, query_string={"$skiptoken": token}, headers=admin).status_code == 200


def test_a_repeat_tables_skiptoken_found_in_no_row_is_a_400_before_the_body_starts(
        visits, login):  # noqa: F811
    """The repeat table reads rows to find where the token resumes; a token naming no row
    was raised from inside the streamed body, after a 200's headers."""
    token = odata.skiptoken({"repeatId": "0" * 40})
    response = visits.get(f"{BASE}/Submissions.household.members",
                          query_string={"$skiptoken": token}, headers=login("admin"))
    assert (response.status_code, response.json["code"]) == (400, "400.197")
    assert response.json["message_zh"]


def _zip_names(client, collect, login, names):
    import io
    import zipfile

    from tests.factories import make_instance
    for name in names:
        xml = make_instance(values={"name": "a", "photo": name})
        assert collect.submit(xml, files={name: b"bytes of " + name.encode()}).status_code == 201
    response = client.get("/v1/projects/1/forms/simple/submissions.csv.zip",
                          headers=login("admin"))
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.data)) as z:
        return z.namelist()


def test_no_attachment_name_puts_a_file_outside_media_in_the_zip(
        client, simple_form, collect, login):
    """Zip-slip: a phone names its files; the zip's entries stay under media/ whatever the
    names (../, a/b, absolute paths, backslashes)."""
    import posixpath
    got = _zip_names(client, collect, login,
                     ["../../evil.jpg", "a/b.jpg", "/etc/passwd.jpg", "..\\..\\win.jpg"])
    for entry in got[1:]:
        assert entry.startswith("media/") and "/" not in entry[len("media/"):]
        assert posixpath.normpath(entry).startswith("media/") and "\\" not in entry


def test_every_attachment_in_the_zip_has_a_file_name_of_its_own(
        client, simple_form, collect, login):
    got = _zip_names(client, collect, login, ["..", "con.jpg"])
    media = [n for n in got if n.startswith("media/")]
    assert len(media) == 2 and len(set(media)) == 2 and "media/" not in media


def _walk(client, url, headers):
    """Every row of a feed, following its @odata.nextLink to the end."""
    import json
    seen, pages = [], 0
    while url:
        response = client.get(url.replace("http://localhost", ""), headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)
        body = json.loads(response.get_data())
        seen += body["value"]
        url, pages = body.get("@odata.nextLink"), pages + 1
    return seen, pages


def test_the_next_link_of_a_page_in_orderby_order_is_one_the_server_answers(
        visits, login):  # noqa: F811
    """A nextLink with $orderby carried $skiptoken, which the server refuses beside $orderby
    (501): a client following the server's own link was stopped at page two."""
    headers = login("admin")
    rows, pages = _walk(visits, f"{BASE}/Submissions?$orderby=__id asc&$top=1", headers)
    assert [r["__id"] for r in rows] == ["uuid:one", "uuid:three", "uuid:two"] and pages == 3
    rows, _ = _walk(visits, f"{BASE}/Submissions?$orderby=__id desc&$top=2&$skip=1", headers)
    assert [r["__id"] for r in rows] == ["uuid:three", "uuid:one"]


def test_the_next_link_of_an_entity_page_in_orderby_order_is_one_the_server_answers(
        client, publish, login):
    from tests.exports.test_odata_entities import UUIDS
    from tests.factories import make_entity_xform
    publish(make_entity_xform("register_person", "people"))
    admin = login("admin")
    for uuid in UUIDS:
        assert client.post("/v1/projects/1/datasets/people/entities", headers=admin, json={
            "uuid": uuid, "label": "x", "data": {"village": "dongwan"}}).status_code == 200
    rows, pages = _walk(client, "/v1/projects/1/datasets/people.svc/Entities"
                        "?$orderby=__id asc&$top=1", admin)
    assert [r["__id"] for r in rows] == sorted(UUIDS) and pages == len(UUIDS)


@pytest.mark.parametrize("instance_id", ["uuid:a_b.c", "张三-1", "it's", "uuid:x y"])
def test_one_submission_is_read_by_any_instance_id_a_phone_sent(
        client, publish, personas, login, instance_id):
    """Intake keeps any instanceID; Submissions('<id>') answered 404 for one with a dot, an
    underscore, a quote or Chinese."""
    from urllib.parse import quote

    from tests.collect import CollectClient
    from tests.exports.test_odata import VISIT, visit
    from xml.sax.saxutils import escape
    publish(VISIT, filename="visit.xml")
    phone = CollectClient(client, f"/v1/key/{personas['worker_a'].token}/projects/1")
    assert phone.submit(visit(escape(instance_id), members=[("甲", [])])).status_code == 201
    key = quote(instance_id.replace("'", "''"))
    one = client.get(f"{BASE}/Submissions('{key}')", headers=login("admin"))
    assert one.status_code == 200, one.get_data(as_text=True)
    assert [r["__id"] for r in one.json["value"]] == [instance_id]
    members = client.get(f"{BASE}/Submissions('{key}')/household/members",
                         headers=login("admin"))
    assert [r["name"] for r in members.json["value"]] == ["甲"]
    theirs = client.get(f"{BASE}/Submissions('{key}')", headers=login("supervisor"))
    assert theirs.status_code == 200                 # dongwan's, which she supervises


def test_a_tag_inside_a_phones_processing_instruction_neither_blanks_its_row_nor_breaks_the_feed(
        client, publish, personas, login):
    """The exports cut repeats out of the XML text by byte search before parsing; a
    `<?x <members> ?>` a phone sent (well-formed XML, accepted) made the cut start inside it:
    the CSV row came out blank and the OData Submissions feed of the form was a 500 for
    everyone."""
    import csv
    import io
    import json

    from tests.collect import CollectClient
    from tests.exports.test_odata import VISIT, visit
    publish(VISIT, filename="visit.xml")
    phone = CollectClient(client, f"/v1/key/{personas['worker_a'].token}/projects/1")
    xml = visit("uuid:pi", members=[("乙", [])]).replace(
        b"<household>", b"<?x <members> ?><household>")
    assert phone.submit(xml).status_code == 201
    headers = login("admin")
    got = client.get("/v1/projects/1/forms/visit/submissions.csv", headers=headers)
    [row] = list(csv.DictReader(io.StringIO(got.get_data(as_text=True))))
    assert (row["village"], row["age"], row["household-head"], row["KEY"]) == \
        ("dongwan", "30", "王", "uuid:pi")
    feed = client.get(f"{BASE}/Submissions", headers=headers)
    assert feed.status_code == 200
    [one] = json.loads(feed.get_data())["value"]
    assert one["household"]["head"] == "王" and one["age"] == 30
    members = client.get(f"{BASE}/Submissions.household.members", headers=headers)
    assert [m["name"] for m in json.loads(members.get_data())["value"]] == ["乙"]
