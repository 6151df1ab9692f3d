"""Instructions per submission, counted by valgrind's callgrind: a measure of the CPU work of
intake that does not drift with the machine (on the 2-core VM wall-clock figures move by up to
3x within an hour, so small changes cannot be seen in them).

Each form runs in a child process under callgrind with counting switched off; the child builds
a scratch database, publishes the form, posts warm-up submissions through Flask's test client,
switches counting on (callgrind_control), posts N more and exits. Printed per form: millions of
instructions per submission, beside bench_plain's as the baseline of the same run. It counts
this process only, not PostgreSQL's backend, and includes the test client's own work; the
cyclic garbage collector is switched off while counting (see child()).

    python bench/instructions.py [--db sqlite|postgresql] [--n 200] [--village dongwan]
                                 [--events]

--village: the phone is limited to that one village, as a field worker's is (the village scope
of writes is then checked on every submission and entity); default: a town-wide phone.
--events: each bench_plain submission yields two life events (bench/events.py's deriver).
"""
import argparse
import gc
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
import ingest  # noqa: E402

WARM_UP = 50


def child(kind, form_id, n, village=None, events=False):
    if events:
        import events as life
        life.register_bench_deriver()
    with common.scratch_database(kind) as url, tempfile.TemporaryDirectory() as data:
        app = common.make_app(url, data)
        token = common.prepare(app, [os.path.join(common.SHARED_BENCH, form_id + ".xml")],
                               village)
        client = app.test_client()
        path = f"/v1/key/{token}/projects/1/submission"
        bodies = [common.multipart(ingest.plain_instance(form_id, i)) for i in range(WARM_UP + n)]
        for i, (body, content_type) in enumerate(bodies):
            if i == WARM_UP:
                # No cyclic garbage collection in the counted window: a full collection costs
                # 100-200 M instructions and comes every thousand or two submissions, so a
                # window of 200 either holds one or not, and a change that only moved it
                # would look like a 20 % gain or loss. What collections cost is measured
                # apart (docs/performance.md).
                gc.collect()
                gc.disable()
                subprocess.run(["callgrind_control", "-i", "on", str(os.getpid())],
                               check=True, capture_output=True)
            response = client.post(path, data=body, headers={
                "Content-Type": content_type, "X-OpenRosa-Version": "1.0"})
            assert response.status_code == 201, response.data
        # off before the scratch database is dropped and the interpreter shuts down: that
        # teardown depends on how many objects the process holds, not on a submission's work
        subprocess.run(["callgrind_control", "-i", "off", str(os.getpid())],
                       check=True, capture_output=True)


def count(kind, form_id, n, village=None, events=False):
    """Millions of instructions per submission of form_id."""
    with tempfile.TemporaryDirectory() as out:
        done = subprocess.run(
            ["valgrind", "--tool=callgrind", "--instr-atstart=no",
             f"--callgrind-out-file={out}/callgrind.out", sys.executable,
             os.path.abspath(__file__), "--child", form_id, "--db", kind, "--n", str(n),
             *(["--village", village] if village else []), *(["--events"] if events else [])],
            capture_output=True, text=True)
    found = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode != 0 or not found:
        raise SystemExit(f"callgrind run failed:\n{done.stderr[-2000:]}")
    return int(found.group(1)) / n / 1e6


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="postgresql")
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--village", help="limit the phone to this one village")
    parser.add_argument("--events", action="store_true",
                        help="two life events per bench_plain submission (bench/events.py)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args.db, args.child, args.n, args.village, args.events)
    if not (shutil.which("valgrind") and shutil.which("callgrind_control")):
        raise SystemExit("needs valgrind (apt-get install valgrind)")
    print(f"# instructions per submission in process (callgrind), {args.db}, {args.n} after "
          f"{WARM_UP} to warm up; this process only; phone: {args.village or 'town-wide'}"
          + ("; bench_plain yields 2 life events" if args.events else ""))
    plain = count(args.db, "bench_plain", args.n, args.village, args.events)
    entity = count(args.db, "bench_entity", args.n, args.village, args.events)
    print(f"bench_plain   {plain:6.2f} M")
    print(f"bench_entity  {entity:6.2f} M  ({entity / plain:.2f}x bench_plain)")


if __name__ == "__main__":
    main()
