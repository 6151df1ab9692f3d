"""Central's CSV exports through a real gunicorn: rows/s, the worker's memory, and what other
requests on the same worker wait while a big export runs.

    python bench/export.py --db sqlite --submissions 100000
    python bench/export.py --db postgresql --submissions 100000 --sizes 10000,100000
    python bench/export.py --db sqlite --sizes 10000,100000,1000000     # 1M: once, ~7 GB
    python bench/export.py --db sqlite --before /tmp/main    # git archive main | tar -x -C …

Setup (not timed): the town's forms are published into a scratch database and N home visits
are written straight into `submissions` / `submission_defs` in bulk, each one of the eight
home-visit samples in tests/samples/instances (2 to 6 household members, 3.7 on average,
6.6 kB of XML on average) with a fresh instanceID, one village, an arrival time a second
apart. These are the rows intake writes for that XML; nothing reads anything else.

Measured, for each size, on one gunicorn worker (the shipped gevent worker, so the export and
the other requests share one process, as they would in production):
- `csv.zip` (with ?attachments=false: there are no files) and `csv`, each three times: cold
  (nothing kept: every visit parsed, its lines and segments written back,
  app/exports/lines.py and segments.py), lines (the kept lines read, no XML, but no
  segments: every visit's row read, its cells written and deflated) and warm (the kept
  segments copied); seconds to the last byte,
  submissions/s and CSV rows/s (rows of every table: a visit is one household row and one row
  per member), bytes;
- the worker's peak RSS (VmHWM from /proc) before and after each export, and VmRSS sampled
  every 50 ms while it runs: flat memory means the peak does not grow with N;
- a baseline in the same run: a bare keyset SELECT of the same XML column in this process
  (no parsing, no CSV, no HTTP), rows/s;
- latency of another request (GET /v1/projects/1/forms) sent every 100 ms while the export
  runs, against the same request on the idle worker: the cooperative yield at work.

Central's figures (issue 21, measured on this machine at 100,000 submissions): 4.3k
submissions/s as a zip, 6.4k/s as CSV; its memory grew to 332 MB. Goal: 10× those rates.
"""
import argparse
import hashlib
import http.client
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime, timedelta

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from reports import machine  # noqa: E402

SAMPLES = os.path.join(common.ROOT, "tests", "samples", "instances")
CENTRAL = {"csv.zip": 4300, "csv": 6400}
PASSWORD = "bench-export-password"
INSTANCE_ID = "uuid:a2af628f-befd-4e7a-ad55-02ceb1ecafb5"


def samples():
    """[(xml text, its instanceID, members)] of the home-visit samples."""
    import re
    out = []
    for name in sorted(os.listdir(SAMPLES)):
        if name.startswith("home_visit_"):
            with open(os.path.join(SAMPLES, name), encoding="utf-8") as f:
                xml = f.read()
            iid = re.search(r"<instanceID>([^<]+)</instanceID>", xml).group(1)
            out.append((xml, iid, xml.count("<member>")))
    return out


