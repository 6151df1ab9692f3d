"""gunicorn's shape (workers x threads) against intake, with where the machine's time went.

For each shape, interleaved over several repetitions (this machine's speed drifts, so shapes
are compared within a repetition, never across): submissions/s from 8 keep-alive clients, and
from /proc the CPU each process group used per submission (gunicorn's workers, the
PostgreSQL backends, this load generator) and how much of the 2 cores stayed idle. Idle time
with clients waiting is time lost to a lock, or to clients pinned on a busy worker.

    python bench/shape.py [--db sqlite|postgresql] [--form bench_entity.xml]
                          [--shapes 3x2,5x1] [--reps 3] [--n 2000]
"""
import argparse
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
import ingest  # noqa: E402

_TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds():
    """CPU seconds used so far by each process group: gunicorn, postgres, this process."""
    found = {"gunicorn": 0.0, "postgres": 0.0, "bench": 0.0}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                command = f.read()
        except OSError:
            continue
        seconds = (int(fields[11]) + int(fields[12])) / _TICK      # utime + stime
        if int(pid) == os.getpid():
            found["bench"] += seconds
        elif b"gunicorn" in command:
            found["gunicorn"] += seconds
        elif b"postgres" in command:
            found["postgres"] += seconds
    return found


def machine_seconds():
    """(all CPU seconds, idle seconds) of the machine so far."""
    with open("/proc/stat") as f:
        ticks = [int(x) for x in f.readline().split()[1:]]
    return sum(ticks) / _TICK, (ticks[3] + ticks[4]) / _TICK      # idle + iowait


def measure(kind, form, workers, threads, n, clients=8):
    form_id = os.path.splitext(form)[0]
    with common.scratch_database(kind) as url, tempfile.TemporaryDirectory() as data:
        app = common.make_app(url, data)
        token = common.prepare(app, [os.path.join(common.SHARED_BENCH, form)])
        port = common.free_port()
        server = common.Gunicorn(url, data, port, workers, threads)
        path = f"/v1/key/{token}/projects/1/submission"
        try:
            common.post_all(port, path, [common.multipart(ingest.plain_instance(form_id, i))
                                         for i in range(300)], clients)          # warm up
            bodies = [common.multipart(ingest.plain_instance(form_id, i)) for i in range(n)]
            cpu_before, machine_before = cpu_seconds(), machine_seconds()
            seconds, _, statuses = common.post_all(port, path, bodies, clients)
            cpu_after, machine_after = cpu_seconds(), machine_seconds()
        finally:
            server.stop()
    total = machine_after[0] - machine_before[0]
    return {"rate": n / seconds, "statuses": statuses,
            **{k: (cpu_after[k] - cpu_before[k]) / n * 1000 for k in cpu_after},
            "idle": (machine_after[1] - machine_before[1]) / total * 100 if total else 0.0}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--form", default="bench_entity.xml")
    parser.add_argument("--shapes", default="3x2,5x1", help="workers x threads, comma-separated")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--n", type=int, default=2000)
    args = parser.parse_args(argv)
    shapes = [tuple(int(x) for x in s.split("x")) for s in args.shapes.split(",")]
    print(f"# {args.form} on {args.db}, {args.n} submissions, 8 clients, {os.cpu_count()} cores; "
          "CPU is ms per submission")
    print(f"{'rep':>3} {'shape':>6} {'subs/s':>7} {'gunicorn':>9} {'postgres':>9} {'bench':>6} "
          f"{'idle %':>7}  statuses")
    for rep in range(1, args.reps + 1):
        for workers, threads in shapes:
            r = measure(args.db, args.form, workers, threads, args.n)
            print(f"{rep:>3} {workers}x{threads:<4} {r['rate']:>7.0f} {r['gunicorn']:>9.2f} "
                  f"{r['postgres']:>9.2f} {r['bench']:>6.2f} {r['idle']:>7.0f}  {r['statuses']}",
                  flush=True)


if __name__ == "__main__":
    main()
