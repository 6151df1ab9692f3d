"""The chaos run (bench/chaos.py), small: the synthetic town's phones and a photo form with
split uploads send over weak links (cut mid-upload, answers lost) while gunicorn workers and
the whole server are SIGKILLed and restarted. Every acknowledged instance is stored exactly
once with its attachments, and the register equals its replay from the journal. The full
run (5,000+ submissions, 20+ kills) is recorded in docs/performance.md."""
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
                                   interval=(0.3, 1.5))
    assert failures == []
    assert summary["kills"] >= 5 and summary["server_crashes"] >= 1
    assert summary["acknowledged"] == summary["instances"] == summary["stored"]
    assert summary["attachments_checked"] == 3 * 40
    outcomes = summary["outcomes"]
    assert outcomes["cut mid-upload"] and outcomes["answer lost"]   # the link was weak
