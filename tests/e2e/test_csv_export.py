"""Central's CSV zip from a real gunicorn: downloaded with requests as a stream, read back with
zipfile and csv, while the worker keeps answering other requests."""
import csv
import io
import threading
import time
import zipfile

import requests

from tests.samples import instance


def test_zip_downloads_from_gunicorn_and_reads_back(live_server, town, personas):
    for name in ("home_visit_birth", "home_visit_death", "home_visit_marriage"):
        assert town.phone("worker_a").submit(instance(name)).status_code == 201
    server = live_server(workers=1)
    token = requests.post(f"{server.url}/v1/sessions", json={
        "email": "supervisor", "password": "supervisor-password"}, timeout=10).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    url = f"{server.url}/v1/projects/1/forms/home_visit/submissions.csv.zip"
    with requests.get(url, headers=headers, stream=True, timeout=60) as response:
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "application/zip"
        assert "Content-Length" not in response.headers         # streamed, not buffered
        body = b"".join(response.iter_content(1 << 14))
    with zipfile.ZipFile(io.BytesIO(body)) as z:
        assert z.testzip() is None
        root = list(csv.DictReader(io.TextIOWrapper(z.open("home_visit.csv"), "utf-8")))
        members = list(csv.DictReader(io.TextIOWrapper(z.open("home_visit-member.csv"),
                                                        "utf-8")))
    assert len(root) == 3 and {r["SubmitterName"] for r in root} == {"worker_a"}
    keys = {r["KEY"] for r in root}
    assert {m["PARENT_KEY"] for m in members} == keys
    assert all(m["KEY"].startswith(m["PARENT_KEY"] + "/member[") for m in members)
    plain = requests.get(url.replace(".csv.zip", ".csv"), headers=headers, timeout=60)
    assert list(csv.DictReader(io.StringIO(plain.text))) == root


def test_app_user_is_refused_by_gunicorn(live_server, town, personas):
    server = live_server(workers=1)
    response = requests.get(f"{server.url}/v1/projects/1/forms/home_visit/submissions.csv.zip",
                            params={"st": personas["worker_a"].token}, timeout=10)
    assert response.status_code == 403


def _copies(db, count):
    """`count` copies of the stored home visits, written straight into the tables (the rows
    intake wrote, with new instance ids): enough for an export to take a while."""
    from sqlalchemy import insert, select

    from app.submissions.models import Submission, SubmissionDef
    stored = db.session.execute(select(Submission, SubmissionDef).join(
        SubmissionDef, SubmissionDef.submission_id == Submission.id)).all()
    subs, defs = [], []
    for i in range(count):
        s, d = stored[i % len(stored)]
        iid = f"uuid:00000000-0000-4000-8000-{i:012d}"
        subs.append({"id": 10_000 + i, "form_id": s.form_id, "instance_id": iid,
                     "area_id": s.area_id, "submitter_kind": s.submitter_kind,
                     "submitter_id": s.submitter_id, "created_at": s.created_at})
        defs.append({"submission_id": 10_000 + i, "form_id": d.form_id,
                     "form_version_id": d.form_version_id, "instance_id": iid,
                     "xml": d.xml.replace(s.instance_id, iid), "xml_sha256": d.xml_sha256,
                     "submitter_kind": d.submitter_kind, "created_at": d.created_at})
    db.session.execute(insert(Submission), subs)
    db.session.execute(insert(SubmissionDef), defs)
    db.session.commit()


def test_other_requests_are_answered_while_an_export_runs(live_server, town, personas, db):
    """One worker, an export busy parsing thousands of visits: it yields to the hub every few
    dozen, so a request sent meanwhile is answered long before the export ends."""
    for name in ("home_visit_birth", "home_visit_death"):
        assert town.phone("worker_a").submit(instance(name)).status_code == 201
    _copies(db, 10_000)
    server = live_server(workers=1)
    token = requests.post(f"{server.url}/v1/sessions", json={
        "email": "admin", "password": "admin-password"}, timeout=10).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    times = {}

    def download():
        times["start"] = time.monotonic()
        response = requests.get(f"{server.url}/v1/projects/1/forms/home_visit/submissions.csv.zip"
                                "?attachments=false",
                                headers=headers, timeout=120)
        assert response.status_code == 200
        times["export"] = time.monotonic()
    thread = threading.Thread(target=download)
    thread.start()
    time.sleep(0.3)
    sent = time.monotonic()
    answered = requests.get(f"{server.url}/v1/projects/1/forms", headers=headers, timeout=60)
    times["other"] = time.monotonic() - sent
    thread.join()
    assert answered.status_code == 200
    export_seconds = times["export"] - times["start"]
    assert export_seconds > 1.0, "the export was too quick to show anything"
    assert times["other"] < export_seconds / 3, times
