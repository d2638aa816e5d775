"""Response validation time per answer: plain openapi-core vs ``SchemaValidator.check``.

What it measures, in one process, on the overlaid contract of pin 6b8287f:

* **baseline, naive** — plain openapi-core as a naive user writes it: a new
  ``OpenAPI.from_dict(doc, config=Config(spec_validator_cls=None))`` and new
  ``MockRequest``/``MockResponse`` objects for every answer, then ``validate_response``;
* **baseline, warm** — the same with one ``OpenAPI`` object built once and reused (only the mock
  request/response are new per answer);
* **ours** — ``SchemaValidator(contract).check(exchange)`` (built once, as the engine does) on an
  :class:`~openai_conformance.transport.exchange.Exchange`, all violations consumed.

on three answers: (a) a small chat completion, (b) an embeddings answer of 16 vectors × 1536 floats
(floats of 7 decimals as the API sends them: ~270 KB of JSON), (c) a list of models.  Each is timed best-of / median-of N batches and printed as
ms per validation with the ratios baseline / ours.  It then checks that the baseline and ours give the
same verdict (valid / invalid) on a valid and on an invalid variant of each answer, and times the
invalid variants too (warm baseline vs ours), since an answer with a violation may take another path.

Targets (from the issue): small chat ≤ 0.1 ms per validation; embeddings 16×1536 ≤ 3 ms and ≥ 30×
faster than plain openapi-core.

Run: ``.venv/bin/python benchmarks/bench_validation.py [--quick] [--repeats N]``; needs the spec
(``OPENAI_CONFORMANCE_SPEC=/path/to/folder`` offline).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openapi_core import Config, OpenAPI
from openapi_core.testing import MockRequest, MockResponse

from openai_conformance.errors import ConformanceError
from openai_conformance.openapi.loader import Contract, load_contract
from openai_conformance.transport.exchange import Exchange, Request
from openai_conformance.validation.schema import SchemaValidator

PIN = "6b8287f"
TARGET_CHAT_MS = 0.1
TARGET_EMBEDDINGS_MS = 3.0
TARGET_EMBEDDINGS_RATIO = 30.0


@dataclass(frozen=True, slots=True)
class Answer:
    """One answer to validate: the request line and the response."""

    name: str
    method: str
    path: str
    status: int
    body: bytes

    @property
    def headers(self) -> dict[str, str]:
        return {"content-type": "application/json", "content-length": str(len(self.body))}


# -- the answers ----------------------------------------------------------------------------------
def chat_answer(valid: bool) -> Answer:
    body: dict[str, Any] = {
        "id": "chatcmpl-bench-1",
        "object": "chat.completion",
        "created": 1_723_000_000,
        "model": "gpt-4o-mini",
        "system_fingerprint": "fp_bench",
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": "Hello! How can I help you today?",
                    "refusal": None,
                },
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 9, "completion_tokens": 9, "total_tokens": 18},
    }
    if not valid:
        body["choices"][0]["finish_reason"] = "exploded"  # not in the enum
    return Answer("chat (small)", "POST", "/chat/completions", 200, json.dumps(body).encode())


def embeddings_answer(valid: bool, vectors: int = 16, dims: int = 1536) -> Answer:
    rng = random.Random(42)
    data: list[dict[str, Any]] = [
        {
            "object": "embedding",
            "index": i,
            "embedding": [round(rng.uniform(-0.1, 0.1), 7) for _ in range(dims)],
        }
        for i in range(vectors)
    ]
    if not valid:
        data[-1]["embedding"][-1] = "NaN"  # a string, at the very end: the whole body must be read
    body = {
        "object": "list",
        "data": data,
        "model": "text-embedding-3-small",
        "usage": {"prompt_tokens": 64, "total_tokens": 64},
    }
    return Answer(f"embeddings {vectors}x{dims}", "POST", "/embeddings", 200, json.dumps(body).encode())


def models_answer(valid: bool, count: int = 24) -> Answer:
    data: list[dict[str, Any]] = [
        {"id": f"model-{i}", "object": "model", "created": 1_700_000_000 + i, "owned_by": "openai"}
        for i in range(count)
    ]
    if not valid:
        del data[-1]["owned_by"]  # a required property missing
    body = {"object": "list", "data": data}
    return Answer(f"list models ({count})", "GET", "/models", 200, json.dumps(body).encode())


ANSWERS: list[Callable[[bool], Answer]] = [chat_answer, embeddings_answer, models_answer]


# -- the three ways to validate ---------------------------------------------------------------------
class Plain:
    """Plain openapi-core; ``warm`` reuses one ``OpenAPI`` object, otherwise one is built per call."""

    def __init__(self, contract: Contract, *, warm: bool) -> None:
        self.document = contract.document
        self.host, self.base = contract.server_base
        self.openapi = (
            OpenAPI.from_dict(self.document, config=Config(spec_validator_cls=None)) if warm else None
        )

    def verdict(self, answer: Answer) -> bool:
        """True when openapi-core accepts the answer."""
        openapi = self.openapi or OpenAPI.from_dict(self.document, config=Config(spec_validator_cls=None))
        request = MockRequest(self.host, answer.method.lower(), self.base + answer.path)
        response = MockResponse(answer.body, status_code=answer.status, content_type="application/json")
        try:
            openapi.validate_response(request, response)
        except Exception:  # openapi-core raises one of many validation errors
            return False
        return True


class Ours:
    """The project's ``SchemaValidator``, built once."""

    def __init__(self, contract: Contract) -> None:
        self.validator = SchemaValidator(contract)
        self.base = contract.server_base

    @staticmethod
    def exchange(answer: Answer) -> Exchange:
        request = Request(
            method=answer.method,
            url=f"http://127.0.0.1:8000/v1{answer.path}",
            path_template=answer.path,
            path=answer.path,
            headers={"content-type": "application/json"} if answer.method == "POST" else {},
        )
        return Exchange(
            request=request, status=answer.status, headers=answer.headers, body=answer.body, elapsed=0.0
        )

    def verdict(self, answer: Answer) -> bool:
        return not list(self.validator.check(self.exchange(answer)))

    def verdict_of(self, exchange: Exchange) -> bool:
        return not list(self.validator.check(exchange))


