"""OData clients read a real gunicorn: pyodk 1.3.0's get_table for submissions (root and repeat
tables) and entities, and a plain client as Excel's Power Query behaves (requests): it reads
$metadata with lxml, then follows @odata.nextLink until the feed ends, with Basic auth behind
an HTTPS proxy. 650 submissions make the body longer than one write chunk, so the streamed
JSON is checked whole."""
import uuid

import pytest
import requests
from lxml import etree
from pyodk.client import Client

from tests.e2e.live import LiveServer
from tests.exports.test_odata import VISIT, visit
from tests.factories import make_entity_xform

pytestmark = pytest.mark.once
COUNT = 650


def _seed(app, db, personas, publish):
    """The visit form with COUNT submissions from worker_a's phone, the first with two
    members; and a people list of three."""
    from tests.collect import CollectClient
    publish(VISIT, filename="visit.xml")
    client = app.test_client()
    phone = CollectClient(client, f"/v1/key/{personas['worker_a'].token}/projects/1")
    for n in range(COUNT):
        members = [("甲", ["a1"]), ("乙", [])] if n == 0 else []
        assert phone.submit(visit(f"uuid:{n:05d}", members=members)).status_code == 201
    publish(make_entity_xform("register_person", "people"))
    token = client.post("/v1/sessions", json={"email": "admin", "password": "admin-password"}
                        ).json["token"]
    for name in ("王芳", "李四", "张三"):
        assert client.post("/v1/projects/1/datasets/people/entities",
                           headers={"Authorization": f"Bearer {token}"},
                           json={"uuid": str(uuid.uuid4()), "label": name,
                                 "data": {"full_name": name, "village": "dongwan"}}
                           ).status_code == 200


def test_pyodk_reads_submissions_repeats_and_entities(app, db, personas, publish, live_server,
                                                      tmp_path):
    _seed(app, db, personas, publish)
    server = live_server()
    config = tmp_path / "pyodk.toml"
    config.write_text(f'[central]\nbase_url = "{server.url}"\nusername = "admin"\n'
                      f'password = "admin-password"\ndefault_project_id = 1\n')
    with Client(config_path=str(config), cache_path=str(tmp_path / "cache.toml")) as client:
        table = client.submissions.get_table(form_id="visit", count=True)
        assert table["@odata.count"] == COUNT and len(table["value"]) == COUNT
        assert table["value"][-1]["__id"] == "uuid:00000"
        assert table["value"][-1]["household"]["members@odata.navigationLink"] == \
            "Submissions('uuid%3A00000')/household/members"
        page = client.submissions.get_table(form_id="visit", top=10, skip=5,
                                            filter="__system/reviewState eq null",
                                            select="__id,age")
        assert len(page["value"]) == 10 and set(page["value"][0]) == {"__id", "age"}
        members = client.submissions.get_table(form_id="visit",
                                               table_name="Submissions.household.members")
        assert [m["name"] for m in members["value"]] == ["甲", "乙"]
        expanded = client.submissions.get_table(form_id="visit", expand="*",
                                                filter="__id eq 'uuid:00000'")
        assert [m["name"] for m in expanded["value"][0]["household"]["members"]] == ["甲", "乙"]
        entities = client.entities.get_table(entity_list_name="people", count=True)
        assert entities["@odata.count"] == 3
        assert {e["label"] for e in entities["value"]} == {"王芳", "李四", "张三"}


def test_plain_odata_client_follows_next_links_with_basic_auth(app, db, personas, publish):
    _seed(app, db, personas, publish)
    server = LiveServer(app.config["SQLALCHEMY_DATABASE_URI"], app.config["DATA_DIR"],
                        env={"DOORSTEP_TRUSTED_PROXIES": "127.0.0.1"}).wait()
    try:
        http = requests.Session()
        http.auth = ("viewer", "viewer-password")
        # Excel sits behind the town's HTTPS proxy: Basic is only taken over HTTPS
        http.headers["X-Forwarded-Proto"] = "https"
        service = f"{server.url}/v1/projects/1/forms/visit.svc"
        doc = http.get(service, timeout=30).json()
        assert [s["url"] for s in doc["value"]][:2] == ["Submissions",
                                                         "Submissions.household.members"]
        metadata = etree.fromstring(http.get(f"{service}/$metadata", timeout=30).content)
        edm = "{http://docs.oasis-open.org/odata/ns/edm}"
        sets = [s.get("Name") for s in metadata.iter(f"{edm}EntitySet")]
        assert sets[0] == "Submissions"
        seen, url, pages = [], f"{service}/Submissions?$top=200&$count=true", 0
        while url:
            response = http.get(url, timeout=30)
            assert response.status_code == 200, response.text
            body = response.json()
            assert body["@odata.count"] == COUNT
            seen.extend(r["__id"] for r in body["value"])
            url, pages = body.get("@odata.nextLink"), pages + 1
            if url:
                # the link is absolute, on the address the client used (https behind the proxy)
                assert url.startswith("https://127.0.0.1:")
                url = url.replace("https://", "http://", 1)
        assert pages == 4 and len(seen) == COUNT == len(set(seen))
        assert http.get(f"{server.url}/v1/projects/1/datasets/people.svc/Entities",
                        timeout=30).json()["value"]
    finally:
        server.stop()
