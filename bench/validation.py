"""What server-side validation costs per submission, in process (no HTTP), beside its baseline
in the same run: intake.receive() with intake's validation hook (app.submissions.processing
.check, filled with app.validation.step.check) switched off. For the two bench
forms (../shared/bench) and the town's forms with their sample submissions (tests/samples).
Columns: intake without validation, intake with it, validation alone (the compiled form
cached, as in a running server), and its share of intake. Medians of several rounds.

    python bench/validation.py [--n 300] [--rounds 3] [--db sqlite|postgresql]
"""
import argparse
import datetime as dt
import glob
import os
import re
import statistics
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from ingest import plain_instance  # noqa: E402

FILLED = dt.datetime(2026, 11, 20, 10)    # when the samples were filled (for today())


def fresh(xml):
    return re.sub(rb"<instanceID>[^<]+</instanceID>",
                  f"<instanceID>uuid:{uuid.uuid4()}</instanceID>".encode(), xml, count=1)


def workloads():
    from tests.samples import SAMPLES, instance
    out = [("bench_plain", lambda i: plain_instance("bench_plain", i)),
           ("bench_entity", lambda i: plain_instance("bench_entity", i))]
    for name in ("person_registered", "three_checks_finds_pregnancy", "home_visit_birth"):
        out.append((f"{SAMPLES[name].form} ({name})", lambda i, x=instance(name): fresh(x)))
    return out


def intake_ms(app, token, make, n, validate):
    """Milliseconds per submission through intake.receive()."""
    from app.auth.actors import app_user_by_token
    from app.db import db
    from app.submissions.intake import Upload, receive
    from app.submissions import processing
    saved = processing.check
    if not validate:                      # the baseline: intake with the check switched off
        processing.check = lambda *args, **kwargs: (None, None)
    try:
        with app.app_context():
            store = app.extensions["blob_store"]
            uploads = [Upload(xml=make(i)) for i in range(n)]
            start = time.perf_counter()
            for upload in uploads:
                receive(db.session, store, app_user_by_token(db.session, token), 1, upload)
            return (time.perf_counter() - start) * 1000 / n
    finally:
        processing.check = saved


def validate_ms(app, form_id, make, n, now):
    """Milliseconds per submission for validation alone (form compiled once, as cached)."""
    from sqlalchemy import select

    from app import safexml
    from app.db import db
    from app.forms.models import Form
    from app.validation.check import validate
    from app.validation.service import compiled_form, secondary_instances
    with app.app_context():
        form = db.session.scalar(select(Form).where(Form.xml_form_id == form_id))
        compiled = compiled_form(db.session, form.current_version_id)
        store = app.extensions["blob_store"]
        secondary = secondary_instances(db.session, store, form.current_version_id, compiled)
        roots = [safexml.parse(make(i)) for i in range(n)]
        start = time.perf_counter()
        for root in roots:
            validate(compiled, root, now, secondary)
        return (time.perf_counter() - start) * 1000 / n


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args(argv)
    forms = [os.path.join(common.SHARED_BENCH, f) for f in ("bench_plain.xml", "bench_entity.xml")]
    forms += sorted(glob.glob(os.path.join(common.ROOT, "forms", "*.xlsx")))
    print(f"Validation cost per submission, in process, {args.db}, {os.cpu_count()} cores, "
          f"n={args.n}, median of {args.rounds} rounds")
    print(f"{'form':48} {'intake':>9} {'+ valid.':>9} {'valid.':>8} {'share':>7}")
    with common.scratch_database(args.db) as url, tempfile.TemporaryDirectory() as data:
        app = common.make_app(url, data)
        token = common.prepare(app, forms)
        for label, make in workloads():
            form_id = label.split(" ")[0]
            without, with_, alone = [], [], []
            for _ in range(args.rounds):
                without.append(intake_ms(app, token, make, args.n, validate=False))
                with_.append(intake_ms(app, token, make, args.n, validate=True))
                alone.append(validate_ms(app, form_id, make, args.n, FILLED))
            a, b, v = (statistics.median(x) for x in (without, with_, alone))
            print(f"{label:48} {a:7.2f}ms {b:7.2f}ms {v:6.2f}ms {100 * v / b:6.1f}%")


if __name__ == "__main__":
    main()
