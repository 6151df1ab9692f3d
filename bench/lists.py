"""Entity list generation for a 100,000-person register: the CSV a phone downloads
(app.register.lists.entity_csv), for town staff (every row) and for one village worker (her
village's rows only), in time and bytes, plain and gzipped. Baseline in the same run: reading
the same rows from the database without writing any CSV. Also the manifest hash (what every
phone sync asks first), which must not depend on the list's size.

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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    from sqlalchemy import select

    from app.auth.actors import Actor
    from app.extensions import db
    from app.register.lists import entity_csv, list_hash
    from app.register.models import Dataset, Entity
    with common.scratch_database(args.db) as url, tempfile.TemporaryDirectory() as data:
        app = common.make_app(url, data)
        with app.app_context():
            from flask_migrate import upgrade
            upgrade()
        dataset_id, village = fill(app, args.people)
        town = Actor("user", 1, "admin", "admin", None, None, None)
        worker = Actor("app_user", 1, "w", "app_user", 1, frozenset([village]), None)
        print(f"# entity list CSV, {args.people} people in 12 villages, {args.db}, "
              f"{os.cpu_count()} cores, median of {args.rounds}")
        print(f"{'who':<22}{'rows read':>12}{'CSV':>10}{'bytes':>12}{'gzip bytes':>12}"
              f"{'gzip':>9}{'hash':>10}")
        with app.app_context():
            dataset = db.session.get(Dataset, dataset_id)
            for label, actor in (("town (all villages)", town), ("one village worker", worker)):
                query = select(Entity.uuid, Entity.label, Entity.version, Entity.data).where(
                    Entity.dataset_id == dataset_id, Entity.deleted_at.is_(None))
                if actor.area_ids is not None:
                    query = query.where(Entity.area_id.in_(actor.area_ids))
                read, _ = timed(lambda q=query: db.session.execute(q).all(), args.rounds)
                made, text = timed(lambda a=actor: entity_csv(db.session, dataset, a), args.rounds)
                body = text.encode()
                zipped, packed = timed(lambda b=body: gzip.compress(b, 6, mtime=0), args.rounds)
                hashed, _ = timed(lambda a=actor: list_hash(db.session, dataset, a), args.rounds)
                print(f"{label:<22}{read * 1000:>10.0f}ms{made * 1000:>8.0f}ms{len(body):>12,}"
                      f"{len(packed):>12,}{zipped * 1000:>7.0f}ms{hashed * 1000:>8.2f}ms")


if __name__ == "__main__":
    main()
