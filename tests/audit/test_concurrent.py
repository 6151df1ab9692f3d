"""Two transactions appending to one project's chain at once do not fork it: the second waits
on the chain's head row and chains onto the first's entry (PostgreSQL; SQLite has one writer
at a time and passes the same test)."""
import threading
import time

from sqlalchemy.orm import Session

from app.audit import verify as chains
from app.audit.record import record
from tests.audit.helpers import entries

WRITERS, EACH = 4, 5


def test_concurrent_writers_with_their_own_sessions_do_not_fork_the_chain(app, db):
    engine = db.engine
    start, failures = threading.Barrier(WRITERS), []

    def writer(n):
        try:
            start.wait()
            for i in range(EACH):
                with Session(engine) as session:
                    record(session, None, "test.append", "project:1", project=1,
                           writer=n, i=i)
                    time.sleep(0.01)            # hold the transaction open: a race window
                    session.commit()
        except Exception as e:  # noqa: BLE001 — reported below
            failures.append(repr(e))

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert failures == []
    rows = [r for r in entries(db) if r.action == "test.append"]
    assert len(rows) == WRITERS * EACH
    every = entries(db)
    assert len({r.prev_hash for r in every}) == len(every)     # no two entries share a parent
    db.session.rollback()
    walked = chains.verify(db.session, 1)
    assert walked.broken is None and walked.length == len(every)