def fill(app, count, start_at=0, echo=print):
    """Write `count` home visits in bulk (see the module docstring). Returns CSV rows made."""
    from sqlalchemy import func, insert, select

    from app.auth.models import AppUser
    from app.db import db
    from app.forms.models import Form
    from app.projects.models import Area
    from app.submissions.models import Submission, SubmissionDef
    made = samples()
    rows = 0
    with app.app_context():
        form = db.session.scalar(select(Form).where(Form.xml_form_id == "home_visit"))
        area = db.session.scalar(select(Area.id).where(Area.code == "dongwan"))
        phone = db.session.scalar(select(func.min(AppUser.id)))
        version_id = form.current_version_id
        form_id = form.id
        db.session.rollback()
        base = datetime(2026, 1, 1)
        connection = db.engine.connect()
        chunk = 5000
        s_table, d_table = Submission.__table__, SubmissionDef.__table__
        first_id = (connection.scalar(select(func.coalesce(func.max(s_table.c.id), 0))) or 0) + 1
        for at in range(0, count, chunk):
            subs, defs = [], []
            for i in range(at, min(count, at + chunk)):
                n = start_at + i
                xml, iid, members = made[n % len(made)]
                new = f"uuid:{uuid.UUID(int=n + 1)}"
                xml = xml.replace(iid, new)
                rows += 1 + members
                sid = first_id + i
                created = base + timedelta(seconds=n)
                subs.append({"id": sid, "form_id": form_id, "instance_id": new, "area_id": area,
                             "submitter_kind": "app_user", "submitter_id": phone,
                             "device_id": "collect:bench", "in_register": True,
                             "created_at": created})
                defs.append({"id": sid, "submission_id": sid, "form_id": form_id,
                             "form_version_id": version_id, "instance_id": new, "xml": xml,
                             "xml_sha256": hashlib.sha256(xml.encode()).hexdigest(),
                             "current": True, "encrypted": False, "submitter_kind": "app_user",
                             "submitter_id": phone, "device_id": "collect:bench",
                             "created_at": created})
            connection.execute(insert(s_table), subs)
            connection.execute(insert(d_table), defs)
            connection.commit()
            if (at // chunk) % 20 == 0:
                echo(f"  {at + len(subs):,} / {count:,} written")
        if connection.dialect.name == "postgresql":
            from sqlalchemy import text
            connection.execute(text("ANALYZE submissions"))
            connection.execute(text("ANALYZE submission_defs"))
            connection.commit()
        connection.close()
    return rows


def bare_select(database_url, batch=500):
    """Rows/s of a keyset SELECT of the current XML column, no parsing: the floor."""
    from sqlalchemy import create_engine, text
    url = database_url.replace("postgresql://", "postgresql+psycopg://", 1)
    engine = create_engine(url)
    start = time.perf_counter()
    n, after = 0, None
    with engine.connect() as c:
        while True:
            q = ("SELECT s.id, s.created_at, d.xml FROM submissions s JOIN submission_defs d"
                 " ON d.submission_id = s.id AND d.current"
                 + (" WHERE (s.created_at < :c OR (s.created_at = :c AND s.id < :i))"
                    if after else "") + " ORDER BY s.created_at DESC, s.id DESC LIMIT :b")
            rows = c.execute(text(q), {"b": batch, **({"c": after[0], "i": after[1]}
                                                     if after else {})}).all()
            c.commit()
            n += len(rows)
            if len(rows) < batch:
                break
            after = (rows[-1].created_at, rows[-1].id)
    seconds = time.perf_counter() - start
    engine.dispose()
    return n, seconds


def forget_lines(database_url, tables=("export_segments", "export_lines")):
    """Drop every kept export segment and line (derived: exports stay the same); with
    tables=("export_segments",) the segments alone."""
    from sqlalchemy import create_engine, text
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as c:
        for table in tables:
            c.execute(text(f"DELETE FROM {table}"))
    engine.dispose()


def status(pid):
    """{VmHWM, VmRSS} of a process in MB."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(("VmHWM", "VmRSS")):
                key, value = line.split(":")
                out[key] = int(value.split()[0]) / 1024
    return out


def token(port):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("POST", "/v1/sessions", json.dumps({"email": "bench-admin",
                                                     "password": PASSWORD}),
                 {"Content-Type": "application/json"})
    body = json.loads(conn.getresponse().read())
    return body["token"]


def probe(port, bearer, stop, out):
    """GET /v1/projects/1/forms every 100 ms until `stop`; latencies (s) into `out`."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    while not stop.is_set():
        start = time.perf_counter()
        conn.request("GET", "/v1/projects/1/forms", headers={"Authorization": f"Bearer {bearer}"})
        conn.getresponse().read()
        out.append(time.perf_counter() - start)
        stop.wait(0.1)
    conn.close()


def export(port, bearer, path, pid):
    """(seconds, bytes, peak sampled RSS MB, zip bytes or None) of one export download."""
    samples_rss = []
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            try:
                samples_rss.append(status(pid)["VmRSS"])
            except OSError:
                pass
            stop.wait(0.05)
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=3600)
    start = time.perf_counter()
    conn.request("GET", path, headers={"Authorization": f"Bearer {bearer}"})
    response = conn.getresponse()
    assert response.status == 200, (response.status, response.read()[:500])
    size = 0
    keep = tempfile.TemporaryFile()
    while chunk := response.read(1 << 16):
        size += len(chunk)
        keep.write(chunk)
    seconds = time.perf_counter() - start
    stop.set()
    sampler.join()
    conn.close()
    return seconds, size, max(samples_rss or [0]), keep


