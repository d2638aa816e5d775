"""Where an operation's generated requests come from: kept from a previous run, drawn here, or drawn
ahead in a helper process.

All three give the very same requests in the very same order (the same code draws them: see
generation/explore.py; generation/cache.py keeps complete drawings). When the helper stops
mid-operation, the rest is drawn here, skipping exactly the requests already received, so nothing is
lost or sent twice.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from openai_conformance.generation.cache import BoundaryCache, DrawCache, Kept
from openai_conformance.generation.request import GeneratedCase
from openai_conformance.openapi.loader import Contract
from openai_conformance.openapi.operations import Operation

if TYPE_CHECKING:  # schemathesis and hypothesis load only where requests are drawn
    from openai_conformance.config import RunConfig
    from openai_conformance.generation.ahead import CaseFeed
    from openai_conformance.generation.cases import Generator
    from openai_conformance.generation.request import Drawn

__all__ = ["CaseSource"]

IN_PROCESS = "in this process"
AHEAD = "in a helper process"


class CaseSource:
    """Draws each operation's requests and hands them, in order, to a callback."""

    def __init__(self, contract: Contract, config: RunConfig, *, feed: CaseFeed | None = None) -> None:
        self._contract = contract
        self._config = config
        self._feed = feed
        self._generator: Generator | None = None
        self.cache = DrawCache.for_run(contract, config)
        self.boundary_cache = BoundaryCache.for_run(contract, config)  # for any seed and examples
        self.models: list[str] = list(config.models)
        self._drawing = AHEAD if feed is not None and feed.started else IN_PROCESS
        self._operations = 0  # whose requests were asked for
        self._read_back = 0  # of those, how many came from the cache
        self._kept: dict[tuple[str, str], Kept] = {}  # read ahead of the helper's start

    @property
    def drawing(self) -> str:
        """Where the requests came from, for the report."""
        kept, asked = self._read_back, self._operations
        if not kept:
            return self._drawing
        if kept >= asked:
            return "read back from the draw cache (as a previous run with the same inputs drew them)"
        return f"{self._drawing}; {kept} of {asked} operations read back from the draw cache"

    @property
    def generator(self) -> Generator:
        from openai_conformance.generation.cases import Generator

        if self._generator is None:
            self._generator = Generator(
                self._contract.document,
                models=self.models,
                budget=self._config.budget,
                closed=self._contract.generation_document,
            )
        return self._generator

    def begin(self, models: list[str], operations: list[Operation]) -> None:
        """The models to put in requests are known: the helper may start drawing for ``operations``."""
        self.models = list(models)
        if self._feed is not None:
            if self.cache is not None:  # what is kept is read now, and only the rest drawn ahead
                for op in operations:
                    kept = self.cache.read(op, self.models)
                    if kept is not None:
                        self._kept[(op.method, op.path)] = kept
            drawn = [op for op in operations if (op.method, op.path) not in self._kept]
            self._feed.begin(self.models, [(op.method, op.path) for op in drawn])
            self._drawing = AHEAD if self._feed.started else IN_PROCESS

    def close(self) -> None:
        """Let the helper go (its work is done, or cut short); again is harmless."""
        feed, self._feed = self._feed, None
        if feed is not None:
            feed.close()

    def draw(
        self, operation: Operation, emit: Callable[[GeneratedCase], None], should_stop: Callable[[], bool]
    ) -> Drawn:
        """Hand the operation's requests to ``emit``; ``should_stop`` (the time budget) ends the wait."""
        self._operations += 1
        kept = self._kept.pop((operation.method, operation.path), None)
        if kept is None and self.cache is not None:
            kept = self.cache.read(operation, self.models)
        if kept is not None:
            self._read_back += 1
            for case in kept.cases:
                emit(case)
            return kept.drawn
        if self.cache is None:
            return self._draw(operation, emit, should_stop)
        cases: list[GeneratedCase] = []

        def keep(case: GeneratedCase) -> None:
            cases.append(case)
            emit(case)

        drawn = self._draw(operation, keep, should_stop)
        if not should_stop():  # complete: the time budget did not cut it short
            self.cache.write(operation, self.models, cases, drawn)
        return drawn

    def setup_cases(self, operation: Operation, count: int) -> list[GeneratedCase]:
        """``count`` valid requests of a create operation, to make a resource others need (the first
        ones drawing would give with the run's seed; kept between runs like the run's own)."""
        purpose = f"setup {count}"
        kept = self.cache.read(operation, self.models, purpose=purpose) if self.cache is not None else None
        if kept is not None:
            return list(kept.cases)
        from openai_conformance.generation.explore import explore

        cases: list[GeneratedCase] = []

        def keep(case: GeneratedCase) -> None:  # hypothesis wants a function of Python's
            cases.append(case)

        drawn = explore(
            self.generator, operation, keep, negative=False, max_examples=count, seed_value=self._config.seed
        )
        if self.cache is not None:
            self.cache.write(operation, self.models, cases, drawn, purpose=purpose)
        return cases

    def _draw(
        self, operation: Operation, emit: Callable[[GeneratedCase], None], should_stop: Callable[[], bool]
    ) -> Drawn:
        from openai_conformance.generation.ahead import FeedBroken
        from openai_conformance.generation.explore import explore_for_run

        skip = 0
        feed = self._feed
        if feed is not None and feed.covers(operation.method, operation.path):
            try:
                return feed.pump(operation.method, operation.path, emit, should_stop=should_stop)
            except FeedBroken as exc:  # draw the rest here: the same seed gives the same requests
                skip = exc.received
                self._drawing = f"{AHEAD}, then {IN_PROCESS} ({exc.reason})"
        if skip:
            seen = 0
            forward = emit

            def emit(case: GeneratedCase) -> None:
                nonlocal seen
                seen += 1
                if seen > skip:
                    forward(case)

        return explore_for_run(
            self.generator, operation, emit, self._config, kept=self.boundary_cache, should_stop=should_stop
        )
