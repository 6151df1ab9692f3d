"""The outside lists over the JSON API through the Flask client: a raw and a multipart upload,
the same file twice, the lists and their keyset pages, filters, scope, roles, audit and the
bilingual refusals."""
import io

from sqlalchemy import select

from app.audit.models import AuditEvent
from tests.quality.test_outside_import import hospital_rows
from tests.quality.test_outside_support import (HOSPITAL_ZH, births, seed_people,  # noqa: F401
                                                write)

IMPORTS = "/v1/projects/1/outside-imports"


def upload(client, headers, data, kind="hospital_births", filename="births.csv"):
    return client.post(f"{IMPORTS}?kind={kind}&filename={filename}", headers=headers,
                       data=data, content_type="application/octet-stream")


def test_upload_raw_and_multipart_list_and_page_results(client, db, login, births):  # noqa: F811
    seed_people(db.session)
    births("wang", "2026-03-05", "male")
    admin = login("admin")
    data = write("xlsx", HOSPITAL_ZH, hospital_rows())
    first = upload(client, admin, data, filename="births.xlsx")
    assert first.status_code == 201, first.json
    assert first.json["rowsKept"] == 4 and first.json["created"] is True
    assert first.json["accuracy"]["all"]["accuracy"] == 25.0
    again = client.post(f"{IMPORTS}?kind=hospital_births", headers=admin,
                        data={"file": (io.BytesIO(data), "same.xlsx")},
                        content_type="multipart/form-data")
    assert again.status_code == 200 and again.json["id"] == first.json["id"]
    assert again.json["created"] is False
    listed = client.get(IMPORTS, headers=admin)
    assert [i["id"] for i in listed.json] == [first.json["id"]]
    url = f"{IMPORTS}/{first.json['id']}/results"
    page = client.get(f"{url}?limit=2", headers=admin).json
    rest = client.get(f"{url}?limit=2&after={page['next']}", headers=admin).json
    assert len(page["results"]) == 2 and rest["next"] is None
    statuses = [r["status"] for r in page["results"] + rest["results"]]
    assert sorted(statuses) == ["matched", "omitted", "omitted", "omitted"]
    omitted = client.get(f"{url}?status=omitted&village=xishan", headers=admin).json["results"]
    assert [(r["key"], r["village"]) for r in omitted] == [("H003", "xishan")]
    assert omitted[0]["outside"]["mother_id_number"].startswith("610425*")
    reads = db.session.scalars(select(AuditEvent.details).where(
        AuditEvent.action == "outside.read")).all()
    assert len(reads) == 3


def test_roles_and_scope(client, db, login):
    seed_people(db.session)
    data = write("csv", HOSPITAL_ZH, hospital_rows())
    refused = upload(client, login("viewer"), data)
    assert refused.status_code == 403
    made = upload(client, login("supervisor"), data)
    assert made.status_code == 201 and made.json["rowsSkipped"] == 1
    assert made.json["villages"] == ["dongwan"]
    viewer = login("viewer")
    assert client.get(f"{IMPORTS}/{made.json['id']}", headers=viewer).status_code == 200
    missing = client.get(f"{IMPORTS}/999", headers=viewer)
    assert missing.status_code == 404 and missing.json["code"] == "404.291"
    rerun = client.post(f"{IMPORTS}/{made.json['id']}/rerun", headers=login("supervisor"))
    assert rerun.status_code == 200


def test_refusals_are_bilingual(client, db, login, app):
    admin = login("admin")
    no_kind = client.post(IMPORTS, headers=admin, data=b"x")
    assert no_kind.status_code == 400 and no_kind.json["code"] == "400.293"
    missing = upload(client, admin, "姓名\n王芳\n".encode())
    assert missing.status_code == 400 and "出生日期" in missing.json["message_zh"]
    app.config["OUTSIDE_MAX_BYTES"] = 100
    try:
        big = upload(client, admin, b"x" * 101)
    finally:
        del app.config["OUTSIDE_MAX_BYTES"]
    assert big.status_code == 413 and big.json["code"] == "413.291"
    assert "上限" in big.json["message_zh"]


def test_the_same_file_sent_twice_at_once_is_one_import(app, client, db, login):
    """On PostgreSQL two requests race; imports take turns per project (SQLite writes one at
    a time, so there the race cannot happen)."""
    import threading
    if db.session.get_bind().dialect.name != "postgresql":
        import pytest
        pytest.skip("concurrent writers: PostgreSQL only")
    seed_people(db.session)
    admin = login("admin")
    data = write("csv", HOSPITAL_ZH, hospital_rows())
    start, answers = threading.Barrier(2, timeout=20), []

    def send():
        with app.app_context():
            start.wait()
            answers.append(upload(app.test_client(), admin, data))
    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(a.status_code for a in answers) == [200, 201]
    assert len({a.json["id"] for a in answers}) == 1


def test_listing_imports_that_show_bad_rows_is_an_audited_read(client, db, login):
    seed_people(db.session)
    admin = login("admin")
    bad = hospital_rows() + [["H010", "某人", "12345", "男", "2026-03-01", "", "dongwan", ""]]
    made = upload(client, admin, write("csv", HOSPITAL_ZH, bad))
    assert made.status_code == 201 and made.json["rowsRejected"] == 1
    listed = client.get(IMPORTS, headers=login("viewer"))
    assert listed.status_code == 200 and listed.json[0]["rejected"][0]["value"] == "12345"
    reads = db.session.execute(select(AuditEvent.target, AuditEvent.details).where(
        AuditEvent.action == "outside.read")).all()
    assert reads == [(f"outside_import:{made.json['id']}", {"what": "list"})]