def count_rows(keep, zipped):
    """CSV rows (headers left out) of every table in the download."""
    import csv
    import io
    import zipfile
    keep.seek(0)
    total = {}
    if zipped:
        with zipfile.ZipFile(keep) as z:
            for name in z.namelist():
                with z.open(name) as f:
                    total[name] = sum(1 for _ in csv.reader(io.TextIOWrapper(f, "utf-8"))) - 1
    else:
        total["csv"] = sum(1 for _ in csv.reader(io.TextIOWrapper(keep, "utf-8"))) - 1
    keep.close()
    return total


def run(kind, sizes, echo=print, latency=True, before_dir=None, rounds=2):
    results = []
    with common.scratch_database(kind) as url, tempfile.TemporaryDirectory() as data:
        app = common.make_app(url, data)
        common.prepare(app, [os.path.join(common.ROOT, "forms", f) for f in
                             sorted(os.listdir(os.path.join(common.ROOT, "forms")))
                             if f.endswith(".xlsx")], village="dongwan")
        with app.app_context():
            from app.auth.accounts import create_user
            from app.db import db
            create_user(db.session, "bench-admin", PASSWORD, "admin", "Doorstep")
            db.session.commit()
        written = 0
        port = common.free_port()
        for size in sizes:
            echo(f"{kind}: writing {size - written:,} home visits …")
            t = time.perf_counter()
            fill(app, size - written, start_at=written, echo=echo)
            written = size
            echo(f"  written in {time.perf_counter() - t:.0f} s")
            n, seconds = bare_select(url)
            server = common.Gunicorn(url, data, port, workers=1, threads=None)
            try:
                (pid,) = server.workers()
                bearer = token(port)
                idle = []
                stop = threading.Event()
                stop_later = threading.Timer(2.0, stop.set)
                stop_later.start()
                probe(port, bearer, stop, idle)
                row = {"db": kind, "submissions": size, "bare_select_per_s": n / seconds,
                       "idle_latency_ms": statistics.median(idle) * 1000,
                       "idle_rss_mb": status(pid)["VmRSS"]}
                for fmt, path in (("csv.zip", "submissions.csv.zip?attachments=false"),
                                  ("csv", "submissions.csv")):
                    # cold: nothing kept (each visit parsed, its lines and segments written
                    # back); lines: the kept lines but no segments (each visit's row read
                    # and deflated); warm: the same export again, copying the kept segments
                    # (app/exports/lines.py, segments.py)
                    for state in ("cold", "lines", "warm"):
                        if state == "cold":
                            forget_lines(url)
                        elif state == "lines":
                            forget_lines(url, ("export_segments",))
                        before = status(pid)
                        seconds_, size_bytes, peak, keep = export(
                            port, bearer, f"/v1/projects/1/forms/home_visit/{path}", pid)
                        after = status(pid)
                        tables = count_rows(keep, fmt == "csv.zip")
                        rows = sum(tables.values())
                        row[f"{fmt} {state}"] = {
                            "seconds": seconds_, "bytes": size_bytes,
                            "submissions_per_s": size / seconds_, "rows": rows,
                            "rows_per_s": rows / seconds_,
                            "x_central": size / seconds_ / CENTRAL[fmt],
                            "rss_before_mb": before["VmRSS"], "rss_peak_sampled_mb": peak,
                            "hwm_after_mb": after["VmHWM"]}
                        echo(f"  {kind} {size:,} {fmt} {state}: {seconds_:.1f} s, "
                             f"{size / seconds_:,.0f} submissions/s, {rows / seconds_:,.0f} "
                             f"rows/s ({size / seconds_ / CENTRAL[fmt]:.1f}× Central's "
                             f"submissions/s), {size_bytes / 1e6:.0f} MB, RSS "
                             f"{before['VmRSS']:.0f} → peak {peak:.0f} MB (HWM "
                             f"{after['VmHWM']:.0f})")
                if latency:
                    # the zip export again, cold (the longest: every visit parsed), with another
                    # request every 100 ms on the same worker: what the cooperative yield
                    # leaves them (not part of the rates above)
                    forget_lines(url)
                    lat, stop = [], threading.Event()
                    prober = threading.Thread(target=probe, args=(port, bearer, stop, lat))
                    prober.start()
                    seconds_, _size, _peak, keep = export(
                        port, bearer, "/v1/projects/1/forms/home_visit/submissions.csv.zip"
                        "?attachments=false", pid)
                    stop.set()
                    prober.join()
                    keep.close()
                    row["during_zip"] = {"seconds": seconds_, "probes": len(lat),
                                         "latency_ms_median": statistics.median(lat) * 1000,
                                         "latency_ms_p95": (common.percentile(lat, 95)
                                                            if len(lat) > 1 else lat[0]) * 1000,
                                         "latency_ms_max": max(lat) * 1000}
                    echo(f"  other requests during a cold zip export ({seconds_:.1f} s with them): "
                         f"p50 {row['during_zip']['latency_ms_median']:.0f} ms, p95 "
                         f"{row['during_zip']['latency_ms_p95']:.0f} ms, max "
                         f"{row['during_zip']['latency_ms_max']:.0f} ms ({len(lat)} requests)")
                if before_dir:
                    row["warm_rounds"] = compare(url, data, before_dir, port, pid, bearer, size,
                                                 rounds, echo, kind)
                echo(f"  baseline: bare SELECT of the XML {n / seconds:,.0f} rows/s; idle "
                     f"request {row['idle_latency_ms']:.1f} ms; idle worker RSS "
                     f"{row['idle_rss_mb']:.0f} MB")
                results.append(row)
            finally:
                server.stop()
    return results


