"""Entity list generation for a 100,000-person register: the CSV a phone downloads
(app.register.lists.entity_csv), for town staff (every row) and for one village worker (her
village's rows only), in time and bytes, plain and gzipped. Baseline in the same run: reading
the same rows from the database without writing any CSV. The first CSV after the register is
filled is reported apart (cold caches), then the median of the next rounds (warm). Also the
list hash (what a phone whose list is current pays: the 304 path), which must not depend on
the list's size.

The town's forms are published first, so each phone's list has the columns its forms read
(app.register.lists.list_columns): a village worker granted every form, and a women's group
leader granted only the pregnancy report. A second table prints the bytes each phone is sent
with every property (as before issue 16) and with only those columns.

    python bench/lists.py [--people 100000] [--db sqlite|postgresql] [--rounds 3]
"""
import argparse
import glob
import gzip
import os
import statistics
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

PROPS = ("full_name", "sex", "dob", "id_number", "household", "relation", "village",
         "marital_status", "residence_status", "phone", "contraception", "iud_status",
         "last_checks_date", "pregnant", "children_count", "deceased")


def fill(app, people):
    """A register of `people` persons spread over the town's villages, inserted in bulk."""
    from sqlalchemy import select

    from app.cli import publish_paths
    from app.db import db
    from app.projects.models import Area
    from app.projects.service import import_areas
    from app.register import rows as register_rows
    from app.register.datasets import declare
    with app.app_context():
        import_areas(db.session, 1, os.path.join(common.ROOT, "forms", "villages.csv"))
        publish_paths(sorted(glob.glob(os.path.join(common.ROOT, "forms", "*.xlsx"))),
                      lambda message: None)
        [dataset] = declare(db.session, 1, [{"dataset": "people", "properties": list(PROPS)}])
        areas = db.session.execute(select(Area.code, Area.id)).all()
        rows = []
        for i in range(people):
            code, area_id = areas[i % len(areas)]
            data = {p: f"{p}-{i}" for p in PROPS}
            data.update(village=code, full_name=f"村民{i}", sex="female" if i % 2 else "male",
                        dob=f"19{50 + i % 50}-0{1 + i % 9}-1{i % 9}")
            # the register's own builder and bulk writer (app.register.rows); only entity
            # rows, at versions 1-3: what a list read looks at
            rows.append(register_rows.entity(dataset.id, str(uuid.uuid4()), f"村民{i}", data,
                                             area_id, version=1 + i % 3))
            if len(rows) == 5000:
                register_rows.write_entities(db.session, rows)
                rows = []
        register_rows.write_entities(db.session, rows)
        db.session.commit()
        return dataset.id, areas[0][1]


def timed(fn, rounds):
    times, result = [], None
    for _ in range(rounds):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def measure(kind, people, rounds):
    """Rows of {who, read, cold, warm, hash, bytes, gzip_bytes, gzip, all_bytes,
    all_gzip_bytes} (seconds and bytes) for the whole town, one village worker and one group
    leader: `cold` is the first CSV after the register was filled (nothing cached), `warm`
    the median of the next `rounds`, `hash` what a phone whose list is current pays (the 304
    path); `all_` the same list with every property, as it was sent before issue 16."""
    from sqlalchemy import select

    from app.auth.actors import Actor
    from app.db import db
    from app.forms.models import Form
    from app.register.lists import entity_csv, list_columns, list_hash
    from app.register.models import Dataset, Entity
    rows = []
    with common.scratch_database(kind) as url, tempfile.TemporaryDirectory() as data:
        app = common.make_app(url, data)
        with app.app_context():
            from flask_migrate import upgrade
            upgrade()
        dataset_id, village = fill(app, people)
        with app.app_context():
            report = db.session.scalar(select(Form.id).where(
                Form.xml_form_id == "pregnancy_report"))
            town = Actor("user", 1, "admin", "admin", None, None, None)
            worker = Actor("app_user", 1, "w", "app_user", 1, frozenset([village]), None)
            leader = Actor("app_user", 2, "l", "app_user", 1, frozenset([village]),
                           frozenset([report]))
            dataset = db.session.get(Dataset, dataset_id)
            every = [p.name for p in dataset.properties]
            for label, actor in (("town (all villages)", town), ("one village worker", worker),
                                 ("group leader (1 form)", leader)):
                query = select(Entity.uuid, Entity.label, Entity.version, Entity.data).where(
                    Entity.dataset_id == dataset_id, Entity.deleted_at.is_(None))
                if actor.area_ids is not None:
                    query = query.where(Entity.area_id.in_(actor.area_ids))
                cold, _ = timed(lambda a=actor: entity_csv(db.session, dataset, a), 1)
                read, _ = timed(lambda q=query: db.session.execute(q).all(), rounds)
                warm, text = timed(lambda a=actor: entity_csv(db.session, dataset, a), rounds)
                body = text.encode()
                zipped, packed = timed(lambda b=body: gzip.compress(b, 6, mtime=0), rounds)
                hashed, _ = timed(lambda a=actor: list_hash(db.session, dataset, a), rounds)
                whole = entity_csv(db.session, dataset, actor, every).encode()
                rows.append({"who": label, "read": read, "cold": cold, "warm": warm,
                             "hash": hashed, "bytes": len(body), "gzip_bytes": len(packed),
                             "gzip": zipped, "all_bytes": len(whole),
                             "all_gzip_bytes": len(gzip.compress(whole, 6, mtime=0)),
                             "columns": len(list_columns(db.session, dataset, actor)),
                             "all_columns": len(every)})
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    print(f"# entity list CSV, {args.people} people in 12 villages, {args.db}, "
          f"{os.cpu_count()} cores, median of {args.rounds}")
    print(f"{'who':<24}{'rows read':>10}{'CSV cold':>10}{'CSV warm':>10}{'bytes':>12}"
          f"{'gzip bytes':>12}{'gzip':>8}{'hash':>10}")
    found = measure(args.db, args.people, args.rounds)
    for r in found:
        print(f"{r['who']:<24}{r['read'] * 1000:>8.0f}ms{r['cold'] * 1000:>8.0f}ms"
              f"{r['warm'] * 1000:>8.0f}ms{r['bytes']:>12,}{r['gzip_bytes']:>12,}"
              f"{r['gzip'] * 1000:>6.0f}ms{r['hash'] * 1000:>8.2f}ms")
    print("\n# bytes sent: every property (before issue 16) -> the columns the phone's forms read")
    print(f"{'who':<24}{'columns':>10}{'bytes before':>14}{'bytes now':>12}{'saved':>7}"
          f"{'gzip before':>13}{'gzip now':>10}{'saved':>7}")
    for r in found:
        print(f"{r['who']:<24}{r['all_columns']:>4} ->{r['columns']:>3}{r['all_bytes']:>14,}"
              f"{r['bytes']:>12,}{1 - r['bytes'] / r['all_bytes']:>7.0%}"
              f"{r['all_gzip_bytes']:>13,}{r['gzip_bytes']:>10,}"
              f"{1 - r['gzip_bytes'] / r['all_gzip_bytes']:>7.0%}")


if __name__ == "__main__":
    main()
