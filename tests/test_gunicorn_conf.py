"""gunicorn's shipped shape (app/gunicorn_conf.py): the faster one for each database, and the
environment's word over it."""
import importlib
import multiprocessing

import pytest

import app.gunicorn_conf as conf


@pytest.fixture
def shape(monkeypatch):
    def load(**env):
        for name in ("DOORSTEP_DATABASE_URL", "DOORSTEP_THREADS", "DOORSTEP_WORKERS",
                     "DOORSTEP_TRUSTED_PROXIES"):
            monkeypatch.delenv(name, raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        loaded = importlib.reload(conf)
        return loaded.workers, loaded.threads
    yield load
    monkeypatch.undo()
    importlib.reload(conf)


def test_sqlite_gets_2_x_cores_plus_1_workers_postgresql_4_x_cores_plus_1(shape):
    workers = 2 * multiprocessing.cpu_count() + 1
    assert shape() == (workers, 1)                            # the embedded default: SQLite
    assert shape(DOORSTEP_DATABASE_URL="sqlite:////tmp/x.sqlite3") == (workers, 1)
    more = 4 * multiprocessing.cpu_count() + 1                # threads: for -k gthread only
    assert shape(DOORSTEP_DATABASE_URL="postgresql://u@h:5432/d") == (more, 2)
    assert shape(DOORSTEP_DATABASE_URL="postgresql+psycopg://u@h/d") == (more, 2)


def test_the_environment_overrides_the_shape(shape):
    assert shape(DOORSTEP_DATABASE_URL="postgresql://u@h/d", DOORSTEP_THREADS="4",
                 DOORSTEP_WORKERS="3") == (3, 4)
    assert shape(DOORSTEP_THREADS="3") == (multiprocessing.cpu_count() * 2 + 1, 3)


def test_only_the_trusted_proxies_setting_decides_whose_forwarded_headers_gunicorn_honours(shape):
    shape()
    assert conf.forwarded_allow_ips == ""                     # not gunicorn's 127.0.0.1,::1
    shape(DOORSTEP_TRUSTED_PROXIES=" 10.0.0.5, 127.0.0.1 ")
    assert conf.forwarded_allow_ips == "10.0.0.5,127.0.0.1"
