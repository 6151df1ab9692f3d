"""Checklist items 16–20, 23, 24: form XML, manifest and media downloads."""
import hashlib

from app.forms import publish as publishing
from app.openrosa import media
from tests.collect import CollectClient
from tests.factories import make_xform
from tests.openrosa.docs import form_entries, media_files


def test_item_16_download_matches_listed_hash(collect, simple_form):
    entry = form_entries(collect.form_list())[0]
    response = collect.get(entry["downloadUrl"])
    assert response.status_code == 200
    assert "md5:" + hashlib.md5(response.data).hexdigest() == entry["hash"]
    assert response.data == make_xform("simple", "1", title="Simple", binary=["photo"])


def test_item_17_closed_form_xml_refused_to_app_users(db, client, collect, simple_form, personas):
    publishing.set_state(db.session, simple_form.form, "closed")
    db.session.commit()
    assert collect.get(f"{collect.base}/forms/simple.xml").status_code == 403
    staff = client.get("/v1/projects/1/forms/simple.xml",
                       headers={"Authorization": _bearer(client, "admin")})
    assert staff.status_code == 200


def test_item_17_closing_form_xml_still_downloadable(db, collect, simple_form):
    publishing.set_state(db.session, simple_form.form, "closing")
    db.session.commit()
    assert collect.get(f"{collect.base}/forms/simple.xml").status_code == 200


def _bearer(client, username):
    token = client.post("/v1/sessions", json={"email": username,
                                              "password": f"{username}-password"}).json["token"]
    return f"Bearer {token}"


def test_item_18_manifest_envelope(collect, media_form):
    response = collect.get(form_entries(collect.form_list())[0]["manifestUrl"])
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/xml; charset=utf-8"
    assert response.headers["X-OpenRosa-Version"] == "1.0"
    assert media_files(response)


def test_item_19_media_entries_complete_and_not_uploaded_omitted(collect, media_form):
    files = media_files(collect.get(f"{collect.base}/forms/withmedia/manifest"))
    assert [f["filename"] for f in files] == ["logo.png"]       # villages.csv not uploaded
    f = files[0]
    assert f["hash"].startswith("md5:") and f["downloadUrl"].startswith("http://localhost/v1/key/")
    assert "/" not in f["filename"] and f["filename"] not in (".", "..")


def test_item_20_media_hash_is_md5_of_download(collect, media_form):
    for f in media_files(collect.get(f"{collect.base}/forms/withmedia/manifest")):
        body = collect.get(f["downloadUrl"]).data
        assert f["hash"] == "md5:" + hashlib.md5(body).hexdigest()
        assert body == b"\x89PNG fake image bytes"


def test_item_23_csv_attachment_is_text_csv(collect, publish):
    csv = "name,label\ndongwan,东湾村\n".encode()
    publish(make_xform("csvform", "1", media=["villages.csv"]), media={"villages.csv": csv})
    files = media_files(collect.get(f"{collect.base}/forms/csvform/manifest"))
    response = collect.get(files[0]["downloadUrl"])
    assert response.status_code == 200 and response.data == csv
    assert response.headers["Content-Type"].startswith("text/csv")


def test_item_24_etag_and_304(collect, media_form):
    f = media_files(collect.get(f"{collect.base}/forms/withmedia/manifest"))[0]
    first = collect.get(f["downloadUrl"])
    assert first.headers["ETag"] == f'"{f["hash"][4:]}"'
    again = collect.get(f["downloadUrl"], headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    stale = collect.get(f["downloadUrl"], headers={"If-None-Match": '"0000"'})
    assert stale.status_code == 200


def test_media_updated_in_place_changes_manifest_hash(collect, publish, media_form):
    before = media_files(collect.get(f"{collect.base}/forms/withmedia/manifest"))[0]["hash"]
    result = publish(make_xform("withmedia", "1", title="With media",
                                media=["logo.png", "villages.csv"]),
                     media={"logo.png": b"new logo"})
    assert result.outcome == "media updated"
    after = media_files(collect.get(f"{collect.base}/forms/withmedia/manifest"))[0]["hash"]
    assert after != before and after == "md5:" + hashlib.md5(b"new logo").hexdigest()


def test_unknown_form_and_attachment_are_404(collect, media_form):
    assert collect.get(f"{collect.base}/forms/nope.xml").status_code == 404
    assert collect.get(f"{collect.base}/forms/withmedia/attachments/villages.csv").status_code == 404


def test_root_form_list_serves_project_1_for_staff(client, personas, simple_form):
    worker = CollectClient(client, "", headers={"Authorization": _bearer(client, "supervisor")})
    entries = form_entries(worker.form_list())
    assert entries[0]["downloadUrl"] == "http://localhost/v1/projects/1/forms/simple.xml"


def test_attachment_names_come_in_utf8_and_plain_ascii(collect, publish):
    # as ODK Central sends them: filename* for clients that read UTF-8, filename for the rest
    publish(make_xform("named", "1", media=["村庄 v2.csv"]), media={"村庄 v2.csv": b"name\n"})
    entry = media_files(collect.get(f"{collect.base}/forms/named/manifest"))[0]
    response = collect.get(entry["downloadUrl"])
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == (
        "attachment; filename=\"__ v2.csv\"; filename*=UTF-8''%E6%9D%91%E5%BA%84%20v2.csv")
    # a quote or backslash cannot end the plain parameter early
    assert media.disposition('a"b\\c.csv').startswith('attachment; filename="a_b_c.csv"; ')


def test_a_nul_in_a_phones_url_finds_nothing_rather_than_failing(collect, simple_form):
    for path in ("forms/si%00mple.xml", "forms/si%00mple/manifest",
                 "forms/simple/attachments/a%00b.png"):
        response = collect.get(f"{collect.base}/{path}")
        assert response.status_code == 404 and b"OpenRosaResponse" in response.data, path
