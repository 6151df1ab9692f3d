"""read.by_area over many areas (the town of a large register): on PostgreSQL the stock history
is then read for every area and the others dropped in Python (read.FEW_AREAS); the result must be
what reading each listed area alone gives, and an area not listed must never count."""
from app.reports import bases, read
from app.reports.models import ReportCell
from app.reports.periods import BEFORE, Month

MONTH = Month(2025, 12)
AREAS = list(range(100, 100 + read.FEW_AREAS + 11))


def test_many_areas_give_what_each_area_alone_gives(db):
    rows = []
    for i, a in enumerate(AREAS + [999]):       # 999: cells of an area the scope does not list
        rows += [(a, BEFORE, "pop:male", 10 + i), (a, "1970-0%d" % (1 + i % 9), "pop:female", i),
                 (a, "1990-01", "women_15_49", 3), (a, "2040-01", "women_15_49", -3),
                 (a, "2023-12", "method:iud", 1), (a, "2024-01", "pop:male", 1),
                 (a, "2025-11", "pregnant", 1), (a, "2025-12", "birth:male:1", 1 + i % 2),
                 (a, "2025-02", "birth:female:1", 1), (a, "2024-11", "death:male", 1)]
    for a, month, cell, n in rows:
        db.session.add(ReportCell(project_id=1, area_id=a, month=month, cell=cell, n=n))
    db.session.flush()
    bases.rebuild(db.session)   # cells written by hand: their bases summed as intake would
    db.session.commit()
    scope = AREAS + [0]
    many = read.by_area(db.session, 1, scope, MONTH)
    assert 999 not in many and sorted(many) == AREAS
    for a in (AREAS[0], AREAS[7], AREAS[-1]):
        assert many[a] == read.by_area(db.session, 1, [a], MONTH)[a]
    first = many[AREAS[1]]
    assert first["base"] == {"pop:male": 11, "pop:female": 1, "women_15_49": 3,
                             "method:iud": 1}
    assert first["end"] == {"pop:male": 12, "pop:female": 1, "women_15_49": 3,
                            "method:iud": 1, "pregnant": 1}
    assert first["month"] == {"birth:male:1": 2}
    assert first["stat_ytd"] == {"birth:male:1": 2}             # from October
    assert first["rolling_12"] == first["ytd"] == {"birth:male:1": 2, "birth:female:1": 1}
