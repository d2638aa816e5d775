"""The cost of pairing: ``openai-conformance run --upstream embedded`` against the same run without it.

What it measures: one reference server is started in this process (the target, keyed, as in
bench_end_to_end.py). The same run — ``--max-examples N --seed 0`` over every operation (probes and
scenarios included), or over ``--include`` — is made alternately with and without ``--upstream
embedded:PORT``, ``--repeats`` times, each as a subprocess, after one untimed warm-up of each. With
``--upstream``, every request also goes to the run's own embedded reference server, both answers are
judged and compared member by member (streams event by event) and the findings attributed: that is
all the difference between the two runs.

The target is the reference server itself rather than a proxy in front of one: a proxy's own latency
would be paid by both runs alike and lower the ratio, so this is the ratio's upper bound. Both runs
send the same requests (the case counts are printed, and a difference is said).

Baseline: the same run without ``--upstream``. Target: with it, ≤ 2.2× the wall time (best and median
of the repeats are printed, and the ratio of each).

Run: ``.venv/bin/python benchmarks/bench_upstream.py [--quick] [--repeats N] [--examples N]``;
``--quick`` (< 60 s) runs 3 operations × 5 examples, one repeat.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import tempfile
from pathlib import Path

from bench_end_to_end import KEY, PIN, QUICK_OPERATIONS, REPO, ToolRun, run_ours

from openai_conformance.openapi.loader import load_contract
from openai_conformance.server.app import create_app
from openai_conformance.server.thread import serve_in_thread

TARGET_RATIO = 2.2


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="3 operations × 5 examples, one repeat")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--examples", type=int, default=5)
    args = parser.parse_args(argv)
    operations = list(QUICK_OPERATIONS) if args.quick else []
    repeats = 1 if args.quick else max(1, args.repeats)
    spec = os.environ.get("OPENAI_CONFORMANCE_SPEC") or str(REPO.parent / "shared" / "spec")
    env = {**os.environ, "OPENAI_CONFORMANCE_SPEC": spec}
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        env["OPENAI_CONFORMANCE_CACHE"] = str(work / "cache")
        contract = load_contract(pin=PIN, findings=False)
        print(
            f"spec {PIN}: {len(operations) or 'all'} operations × {args.examples} examples, {repeats} repeat(s)"
        )
        with serve_in_thread(create_app(contract.document, api_key=KEY)) as url:
            alone: list[ToolRun] = []
            paired: list[ToolRun] = []

            def once(upstream: bool) -> ToolRun:
                extra = ["--upstream", f"embedded:{_free_port()}"] if upstream else []
                return run_ours(url, operations, args.examples, work, env, extra)

            once(False), once(True)  # warm-up: the server's first answers on each route are slower
            for repeat in range(repeats):
                order = (False, True) if repeat % 2 == 0 else (True, False)
                for upstream in order:
                    measured = once(upstream)
                    (paired if upstream else alone).append(measured)
                    label = "with --upstream" if upstream else "without       "
                    print(
                        f"  repeat {repeat + 1} {label}: {measured.cases} cases, {measured.wall:.2f} s wall"
                    )
    best = min(r.wall for r in paired) / min(r.wall for r in alone)
    median = statistics.median(r.wall for r in paired) / statistics.median(r.wall for r in alone)
    print(
        f"without --upstream: best {min(r.wall for r in alone):.2f} s, median {statistics.median(r.wall for r in alone):.2f} s"
    )
    print(
        f"with --upstream:    best {min(r.wall for r in paired):.2f} s, median {statistics.median(r.wall for r in paired):.2f} s"
    )
    print(f"ratio (with / without): best {best:.2f}×, median {median:.2f}× (target ≤ {TARGET_RATIO}×)")
    cases = {r.cases for r in alone} | {r.cases for r in paired}
    if len(cases) != 1:
        print(f"note: the runs sent different numbers of requests: {sorted(cases)}")
    met = median <= TARGET_RATIO
    print(f"target {'met' if met else 'NOT met'}")
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
