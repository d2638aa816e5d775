"""Where an operation's generated requests come from: drawn here, or ahead in a helper process.

Both give the very same requests in the very same order (the same code draws them: see
generation/explore.py). When the helper stops mid-operation, the rest is drawn here, skipping exactly
the requests already received, so nothing is lost or sent twice.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from openai_conformance.generation.request import GeneratedCase
from openai_conformance.openapi.loader import Contract
from openai_conformance.openapi.operations import Operation

if TYPE_CHECKING:  # schemathesis and hypothesis load only where requests are drawn
    from openai_conformance.config import RunConfig
    from openai_conformance.generation.ahead import CaseFeed
    from openai_conformance.generation.cases import Generator
    from openai_conformance.generation.explore import Drawn

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
        self.models: list[str] = list(config.models)
        self.drawing = AHEAD if feed is not None else IN_PROCESS  # for the report

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
            self._feed.begin(self.models, [(op.method, op.path) for op in operations])

    def close(self) -> None:
        """Let the helper go (its work is done, or cut short); again is harmless."""
        feed, self._feed = self._feed, None
        if feed is not None:
            feed.close()

    def draw(
        self, operation: Operation, emit: Callable[[GeneratedCase], None], should_stop: Callable[[], bool]
    ) -> Drawn:
        """Hand the operation's requests to ``emit``; ``should_stop`` (the time budget) ends the wait."""
        from openai_conformance.generation.ahead import FeedBroken
        from openai_conformance.generation.explore import explore

        skip = 0
        feed = self._feed
        if feed is not None and feed.covers(operation.method, operation.path):
            try:
                return feed.pump(operation.method, operation.path, emit, should_stop=should_stop)
            except FeedBroken as exc:  # draw the rest here: the same seed gives the same requests
                skip = exc.received
                self.drawing = f"{AHEAD}, then {IN_PROCESS} ({exc.reason})"
        if skip:
            seen = 0
            forward = emit

            def emit(case: GeneratedCase) -> None:
                nonlocal seen
                seen += 1
                if seen > skip:
                    forward(case)

        config = self._config
        return explore(
            self.generator,
            operation,
            emit,
            negative=config.negative,
            max_examples=config.max_examples,
            seed_value=config.seed,
            boundaries=config.max_boundaries,
            should_stop=should_stop,
        )
