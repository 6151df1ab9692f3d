"""Migration 0013 fills report_cells from the life events a database already holds: the
events are written by today's intake, the database is taken back to the revision before 0013
(whose downgrade empties the cells) and upgraded again; the cells come back exactly, and
`register rebuild --check` agrees."""
import importlib.util
import os

from flask_migrate import downgrade, upgrade
from sqlalchemy import func, select

from app import create_app
from app.auth import accounts
from app.db import db as _db
from app.events import derive
from app.forms import publish as publishing
from app.projects.service import ensure_default_project, import_areas
from app.register import rebuild
from app.reports import cells
from app.reports.models import ReportCell
from tests.collect import CollectClient
from tests.conftest import ROOT, VILLAGES
from tests.events.conftest import FORM_ID, probe_xlsform
from tests.events.test_record import probe
from tests.reports.test_cells_intake import cells_deriver
from tests.test_migrations import empty_database_url  # noqa: F401 - a fixture


def revision_before_0013():
    path = os.path.join(ROOT, "migrations", "versions", "0013_report_cells.py")
    spec = importlib.util.spec_from_file_location("migration_0013", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.down_revision


def snapshot(session):
    return sorted(tuple(r) for r in session.execute(select(
        ReportCell.project_id, ReportCell.area_id, ReportCell.month, ReportCell.cell,
        ReportCell.n).where(ReportCell.n != 0)))


def test_upgrade_to_0013_fills_the_cells_from_the_events(
        empty_database_url, tmp_path):  # noqa: F811
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url, "SECRET_KEY": "x",
                      "DATA_DIR": str(tmp_path / "data"), "INSTANCE_DIR": str(tmp_path),
                      "PUBLIC_URL": "", "TESTING": True})
    derive.deriver(FORM_ID, yields=("moved_in", "pregnancy_reported", "pregnancy_ended",
                                    "reward_paid", "moved_out"))(cells_deriver)
    try:
        with app.app_context():
            upgrade()
            s = _db.session
            ensure_default_project(s, "Test town")
            import_areas(s, 1, VILLAGES)
            publishing.publish(s, app.extensions["blob_store"], 1, f"{FORM_ID}.xlsx",
                               probe_xlsform())
            _user, token = accounts.create_app_user(s, 1, "worker", ["dongwan"])
            s.commit()
            phone = CollectClient(app.test_client(), f"/v1/key/{token}/projects/1")
            for day, moved_to in (("2026-01-05", "xishan"), ("2026-02-06", ""),
                                  ("2025-12-31", "xishan")):
                assert phone.submit(probe(event_date=day, moved_to=moved_to)).status_code == 201
            before = snapshot(s)
            assert len(before) > 20
            s.remove()

            downgrade(revision=revision_before_0013())
            assert s.scalar(select(func.count()).select_from(ReportCell)) == 0
            s.remove()
            upgrade()

            assert snapshot(s) == before
            assert cells.compare(s) == []
            assert rebuild.check(s, 1).differences == []
            s.remove()
            _db.engine.dispose()
    finally:
        derive.DERIVERS.pop(FORM_ID, None)
        derive.YIELDS.pop(FORM_ID, None)