def compare(url, data, before, port, pid, bearer, size, rounds, echo, kind):
    """Warm exports alternating another checkout's worker (`before`, e.g. `git archive main`)
    and this one's, `rounds` times per format: before/after in one run on a drifting machine."""
    other_port = common.free_port()
    other = common.Gunicorn(url, data, other_port, workers=1, threads=None, root=before)
    out = []
    try:
        (other_pid,) = other.workers()
        other_bearer = token(other_port)
        for r in range(rounds):
            for fmt, path in (("csv.zip", "submissions.csv.zip?attachments=false"),
                              ("csv", "submissions.csv")):
                for label, (p, w, b) in (("before", (other_port, other_pid, other_bearer)),
                                         ("after", (port, pid, bearer))):
                    seconds_, _bytes, peak, keep = export(
                        p, b, f"/v1/projects/1/forms/home_visit/{path}", w)
                    keep.close()
                    out.append({"round": r, "format": fmt, "code": label, "seconds": seconds_,
                                "submissions_per_s": size / seconds_, "rss_peak_mb": peak})
                    echo(f"  {kind} {size:,} round {r} warm {fmt} {label}: {seconds_:.2f} s, "
                         f"{size / seconds_:,.0f} submissions/s "
                         f"({size / seconds_ / CENTRAL[fmt]:.1f}× Central's), RSS peak "
                         f"{peak:.0f} MB")
    finally:
        other.stop()
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--sizes", default="10000,100000",
                        help="comma-separated submission counts, measured in turn on one "
                             "database (each adds to the one before)")
    parser.add_argument("--json", help="write the results here too")
    parser.add_argument("--no-latency", action="store_true",
                        help="skip the second zip export with other requests (for 1,000,000)")
    parser.add_argument("--before", metavar="DIR",
                        help="another checkout (e.g. main, from git archive): after the "
                             "figures, warm rounds alternate its worker and this one's")
    parser.add_argument("--rounds", type=int, default=2,
                        help="warm rounds per format with --before")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"machine: {machine()}")
    print(f"started {datetime.utcnow():%Y-%m-%d %H:%M} UTC")
    results = run(args.db, sizes, latency=not args.no_latency, before_dir=args.before,
                  rounds=args.rounds)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": machine(), "results": results}, f, indent=1)


if __name__ == "__main__":
    main()
