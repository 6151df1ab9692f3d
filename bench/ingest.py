"""Submission intake throughput: a real gunicorn, 8 concurrent keep-alive clients, N distinct
submissions of ../shared/bench/bench_plain.xml per round, several rounds (the median is
reported: this VM's CPU speed varies run to run). Printed beside two baselines from the same
run: the in-process cost of the same intake without HTTP (the limit), and the HTTP ceiling
(HEAD /submission: the same server doing only authentication). ODK Central on this machine
(2 cores): ~100 submissions/s sustained, p50 72 ms; bench_entity ~85/s accepted, entities
created at ~50/s (asynchronously). Doorstep creates each entity inside the request, so its
entities/s is its submissions/s; the `entities` column counts them. Goal: 5x.

Those Central figures were measured once, at a machine speed nobody recorded. When a running
Central is named (bench/central.py: DOORSTEP_BENCH_CENTRAL and DOORSTEP_BENCH_CENTRAL_DB), it
is measured in the same run instead, its rounds interleaved with Doorstep's, and the ratio is
taken against its completed rate there.

    python bench/ingest.py [--n 2000] [--rounds 3] [--clients 8] [--db sqlite|postgresql|both]
                           [--workers W] [--threads T] [--form bench_plain.xml] [--events]

--events: the server (and the in-process figure) derive two life events per bench_plain
submission with a test-only deriver of a typical size (bench/events.py).
"""
import argparse
import os
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import central  # noqa: E402
import common  # noqa: E402

CENTRAL = {"bench_plain": 100.0, "bench_entity": 85.0}


def plain_instance(form_id, i):
    """An instance of bench_plain, or of bench_entity creating one person (as Collect fills
    them: each has its own entity id)."""
    if form_id == "bench_entity":
        return (f'<data id="{form_id}" version="1"><first_name>Name {i}</first_name>'
                f'<age>{20 + i % 50}</age><color>red</color><meta>'
                f'<instanceID>uuid:{uuid.uuid4()}</instanceID>'
                f'<entity dataset="people" id="{uuid.uuid4()}" create="1">'
                f'<label>Name {i} {20 + i % 50}</label></entity></meta></data>').encode()
    return (f'<data id="{form_id}" version="1"><name>Name {i}</name><age>{20 + i % 50}</age>'
            f'<color>red</color><fruits>apple banana</fruits><note>note {i}</note>'
            f'<meta><instanceID>uuid:{uuid.uuid4()}</instanceID></meta></data>').encode()


def in_process(app, token, form_id, n):
    """Submissions/s through intake.receive() with no HTTP: parse, store, commit."""
    from app.auth.actors import app_user_by_token
    from app.db import transactions
    from app.db import db
    from app.submissions.intake import Upload, receive
    with app.app_context():
        store = app.extensions["blob_store"]
        uploads = [Upload(xml=plain_instance(form_id, i)) for i in range(n)]
        start = time.perf_counter()
        for upload in uploads:
            # as the HTTP handler does: the app-user lookup opens intake's read phase (on
            # SQLite without the write lock, which a plain transaction would take)
            transactions.begin_reads(db.session)
            actor = app_user_by_token(db.session, token)
            receive(db.session, store, actor, 1, upload)
        return n / (time.perf_counter() - start)


