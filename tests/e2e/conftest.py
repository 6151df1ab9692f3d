"""live_server(**options): a real gunicorn on this test's database and data directory, started
and waited for; every one started is stopped when the test ends (killed ones included)."""
import pytest

from tests.e2e.live import LiveServer


@pytest.fixture
def live_server(app, db):
    started = []

    def start(**options):
        server = LiveServer(app.config["SQLALCHEMY_DATABASE_URI"], app.config["DATA_DIR"],
                            **options).wait()
        started.append(server)
        return server

    yield start
    for server in started:
        if server.process.poll() is None:
            server.stop()
