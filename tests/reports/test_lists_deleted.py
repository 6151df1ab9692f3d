"""The name lists never name a person deleted from the register (entities.deleted_at set, or
purged): her rows stay, so a list still matches its count, with no name (review item 7)."""
from sqlalchemy import select

from app.db.columns import utcnow
from app.register.models import Entity
from app.reports import lists
from app.reports.periods import Month
from tests.reports.test_lists_submit import november, send  # noqa: F401 - fixtures

NOV = Month(2026, 11)


def names(db, areas, list_id="pregnancies_ended", column="woman"):
    [t] = [t for t in lists.tables(db.session, 1, NOV, areas) if t["id"] == list_id]
    return [r["values"][column] for r in t["rows"]]


def test_a_person_deleted_from_the_register_is_not_named(november, db):
    before = names(db, [november["dongwan"]])
    assert "刘梅" in before
    for e in db.session.scalars(select(Entity)).all():
        if (e.data or {}).get("full_name") == "刘梅":
            e.deleted_at = utcnow()
    db.session.flush()
    after = names(db, [november["dongwan"]])
    assert "刘梅" not in after
    assert len(after) == len(before)
    assert after == ["" if n == "刘梅" else n for n in before]
    assert all("刘梅" not in str(t) for t in lists.tables(db.session, 1, NOV, None))
