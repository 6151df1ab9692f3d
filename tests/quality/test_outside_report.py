"""Statistics accuracy in the monthly report (app/reports/build.py, service.py): the latest
hospital-births reconciliation covering the month, per village and town, with the case-level
and net figures, "not measured" without one, and a locked month keeps its figure."""
from app.quality import outside
from app.reports import service
from app.reports.document import find
from tests.quality.test_outside_import import hospital_rows
from tests.quality.test_outside_support import (HOSPITAL_ZH, births, seed_people,  # noqa: F401
                                                write)
from tests.reports.locks_helpers import actor


def accuracy(doc):
    return next(i for i in doc["indicators"] if i["id"] == "statistics_accuracy")


def test_the_report_shows_the_months_accuracy_and_a_lock_keeps_it(db, personas,
                                                                  births):  # noqa: F811
    seed_people(db.session)
    births("wang", "2026-03-05", "male")
    births("li", "2026-03-10", "female")          # a day off the hospital's date
    births("wang", "2026-03-15", "female")          # the hospital lacks it: an extra
    admin = actor(db, personas["admin"])
    before = service.report(db.session, 1, "2026-03", "dongwan", admin)
    assert accuracy(before)["values"]["value"] is None
    assert "未测量" in next(s for s in before["sections"] if s["id"] == "J")["note"]["zh"]
    outside.import_file(db.session, admin, 1, "hospital_births", "h.csv",
                        write("csv", HOSPITAL_ZH, hospital_rows()))
    db.session.commit()
    # dongwan: H001, H002 matched (H002 a day off), H004 omitted; one extra
    village = service.report(db.session, 1, "2026-03", "dongwan", admin)
    found = accuracy(village)
    assert found["values"]["value"] == 66.67 and found["met"] is False
    assert found["basis"]["figures"]["case_level"] == 25.0     # 1 exact of 3 + 1 extra
    assert found["basis"]["figures"]["net"] == 100.0           # 3 hospital, 3 registered
    assert find(village, "J", "accuracy", "month") == 66.67
    assert find(village, "J", "accuracy_case_level", "month") == 25.0
    # the town: xishan's H003 (not reported) omitted too
    town = service.report(db.session, 1, "2026-03", None, admin)
    assert accuracy(town)["values"]["value"] == 50.0
    # another month the file does not cover is not measured
    assert accuracy(service.report(db.session, 1, "2026-04", "dongwan", admin)
                    )["values"]["value"] is None
    service.lock(db.session, 1, "2026-03", "dongwan", admin)
    db.session.commit()
    births("chen", "2026-03-20", "male")                   # H004 reported late
    imported = outside.imports(db.session, admin, 1)[0]
    outside.rerun(db.session, admin, 1, imported.id)
    db.session.commit()
    locked = service.report(db.session, 1, "2026-03", "dongwan", admin)
    assert accuracy(locked)["values"]["value"] == 66.67        # as locked
    assert accuracy(service.report(db.session, 1, "2026-03", None, admin)
                    )["values"]["value"] == 75.0               # the town is not locked
