"""Fixtures for backup and restore: empty target databases to restore into, an app bound to
each, and the commands run through Click's runner.

A target is a new SQLite file, or on PostgreSQL a new database doorstep_bk_<random> on the
test server, dropped when the test ends, with its own data directory (blob store).
"""
import os
import uuid
from dataclasses import dataclass

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app import create_app
from app.cli import backup, restore_command
from app.db import db as _db


@dataclass
class Target:
    url: str
    data_dir: str
    instance_dir: str

    def app(self):
        return create_app({
            "TESTING": True, "SQLALCHEMY_DATABASE_URI": self.url, "SECRET_KEY": "test-secret",
            "DATA_DIR": self.data_dir, "INSTANCE_DIR": self.instance_dir, "PUBLIC_URL": "",
            "PASSWORD_HASH": "scrypt:1024:8:1"})


@pytest.fixture
def make_target(database_url, tmp_path):
    """make_target() → a Target: an empty database and an empty data directory."""
    server = os.environ.get("DOORSTEP_TEST_DATABASE_URL", "")
    made = []
    admin = None

    def _make():
        nonlocal admin
        n = len(made)
        folder = tmp_path / f"target{n}"
        folder.mkdir()
        if server.startswith("postgres"):
            url = make_url(server.replace("postgresql://", "postgresql+psycopg://", 1))
            admin = admin or create_engine(url, isolation_level="AUTOCOMMIT")
            name = f"doorstep_bk_{uuid.uuid4().hex[:12]}"
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            made.append(name)
            db_url = url.set(database=name).render_as_string(hide_password=False)
        else:
            made.append(None)
            db_url = f"sqlite:///{folder}/restored.sqlite3"
        return Target(db_url, str(folder / "data"), str(folder / "instance"))

    yield _make
    if admin is not None:
        with admin.connect() as conn:
            for name in made:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def take_backup(app, dest):
    """`flask backup DEST` on `app`; returns Click's result."""
    # In `app`'s own context: the command runs in whichever app context is current.
    with app.app_context():
        return app.test_cli_runner().invoke(backup, [str(dest)])


def restore_into(target_app, src, *options):
    """`flask restore SRC` on `target_app`, whose engine is closed afterwards."""
    with target_app.app_context():
        result = target_app.test_cli_runner().invoke(restore_command, [*options, str(src)])
        _db.engine.dispose()
    return result
