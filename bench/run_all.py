"""Every benchmark in one run, on SQLite and PostgreSQL, printed as one table with ratios:

- intake through gunicorn (in its shipped shape for each database, shown as workers x
  threads) of ../shared/bench/bench_plain.xml and bench_entity.xml, against ODK Central's
  figures on this machine (plain ~100/s; entity ~85/s accepted, entities created at ~50/s)
  and against the in-process limit and HTTP ceiling measured alongside; with a running
  ODK Central named (bench/central.py), Central is measured in the same run, its rounds
  interleaved with Doorstep's, and the ratios are taken against that;
- entity-list CSV generation for a 100,000-person register, for the whole town and for one
  village worker (filtered), cold and warm, and the list hash a current phone pays instead.

    python bench/run_all.py [--quick] [--db sqlite|postgresql|both]

--quick shrinks every size (a smoke run, not a measurement). Figures belong in
docs/performance.md with the machine (2 cores) and the time of the run.
"""
import argparse
import datetime as dt
import os
import platform
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import central  # noqa: E402
import common  # noqa: E402
import ingest  # noqa: E402
import lists  # noqa: E402

CENTRAL_ENTITIES = 50.0        # entities created per second (accepted: ingest.CENTRAL)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--people", type=int, default=None)
    args = parser.parse_args(argv)
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    n, rounds = (300, 1) if args.quick else (2000, 3)
    people = args.people or (5000 if args.quick else 100_000)
    print(f"# Doorstep benchmarks, {dt.datetime.utcnow():%Y-%m-%d %H:%M} UTC, "
          f"{os.cpu_count()} cores, {platform.processor() or platform.machine()}, "
          f"Python {platform.python_version()}")
    print(f"# CPU reference (1M-step Python loop, lower is faster): "
          f"{common.cpu_reference():.0f} ms at the start", flush=True)
    peer = central.from_environment()
    if peer:
        peer.prepare([os.path.join(common.SHARED_BENCH, f)
                      for f in ("bench_plain.xml", "bench_entity.xml")])
        print(f"# ODK Central at {peer.base} measured in the same run (bench/central.py)")
    rows = []
    for form in ("bench_plain.xml", "bench_entity.xml"):
        form_id = form[:-4]
        for kind in kinds:
            options = argparse.Namespace(n=n, rounds=rounds, clients=8, workers=0, threads=0,
                                         form=form)
            r = ingest.run(kind, options, peer)
            fixed = r["central"]
            rows.append((f"intake {form_id} ({r['shape']})", kind, f"{r['rate']:.0f}/s",
                         f"in-process {r['limit']:.0f}/s, HEAD {r['ceiling']:.0f}/s",
                         f"{r['rate'] / r['limit']:.2f} of in-process",
                         *versus(r["rate"], fixed, r["peer"])))
            if form_id == "bench_entity":
                rows.append(("  entities created", kind, f"{r['rate']:.0f}/s",
                             f"{r['entities']} entities", "in the request",
                             *versus(r["rate"], CENTRAL_ENTITIES, r["peer"])))
            print(f"  done: intake {form_id} on {kind} p50 {r['p50']:.1f} ms, "
                  f"p99 {r['p99']:.1f} ms", flush=True)
    for kind in kinds:
        for r in lists.measure(kind, people, rounds):
            rows.append((f"list CSV, {r['who']}", kind, f"{r['warm'] * 1000:.0f} ms warm",
                         f"cold {r['cold'] * 1000:.0f} ms, rows read {r['read'] * 1000:.0f} ms",
                         f"{r['warm'] / r['read']:.1f}x the read" if r["read"] else "-",
                         "-", f"{r['bytes'] / 1e6:.1f} MB ({r['gzip_bytes'] / 1e6:.2f} gz)"))
            rows.append(("  list hash (304 path)", kind, f"{r['hash'] * 1000:.2f} ms",
                         f"{people} people", f"{r['warm'] / r['hash']:.0f}x cheaper than CSV",
                         "-", "-"))
        print(f"  done: lists on {kind}", flush=True)
    print(f"# CPU reference: {common.cpu_reference():.0f} ms at the end")
    head = ("benchmark", "db", "Doorstep", "baseline (same run)", "ratio", "ODK Central",
            "vs Central / size")
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)]
    print()
    for row in (head, tuple("-" * w for w in widths), *rows):
        print("  ".join(str(x).ljust(w) for x, w in zip(row, widths)))


def versus(rate, fixed, peer):
    """The "ODK Central" and "vs Central" cells: against Central measured in this run when
    there is one (its completed rate: accepted and worked through its queue), else against
    the figure measured once on this machine."""
    if peer is None:
        return f"{fixed:.0f}/s", f"{rate / fixed:.1f}x"
    return (f"{peer['completed']:.0f}/s same run (accepted {peer['accepted']:.0f}/s)",
            f"{rate / peer['completed']:.1f}x (vs {fixed:.0f}/s: {rate / fixed:.1f}x)")


if __name__ == "__main__":
    main()
