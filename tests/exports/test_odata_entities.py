"""The entity list's OData feed (/v1/projects/<p>/datasets/<name>.svc): Central's documents
and Entities rows (__id, label, __system, every property as a string), paging, $filter on the
system fields, $select, village scope, app users refused, one audit row per read."""
import json

import pytest
from lxml import etree
from sqlalchemy import select

from app.audit.models import AuditEvent
from tests.factories import make_entity_xform

BASE = "/v1/projects/1/datasets/people.svc"
UUIDS = [f"0000000{n}-0000-4000-8000-000000000000" for n in range(1, 4)]


@pytest.fixture
def people(publish, client, login):
    """Three people: two in dongwan (one without a name), one in xishan; newest is the last."""
    publish(make_entity_xform("register_person", "people"))
    admin = login("admin")
    for uuid, label, data in ((UUIDS[0], "王芳", {"full_name": "王芳", "village": "dongwan"}),
                              (UUIDS[1], "李四", {"village": "dongwan"}),
                              (UUIDS[2], "张三", {"full_name": "张三", "village": "xishan"})):
        response = client.post("/v1/projects/1/datasets/people/entities", headers=admin,
                               json={"uuid": uuid, "label": label, "data": data})
        assert response.status_code == 200, response.json
    return client


def _get(client, url, headers):
    response = client.get(url, headers=headers)
    return response, (json.loads(response.get_data()) if response.mimetype == "application/json"
                      else None)


def test_service_document_and_metadata(people, login):
    headers = login("admin")
    _, body = _get(people, BASE, headers)
    assert body == {"@odata.context": "http://localhost/v1/projects/1/datasets/people.svc/$metadata",
                    "value": [{"name": "Entities", "kind": "EntitySet", "url": "Entities"}]}
    response = people.get(f"{BASE}/$metadata", headers=headers)
    doc = etree.fromstring(response.get_data())
    edm = {"edm": "http://docs.oasis-open.org/odata/ns/edm"}
    system = doc.find(".//edm:Schema[@Namespace='org.opendatakit.entity']/edm:ComplexType", edm)
    assert [p.get("Name") for p in system] == ["createdAt", "creatorId", "creatorName", "updates",
                                               "updatedAt", "deletedAt", "version", "conflict"]
    entity = doc.find(".//edm:Schema[@Namespace='org.opendatakit.user.people']"
                      "/edm:EntityType[@Name='Entities']", edm)
    assert [(p.get("Name"), p.get("Type")) for p in entity.findall("edm:Property", edm)] == [
        ("__id", "Edm.String"), ("__system", "org.opendatakit.entity.metadata"),
        ("label", "Edm.String"), ("full_name", "Edm.String"), ("village", "Edm.String")]
    container = doc.find(".//edm:EntityContainer", edm)
    assert container.get("Name") == "people"


def test_entities_rows_as_central(people, login, personas):
    response, body = _get(people, f"{BASE}/Entities", login("admin"))
    assert response.status_code == 200
    assert body["@odata.context"] == ("http://localhost/v1/projects/1/datasets/people.svc/"
                                      "$metadata#Entities")
    assert [r["__id"] for r in body["value"]] == list(reversed(UUIDS))   # newest first
    li = body["value"][1]
    system = li.pop("__system")
    # a property the entity has no value for is '', as Central
    assert li == {"__id": UUIDS[1], "label": "李四", "full_name": "", "village": "dongwan"}
    assert system["creatorId"] == str(personas["admin"].id)
    assert system["creatorName"] == "admin"
    assert (system["version"], system["updates"], system["conflict"]) == (1, 0, None)
    assert system["createdAt"].endswith("Z") and system["deletedAt"] is None


def test_paging_count_and_next_link(people, login):
    headers = login("admin")
    _, body = _get(people, f"{BASE}/Entities?$top=2&$count=true", headers)
    assert body["@odata.count"] == 3 and len(body["value"]) == 2
    _, rest = _get(people, body["@odata.nextLink"].removeprefix("http://localhost"), headers)
    assert [r["__id"] for r in rest["value"]] == [UUIDS[0]]
    assert "@odata.nextLink" not in rest
    _, body = _get(people, f"{BASE}/Entities?$skip=2", headers)
    assert [r["__id"] for r in body["value"]] == [UUIDS[0]]


def test_filter_select_and_orderby(people, login):
    headers = login("admin")
    _, body = _get(people, f"{BASE}/Entities?$filter=__system/version eq 1 and "
                   f"__system/conflict eq null&$orderby=__system/createdAt asc"
                   f"&$select=__id,label,__system/version", headers)
    assert body["value"] == [{"__id": u, "label": lbl, "__system": {"version": 1}}
                             for u, lbl in zip(UUIDS, ["王芳", "李四", "张三"])]
    response, body = _get(people, f"{BASE}/Entities?$filter=full_name eq '王芳'", headers)
    assert response.status_code == 400 and body["code"] == "400.192"
    response, body = _get(people, f"{BASE}/Entities?$select=age", headers)
    assert response.status_code == 400 and body["code"] == "400.196"
    response, body = _get(people, f"{BASE}/Entities?$search=王", headers)
    assert response.status_code == 501 and body["code"] == "501.191"


def test_deleted_entities_only_when_asked(people, login):
    headers = login("admin")
    assert people.delete(f"/v1/projects/1/datasets/people/entities/{UUIDS[0]}",
                         headers=headers).status_code == 200
    _, body = _get(people, f"{BASE}/Entities", headers)
    assert UUIDS[0] not in [r["__id"] for r in body["value"]]
    _, body = _get(people, f"{BASE}/Entities?$filter=__system/deletedAt ne null", headers)
    assert [r["__id"] for r in body["value"]] == [UUIDS[0]]


def test_village_scope_app_users_and_audit(people, login, personas, db):
    _, body = _get(people, f"{BASE}/Entities", login("supervisor"))
    assert {r["__id"] for r in body["value"]} == set(UUIDS[:2])
    assert people.get(f"{BASE}/Entities?st={personas['worker_a'].token}").status_code == 403
    assert people.get(f"{BASE}/Entities").status_code == 401
    assert people.get("/v1/projects/1/datasets/nobody.svc/Entities",
                      headers=login("admin")).status_code == 404
    rows = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "entity.odata")).all()
    assert [(r.actor_id, r.target) for r in rows] == [(personas["supervisor"].id, rows[0].target)]
    assert rows[0].target.startswith("dataset:")