# -- timing ----------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Timing:
    best_ms: float
    median_ms: float
    loops: int
    repeats: int


def measure(call: Callable[[], object], *, repeats: int, batch_seconds: float, max_loops: int) -> Timing:
    """Best and median ms per call over ``repeats`` batches of a calibrated number of loops."""
    call()  # warm-up (lazy caches, first-call compilation)
    loops = 1
    while loops < max_loops:  # calibrate like timeit.autorange
        started = time.perf_counter()
        for _ in range(loops):
            call()
        if time.perf_counter() - started >= batch_seconds:
            break
        loops = min(max_loops, loops * 2)
    per_call: list[float] = []
    for _ in range(repeats):
        gc.collect()
        started = time.perf_counter()
        for _ in range(loops):
            call()
        per_call.append((time.perf_counter() - started) * 1000 / loops)
    return Timing(min(per_call), statistics.median(per_call), loops, repeats)


def fmt_ms(value: float) -> str:
    return f"{value:9.4f}" if value < 10 else f"{value:9.2f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="few repeats, short batches (< 30 s)")
    parser.add_argument("--repeats", type=int, default=None, help="batches per measurement (7; quick: 3)")
    args = parser.parse_args(argv)
    repeats = args.repeats or (3 if args.quick else 7)
    batch = 0.05 if args.quick else 0.25
    naive_loops = 1 if args.quick else 3

    started = time.perf_counter()
    # Like the other scripts: the pinned copies beside the checkout, unless told otherwise.
    os.environ.setdefault(
        "OPENAI_CONFORMANCE_SPEC", str(Path(__file__).resolve().parents[2] / "shared" / "spec")
    )
    try:
        contract = load_contract(pin=PIN, findings=False)
    except ConformanceError as exc:
        print(f"bench_validation: {exc}", file=sys.stderr)
        return 2
    print(f"contract: {contract.title}, pin {PIN}, {len(contract.overlays)} overlays")
    print(f"python {sys.version.split()[0]}; repeats={repeats}; quick={args.quick}")
    naive, warm, ours = Plain(contract, warm=False), Plain(contract, warm=True), Ours(contract)

    print()
    print(
        f"{'answer':<22} {'bytes':>8} | {'naive ms':>9} {'warm ms':>9} {'ours ms':>9} | "
        f"{'naive/ours':>10} {'warm/ours':>9}   (best of {repeats}; median in brackets)"
    )
    results: dict[str, tuple[Timing, Timing, Timing]] = {}
    for make in ANSWERS:
        answer = make(True)
        exchange = Ours.exchange(answer)
        t_naive = measure(
            lambda a=answer: naive.verdict(a),  # type: ignore[misc]
            repeats=repeats,
            batch_seconds=0.0,
            max_loops=naive_loops,
        )
        t_warm = measure(
            lambda a=answer: warm.verdict(a),  # type: ignore[misc]
            repeats=repeats,
            batch_seconds=batch,
            max_loops=100_000,
        )
        t_ours = measure(
            lambda e=exchange: ours.verdict_of(e),  # type: ignore[misc]
            repeats=repeats,
            batch_seconds=batch,
            max_loops=100_000,
        )
        results[answer.name] = (t_naive, t_warm, t_ours)
        print(
            f"{answer.name:<22} {len(answer.body):>8} | {fmt_ms(t_naive.best_ms)} {fmt_ms(t_warm.best_ms)} "
            f"{fmt_ms(t_ours.best_ms)} | {t_naive.best_ms / t_ours.best_ms:9.1f}x {t_warm.best_ms / t_ours.best_ms:8.2f}x"
        )
        print(
            f"{'':<22} {'':>8} | ({fmt_ms(t_naive.median_ms).strip()}) ({fmt_ms(t_warm.median_ms).strip()}) "
            f"({fmt_ms(t_ours.median_ms).strip()}) | loops/batch: naive {t_naive.loops}, warm {t_warm.loops}, ours {t_ours.loops}"
        )

    print()
    print("invalid variants (a violation found: ours words it with openapi-core, so expect no gain here):")
    for make in ANSWERS:
        answer = make(False)
        exchange = Ours.exchange(answer)
        t_warm = measure(
            lambda a=answer: warm.verdict(a),  # type: ignore[misc]
            repeats=repeats,
            batch_seconds=batch,
            max_loops=100_000,
        )
        t_ours = measure(
            lambda e=exchange: ours.verdict_of(e),  # type: ignore[misc]
            repeats=repeats,
            batch_seconds=batch,
            max_loops=100_000,
        )
        print(
            f"{answer.name:<22} {len(answer.body):>8} | {'':>9} {fmt_ms(t_warm.best_ms)} "
            f"{fmt_ms(t_ours.best_ms)} | {'':>10} {t_warm.best_ms / t_ours.best_ms:8.2f}x"
        )

    print()
    print("verdicts (baseline warm openapi-core vs ours; the naive baseline is the same code):")
    agree = True
    for make in ANSWERS:
        for valid in (True, False):
            answer = make(valid)
            plain_ok, ours_ok = warm.verdict(answer), ours.verdict(answer)
            violations = list(ours.validator.check(Ours.exchange(answer)))
            same = plain_ok == ours_ok == valid
            agree &= same
            first = f" — {violations[0].check}: {violations[0].message[:70]}" if violations else ""
            print(
                f"  {answer.name:<22} {'valid' if valid else 'invalid':<8} openapi-core: "
                f"{'valid' if plain_ok else 'invalid':<8} ours: {'valid' if ours_ok else 'invalid':<8}"
                f"{'same' if plain_ok == ours_ok else 'DIFFERENT'}{first}"
            )

    chat = results[chat_answer(True).name][2].best_ms
    emb_naive, emb_warm, emb_ours = results[embeddings_answer(True).name]
    print()
    print("targets:")
    checks = [
        (f"small chat ≤ {TARGET_CHAT_MS} ms", f"{chat:.4f} ms", chat <= TARGET_CHAT_MS),
        (
            f"embeddings 16x1536 ≤ {TARGET_EMBEDDINGS_MS} ms",
            f"{emb_ours.best_ms:.3f} ms",
            emb_ours.best_ms <= TARGET_EMBEDDINGS_MS,
        ),
        (
            f"embeddings ≥ {TARGET_EMBEDDINGS_RATIO:g}x warm openapi-core",
            f"{emb_warm.best_ms / emb_ours.best_ms:.2f}x",
            emb_warm.best_ms / emb_ours.best_ms >= TARGET_EMBEDDINGS_RATIO,
        ),
        (
            f"embeddings ≥ {TARGET_EMBEDDINGS_RATIO:g}x naive openapi-core",
            f"{emb_naive.best_ms / emb_ours.best_ms:.1f}x",
            emb_naive.best_ms / emb_ours.best_ms >= TARGET_EMBEDDINGS_RATIO,
        ),
        ("same verdicts as openapi-core on all 6 variants", "yes" if agree else "no", agree),
    ]
    for label, value, ok in checks:
        print(f"  [{'MET' if ok else 'NOT MET':>7}] {label:<48} {value}")
    print(f"\ntotal {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
