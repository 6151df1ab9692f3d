"""The chaos run (bench/chaos.py), small: the synthetic town's phones and a photo form with
split uploads send over weak links (cut mid-upload, answers lost) while gunicorn workers and
the whole server are SIGKILLed and restarted. Every acknowledged instance is stored exactly
once with its attachments, and the register equals its replay from the journal. The full
run (5,000+ submissions, 20+ kills) is recorded in docs/performance.md; the two-host run in
docs/operations.md ("Two hosts, one database")."""
import os
import sys

import pytest

BENCH = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "bench")


@pytest.fixture
def chaos(database_url, monkeypatch):
    sys.path.insert(0, BENCH)
    try:
        import chaos as module
    finally:
        sys.path.remove(BENCH)
    if database_url.startswith("postgresql"):
        monkeypatch.setenv("DOORSTEP_BENCH_POSTGRES", os.environ["DOORSTEP_TEST_DATABASE_URL"])
        return module, "postgresql"
    return module, "sqlite"


def test_kills_lose_no_acknowledged_submission_and_duplicate_none(chaos):
    module, kind = chaos
    summary, failures = module.run(kind, people=300, photos=40, kills_wanted=5, seed=4,
                                   interval=(0.3, 1.5), limit=300)
    assert failures == []
    assert summary["kills"] >= 5 and summary["server_crashes"] >= 1
    assert summary["acknowledged"] == summary["instances"] == summary["stored"]
    assert summary["attachments_checked"] == 3 * 40
    outcomes = summary["outcomes"]
    assert outcomes["cut mid-upload"] and outcomes["answer lost"]   # the link was weak


@pytest.mark.postgresql_only
def test_kills_on_either_of_two_hosts_lose_no_acknowledged_submission(chaos):
    # two gunicorn hosts on one PostgreSQL database and one S3 bucket; phone sessions go to
    # either, and the kills fall on either
    module, _ = chaos
    summary, failures = module.run("postgresql", people=150, photos=15, kills_wanted=4, seed=5,
                                   interval=(0.3, 1.2), workers=2, hosts=2, storage="s3",
                                   limit=300)
    assert failures == []
    assert summary["kills"] >= 4 and summary["server_crashes"] >= 1
    assert summary["acknowledged"] == summary["instances"] == summary["stored"]
    assert summary["attachments_checked"] == 3 * 15
