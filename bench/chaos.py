"""Chaos: the phone fleet (bench/phones.py) runs while gunicorn workers, and the whole server,
are SIGKILLed at random moments (a worker, and every third time the master with all its workers)
and started again. At the end the ledger is checked against
the server's database:

- every instance a phone ever got a 201 for is stored, exactly once, with every attachment it
  sent (the blob on disk, its SHA-256 the phone's);
- no instance ID is stored twice;
- the register equals its replay from the journal (`flask register rebuild --check`).

With --hosts 2 (PostgreSQL only) two gunicorn hosts, each with its own data and instance
directory, share the database; each phone session goes to one of them at random and the kills
fall on either. --storage s3 keeps the blobs in one S3 bucket (moto's server on loopback)
that every host uses, as two hosts must (docs/operations.md "Two hosts, one database").

    python bench/chaos.py [--people 4000] [--photos 400] [--kills 20] [--db sqlite|postgresql]
                          [--hosts 1|2] [--storage local|s3]

Exits non-zero when a check fails or fewer kills than asked for happened.
"""
import argparse
import contextlib
import hashlib
import os
import random
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
import phones as fleet  # noqa: E402


def killer(servers, rng, stop, kills, wanted, interval, trouble, halt):
    """Until `stop` or `wanted` kills: wait a random interval, then on one of the servers
    (hosts) SIGKILL one worker, or (every third kill) crash the whole server and start it
    again. Each interval starts once that server answers again, so the phones get some work
    done between kills. A server that does not come back ends the run: the reason goes into
    `trouble` and `halt` stops the phones, so the run fails instead of waiting out its limit."""
    try:
        _kill(servers, rng, stop, kills, wanted, interval)
    except Exception as e:       # noqa: BLE001 - any failure here must reach the report
        trouble.append(f"the killer stopped: {type(e).__name__}: {e}")
        halt.set()


def _kill(servers, rng, stop, kills, wanted, interval):
    while len(kills) < wanted and not stop.wait(rng.uniform(*interval)):
        index = rng.randrange(len(servers)) if len(servers) > 1 else 0
        server = servers[index]
        if len(kills) % 3 != 2:
            pid = server.kill_worker(rng)
            if pid:
                kills.append(("worker", time.time(), index))
        else:
            server.crash()
            kills.append(("server", time.time(), index))
            server.start()
        server.wait_ready()


def verify(app, ledger):
    """The checks above; returns (report dict, list of failures)."""
    from sqlalchemy import func, select

    from app.db import db
    from app.register import rebuild
    from app.storage.models import Blob
    from app.submissions.models import Submission, SubmissionAttachment, SubmissionDef
    store = app.extensions["blob_store"]
    failures = []
    with app.app_context():
        stored = {}
        for instance_id, n in db.session.execute(
                select(Submission.instance_id, func.count()).group_by(Submission.instance_id)):
            stored[instance_id] = n
        twice = [i for i, n in stored.items() if n > 1]
        if twice:
            failures.append(f"{len(twice)} instance IDs stored more than once: {twice[:5]}")
        acked = ledger.acked()
        missing = [i for i in acked if i not in stored]
        if missing:
            failures.append(f"{len(missing)} acknowledged instances not stored: {missing[:5]}")
        attachments_checked = 0
        for instance_id, entry in acked.items():
            if not entry["files"] or instance_id not in stored:
                continue
            rows = db.session.execute(
                select(SubmissionAttachment.name, Blob.sha256)
                .join(SubmissionDef, SubmissionDef.id == SubmissionAttachment.def_id)
                .join(Submission, Submission.id == SubmissionDef.submission_id)
                .outerjoin(Blob, Blob.sha256 == SubmissionAttachment.blob_sha256)
                .where(Submission.instance_id == instance_id)).all()
            have = {name: sha for name, sha in rows}
            for name, sha in entry["files"].items():
                attachments_checked += 1
                if have.get(name) != sha:
                    failures.append(f"{instance_id}: attachment {name} missing or different")
                    continue
                with store.open(sha) as f:
                    if hashlib.sha256(f.read()).hexdigest() != sha:
                        failures.append(f"{instance_id}: attachment {name} corrupt on disk")
        report = rebuild.check(db.session, 1)
        if report.differences:
            failures.append(f"the register differs from its replay: {report.differences[:3]}")
        db.session.rollback()
    return {"stored": len(stored), "acknowledged": len(acked),
            "stored_not_acknowledged": len(set(stored) - set(acked)),
            "attachments_checked": attachments_checked, "register_events": report.events,
            "entities": report.entities}, failures


