"""What a covering index of submission_defs for the exports costs intake: home visits
received in-process (intake.receive(), no HTTP) into two scratch databases, one with the
index and one without, in interleaved rounds; CPU time of this thread per submission (wall
time on this shared 2-core machine drifts too much for a few per cent).

    python bench/export_index.py --db sqlite --rounds 6 --n 300

The index measured is migration 0029's (app/exports/models.py); "without" drops it.
"""
import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
import export as bench_export  # noqa: E402

INDEX = "ix_submission_defs_export"


def setup(kind, url, data, keep_index):
    from sqlalchemy import text
    app = common.make_app(url, data)
    token = common.prepare(app, [os.path.join(common.ROOT, "forms", "home_visit.xlsx")])
    if not keep_index:
        from app.db import db
        with app.app_context():
            db.session.execute(text(f"DROP INDEX {INDEX}"))
            db.session.commit()
    return app, token


def receive_round(app, token, n, samples, start):
    """CPU seconds of this thread per submission for n home visits."""
    from app.auth.actors import app_user_by_token
    from app.db import transactions
    from app.db import db
    from app.submissions.intake import Upload, receive
    with app.app_context():
        store = app.extensions["blob_store"]
        uploads = []
        for i in range(start, start + n):
            xml, iid, _members = samples[i % len(samples)]
            uploads.append(Upload(xml=xml.replace(iid, f"uuid:{uuid.uuid4()}").encode()))
        cpu = time.thread_time()
        for upload in uploads:
            transactions.begin_reads(db.session)
            actor = app_user_by_token(db.session, token)
            receive(db.session, store, actor, 1, upload)
        return (time.thread_time() - cpu) / n


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--n", type=int, default=300)
    args = parser.parse_args(argv)
    samples = bench_export.samples()
    with common.scratch_database(args.db) as url_a, common.scratch_database(args.db) as url_b, \
            tempfile.TemporaryDirectory() as data_a, tempfile.TemporaryDirectory() as data_b:
        apps = {"with the index": setup(args.db, url_a, data_a, True),
                "without": setup(args.db, url_b, data_b, False)}
        for name, (app, token) in apps.items():
            receive_round(app, token, 100, samples, 0)     # warm-up
        got = {name: [] for name in apps}
        for r in range(args.rounds):
            for name, (app, token) in apps.items():
                got[name].append(receive_round(app, token, args.n, samples, 100 + r * args.n))
        for name, values in got.items():
            print(f"{args.db} {name}: median {statistics.median(values) * 1e3:.3f} ms CPU a "
                  f"home visit (rounds: {', '.join(f'{v * 1e3:.3f}' for v in values)})")


if __name__ == "__main__":
    main()
