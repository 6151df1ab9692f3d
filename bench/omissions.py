"""How many never-reported births the omission lists find, on the synthetic town against its
truth: the overdue pregnancies alone (app.quality.omissions), and — when the outside lists'
reconciliation is there (app.quality.outside) — the hospital's births file the town writes
(app.demo.outside_lists) reconciled with the register, and both together.

    python bench/omissions.py [--people 5000] [--seeds 1 2 3] [--unreported-birth-rate 0.5]
                              [--db sqlite|postgresql]

Each seed's town is sent through the real intake into a scratch database (as `flask demo
town` does), then the lists are read on the day after the run (the town's last day + 1) as a
supervisor of every village would read them. A never-reported birth (truth: mess
`unreported_births`, one per child) is found by the overdue list when one of its pregnancy's
register rows is on it, and by the reconciliation when the hospital row of the child is
listed as omitted. The issue's goal: >= 99 % found by the two together.

The town's own rate of never-reported births (3 %) leaves a 5,000-person town with one or two
a year; the bench raises it (default 0.5, `--unreported-birth-rate`) so that the share is
measured on some sixty births over three seeds, not a handful; how a birth goes unreported
(the outcome form never sent) is the same at any rate.
"""
import argparse
import datetime as dt
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

FORMS = os.path.join(common.ROOT, "forms")


def build(app, people, seed, unreported, villages=12, months=12):
    """Simulate one town and send it through intake; returns the Town and its submissions."""
    from flask_migrate import upgrade

    from app.cli import ensure_default_project, import_areas, publish_paths
    from app.db import db
    from app.demo import ingest
    from app.demo.town import Params, Town, read_villages
    upgrade()
    project = ensure_default_project(db.session, app.config["PROJECT_NAME"])
    import_areas(db.session, project.id, os.path.join(FORMS, "villages.csv"))
    db.session.commit()
    publish_paths(sorted(os.path.join(FORMS, f) for f in os.listdir(FORMS)
                         if f.endswith(".xlsx")), echo=lambda line: None)
    town = Town(Params(villages=villages, people=people, months=months, seed=seed,
                       unreported_birth_rate=unreported),
                read_villages(os.path.join(FORMS, "villages.csv")))
    subs = town.run()
    actors = ingest.phones(db.session, project.id, town)
    ingest.send(db.session, app.extensions["blob_store"], project.id, subs, actors,
                realm=app.config["AUTH_REALM"])
    return town, subs, project.id


def unreported(town):
    """[(child uuid, the birth's pregnancy register uuids, place, date)] of every
    never-reported birth."""
    by_birth = {(p.woman, p.outcome_date): p for p in town.world.pregnancies
                if p.outcome == "live_birth"}
    out = []
    for b in town.mess["unreported_births"]:
        pregnancy = by_birth[(b["mother"], dt.date.fromisoformat(b["date"]))]
        out.append((b["child"], set(pregnancy.entities), pregnancy.place, b["date"]))
    return out


def overdue_found(session, project_id, town, on):
    """(children found, rows listed, seconds to read the whole list, {why: n} of the missed)."""
    from app.quality import omissions
    started = time.perf_counter()
    rows = omissions.every_overdue(session, project_id, None, on)
    seconds = time.perf_counter() - started
    listed = {r.pregnancy for r in rows}
    found, missed = set(), {}
    for child, entities, _place, born in unreported(town):
        if entities & listed:
            found.add(child)
            continue
        if not entities:
            why = "pregnancy never registered"
        elif dt.date.fromisoformat(born) > on - dt.timedelta(days=omissions.OVERDUE_DAYS):
            why = "born in the run's last 4 weeks"
        else:
            why = "the register's expected date is later"
        missed[why] = missed.get(why, 0) + 1
    return found, len(rows), seconds, missed


