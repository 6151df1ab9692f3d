"""OData feed throughput and worker memory: N submissions of the town's home-visit form (five
members in a repeat each: tests/samples home_visit_birth) read through a real gunicorn worker
as Excel or pyodk read them: the whole Submissions feed in one response, the members' repeat
table, and the feed paged by @odata.nextLink ($top=10000). Reports rows/s and the worker's
peak RSS against its idle RSS (sampled from /proc every 20 ms).

    .venv/bin/python bench/odata.py --db sqlite --count 100000
    .venv/bin/python bench/odata.py --db postgresql --count 100000

Seeding copies one real submission (received through intake) N times with fresh instanceIDs
in bulk INSERTs: intake is not what is measured here.
"""
import argparse
import json
import os
import re
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.common import ROOT, Gunicorn, free_port, make_app, prepare, scratch_database  # noqa: E402


def seed(app, token, count):
    import hashlib
    from datetime import timedelta

    from sqlalchemy import insert, select

    from app.auth import accounts
    from app.auth.actors import app_user_by_token
    from app.db import db
    from app.submissions.intake import Upload, receive
    from app.submissions.models import Submission, SubmissionDef
    from tests.samples import instance
    with app.app_context():
        store = app.extensions["blob_store"]
        receive(db.session, store, app_user_by_token(db.session, token), 1,
                Upload(xml=instance("home_visit_birth")))
        db.session.commit()
        sub = db.session.scalar(select(Submission))
        row = db.session.scalar(select(SubmissionDef))
        accounts.create_user(db.session, "bench-admin", "bench-password", "admin", "Doorstep",
                             None)
        db.session.commit()
        template = row.xml
        batch = 5000
        for start in range(1, count, batch):
            subs, defs = [], []
            for n in range(start, min(start + batch, count)):
                iid = f"uuid:{uuid.UUID(int=n)}"
                xml = re.sub(r"<instanceID>[^<]+</instanceID>", f"<instanceID>{iid}</instanceID>",
                             template, count=1)
                subs.append({"form_id": sub.form_id, "instance_id": iid, "area_id": sub.area_id,
                             "submitter_kind": sub.submitter_kind,
                             "submitter_id": sub.submitter_id, "device_id": sub.device_id,
                             "review_state": None, "in_register": False,
                             # a second apart, as real arrivals are (not one tie)
                             "created_at": sub.created_at - timedelta(seconds=count - n)})
                defs.append({"form_id": row.form_id, "form_version_id": row.form_version_id,
                             "instance_id": iid, "xml": xml,
                             "xml_sha256": hashlib.sha256(xml.encode()).hexdigest(),
                             "current": True, "encrypted": False,
                             "submitter_kind": row.submitter_kind,
                             "submitter_id": row.submitter_id, "created_at": row.created_at})
            db.session.execute(insert(Submission), subs)
            ids = dict(db.session.execute(select(Submission.instance_id, Submission.id).where(
                Submission.instance_id.in_([s["instance_id"] for s in subs]))).all())
            for d in defs:
                d["submission_id"] = ids[d["instance_id"]]
            db.session.execute(insert(SubmissionDef), defs)
            db.session.commit()


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def cpu_seconds(pid):
    """The process's user + system CPU time: rows per CPU-second do not depend on what else
    the machine runs (the load generator here, other people's work), rows per second do."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Sampler(threading.Thread):
    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.peak, self.running = pid, rss_kb(pid), True

    def run(self):
        while self.running:
            self.peak = max(self.peak, rss_kb(self.pid))
            time.sleep(0.02)


def read(port, path, token, follow=True):
    """(rows, seconds, bytes, pages), following @odata.nextLink unless told not to."""
    import http.client
    rows = pages = size = 0
    start = time.perf_counter()
    while path:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        response = conn.getresponse()
        body = response.read()
        assert response.status == 200, body[:500]
        size += len(body)
        doc = json.loads(body)
        rows += len(doc["value"])
        pages += 1
        link = doc.get("@odata.nextLink") if follow else None
        path = urllib.parse.urlsplit(link)._replace(scheme="", netloc="").geturl() if link else None
        conn.close()
    return rows, time.perf_counter() - start, size, pages


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--count", type=int, default=10000)
    args = parser.parse_args()
    with scratch_database(args.db) as url, tempfile.TemporaryDirectory() as data_dir:
        app = make_app(url, data_dir)
        token = prepare(app, [os.path.join(ROOT, "forms", "home_visit.xlsx")])
        t0 = time.perf_counter()
        seed(app, token, args.count)
        print(f"seeded {args.count} submissions in {time.perf_counter() - t0:.1f}s", flush=True)
        port = free_port()
        server = Gunicorn(url, data_dir, port, workers=1, threads=None)
        try:
            import http.client
            conn = http.client.HTTPConnection("127.0.0.1", port)
            conn.request("POST", "/v1/sessions", body=json.dumps(
                {"email": "bench-admin", "password": "bench-password"}),
                headers={"Content-Type": "application/json"})
            bearer = json.loads(conn.getresponse().read())["token"]
            base = "/v1/projects/1/forms/home_visit.svc"
            conn.request("GET", base, headers={"Authorization": f"Bearer {bearer}"})
            tables = [t["url"] for t in json.loads(conn.getresponse().read())["value"]]
            conn.close()
            read(port, f"{base}/Submissions?$top=10", bearer, follow=False)     # warm the worker
            [worker] = server.workers()
            idle = rss_kb(worker)
            print(f"{args.db}: worker idle RSS {idle / 1024:.0f} MB; tables {tables}")
            runs = [("Submissions (one response)", f"{base}/Submissions"),
                    ("Submissions, $top=10000 pages", f"{base}/Submissions?$top=10000"),
                    (f"{tables[1]} (one response)", f"{base}/{tables[1]}")]
            for label, path in runs:
                sampler = Sampler(worker)
                sampler.start()
                cpu = cpu_seconds(worker)
                rows, seconds, size, pages = read(port, path, bearer)
                cpu = cpu_seconds(worker) - cpu
                sampler.running = False
                sampler.join()
                print(f"  {label}: {rows} rows in {seconds:.1f}s = {rows / seconds:,.0f} rows/s "
                      f"({rows / cpu:,.0f} per worker CPU-second), "
                      f"{size / 1e6:.0f} MB in {pages} page(s); worker peak RSS "
                      f"{sampler.peak / 1024:.0f} MB (+{(sampler.peak - idle) / 1024:.0f} MB)",
                      flush=True)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
