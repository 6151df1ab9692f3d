"""What writing life events costs intake: bench_plain submissions through intake.receive() in
process (no HTTP, so the difference is not lost in the server's noise), in interleaved rounds
of three set-ups on the same database:

- before: intake without the life-events step (the processors as they were before issue 17);
- no deriver: the step runs, but the form has no deriver (a form that reports no events);
- deriver: a test-only deriver of a typical size (it reads five answers and yields two events
  with details, as a home visit reporting a birth and a move does).

    python bench/events.py [--n 300] [--rounds 9] [--db sqlite|postgresql|both]

`python bench/ingest.py --events` measures the same deriver through a real gunicorn.
"""
import argparse
import datetime as dt
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from ingest import plain_instance  # noqa: E402

FORM = "bench_plain"


def bench_deriver(a):
    """Typical size: five answers read, two events with details."""
    from app.events.derive import Event
    age = a.int("age")
    yield Event("birth", dt.date(2026, 11, 20), details={
        "sex": "female" if (age or 0) % 2 else "male", "weight_kg": 3.2,
        "certificate_no": a.get("note"), "place": "hospital", "facility": a.get("color"),
        "father": "", "birth_order": 1})
    yield Event("moved_in", dt.date(2026, 11, 21), details={
        "from": a.get("name"), "migrant": "no", "reason": " ".join(a.selected("fruits")),
        "within_town": "yes"})


def register_bench_deriver():
    from app.events.derive import deriver
    deriver(FORM, yields=("birth", "moved_in"))(bench_deriver)


def in_process(app, token, n):
    """(wall ms, CPU ms) per submission through intake.receive(), as bench/ingest.py's
    in-process figure; CPU time is what a busy shared machine disturbs least."""
    from app.auth.actors import app_user_by_token
    from app.db import transactions
    from app.db import db
    from app.submissions.intake import Upload, receive
    with app.app_context():
        store = app.extensions["blob_store"]
        uploads = [Upload(xml=plain_instance(FORM, i)) for i in range(n)]
        wall, cpu = time.perf_counter(), time.process_time()
        for upload in uploads:
            transactions.begin_reads(db.session)
            receive(db.session, store, app_user_by_token(db.session, token), 1, upload)
        return ((time.perf_counter() - wall) * 1000 / n, (time.process_time() - cpu) * 1000 / n)


def run(kind, n, rounds):
    from app.events import derive, record
    from app.submissions import processing
    form_path = os.path.join(common.SHARED_BENCH, f"{FORM}.xml")
    with common.scratch_database(kind) as url, tempfile.TemporaryDirectory() as data:
        app = common.make_app(url, data)
        token = common.prepare(app, [form_path])
        full = list(processing.PROCESSORS)
        before = [p for p in full if p is not record.record_received]
        setups = {"before": (before, False), "no deriver": (full, False), "deriver": (full, True)}
        found = {name: [] for name in setups}
        in_process(app, token, 200)                                        # warm up
        for _ in range(rounds):
            for name, (processors, with_deriver) in setups.items():
                processing.PROCESSORS[:] = processors
                derive.DERIVERS.pop(FORM, None)
                if with_deriver:
                    register_bench_deriver()
                found[name].append(in_process(app, token, n))
        processing.PROCESSORS[:] = full
        derive.DERIVERS.pop(FORM, None)
        with app.app_context():
            from sqlalchemy import func, select

            from app.db import db
            from app.events.models import LifeEvent
            events = db.session.scalar(select(func.count()).select_from(LifeEvent))
    return found, events


def _median(values):
    return sorted(values)[len(values) // 2]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args(argv)
    print(f"# life events in intake: {FORM}, {args.rounds} interleaved rounds x {args.n} "
          f"submissions in process, {os.cpu_count()} cores; CPU reference "
          f"{common.cpu_reference():.0f} ms (bench/common.py)")
    print(f"{'db':<11}{'set-up':<12}{'wall ms':>9}{'CPU ms':>8}{'CPU +ms':>9}  CPU ms per round")
    for kind in (["sqlite", "postgresql"] if args.db == "both" else [args.db]):
        found, events = run(kind, args.n, args.rounds)
        base = _median([c for _w, c in found["before"]])
        for name, rounds in found.items():
            cpu = _median([c for _w, c in rounds])
            print(f"{kind:<11}{name:<12}{_median([w for w, _c in rounds]):>9.2f}{cpu:>8.3f}"
                  f"{cpu - base:>+9.3f}  " + "/".join(f"{c:.2f}" for _w, c in rounds))
        print(f"{kind:<11}{events} life events written")


if __name__ == "__main__":
    main()
