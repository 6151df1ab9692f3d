"""What a month's reports cost on a large register: the town report of one month
(app.reports.build.build over every village, and app.reports.service.report around it: scope,
lock state, section J, audit), the 12-month sex ratio at birth table per village and for the
town, and one village's report; beside each, the time of reading the same rows bare (the
summary cells, and the life events the lists read, fetched without computing anything).

    python bench/reports.py --db sqlite --people 100000
    python bench/reports.py --db postgresql --people 1000000

The register is built by bench/bulk_town.py (a town sent through the real intake, copied into
new villages; cached under bench/.cache, so a rerun starts at once). Each figure is the median
of --rounds runs after one warm-up run, each run in its own transaction (rolled back: the
audit row of a view is not kept). The goal (issue 18): each report under 1 s on 2 cores.
"""
import argparse
import datetime as dt
import os
import platform
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bulk_town  # noqa: E402
import common  # noqa: E402

GOAL = 1.0


def machine():
    """'2 cores, AMD EPYC, 24 GiB' from /proc."""
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            model = next(line.split(":", 1)[1].strip() for line in f
                         if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    memory = ""
    try:
        with open("/proc/meminfo") as f:
            kb = int(next(line.split()[1] for line in f if line.startswith("MemTotal")))
        memory = f", {kb / 1024 / 1024:.0f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    return f"{os.cpu_count()} cores (nproc {len(os.sched_getaffinity(0))}), {model}{memory}"


def database_version(session):
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy import text
        return "PostgreSQL " + session.execute(text("SHOW server_version")).scalar()
    import sqlite3
    return f"SQLite {sqlite3.sqlite_version}"


def timed(session, fn, rounds):
    """(median s, min s, max s, last result) over `rounds` runs after a warm-up, each in its
    own transaction, rolled back after."""
    fn()
    session.rollback()
    times, result = [], None
    for _ in range(rounds):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
        session.rollback()
    return statistics.median(times), min(times), max(times), result


def bare_reads(session, project_id, month):
    """Functions reading, without computing, the rows each report is made of: the summary
    cells it reads (the stock bases of every village, and every cell from January of last
    year to the report's month), the cells of the last 12 months' births, one village's cells,
    and the life events of the year to date (what sections F-I and the lists' counts go
    through)."""
    from sqlalchemy import text
    first12, first = str(month.plus(-11)), f"{month.year - 1:04d}-01"
    cells = text("SELECT area_id, month, cell, n FROM report_cells WHERE project_id = :p "
                 "AND month >= :f AND month <= :m")
    bases = text("SELECT area_id, cell, n FROM report_stock_bases WHERE project_id = :p")
    births = text("SELECT area_id, month, cell, n FROM report_cells WHERE project_id = :p "
                  "AND month >= :a AND month <= :m AND cell LIKE 'birth:%'")
    village = text("SELECT area_id, month, cell, n FROM report_cells WHERE project_id = :p "
                   "AND area_id = :v AND month <= :m")
    events = text("SELECT id, kind, occurred_on, area_id, person, pregnancy, details "
                  "FROM life_events WHERE project_id = :p AND occurred_on >= :a "
                  "AND occurred_on <= :b")
    p, m, jan = project_id, str(month), month.year_to_date()[0].first
    return {
        "cells": lambda: (session.execute(bases, {"p": p}).all()
                          + session.execute(cells, {"p": p, "f": first, "m": m}).all()),
        "births": lambda: session.execute(births, {"p": p, "a": first12, "m": m}).all(),
        "village": lambda v: session.execute(village, {"p": p, "v": v, "m": m}).all(),
        "events": lambda: session.execute(events, {"p": p, "a": jan, "b": month.last}).all(),
    }


def sex_ratio_table(session, project_id, month):
    """The sex ratio at birth per village and for the town (month, rolling 12 months, year):
    what app.reports.build does for the report's sex-ratio block, alone (the per-village
    windows of the cells, then app.reports.figures.sex_ratio); None while that code is not
    there."""
    try:
        from app.reports import figures, read
        from app.reports.build import _areas
    except ImportError:
        return None
    read.tune(session)
    infos = _areas(session, project_id)
    first = figures.first_month(month)
    per_area = read.by_area(session, project_id, None, month, first, only=figures.VILLAGE_CELLS,
                            only_windows=figures.VILLAGE_WINDOWS)
    base = read.stock(session, project_id, None, first.plus(-1))
    p = figures.periods(month, base, read.monthly(session, project_id, None, first, month))
    villages = [(infos[a], per_area.get(a, {}))
                for a in sorted(infos, key=lambda a: infos[a]["code"])]
    return figures.sex_ratio(p, villages)


def parts(session, project_id, month, reads):
    """(label, fn, bare label, bare fn) for each part of the town report that exists: the
    figures from the cells (A-E, indicators, sex ratio, village table), sections F-I, the
    lists and their alerts (the owners' modules, called as build calls them)."""
    out = []
    try:
        from app.reports import coverage, lists
    except ImportError:
        return out
    if sex_ratio_table(session, project_id, month) is not None:
        out.append(("cells read per village + figures", lambda: sex_ratio_table(
            session, project_id, month), "bases + cells from Jan of last year", reads["cells"]))
    if hasattr(coverage, "sections"):
        out.append(("sections F-I (coverage)", lambda: list(coverage.sections(
            session, project_id, month, None)), "year's events", reads["events"]))
    if hasattr(lists, "tables"):
        out.append(("lists", lambda: list(lists.tables(session, project_id, month, None)),
                    "year's events", reads["events"]))
    if hasattr(lists, "alerts"):
        out.append(("lists' alerts", lambda: list(lists.alerts(session, project_id, month,
                                                                None)), None, None))
    return out


def run(kind, people, source_people, month_text, rounds, village_index=0):
    from sqlalchemy import func, select

    from app.db import db
    from app.events.models import LifeEvent
    from app.projects.models import Area
    from app.reports import build, service
    from app.reports.models import ReportCell
    from app.reports.periods import Month

    url, info = bulk_town.build(kind, people, source_people)
    month = Month.parse(month_text)
    project_id = 1
    with tempfile.TemporaryDirectory() as data:
        app = common.make_app(url, data)
        with app.app_context():
            s = db.session
            villages = s.scalars(select(Area.id).where(Area.project_id == project_id)
                                 .order_by(Area.id)).all()
            events = s.scalar(select(func.count()).select_from(LifeEvent))
            cells = s.scalar(select(func.count()).select_from(ReportCell))
            print(f"# {kind}: {database_version(s)}; {info['copies']} copies of a "
                  f"{info['source_people']:,}-person town = about {people:,} people, "
                  f"{len(villages)} villages, {events:,} life events, {cells:,} report cells; "
                  f"month {month}", flush=True)
            reads = bare_reads(s, project_id, month)
            village = villages[village_index]
            rows = []

            def measure(label, fn, bare_label, bare, note=""):
                median, low, high, result = timed(s, fn, rounds)
                b_median, _bl, _bh, b_rows = timed(s, bare, rounds) if bare else (None,) * 4
                rows.append((label, median, low, high, b_median,
                             len(b_rows) if b_rows is not None else None, bare_label, note,
                             result))
                print(f"  done: {label} {median * 1000:.0f} ms", flush=True)

            town_rows = "bases, cells from Jan of last year, year's events"

            def town_bare():
                return reads["cells"]() + reads["events"]()
            measure("town report: build.build", lambda: build.build(s, project_id, month, None),
                    town_rows, town_bare)
            measure("town report: service.report", lambda: service.report(
                s, project_id, month, None, None, "zh"), "(same)", town_bare)
            for label, fn, bare_label, bare in parts(s, project_id, month, reads):
                measure("  part: " + label, fn, bare_label, bare)
            code = s.scalar(select(Area.code).where(Area.id == village))
            measure(f"village report ({code})", lambda: service.report(
                s, project_id, month, code, None, "zh"), "the village's cells",
                lambda: reads["village"](village))
            if sex_ratio_table(s, project_id, month) is not None:
                measure("sex ratio: villages + town, month/12 months/year",
                        lambda: sex_ratio_table(s, project_id, month),
                        "bases + cells from Jan of last year (12 months' births alone: "
                        f"{len(reads['births']())} rows)", reads["cells"])
            else:
                rows.append(("sex ratio 12 months (no srb entry point yet)", None, None, None,
                             timed(s, reads["births"], rounds)[0],
                             len(reads["births"]()), "12 months' birth cells", "", None))
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--people", type=int, default=None,
                        help="default 100,000 on SQLite, 1,000,000 on PostgreSQL")
    parser.add_argument("--source-people", type=int, default=10_000,
                        help="the town sent through intake and copied")
    parser.add_argument("--month", default="2025-12")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    people = args.people or (100_000 if args.db == "sqlite" else 1_000_000)
    print(f"# Doorstep reports bench, {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC; "
          f"{machine()}; Python {platform.python_version()}; CPU reference "
          f"{common.cpu_reference():.0f} ms (bench/common.py)", flush=True)
    rows = run(args.db, people, args.source_people, args.month, args.rounds)
    print(f"# median of {args.rounds} runs after a warm-up; goal: under {GOAL:.0f} s")
    head = ("what", "median ms", "min-max ms", "bare read ms", "rows read", "bare read of",
            "goal")
    table = [head]
    for label, median, low, high, bare, n, bare_label, _note, _result in rows:
        table.append((label,
                      f"{median * 1000:.0f}" if median is not None else "-",
                      f"{low * 1000:.0f}-{high * 1000:.0f}" if median is not None else "-",
                      f"{bare * 1000:.0f}" if bare is not None else "-",
                      f"{n:,}" if n is not None else "-", bare_label or "-",
                      ("met" if median < GOAL else "MISSED")
                      if median is not None and not label.startswith(" ") else "-"))
    widths = [max(len(r[i]) for r in table) for i in range(len(head))]
    for r in table:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |")


if __name__ == "__main__":
    main()
