"""The people's exports (the console's XLSX and CSV for Excel of a form) in one process:
submissions/s, rows/s and memory, at a few sizes of the town's home visits.

    python bench/export_people.py --db sqlite --sizes 10000,100000
    python bench/export_people.py --db postgresql --sizes 10000,100000

Setup as bench/export.py (its `fill`: the eight home-visit samples written in bulk, 3.7
members each on average). Timed: the whole document produced by app/exports (labelled.xlsx
or csv_bom_zip over labelled.form_rows: reading in keyset batches, parsing the XML, labels,
the XLSX/zip writing), consumed and counted as the HTTP body would be, without HTTP. Memory:
the process's peak RSS (VmHWM) before and after each export, so a growth with N shows.
Central's figures (issue 21): 4.3k submissions/s as a zip, 6.4k/s as CSV.
"""
import argparse
import os
import sys
import tempfile
import time
from zoneinfo import ZoneInfo

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
import export as central_bench  # noqa: E402


def _hwm():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(("VmHWM", "VmRSS")):
                yield line.split()[0].rstrip(":"), int(line.split()[1]) // 1024


def measure(app, kind):
    from types import SimpleNamespace

    from app.console import exports as domain
    from app.db import db
    from app.exports import central_csv, labelled
    zone = ZoneInfo("Asia/Shanghai")
    admin = SimpleNamespace(area_ids=None, kind="user", sees_form=lambda _id: True)
    out = {}
    with app.app_context():
        found = domain.form_export(db.session, admin, 1, "home_visit", {}, zone)
        layout = domain.layout(found)
        tables = labelled.form_tables(layout, found.titles, found.lookups)
        names = central_csv.table_names(found.xml_form_id, layout)
        db.session.rollback()
        for name, make in (
                ("xlsx", lambda: labelled.xlsx(tables, labelled.form_rows(
                    db.engine, found.selection, layout), "zh", zone)),
                ("csv-bom zip", lambda: labelled.csv_bom_zip(tables, labelled.form_rows(
                    db.engine, found.selection, layout), "zh", zone, names))):
            before = dict(_hwm())
            t = time.perf_counter()
            size = sum(len(chunk) for chunk in make())
            seconds = time.perf_counter() - t
            after = dict(_hwm())
            out[name] = (found.rows / seconds, seconds, size, before["VmHWM"], after["VmHWM"])
    return out


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default="sqlite", choices=("sqlite", "postgresql"))
    parser.add_argument("--sizes", default="10000,100000")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    with common.scratch_database(args.db) as url, tempfile.TemporaryDirectory() as data:
        app = common.make_app(url, data)
        common.prepare(app, [os.path.join(common.ROOT, "forms", f) for f in
                             sorted(os.listdir(os.path.join(common.ROOT, "forms")))
                             if f.endswith(".xlsx")], village="dongwan")
        written = 0
        for size in sizes:
            central_bench.fill(app, size - written, start_at=written, echo=lambda *_a: None)
            written = size
            for name, (rate, seconds, size_b, hwm0, hwm1) in measure(app, args.db).items():
                print(f"{args.db} {size:>9,} {name:<12} {rate:>9,.0f} submissions/s "
                      f"({seconds:.1f} s, {size_b / 1e6:.1f} MB)  peak RSS {hwm0} → {hwm1} MB",
                      flush=True)


if __name__ == "__main__":
    main()