def http_rounds(port, path, form_id, args, peer=None):
    """Doorstep's rounds; with a Central (`peer`), each followed by a Central round of the
    same size, so that both are measured in the same minutes."""
    rounds, peer_rounds = [], []
    entity_form = form_id == "bench_entity"

    def bodies(n):
        return [common.multipart(plain_instance(form_id, i)) for i in range(n)]

    common.post_all(port, path, bodies(200), args.clients)                     # warm up
    if peer:
        peer.settle()
        peer.round(bodies(200), args.clients, entity_form)
    for _ in range(args.rounds):
        seconds, latencies, statuses = common.post_all(port, path, bodies(args.n), args.clients)
        rounds.append({"rate": args.n / seconds, "statuses": statuses,
                       **{f"p{p}": common.percentile(latencies, p) for p in (50, 95, 99)}})
        if peer:
            peer_rounds.append(peer.round(bodies(args.n), args.clients, entity_form))
    head = [(b"", "text/plain")] * args.n
    seconds, _, _ = common.post_all(port, path, head, args.clients, method="HEAD")
    median = sorted(rounds, key=lambda r: r["rate"])[len(rounds) // 2]
    peer_median = ({**sorted(peer_rounds, key=lambda r: r["completed"])[len(peer_rounds) // 2],
                    "rates": [r["completed"] for r in peer_rounds]} if peer_rounds else None)
    return median, [r["rate"] for r in rounds], args.n / seconds, peer_median


def run(kind, args, peer=None):
    """One database's figures; `peer`, a prepared bench/central.Central, is measured
    alongside (its figures under "peer"), else the fixed Central figures are the baseline."""
    form_path = os.path.join(common.SHARED_BENCH, args.form)
    form_id = os.path.splitext(args.form)[0]
    with common.scratch_database(kind) as url, tempfile.TemporaryDirectory() as data:
        app = common.make_app(url, data)
        token = common.prepare(app, [form_path])
        with_events = getattr(args, "events", False)      # bench/run_all.py does not ask
        if with_events:
            import events
            events.register_bench_deriver()
        limit = in_process(app, token, form_id, 1000)
        port = common.free_port()
        server = common.Gunicorn(url, data, port, args.workers, args.threads,
                                 app_uri="events_app:app" if with_events else "wsgi:app")
        shape = gunicorn_shape(url, args)
        try:
            median, rates, ceiling, peer_median = http_rounds(
                port, f"/v1/key/{token}/projects/1/submission", form_id, args, peer)
        finally:
            server.stop()
        entities = count_entities(app)
        life_events = count_life_events(app) if with_events else None
    return {"life_events": life_events,
            "db": kind, **median, "rates": rates, "ceiling": ceiling, "limit": limit,
            "central": CENTRAL.get(form_id), "entities": entities, "shape": shape,
            "peer": peer_median}


def gunicorn_shape(database_url, args):
    """The "workers x threads" the server ran with: the options', else the shipped default."""
    from app import gunicorn_conf
    workers, threads = gunicorn_conf.shape_for(database_url)
    return f"{args.workers or workers}x{args.threads or threads}"


def count_life_events(app):
    from sqlalchemy import func, select

    from app.db import db
    from app.events.models import LifeEvent
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(LifeEvent))


def count_entities(app):
    from sqlalchemy import func, select

    from app.db import db
    from app.register.models import Entity
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Entity))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=2000, help="submissions per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=0, help="default: app/gunicorn_conf.py")
    parser.add_argument("--threads", type=int, default=0, help="default: app/gunicorn_conf.py")
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--form", default="bench_plain.xml")
    parser.add_argument("--events", action="store_true",
                        help="derive two life events per submission (bench/events.py)")
    args = parser.parse_args(argv)
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    peer = central.from_environment()
    if peer:
        peer.prepare([os.path.join(common.SHARED_BENCH, args.form)])
    events = " with 2 life events each" if args.events else ""
    print(f"# intake: {args.form}{events}, {args.rounds} rounds x {args.n} submissions, {args.clients} "
          f"clients, {os.cpu_count()} cores; gunicorn workers x threads per database; "
          f"CPU reference {common.cpu_reference():.0f} ms (bench/common.py)")
    print(f"{'db':<11}{'shape':>6}{'subs/s':>8}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}"
          f"{'rounds':>18}{'HEAD/s':>8}{'in-proc/s':>10}{'vs Central':>11}{'entities':>10}"
          "  statuses")
    for kind in kinds:
        r = run(kind, args, peer)
        ratio = f"{r['rate'] / r['central']:.1f}x" if r["central"] else "-"
        rounds = "/".join(f"{x:.0f}" for x in r["rates"])
        print(f"{r['db']:<11}{r['shape']:>6}{r['rate']:>8.0f}{r['p50']:>8.1f}{r['p95']:>8.1f}{r['p99']:>8.1f}"
              f"{rounds:>18}{r['ceiling']:>8.0f}{r['limit']:>10.0f}{ratio:>11}{r['entities']:>10}"
              f"  {r['statuses']}")
        if r["life_events"] is not None:
            print(f"{'':<11}{r['life_events']} life events written")
        if r["peer"]:
            p = r["peer"]
            rounds = "/".join(f"{x:.0f}" for x in p["rates"])
            print(f"{'  ODK Central, same run:':<25}{p['completed']:>8.0f} completed/s (rounds "
                  f"{rounds}; accepted {p['accepted']:.0f}/s, p50 {p['p50']:.1f} ms); Doorstep "
                  f"{r['rate'] / p['completed']:.1f}x  {p['statuses']}")


if __name__ == "__main__":
    main()
