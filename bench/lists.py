"""Entity list generation for a 100,000-person register: the CSV a phone downloads
(app.register.lists.entity_csv), for town staff (every row) and for one village worker (her
village's rows only), in time and bytes, plain and gzipped. Baseline in the same run: reading
the same rows from the database without writing any CSV. The first CSV after the register is
filled is reported apart (cold caches), then the median of the next rounds (warm). Also the
list hash (what a phone whose list is current pays: the 304 path), which must not depend on
the list's size.

    python bench/lists.py [--people 100000] [--db sqlite|postgresql] [--rounds 3]
"""
import argparse
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
    from sqlalchemy import insert, select

    from app.extensions import db
    from app.projects.models import Area
    from app.projects.service import import_areas
    from app.register.datasets import declare
    from app.register.models import Entity
    with app.app_context():
        import_areas(db.session, 1, os.path.join(common.ROOT, "forms", "villages.csv"))
        [dataset] = declare(db.session, 1, [{"dataset": "people", "properties": list(PROPS)}])
        areas = db.session.execute(select(Area.code, Area.id)).all()
        rows = []
        for i in range(people):
            code, area_id = areas[i % len(areas)]
            data = {p: f"{p}-{i}" for p in PROPS}
            data.update(village=code, full_name=f"村民{i}", sex="female" if i % 2 else "male",
                        dob=f"19{50 + i % 50}-0{1 + i % 9}-1{i % 9}")
            rows.append({"dataset_id": dataset.id, "uuid": str(uuid.uuid4()),
                         "label": f"村民{i}", "version": 1 + i % 3, "data": data,
                         "area_id": area_id, "force_created": False})
            if len(rows) == 5000:
                db.session.execute(insert(Entity), rows)
                rows = []
        if rows:
            db.session.execute(insert(Entity), rows)
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
    """Rows of {who, read, cold, warm, hash, bytes, gzip_bytes, gzip} (seconds and bytes) for
    the whole town and one village worker: `cold` is the first CSV after the register was
    filled (nothing cached), `warm` the median of the next `rounds`, `hash` what a phone whose
    list is current pays (the 304 path)."""
    from sqlalchemy import select

    from app.auth.actors import Actor
    from app.extensions import db
    from app.register.lists import entity_csv, list_hash
    from app.register.models import Dataset, Entity
    rows = []
    with common.scratch_database(kind) as url, tempfile.TemporaryDirectory() as data:
        app = common.make_app(url, data)
        with app.app_context():
            from flask_migrate import upgrade
            upgrade()
        dataset_id, village = fill(app, people)
        town = Actor("user", 1, "admin", "admin", None, None, None)
        worker = Actor("app_user", 1, "w", "app_user", 1, frozenset([village]), None)
        with app.app_context():
            dataset = db.session.get(Dataset, dataset_id)
            for label, actor in (("town (all villages)", town), ("one village worker", worker)):
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
                rows.append({"who": label, "read": read, "cold": cold, "warm": warm,
                             "hash": hashed, "bytes": len(body), "gzip_bytes": len(packed),
                             "gzip": zipped})
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    print(f"# entity list CSV, {args.people} people in 12 villages, {args.db}, "
          f"{os.cpu_count()} cores, median of {args.rounds}")
    print(f"{'who':<22}{'rows read':>10}{'CSV cold':>10}{'CSV warm':>10}{'bytes':>12}"
          f"{'gzip bytes':>12}{'gzip':>8}{'hash':>10}")
    for r in measure(args.db, args.people, args.rounds):
        print(f"{r['who']:<22}{r['read'] * 1000:>8.0f}ms{r['cold'] * 1000:>8.0f}ms"
              f"{r['warm'] * 1000:>8.0f}ms{r['bytes']:>12,}{r['gzip_bytes']:>12,}"
              f"{r['gzip'] * 1000:>6.0f}ms{r['hash'] * 1000:>8.2f}ms")


if __name__ == "__main__":
    main()