def run(kind, people, photos, kills_wanted, seed=1, cut=0.05, lost=0.03, workers=0,
        max_bytes=300_000, interval=None, hosts=1, storage="local", limit=1800):
    """One chaos run on a scratch database of `kind`, served by `hosts` gunicorn servers
    keeping blobs in `storage` (local: each host's data directory; s3: one shared bucket).
    The phones stop after `limit` seconds; what they had not sent by then is a failure, named
    with the answers it got. Returns (summary, failures)."""
    if hosts > 1 and (kind != "postgresql" or storage != "s3"):
        raise ValueError("several hosts need PostgreSQL and the S3 object store")
    with contextlib.ExitStack() as stack:
        store = stack.enter_context(common.s3_store()) if storage == "s3" else {}
        return _run(kind, people, photos, kills_wanted, seed, cut, lost, workers, max_bytes,
                    interval, hosts, store, stack, limit)


def _run(kind, people, photos, kills_wanted, seed, cut, lost, workers, max_bytes, interval,
         hosts, store, stack, limit):
    rng = random.Random(seed)
    url = stack.enter_context(common.scratch_database(kind))
    data = [stack.enter_context(tempfile.TemporaryDirectory()) for _ in range(hosts)]
    app = common.make_app(url, data[0], store)
    ports = [common.free_port() for _ in range(hosts)]
    phones, ledger = fleet.prepare_fleet(app, people, photos, seed, cut, lost,
                                         ports if hosts > 1 else ports[0])
    total = len(ledger.entries)
    env = {f"DOORSTEP_{k}": v for k, v in store.items()}
    servers = []
    for i in range(hosts):
        instance = stack.enter_context(tempfile.TemporaryDirectory())
        servers.append(common.Gunicorn(url, data[i], ports[i], workers, 0,
                                       max_bytes=max_bytes,
                                       env={**env, "DOORSTEP_INSTANCE_DIR": instance}))
    kills, trouble, stop, halt = [], [], threading.Event(), threading.Event()
    # spread the kills over most of the run: the fleet sends about 40-60 instances/s on
    # 2 cores (its phones' own pace); assume the faster, so the kills asked for all happen
    interval = interval or (0.3, max(0.6, 1.4 * total / 60 / kills_wanted))
    chaos = threading.Thread(target=killer, args=(servers, rng, stop, kills, kills_wanted,
                                                  interval, trouble, halt), daemon=True)
    chaos.start()
    try:
        seconds = fleet.run_fleet(phones, stop=halt, limit=limit)
        stop.set()
        chaos.join(120)
    finally:
        stop.set()
        for server in servers:
            server.stop()
    summary, failures = verify(app, ledger)
    failures = trouble + failures
    summary.update({"db": kind, "hosts": hosts, "storage": "s3" if store else "local",
                    "instances": total, "phones": len(phones),
                    "seconds": round(seconds, 1),
                    "kills": len(kills),
                    "kills_per_host": [sum(1 for k in kills if k[2] == i)
                                       for i in range(hosts)],
                    "server_crashes": sum(1 for k in kills if k[0] == "server"),
                    "requests": ledger.summary()["requests"],
                    "outcomes": ledger.summary()["outcomes"]})
    if summary["acknowledged"] < total:
        failures.append(f"{total - summary['acknowledged']} instances were never "
                        f"acknowledged (refused, or the run ran out of time); the first, with "
                        f"their last answers: {ledger.unacknowledged(5)}")
    if len(kills) < kills_wanted:
        failures.append(f"only {len(kills)} kills happened during the run "
                        f"({kills_wanted} wanted)")
    return summary, failures


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=4000,
                        help="size of the synthetic town whose phones send")
    parser.add_argument("--photos", type=int, default=400,
                        help="photo-form instances (three attachments each, split uploads)")
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="sqlite")
    parser.add_argument("--hosts", type=int, default=1,
                        help="gunicorn hosts sharing the database (2 needs --db postgresql "
                        "--storage s3)")
    parser.add_argument("--storage", choices=["local", "s3"], default="local",
                        help="where blobs go: each host's data directory, or one S3 bucket "
                        "(moto's server on loopback)")
    args = parser.parse_args(argv)
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    if args.hosts > 1 and (kinds != ["postgresql"] or args.storage != "s3"):
        parser.error("--hosts 2 needs --db postgresql --storage s3")
    failed = False
    for kind in kinds:
        summary, failures = run(kind, args.people, args.photos, args.kills, args.seed,
                                workers=args.workers, hosts=args.hosts,
                                storage=args.storage)
        print(f"# chaos on {kind}, {args.hosts} host(s), {args.storage} storage "
              f"({os.cpu_count()} cores): {summary}")
        for failure in failures:
            print(f"FAIL: {failure}")
        if not failures:
            print("OK: every acknowledged submission stored exactly once with its attachments;"
                  " the register equals its replay.")
        failed = failed or bool(failures)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
