"""Generation: milliseconds per drawn request for the spec's heaviest operations, ours vs plain schemathesis.

What it measures, in one process, for each operation (the heaviest request schemas of 6b8287f: chat
messages and tools, threads, assistants, runs; plus embeddings and a path-only operation):

* **baseline**: plain schemathesis 4.x as ``st run`` draws, ``schemathesis.openapi.from_dict(spec)``
  with its default configuration, ``schema[path][METHOD].as_strategy()`` in positive mode, drawn under
  hypothesis's ``@given`` with the same settings ours uses (``max_examples=N``, no database, no
  deadline, explicit + generate phases, seed 0);
* **ours**: ``Generator.strategy`` (the same schemathesis and hypothesis, on the contract with object
  schemas closed: no invented properties, which the API rejects; model ids and size budgets applied)
  drawn by ``generation.explore.explore``, the code the engine and its helper process run.

Both are timed per drawn request, best of ``--repeats`` rounds, after one untimed round that builds
and caches the strategies (the first build is shown apart). Ratio = baseline / ours.

The end-to-end effect of drawing in a helper process (``--draw-ahead``) is measured by
``bench_end_to_end.py``; this script measures the drawing itself.

Run: ``.venv/bin/python benchmarks/bench_generation.py [--quick] [--repeats N] [--examples N]``
(``--quick``: 2 operations, 10 examples, 2 repeats, under 30 s).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
os.environ.setdefault("OPENAI_CONFORMANCE_SPEC", str(REPO.parent / "shared" / "spec"))

import schemathesis  # noqa: E402
from hypothesis import HealthCheck, Phase, given, seed, settings  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402

from openai_conformance.generation.cases import Generator  # noqa: E402
from openai_conformance.generation.explore import explore  # noqa: E402
from openai_conformance.generation.hints import Budget  # noqa: E402
from openai_conformance.openapi.loader import load_contract  # noqa: E402
from openai_conformance.openapi.operations import Operation, iter_operations  # noqa: E402

PIN = "6b8287f"
HEAVY = (
    "createChatCompletion",
    "createThread",
    "createThreadAndRun",
    "createAssistant",
    "createRun",
    "createEmbedding",
    "retrieveModel",
)
QUICK = ("createChatCompletion", "retrieveModel")


def draw_plain(schema: Any, operation: Operation, examples: int) -> int:
    """Draw with plain schemathesis as ``st`` does; the number of requests drawn."""
    strategy = schema[operation.path][operation.method.upper()].as_strategy(
        generation_mode=GenerationMode.POSITIVE
    )
    drawn = [0]

    def test(case: Any) -> None:
        drawn[0] += 1

    decorate: Any = given(strategy)
    wrapped: Any = decorate(test)
    wrapped = settings(
        max_examples=examples,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )(wrapped)
    runner: Callable[[], None] = seed(0)(wrapped)
    runner()
    return drawn[0]


def draw_ours(generator: Generator, operation: Operation, examples: int) -> int:
    drawn = [0]

    def emit(case: Any) -> None:
        drawn[0] += 1

    result = explore(generator, operation, emit, negative=False, max_examples=examples, seed_value=0)
    if result.error:
        raise SystemExit(f"{operation.operation_id}: {result.error}")
    return drawn[0]


def per_request(draw: Callable[[], int], repeats: int) -> tuple[float, float, int]:
    """(first round ms/request, best later round ms/request, requests per round)."""
    started = time.perf_counter()
    count = draw()
    first = (time.perf_counter() - started) * 1000 / max(count, 1)
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        count = draw()
        best = min(best, (time.perf_counter() - started) * 1000 / max(count, 1))
    return first, best, count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="2 operations, 10 examples, 2 repeats")
    parser.add_argument("--repeats", type=int, default=None, help="timed rounds (5; quick: 2)")
    parser.add_argument("--examples", type=int, default=None, help="requests per round (25; quick: 10)")
    args = parser.parse_args(argv)
    repeats = args.repeats or (2 if args.quick else 5)
    examples = args.examples or (10 if args.quick else 25)
    names = QUICK if args.quick else HEAVY

    contract = load_contract(pin=PIN, findings=False)
    operations = {op.operation_id: op for op in iter_operations(contract.document)}
    plain = schemathesis.openapi.from_dict(contract.document)
    generator = Generator(
        contract.document,
        models=["gpt-4o-mini", "text-embedding-3-small"],
        budget=Budget(),
        closed=contract.generation_document,
    )
    print(f"contract: {contract.title}, pin {PIN}; schemathesis {schemathesis.__version__}")
    print(f"{examples} requests per round, best of {repeats} rounds after one untimed round (first shown)")
    print()
    header = f"{'operation':<24} {'plain st: first':>15} {'best':>8} {'ours: first':>12} {'best':>8} {'plain/ours':>11}"
    print(header)
    ratios: dict[str, float] = {}
    for name in names:
        operation = operations[name]
        plain_first, plain_best, _ = per_request(partial(draw_plain, plain, operation, examples), repeats)
        ours_first, ours_best, _ = per_request(partial(draw_ours, generator, operation, examples), repeats)
        ratios[name] = plain_best / ours_best
        print(
            f"{name:<24} {plain_first:>12.2f} ms {plain_best:>5.2f} ms {ours_first:>9.2f} ms "
            f"{ours_best:>5.2f} ms {ratios[name]:>10.2f}x"
        )
    print()
    print("ms per drawn request; 'first' includes building the strategy, which ours then reuses.")
    chat = ratios.get("createChatCompletion")
    if chat is not None:
        print(f"chat completions: ours draws {chat:.1f}x faster than plain schemathesis")
    return 0


if __name__ == "__main__":
    sys.exit(main())
