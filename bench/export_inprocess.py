"""The CSV exports' generators timed in this process (no HTTP, no gunicorn): the quick,
relative measure used while making the warm exports faster (bench/export.py is the
end-to-end one). Same data as bench/export.py (its fill()).

    python bench/export_inprocess.py --db sqlite --submissions 20000 --rounds 3
    python bench/export_inprocess.py --db sqlite --submissions 20000 --profile zip
    python bench/export_inprocess.py --gevent --submissions 20000 --zip-variants

Prints, per round, seconds and visits/s of a warm zip (attachments=false) and a warm plain
CSV (the kept segments copied), and a cold one of each once (kept lines and segments emptied
first); --lines empties the segments before every warm export, so the rounds measure the
kept lines' path (every visit's row read, written and deflated); --profile FORMAT runs one
warm export of that format under cProfile and prints the top of it instead.
"""
import argparse
import cProfile
import hashlib
import io
import os
import pstats
import sys
import tempfile
import time
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
import export as bench_export  # noqa: E402


def exporter(app, fmt):
    """A function running one whole export of home_visit in `fmt`, returning its bytes."""
    from sqlalchemy import select

    from app.db import db
    from app.exports import central_csv, reading
    from app.exports.fields import export_fields
    from app.forms.models import Form
    with app.app_context():
        form = db.session.scalar(select(Form).where(Form.xml_form_id == "home_visit"))
        fields = export_fields(db.session, form, False)
        form_id = form.id
        engine = db.engine
        db.session.rollback()
    selection = reading.Selection(form_id=form_id, area_ids=None, has_attachments=False)

    def run():
        h, n = hashlib.sha256(), 0
        start = time.perf_counter()
        cpu, main = time.process_time(), time.thread_time()
        keep = io.BytesIO()
        if fmt == "zip":
            body = central_csv.submissions_zip(
                engine, None, selection, fields, "home_visit",
                central_csv.Options(attachments=False))
        else:
            body = central_csv.submissions_csv(engine, selection, fields,
                                               central_csv.Options(attachments=False))
        for chunk in body:
            n += len(chunk)
            (keep.write if fmt == "zip" else h.update)(chunk)
        seconds = time.perf_counter() - start
        cpu, main = time.process_time() - cpu, time.thread_time() - main
        if fmt == "zip":     # the entries' text (the archive's own bytes hold the time)
            with zipfile.ZipFile(keep) as z:
                for name in z.namelist():
                    h.update(name.encode() + z.read(name))
        return n, f"{h.hexdigest()[:12]} cpu {cpu:.2f} s (this thread {main:.2f} s)", seconds
    return run


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--submissions", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", choices=("zip", "csv"))
    parser.add_argument("--lines", action="store_true",
                        help="no kept segments in the warm rounds: the kept lines' path")
    parser.add_argument("--zip-variants", action="store_true",
                        help="warm zip rounds alternating zlib level 1 and 6 "
                             "(app.exports.zipping COMPRESS_LEVEL)")
    parser.add_argument("--ddl", action="append", default=[],
                        help="SQL run after the first warm rounds, then the rounds again "
                             "(e.g. an index to measure)")
    args = parser.parse_args(argv)
    with common.scratch_database(args.db) as url, tempfile.TemporaryDirectory() as data:
        app = common.make_app(url, data)
        common.prepare(app, [os.path.join(common.ROOT, "forms", "home_visit.xlsx")],
                       village="dongwan")
        bench_export.fill(app, args.submissions, echo=lambda line: None)
        n = args.submissions
        runs = {fmt: exporter(app, fmt) for fmt in ("zip", "csv")}
        if args.lines:
            runs = {fmt: _without_segments(url, run) for fmt, run in runs.items()}
        for fmt in ("zip", "csv"):
            bench_export.forget_lines(url)
            size, digest, s = runs[fmt]()
            print(f"cold {fmt}: {s:.2f} s {n / s:,.0f} visits/s {size:,} B {digest}")
        if args.profile:
            runs[args.profile]()
            profile = cProfile.Profile()
            profile.enable()
            runs[args.profile]()
            profile.disable()
            pstats.Stats(profile).sort_stats("tottime").print_stats(25)
            return
        if args.zip_variants:
            from app.exports import zipping
            for r in range(args.rounds):
                for level in (1, 6):
                    zipping.COMPRESS_LEVEL = level
                    size, digest, s = runs["zip"]()
                    print(f"round {r} warm zip, level {level}: {s:.2f} s {n / s:,.0f} "
                          f"visits/s {size:,} B {digest}", flush=True)
            return
        rounds(runs, n, args.rounds, "")
        if args.ddl:
            from sqlalchemy import create_engine, text
            engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
            with engine.begin() as c:
                for statement in args.ddl:
                    c.execute(text(statement))
                if args.db == "postgresql":
                    c.execute(text("ANALYZE"))
            engine.dispose()
            rounds(runs, n, args.rounds, "after --ddl ")


def _without_segments(url, run):
    """`run`, with the kept segments emptied before it (not timed)."""
    def wrapped():
        bench_export.forget_lines(url, ("export_segments",))
        return run()
    return wrapped


def rounds(runs, n, count, label):
    """Warm exports of each format in turn, `count` times (interleaved: the machine drifts)."""
    for r in range(count):
        for fmt in ("zip", "csv"):
            size, digest, s = runs[fmt]()
            print(f"{label}round {r} warm {fmt}: {s:.2f} s {n / s:,.0f} visits/s {size:,} B "
                  f"{digest}", flush=True)


if __name__ == "__main__":
    if "--gevent" in sys.argv:
        # as the production worker patches (app/gunicorn_worker.py): pause() then yields to
        # the hub and the deflate thread is one of gevent's thread pool
        from gevent import monkey
        monkey.patch_all(select=False)
        sys.argv.remove("--gevent")
    main()
