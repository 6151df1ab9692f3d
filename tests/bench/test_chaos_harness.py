"""bench/chaos.py's own failure path: a host that does not come back after a kill stops the
phones and is named in the run's failures, instead of leaving the fleet to wait out its limit
(a two-host run once hung for ten minutes in CI that way)."""
import os
import random
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "bench"))
import chaos  # noqa: E402
import phones  # noqa: E402


class HostThatStaysDown:
    """A host whose restart never answers: the one thing this test is about, so it stands in
    for gunicorn (bench/common.Gunicorn raises the same error after its 60 s wait)."""

    def kill_worker(self, rng):
        return 1234

    def crash(self):
        pass

    def start(self):
        pass

    def wait_ready(self):
        raise RuntimeError("gunicorn does not answer")


class PhoneThatNeverFinishes:
    """Keeps its session going until told to stop, as a phone with an unsendable form does."""

    def live(self, stop, pause):
        while not stop.wait(0.05):
            pass


def test_a_host_that_does_not_come_back_stops_the_phones_and_is_reported():
    trouble, kills, stop, halt = [], [], threading.Event(), threading.Event()
    killer = threading.Thread(target=chaos.killer, args=(
        [HostThatStaysDown()], random.Random(1), stop, kills, 5, (0.01, 0.02), trouble, halt))
    killer.start()
    started = time.perf_counter()
    phones.run_fleet([PhoneThatNeverFinishes() for _ in range(3)], stop=halt, limit=60)
    killer.join(5)
    assert time.perf_counter() - started < 10
    assert trouble == ["the killer stopped: RuntimeError: gunicorn does not answer"]
    assert len(kills) == 1


def test_phones_still_busy_at_the_limit_are_stopped_together_not_one_by_one():
    started = time.perf_counter()
    phones.run_fleet([PhoneThatNeverFinishes() for _ in range(5)], limit=0.5)
    assert time.perf_counter() - started < 5
