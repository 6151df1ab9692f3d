"""Checklist items 6–15: the form list."""
import hashlib

from app.forms import publish as publishing
from tests.collect import CollectClient
from tests.factories import make_xform
from tests.openrosa.docs import form_entries


def test_item_06_form_list_content_type_and_namespace(collect, simple_form):
    response = collect.form_list()
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/xml; charset=utf-8"
    assert len(form_entries(response)) == 1


def test_item_07_every_entry_is_complete(collect, simple_form, media_form, publish):
    publish(make_xform("untitled", "1", title=""))
    entries = form_entries(collect.form_list())
    assert len(entries) == 3
    for e in entries:
        for key in ("formID", "name", "downloadUrl", "version", "hash"):
            assert key in e
        assert e["formID"] and e["name"] and e["downloadUrl"]


def test_item_08_hash_is_md5_of_served_bytes(collect, simple_form, media_form):
    for e in form_entries(collect.form_list()):
        body = collect.get(e["downloadUrl"]).data
        assert e["hash"] == "md5:" + hashlib.md5(body).hexdigest()


def test_item_08_hash_follows_a_new_version(collect, publish, simple_form):
    before = form_entries(collect.form_list())[0]
    publish(make_xform("simple", "2", title="Simple", binary=["photo"], fields=("name", "age")))
    after = form_entries(collect.form_list())[0]
    assert after["version"] == "2" and after["hash"] != before["hash"]
    assert after["hash"] == "md5:" + hashlib.md5(collect.get(after["downloadUrl"]).data).hexdigest()


def test_item_09_form_id_filter(collect, simple_form, media_form):
    assert [e["formID"] for e in form_entries(collect.form_list("?formID=simple"))] == ["simple"]
    assert form_entries(collect.form_list("?formID=unknown")) == []


def test_item_10_head_form_list_is_an_auth_probe(client, collect, simple_form):
    assert collect.head(f"{collect.base}/formList?formID=simple").status_code == 200
    anonymous = client.head("/v1/projects/1/formList?formID=simple",
                            headers={"X-OpenRosa-Version": "1.0"})
    assert anonymous.status_code == 401
    revoked = client.head("/v1/key/" + "x" * 64 + "/projects/1/formList?formID=simple",
                          headers={"X-OpenRosa-Version": "1.0"})
    assert revoked.status_code == 403


def test_item_11_urls_are_absolute_and_keep_the_token(collect, personas, media_form):
    token = personas["worker_a"].token
    entry = form_entries(collect.form_list())[0]
    prefix = f"http://localhost/v1/key/{token}/projects/1/forms/withmedia"
    assert entry["downloadUrl"] == prefix + ".xml"
    assert entry["manifestUrl"] == prefix + "/manifest"


def test_item_11_st_query_token_is_kept(client, personas, media_form):
    token = personas["worker_a"].token
    response = client.get(f"/v1/projects/1/formList?st={token}",
                          headers={"X-OpenRosa-Version": "1.0"})
    entry = form_entries(response)[0]
    assert entry["downloadUrl"].endswith(f"/forms/withmedia.xml?st={token}")
    assert entry["manifestUrl"].endswith(f"/forms/withmedia/manifest?st={token}")
    assert client.get(entry["manifestUrl"].replace("http://localhost", ""),
                      headers={"X-OpenRosa-Version": "1.0"}).status_code == 200


def test_item_12_manifest_url_iff_form_references_media(collect, simple_form, publish):
    publish(make_xform("pending", "1", title="Pending", media=["map.png"]))  # not uploaded yet
    entries = {e["formID"]: e for e in form_entries(collect.form_list())}
    assert "manifestUrl" not in entries["simple"]
    assert entries["pending"]["manifestUrl"].endswith("/forms/pending/manifest")


def test_item_13_no_description_unless_verbose(collect, simple_form):
    for query in ("", "?verbose=true"):
        entry = form_entries(collect.form_list(query))[0]
        assert "descriptionText" not in entry and "descriptionUrl" not in entry


def test_item_14_closing_closed_and_ungranted_forms_are_absent(
        app, db, client, collect, publish, simple_form, personas):
    closing = publish(make_xform("closing_form", "1")).form
    closed = publish(make_xform("closed_form", "1")).form
    publishing.set_state(db.session, closing, "closing")
    publishing.set_state(db.session, closed, "closed")
    db.session.commit()
    assert [e["formID"] for e in form_entries(collect.form_list())] == ["simple"]

    from app.auth import accounts
    _, token = accounts.create_app_user(db.session, 1, "leader2", ["dongwan"], ["closing_form"])
    db.session.commit()
    leader = CollectClient(client, f"/v1/key/{token}/projects/1")
    assert form_entries(leader.form_list()) == []


def test_item_15_name_is_title_or_form_id(collect, publish):
    publish(make_xform("titled", "1", title="入户走访 Home visit"))
    publish(make_xform("notitle", "1", title=""))
    names = {e["formID"]: e["name"] for e in form_entries(collect.form_list())}
    assert names == {"titled": "入户走访 Home visit", "notitle": "notitle"}