def reconciliation_found(session, project_id, town, subs, tmp):
    """(children whose hospital row the reconciliation lists as omitted, how many omitted
    rows were reported births after all), or (None, None) when app.quality.outside is not
    there."""
    try:
        from app.quality import outside
    except ImportError:
        return None, None
    from app.demo import outside_lists
    section = outside_lists.write(town, subs, os.path.join(tmp, "truth.json"))
    path = os.path.join(tmp, section["hospital_births"]["file"])
    with open(path, "rb") as f:
        imported, _ = outside.import_file(session, None, project_id, "hospital_births",
                                          os.path.basename(path), f.read())
    session.commit()
    omitted = _omitted_keys(session, imported)
    records = {r["certificate_no"]: r for r in section["hospital_births"]["records"]}
    found = {records[k]["child"] for k in omitted if k in records}
    # omitted rows whose birth did reach the register: a visit for nothing
    false_alarms = sum(1 for k in omitted if k in records and records[k]["reported"])
    return found, false_alarms


def _omitted_keys(session, imported):
    """The outside keys of an import's results listed as omitted."""
    from sqlalchemy import select

    from app.quality.outside import OMITTED
    from app.quality.outside_models import OutsideRecord, OutsideResult
    return set(session.scalars(select(OutsideRecord.key).join(
        OutsideResult, OutsideResult.record_id == OutsideRecord.id).where(
        OutsideResult.import_id == imported.id, OutsideResult.status == OMITTED)))


def run_seed(kind, people, seed, rate):
    with common.scratch_database(kind) as url, tempfile.TemporaryDirectory() as tmp:
        app = common.make_app(url, tmp)
        with app.app_context():
            from app.db import db
            started = time.perf_counter()
            town, subs, project_id = build(app, people, seed, rate)
            built = time.perf_counter() - started
            on = town.p.end                    # the day after the run's last day
            births = unreported(town)
            eligible = {c for c, _e, _p, d in births
                        if dt.date.fromisoformat(d) <= on - dt.timedelta(days=28)}
            by_overdue, listed, seconds, missed = overdue_found(db.session, project_id, town,
                                                                on)
            by_hospital, false_alarms = reconciliation_found(db.session, project_id, town,
                                                             subs, tmp)
            db.session.remove()
            return {"seed": seed, "births": len(births), "eligible": len(eligible),
                    "overdue_listed": listed, "overdue_seconds": round(seconds, 3),
                    "by_overdue": len(by_overdue), "missed_by_overdue": missed,
                    "hospital": sum(1 for _c, _e, p, _d in births if p == "hospital"),
                    "by_hospital": None if by_hospital is None else len(by_hospital),
                    "by_both": None if by_hospital is None else len(by_overdue | by_hospital),
                    "hospital_false_alarms": false_alarms,
                    "build_seconds": round(built, 1)}


def share(n, total):
    return f"{100 * n / total:.1f} %" if total else "-"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--unreported-birth-rate", type=float, default=0.5)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args(argv)
    results = []
    for seed in args.seeds:
        r = run_seed(args.db, args.people, seed, args.unreported_birth_rate)
        results.append(r)
        print(f"seed {seed}: {r['births']} never-reported births ({r['hospital']} in hospital; "
              f"{r['eligible']} of them born 4+ weeks before the run's end); overdue list "
              f"{r['overdue_listed']} rows in {r['overdue_seconds']} s finds "
              f"{r['by_overdue']} ({share(r['by_overdue'], r['births'])}; missed: "
              f"{r['missed_by_overdue']})"
              + ("" if r["by_hospital"] is None else
                 f"; hospital reconciliation finds {r['by_hospital']} "
                 f"({share(r['by_hospital'], r['births'])}; {r['hospital_false_alarms']} "
                 f"reported births also listed omitted); together {r['by_both']} "
                 f"({share(r['by_both'], r['births'])})")
              + f"  [town built in {r['build_seconds']} s]", flush=True)
    total = sum(r["births"] for r in results)
    print(f"all seeds: {total} never-reported births; overdue list alone "
          f"{share(sum(r['by_overdue'] for r in results), total)}"
          + ("" if any(r["by_hospital"] is None for r in results) else
             f"; reconciliation alone {share(sum(r['by_hospital'] for r in results), total)}; "
             f"together {share(sum(r['by_both'] for r in results), total)} (goal >= 99 %)"))
    return results


if __name__ == "__main__":
    main()
