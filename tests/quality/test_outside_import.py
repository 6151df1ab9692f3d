"""Importing outside lists and reconciling them (app/quality/outside.py) on a real database:
both kinds in both formats with Chinese and English headers, the same file twice, the same
records in another file, bad rows, limits and village scope."""
import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.problems import Problem
from app.quality import outside
from app.quality.outside_models import OutsideImport, OutsideRecord, OutsideResult
from tests.quality.test_outside_support import (HOSPITAL_EN, HOSPITAL_ZH, MOTHERS, REGISTRY_EN,
                                                REGISTRY_ZH, births, seed_people,  # noqa: F401
                                                write)
from tests.reports.locks_helpers import actor


def hospital_rows():
    wang, li, zhao, chen = (MOTHERS[k] for k in ("wang", "li", "zhao", "chen"))
    return [
        ["H001", wang[1], wang[2], "男", "2026-03-05", "县医院", "dongwan", "张三"],
        ["H002", li[1], li[2], "女", "2026/3/9", "县医院", "东湾村", ""],       # a day off below
        ["H003", zhao[1], zhao[2], "female", "20260312", "", "xishan", ""],
        ["H004", chen[1], "", "男", "2026-03-20", "", "dongwan", ""],          # never reported
    ]


def by_status(db, imported):
    rows = db.session.execute(select(OutsideResult.status, OutsideRecord.key,
                                      OutsideResult.register_uuid, OutsideResult.exact)
                              .outerjoin(OutsideRecord,
                                         OutsideRecord.id == OutsideResult.record_id)
                              .where(OutsideResult.import_id == imported.id)).all()
    out = {}
    for status, key, uuid, exact in rows:
        out.setdefault(status, []).append((key, uuid, exact))
    return {k: sorted(v, key=str) for k, v in out.items()}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("header", [HOSPITAL_ZH, HOSPITAL_EN])
def test_hospital_births_match_omit_and_extra(db, personas, births, fmt, header):  # noqa: F811
    seed_people(db.session)
    one = births("wang", "2026-03-05", "male")
    two = births("li", "2026-03-10", "female")
    three = births("zhao", "2026-03-12", "female", certificate="H003")
    extra = births("wang", "2026-03-15", "female")     # not in the hospital list
    births("li", "2026-03-25", "male")        # after the last date the file covers: not extra
    admin = actor(db, personas["admin"])
    imported, created = outside.import_file(db.session, admin, 1, "hospital_births",
                                            f"births.{fmt}", write(fmt, header, hospital_rows()))
    db.session.commit()
    assert created and imported.rows_kept == 4 and imported.rows_rejected == 0
    found = by_status(db, imported)
    assert found["matched"] == [("H001", one, True), ("H002", two, False),
                                ("H003", three, True)]
    assert found["omitted"] == [("H004", None, None)]
    assert found["extra"] == [(None, extra, None)]
    figures = outside.accuracy(db.session, admin, 1, imported.id)
    assert figures["all"]["accuracy"] == 75.0
    assert {v["village"]: v["accuracy"] for v in figures["villages"]} == {
        "dongwan": 66.67, "xishan": 100.0}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("header", [REGISTRY_ZH, REGISTRY_EN])
def test_household_registry_matches_people_of_the_village(db, personas, fmt, header):
    unregistered = ("d0000000-0000-4000-8000-000000000009", "钱多", "610425198001010011",
                    "male", "1980-01-01", "dongwan")
    migrant = ("d0000000-0000-4000-8000-000000000010", "孙来", "", "male", "1985-05-05",
               "dongwan", {"residence_status": "moved_in"})
    seed_people(db.session, [unregistered, migrant])
    wang, li, chen = MOTHERS["wang"], MOTHERS["li"], MOTHERS["chen"]
    rows = [[wang[2], wang[1], "女", wang[4], "dongwan", "001", "户主"],
            [li[2], li[1], "女", li[4], "东湾村", "002", "户主"],
            ["", chen[1], "女", chen[4], "dongwan", "003", "妻"],
            ["610425200001010015", "周新", "男", "2000-01-01", "dongwan", "004", "户主"]]
    admin = actor(db, personas["admin"])
    imported, _ = outside.import_file(db.session, admin, 1, "household_registry",
                                      f"registry.{fmt}", write(fmt, header, rows))
    db.session.commit()
    found = by_status(db, imported)
    assert [k for k, _u, _e in found["matched"]] == sorted(
        [wang[2], li[2], f"003|{chen[1]}|{chen[4]}"])
    assert found["omitted"] == [("610425200001010015", None, None)]
    # the in-migrant is not expected in the 户籍 registry; the unregistered man is an extra
    assert found["extra"] == [(None, unregistered[0], None)]

