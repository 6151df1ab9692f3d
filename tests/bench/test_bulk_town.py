"""bench/bulk_town.py: a town sent through intake, copied into new villages, is a register
that `register rebuild --check` finds nothing wrong with, copy by copy; and the check does see
a copy that was not made right. (Small sizes; the benchmark itself is not run here.)"""
import os
import sys

import pytest
from sqlalchemy import create_engine, text

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "bench"))
import bulk_town  # noqa: E402


@pytest.fixture(scope="module")
def register(tmp_path_factory):
    """Two copies of a 400-person, 2-village town, on the database kind the tests run on."""
    server = os.environ.get("DOORSTEP_TEST_DATABASE_URL", "")
    kind = "postgresql" if server.startswith("postgres") else "sqlite"
    saved = bulk_town.CACHE, bulk_town.SERVER
    bulk_town.CACHE = str(tmp_path_factory.mktemp("bulk"))
    if kind == "postgresql":
        bulk_town.SERVER = server
    try:
        url, info = bulk_town.build(kind, 800, source_people=400, villages=2,
                                    echo=lambda line: None)
        yield url, info
        if kind == "postgresql":
            import psycopg
            with psycopg.connect(server, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
    finally:
        bulk_town.CACHE, bulk_town.SERVER = saved


def test_each_copy_is_what_intake_and_the_merge_make_of_its_submissions(register):
    url, info = register
    assert info["copies"] == 2
    assert info["rows"]["life_events"] > 0
    for j in range(2):
        report = bulk_town.check_copy(url, info, j, echo=lambda line: None)
        assert report.differences == []
        assert report.entities > 0 and report.life_events == info["rows"]["life_events"] // 2
    assert bulk_town.check_distinct(url, info) == []


def test_copies_live_in_their_own_villages_with_their_own_people(register):
    url, info = register
    engine = create_engine(bulk_town._driver(url))
    with engine.connect() as c:
        codes = sorted(c.execute(text("SELECT code FROM areas")).scalars())
        assert len(codes) == 24 and sum(code.endswith("_1") for code in codes) == 12
        # no event of copy 1 is in a village of copy 0 (ids above the source's)
        top = info["offsets"]["areas"]
        wrong = c.execute(text("SELECT COUNT(*) FROM life_events WHERE id > :e AND "
                               "area_id <= :a"), {"e": info["offsets"]["life_events"],
                                                  "a": top}).scalar()
        assert wrong == 0
    engine.dispose()


def test_the_check_sees_a_copy_that_was_not_made_right(register):
    url, info = register
    engine = create_engine(bulk_town._driver(url))
    first = info["offsets"]["life_events"] + 1
    with engine.begin() as c:
        old = c.execute(text("SELECT area_id FROM life_events WHERE id = :i"),
                        {"i": first}).scalar()
        c.execute(text("UPDATE life_events SET area_id = NULL WHERE id = :i"), {"i": first})
    try:
        report = bulk_town.check_copy(url, info, 1, echo=lambda line: None)
        # the event itself, and (with the report cells checked) the cells it no longer fits
        assert any(d.startswith("life event 0 of submission") and "area_id: live None" in d
                   for d in report.differences)
    finally:
        with engine.begin() as c:
            c.execute(text("UPDATE life_events SET area_id = :a WHERE id = :i"),
                      {"a": old, "i": first})
        engine.dispose()


def test_the_copied_audit_log_is_chained_again_and_verifies(register, tmp_path):
    url, _info = register
    app = bulk_town.common.make_app(url, str(tmp_path))
    with app.app_context():
        from app.audit import verify
        from app.db import db
        chains = verify.chains(db.session)
        walked = [verify.verify(db.session, project) for project in chains]
        assert 1 in chains and all(w.broken is None and w.length > 0 for w in walked), walked
        db.engine.dispose()
