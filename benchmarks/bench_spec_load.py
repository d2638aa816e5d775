"""Time to a ready contract, cold and warm, against plain ``yaml.safe_load`` of the same file.

"Ready" is what a run needs before its first request: ``load_contract(pin=PIN)`` (resolve, parse,
overlay, spec findings), then ``SchemaValidator(contract)`` and
``Generator(contract.document, models=[...], budget=Budget())`` (given ``closed=
contract.generation_document`` as the engine does, when this version of the code has it). Each
measurement is a fresh
subprocess of this interpreter:

* **cold** — an empty ``OPENAI_CONFORMANCE_CACHE`` folder (a new temporary one each time);
* **warm** — a second subprocess with the cache the cold one filled;
* **baseline** — ``yaml.safe_load`` of the same spec file (the pure-Python loader a naive user calls),
  in its own fresh subprocess, in the same run; ``yaml.load(..., CSafeLoader)`` is printed beside it
  for reference.

For each, the child reports the seconds spent in the measured calls (imports excluded and printed
apart), and the parent the subprocess's wall time (interpreter start and imports included). Each is
repeated (best and median of ``--repeats``) for pins f85dbe2 (OpenAPI 3.1, 2.9 MB) and 6b8287f (3.0,
0.8 MB); ratios are ours / ``safe_load``. The spec files are read from ``OPENAI_CONFORMANCE_SPEC``
(default ``../shared/spec`` beside the checkout), so the OS page cache is warm in both cases: "cold"
means an empty tool cache and a fresh process, not a cold disk.

Targets: f85dbe2 ready ≤ 2 s cold and ≤ 0.3 s warm (the in-process time of the three calls).

Run: ``.venv/bin/python benchmarks/bench_spec_load.py [--quick] [--repeats N]``; ``--quick``
(< 30 s) does one repeat, times ``yaml.safe_load`` on 6b8287f only (on f85dbe2 it takes ~5 s) and
leaves out the CSafeLoader reference.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

PINS = ("f85dbe2", "6b8287f")
TARGET_PIN = "f85dbe2"
TARGET_COLD = 2.0
TARGET_WARM = 0.3
REPO = Path(__file__).resolve().parent.parent

# The child: prints one JSON object of stage timings (seconds).
_CHILD = """
import json, sys, time
mode, pin = sys.argv[1], sys.argv[2]
figures = {}
t0 = time.perf_counter()
if mode in ("safe_load", "csafe_load"):
    import yaml
    from openai_conformance.openapi.sources import resolve_spec
    path = resolve_spec(None, pin_name=pin).location
    figures["import"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    with open(path, "rb") as handle:
        if mode == "safe_load":
            document = yaml.safe_load(handle)
        else:
            document = yaml.load(handle, Loader=yaml.CSafeLoader)
    figures["ready"] = time.perf_counter() - t1
else:
    from openai_conformance.generation.cases import Generator
    from openai_conformance.generation.hints import Budget
    from openai_conformance.openapi.loader import load_contract
    from openai_conformance.validation.schema import SchemaValidator
    figures["import"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    contract = load_contract(pin=pin)
    t2 = time.perf_counter()
    validator = SchemaValidator(contract)
    t3 = time.perf_counter()
    # as the engine builds it: with the contract's cached closed document when this version has one
    import inspect
    extra = {}
    if "closed" in inspect.signature(Generator).parameters and hasattr(contract, "generation_document"):
        extra["closed"] = contract.generation_document
    models = ["gpt-4o-mini", "text-embedding-3-small"]
    generator = Generator(contract.document, models=models, budget=Budget(), **extra)
    t4 = time.perf_counter()
    figures.update(load_contract=t2 - t1, validator=t3 - t2, generator=t4 - t3, ready=t4 - t1)
print(json.dumps(figures))
"""


@dataclass(frozen=True, slots=True)
class Sample:
    wall: float  # the subprocess, interpreter start included
    figures: dict[str, float]  # the child's own stage timings


def child(mode: str, pin: str, cache: Path, env: dict[str, str]) -> Sample:
    child_env = dict(env, OPENAI_CONFORMANCE_CACHE=str(cache))
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, mode, pin], capture_output=True, text=True, env=child_env, check=False
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"the {mode} child for {pin} failed:\n{done.stderr[-3000:]}")
    figures: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return Sample(wall, figures)


@dataclass(frozen=True, slots=True)
class Series:
    samples: list[Sample]

    def best(self, key: str) -> float:
        return min(self.value(s, key) for s in self.samples)

    def median(self, key: str) -> float:
        return statistics.median(self.value(s, key) for s in self.samples)

    @staticmethod
    def value(sample: Sample, key: str) -> float:
        return sample.wall if key == "wall" else sample.figures.get(key, 0.0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="one repeat; safe_load baseline on 6b8287f only")
    parser.add_argument(
        "--repeats", type=int, default=None, help="subprocesses per measurement (3; quick: 1)"
    )
    args = parser.parse_args(argv)
    repeats = args.repeats or (1 if args.quick else 3)
    started = time.perf_counter()

    work = Path(tempfile.mkdtemp(prefix="oc-bench-load-"))
    env = dict(os.environ)
    env.setdefault("OPENAI_CONFORMANCE_SPEC", str(REPO.parent / "shared" / "spec"))
    print(f"python {sys.version.split()[0]}; cpus {os.cpu_count()}; repeats={repeats}; quick={args.quick}")
    print(f"spec copies: {env['OPENAI_CONFORMANCE_SPEC']}; caches in {work} (temporary)")

    results: dict[tuple[str, str], Series] = {}
    for pin in PINS:
        cold: list[Sample] = []
        warm: list[Sample] = []
        base: list[Sample] = []
        cbase: list[Sample] = []
        with_safe_load = not args.quick or pin == "6b8287f"
        for index in range(repeats):
            cache = work / f"{pin}-{index}"
            cache.mkdir()
            cold.append(child("ready", pin, cache, env))  # empty cache
            warm.append(child("ready", pin, cache, env))  # the cache the cold run filled
            if with_safe_load:
                base.append(child("safe_load", pin, cache, env))
            if not args.quick:
                cbase.append(child("csafe_load", pin, cache, env))
        results[(pin, "cold")] = Series(cold)
        results[(pin, "warm")] = Series(warm)
        if cbase:
            results[(pin, "csafe_load")] = Series(cbase)
        if base:
            results[(pin, "safe_load")] = Series(base)

    print()
    print(
        f"{'pin':<8} {'what':<22} {'ready s':>8} {'median':>8} | {'load':>6} {'valid.':>6} {'gen.':>6} | "
        f"{'imports':>7} {'process':>8} | {'ready/safe_load':>15}"
    )
    for pin in PINS:
        baseline = results.get((pin, "safe_load"))
        for what, label in (
            ("safe_load", "baseline yaml.safe_load"),
            ("csafe_load", "(yaml CSafeLoader)"),
            ("cold", "ours, cold cache"),
            ("warm", "ours, warm cache"),
        ):
            series = results.get((pin, what))
            if series is None:
                print(f"{pin:<8} {label:<22} skipped in --quick")
                continue
            stages = (
                " ".join(f"{series.best(k):>6.2f}" for k in ("load_contract", "validator", "generator"))
                if what in ("cold", "warm")
                else f"{'':>6} {'':>6} {'':>6}"
            )
            ratio = f"{series.best('ready') / baseline.best('ready'):>14.2f}x" if baseline else f"{'n/a':>15}"
            print(
                f"{pin:<8} {label:<22} {series.best('ready'):>8.3f} {series.median('ready'):>8.3f} | {stages} | "
                f"{series.best('import'):>7.2f} {series.best('wall'):>8.2f} | {ratio}"
            )
    print(
        "(seconds, best of the repeats; 'ready' = the measured calls only, 'process' = subprocess wall time)"
    )

    print()
    print("targets:")
    cold_ready = results[(TARGET_PIN, "cold")].best("ready")
    warm_ready = results[(TARGET_PIN, "warm")].best("ready")
    for label, value, ok in (
        (f"{TARGET_PIN} ready ≤ {TARGET_COLD:g} s cold", cold_ready, cold_ready <= TARGET_COLD),
        (f"{TARGET_PIN} ready ≤ {TARGET_WARM:g} s warm", warm_ready, warm_ready <= TARGET_WARM),
    ):
        print(f"  [{'MET' if ok else 'NOT MET':>7}] {label:<32} {value:.3f} s")
    shutil.rmtree(work, ignore_errors=True)
    print(f"\ntotal {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
