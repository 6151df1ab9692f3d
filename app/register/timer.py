"""The register's timer inside the server: every DOORSTEP_BACKLOG_MINUTES, each server process
force-applies offline updates that waited longer than DOORSTEP_BACKLOG_DAYS for their
predecessor (merge.process_backlog), and purges entities deleted more than 30 days ago. It starts with the first request (after gunicorn has
forked its workers) and never in tests. Every process of every host runs the loop, but one
run happens at a time across them all (background.alone, a PostgreSQL advisory lock): a
process whose tick comes while another runs skips it. Each item would be applied once anyway,
because applying removes it inside the same transaction as the change."""
import logging
import threading

from app.background import alone, start_on_first_request

log = logging.getLogger(__name__)


def install(app):
    minutes = app.config.get("BACKLOG_MINUTES") or 0
    if app.testing or minutes <= 0:
        return
    start_on_first_request(app, "doorstep-backlog", _loop, app, minutes * 60)


def _loop(app, seconds):
    stop = threading.Event()
    while not stop.wait(seconds):
        run_once(app)


def run_once(app):
    """One run; returns the number of held submissions applied, or None when another process
    was running it."""
    from app.db import db
    from app.register.entities import purge_deleted
    from app.register.merge import process_backlog
    with app.app_context():
        try:
            with alone(db.engine, "register-backlog") as mine:
                if not mine:
                    return None
                done = process_backlog(db.session, app.config["BACKLOG_DAYS"])
                purge_deleted(db.session)
                db.session.commit()
            if done:
                log.info("backlog: %d held submissions applied after the timeout", done)
            return done
        except Exception:  # noqa: BLE001 - the timer must survive a bad item
            db.session.rollback()
            log.exception("backlog processing failed")
        finally:
            db.session.remove()
