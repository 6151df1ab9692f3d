"""Submission intake throughput: a real gunicorn, 8 concurrent clients, N distinct submissions
of ../shared/bench/bench_plain.xml, next to the in-process cost of the same intake without HTTP
(the limit the HTTP stack is measured against).

    python bench/ingest.py [--n 3000] [--clients 8] [--db sqlite|postgresql|both]
                           [--workers 2] [--threads 4] [--form bench_plain.xml]

ODK Central on this machine (2 cores): ~100 submissions/s sustained, p50 72 ms. Goal: 5x.
"""
import argparse
import os
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

CENTRAL = {"bench_plain": 100.0, "bench_entity": 85.0}


def plain_instance(form_id, i):
    return (f'<data id="{form_id}" version="1"><name>Name {i}</name><age>{20 + i % 50}</age>'
            f'<color>red</color><fruits>apple banana</fruits><note>note {i}</note>'
            f'<first_name>Name {i}</first_name>'
            f'<meta><instanceID>uuid:{uuid.uuid4()}</instanceID></meta></data>').encode()


def in_process(app, token, form_id, n):
    """Submissions/s through intake.receive() with no HTTP: parse, store, commit."""
    from app.auth.actors import app_user_by_token
    from app.extensions import db
    from app.submissions.intake import Upload, receive
    with app.app_context():
        store = app.extensions["blob_store"]
        uploads = [Upload(xml=plain_instance(form_id, i)) for i in range(n)]
        start = time.perf_counter()
        for upload in uploads:
            actor = app_user_by_token(db.session, token)
            receive(db.session, store, actor, 1, upload)
        return n / (time.perf_counter() - start)


def run(kind, args):
    form_path = os.path.join(common.SHARED_BENCH, args.form)
    form_id = os.path.splitext(args.form)[0]
    with common.scratch_database(kind) as url, tempfile.TemporaryDirectory() as data:
        app = common.make_app(url, data)
        token = common.prepare(app, [form_path])
        limit = in_process(app, token, form_id, min(args.n, 1000))
        port = common.free_port()
        server = common.Gunicorn(url, data, port, args.workers, args.threads)
        try:
            path = f"/v1/key/{token}/projects/1/submission"
            warm = [common.multipart(plain_instance(form_id, i)) for i in range(100)]
            common.post_all(port, path, warm, args.clients)
            bodies = [common.multipart(plain_instance(form_id, i)) for i in range(args.n)]
            seconds, latencies, statuses = common.post_all(port, path, bodies, args.clients)
        finally:
            server.stop()
    rate = args.n / seconds
    return {"db": kind, "rate": rate, "p50": common.percentile(latencies, 50),
            "p95": common.percentile(latencies, 95), "p99": common.percentile(latencies, 99),
            "limit": limit, "statuses": statuses, "central": CENTRAL.get(form_id)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--form", default="bench_plain.xml")
    args = parser.parse_args(argv)
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    print(f"# intake: {args.form}, {args.n} submissions, {args.clients} clients, gunicorn "
          f"{args.workers} workers x {args.threads} threads, {os.cpu_count()} cores")
    print(f"{'db':<11}{'subs/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
          f"{'in-process/s':>14}{'vs Central':>12}  statuses")
    for kind in kinds:
        r = run(kind, args)
        ratio = f"{r['rate'] / r['central']:.1f}x" if r["central"] else "-"
        print(f"{r['db']:<11}{r['rate']:>9.0f}{r['p50']:>9.1f}{r['p95']:>9.1f}{r['p99']:>9.1f}"
              f"{r['limit']:>14.0f}{ratio:>12}  {r['statuses']}")


if __name__ == "__main__":
    main()
