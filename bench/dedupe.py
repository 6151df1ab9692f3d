"""Duplicate finding against the synthetic town's truth, and its speed.

    python bench/dedupe.py [--people 5000 50000] [--seeds 1 2 13] [--batch 100000]
                           [--create 300] [--skip-quality]

- quality: for each size and seed, a town sent through the real intake by `flask demo town`
  (cached in bench/.cache/dedupe-<people>-<seed>.sqlite3, with its truth), copied; the held
  registrations among its duplicates approved as a supervisor does after review (a mistyped
  ID number fails its check character, so they wait: only then are they in the register,
  and the check at create compares them); the pairs the checks at each write found compared
  with those the batch finds from scratch; then precision and recall of "likely" pairs, and
  of "likely or possible", against the truth's duplicates. Seeds 1 and 2 are the towns the
  weights were learned on (app/quality/learn.py); 13 is used by no test and was not learned on.
- batch: `duplicates.recompute` (what `flask quality dedupe` runs) timed on a register of
  about `--batch` people (bench/bulk_town.py: copies of a 10,000-person town). The copies
  keep the source's names, birth dates and phones, so each person has a namesake born the
  same day with the same phone in every other copy: about 300,000 "possible" pairs between
  copies at 100,000 people, which a real register does not have — a harder batch than a
  real one (1.3 million blocked pairs compared, 307,000 written).
- create: `--create` person registrations (copies of the register's own, each with a new
  instance and entity id: a second registration of someone, the case the check is for)
  posted over HTTP to a real gunicorn on that register; the check's own time inside each
  request (`duplicates.check`, timed by a wrapper loaded by bench/dedupe_app.py) and the
  request's, p50 and p95.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

CACHE = os.environ.get("DOORSTEP_BENCH_CACHE", os.path.join(common.ROOT, "bench", ".cache"))


def machine():
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f
                        if line.startswith("model name")), "")
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {cpu}"


def town(people, seed, echo=print):
    """(database path, truth path, seconds to build or None when cached)."""
    os.makedirs(CACHE, exist_ok=True)
    path = os.path.join(CACHE, f"dedupe-{people}-{seed}.sqlite3")
    truth = path + ".truth.json"
    if os.path.exists(path + ".done"):
        return path, truth, None
    for leftover in (path, path + "-wal", path + "-shm"):
        if os.path.exists(leftover):
            os.remove(leftover)
    echo(f"# building the town: flask demo town --people {people} --seed {seed}")
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as data:
        env = {**os.environ, "DOORSTEP_DATABASE_URL": f"sqlite:///{path}",
               "DOORSTEP_DATA_DIR": data, "DOORSTEP_SECRET_KEY": "bench"}
        done = subprocess.run(
            [os.path.join(os.path.dirname(sys.executable), "flask"), "--app", "wsgi", "demo",
             "town", "--people", str(people), "--seed", str(seed), "--truth", truth],
            cwd=common.ROOT, env=env, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"flask demo town failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    seconds = time.perf_counter() - start
    open(path + ".done", "w").close()
    echo(f"# town of {people} (seed {seed}) built in {seconds:.0f} s")
    return path, truth, seconds


def precision_recall(found, truth_pairs):
    hits = len(found & truth_pairs)
    return (hits / len(found) if found else 1.0, hits / len(truth_pairs) if truth_pairs else 1.0)


def quality(people, seed, echo=print):
    path, truth_path, built = town(people, seed, echo)
    with open(truth_path, encoding="utf-8") as f:
        truth = json.load(f)
    with tempfile.TemporaryDirectory() as tmp:
        copy = os.path.join(tmp, "town.sqlite3")
        shutil.copy(path, copy)
        app = common.make_app(f"sqlite:///{copy}", os.path.join(tmp, "data"))
        from flask_migrate import upgrade

        from app.db import db
        from app.quality import duplicates, learn
        from app.quality.models import DuplicatePair
        with app.app_context():
            upgrade()
            approved = learn.approve_held(db.session, truth)
            incremental = duplicates.snapshot(db.session, 1)
            start = time.perf_counter()
            totals = duplicates.recompute(db.session, 1)
            seconds = time.perf_counter() - start
            db.session.commit()
            batch = duplicates.snapshot(db.session, 1)
            rows = db.session.execute(db.select(DuplicatePair.a_uuid, DuplicatePair.b_uuid,
                                                DuplicatePair.band)).all()
            db.engine.dispose()
    truth_pairs = learn.true_pairs(truth)
    likely = {(a, b) for a, b, band in rows if band == "likely"}
    either = {(a, b) for a, b, _band in rows}
    p1, r1 = precision_recall(likely, truth_pairs)
    p2, r2 = precision_recall(either, truth_pairs)
    missed = [d["kind"] for d in truth["mess"]["duplicates"]
              if tuple(sorted((d["original"], d["duplicate"]))) not in either]
    return {"people": totals["people"], "seed": seed, "true": len(truth_pairs),
            "approved": approved, "pairs": len(either), "likely": len(likely),
            "likely_precision": round(p1, 4), "likely_recall": round(r1, 4),
            "either_precision": round(p2, 4), "either_recall": round(r2, 4),
            "missed": missed, "batch_s": round(seconds, 2),
            "incremental_equals_batch": incremental == batch, "town_built_s": built}


def batch(people, echo=print, register=None):
    """Time the batch on a copy of the bulk register (`register`: a SQLite URL of one built
    before, e.g. by an earlier version of this code)."""
    if register is None:
        import bulk_town
        register, _info = bulk_town.build("sqlite", people, source_people=10_000, echo=echo)
    with tempfile.TemporaryDirectory() as tmp:
        copy = os.path.join(tmp, "batch.sqlite3")
        shutil.copy(register.removeprefix("sqlite:///"), copy)
        app = common.make_app(f"sqlite:///{copy}", tmp)
        from app.db import db
        from app.quality import duplicates
        with app.app_context():
            times = []
            for _ in range(2):
                start = time.perf_counter()
                totals = duplicates.recompute(db.session, 1)
                db.session.commit()
                times.append(time.perf_counter() - start)
            db.engine.dispose()
    return register, {"people": totals["people"], "pairs": totals["pairs"],
                      "likely": totals["likely"], "seconds": [round(t, 1) for t in times]}


def create(url, n, echo=print):
    """p50/p95 of the check's own time and of the request, over `n` registrations posted to a
    real gunicorn (1 worker) on a copy of the register at `url`."""
    with tempfile.TemporaryDirectory() as tmp:
        copy = os.path.join(tmp, "create.sqlite3")
        shutil.copy(url.removeprefix("sqlite:///"), copy)
        app = common.make_app(f"sqlite:///{copy}", os.path.join(tmp, "data"))
        from sqlalchemy import select

        from app.auth.accounts import create_app_user
        from app.db import db
        from app.forms.models import Form
        from app.submissions.models import Submission, SubmissionDef
        with app.app_context():
            _, token = create_app_user(db.session, 1, "dedupe bench", None)
            db.session.commit()
            xmls = db.session.scalars(
                select(SubmissionDef.xml).join(Submission, Submission.id == SubmissionDef.submission_id)
                .join(Form, Form.id == Submission.form_id)
                .where(Form.xml_form_id == "person", Submission.review_state.is_(None),
                       SubmissionDef.current.is_(True),
                       SubmissionDef.xml.contains('create="1"')
                       | SubmissionDef.xml.contains('create="true"'))
                .order_by(Submission.id.desc()).limit(n)).all()
            db.engine.dispose()
        log = os.path.join(tmp, "check-times.txt")
        port = common.free_port()
        os.environ["DOORSTEP_DEDUPE_TIMES"] = log
        server = common.Gunicorn(f"sqlite:///{copy}", os.path.join(tmp, "data"), port, 1, 1,
                                 app_uri="dedupe_app:app")
        import http.client
        requests = []
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            for xml in xmls:
                xml = re.sub(r"uuid:[0-9a-f-]{36}</instanceID>", f"uuid:{uuid.uuid4()}</instanceID>",
                             xml)
                # the person again under a new uuid, wherever the form names her
                person = re.search(r'<entity [^>]*\bid="(?:uuid:)?([0-9a-f-]{36})"', xml).group(1)
                xml = xml.replace(person, str(uuid.uuid4()))
                boundary = uuid.uuid4().hex
                body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"xml_submission_file\";"
                        f" filename=\"submission.xml\"\r\nContent-Type: text/xml\r\n\r\n").encode() \
                    + xml.encode() + f"\r\n--{boundary}--\r\n".encode()
                start = time.perf_counter()
                conn.request("POST", f"/v1/key/{token}/projects/1/submission", body, {
                    "Content-Type": f"multipart/form-data; boundary={boundary}",
                    "X-OpenRosa-Version": "1.0"})
                response = conn.getresponse()
                response.read()
                requests.append(time.perf_counter() - start)
                if response.status != 201:
                    raise RuntimeError(f"intake answered {response.status}")
        finally:
            os.killpg(server.process.pid, 15)
            server.process.wait()
        with open(log) as f:
            checks = [float(line) for line in f if line.strip()]
    return {"posted": len(requests), "checks": len(checks),
            "check_p50_ms": round(common.percentile(checks, 50) * 1000, 2),
            "check_p95_ms": round(common.percentile(checks, 95) * 1000, 2),
            "request_p50_ms": round(common.percentile(requests, 50) * 1000, 1),
            "request_p95_ms": round(common.percentile(requests, 95) * 1000, 1)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, nargs="*", default=[5000, 50000])
    parser.add_argument("--seeds", type=int, nargs="*", default=[1, 2, 13])
    parser.add_argument("--batch", type=int, default=100_000)
    parser.add_argument("--create", type=int, default=300)
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--register", help="the SQLite URL of a bulk register to time the "
                                           "batch and the create check on (else built)")
    args = parser.parse_args()
    print(f"# machine: {machine()}")
    if not args.skip_quality:
        print("people seed true pairs likely  P(likely) R(likely) P(l|p) R(l|p) batch_s"
              " incr=batch missed")
        for people in args.people:
            for seed in args.seeds:
                r = quality(people, seed)
                print(f"{r['people']:>6} {seed:>4} {r['true']:>4} {r['pairs']:>5} {r['likely']:>6}"
                      f"  {r['likely_precision']:.4f}    {r['likely_recall']:.4f}    "
                      f"{r['either_precision']:.4f} {r['either_recall']:.4f} {r['batch_s']:>6}"
                      f"  {r['incremental_equals_batch']}  {r['missed']}"
                      + (f"  (town built in {r['town_built_s']:.0f} s)" if r["town_built_s"] else ""),
                      flush=True)
    if args.batch:
        url, b = batch(args.batch, register=args.register)
        print(f"# batch: {b['people']} people, {b['pairs']} pairs ({b['likely']} likely): "
              f"{b['seconds']} s", flush=True)
        if args.create:
            c = create(url, args.create)
            print(f"# create check through intake ({c['posted']} registrations over HTTP, "
                  f"{b['people']} people): check p50 {c['check_p50_ms']} ms, p95 "
                  f"{c['check_p95_ms']} ms; request p50 {c['request_p50_ms']} ms, p95 "
                  f"{c['request_p95_ms']} ms", flush=True)


if __name__ == "__main__":
    main()
