"""What a run is asked to do: one frozen value, built by the CLI and the pytest plugin (a light module)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from openai_conformance.errors import ConfigError
from openai_conformance.generation.hints import Budget
from openai_conformance.openapi.operations import Operation, iter_operations, select_operations

if TYPE_CHECKING:
    from openai_conformance.openapi.loader import Contract

__all__ = ["RunConfig", "selected_operations"]


@dataclass(frozen=True, slots=True)
class RunConfig:
    """Everything a run needs to know, checked eagerly by the CLI and the pytest plugin."""

    base_url: str | None = None  # None: the embedded reference server
    api_key: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    timeout: float = 30.0
    stream_idle_timeout: float = 10.0
    max_stream_seconds: float = 60.0  # a stream longer than this is cut
    max_body_bytes: int = 16 * 1024 * 1024  # an answer larger than this is cut
    verify_tls: bool = True
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    max_examples: int = 5
    seed: int = 0
    negative: bool = False
    models: tuple[str, ...] = ()
    budget: Budget = field(default_factory=Budget)
    max_time: float | None = None  # whole-run budget in seconds
    fault: str | None = None  # embedded server only: a deviation to switch on
    expect_auth: bool = False  # the target must refuse requests without a valid key
    expect: tuple[str, ...] = ()  # capabilities whose absence is a failure
    profile: str = "strict"  # "strict": the spec as written; "compat": what real clients depend on
    probes: bool = True  # hand-picked requests (invalid input, auth, state, semantics) besides fuzzing
    concurrency: int = 1  # requests in flight at once within an operation
    shard: tuple[int, int] | None = None  # (i, n): only every n-th operation, starting at the i-th
    draw_ahead: str = "auto"  # draw requests in a helper process: auto, always or never

    def describe(self) -> dict[str, Any]:
        """Settings for reports (never the key)."""
        return {
            "max_examples": self.max_examples,
            "seed": self.seed,
            "mode": "negative" if self.negative else "positive",
            "include": list(self.include),
            "exclude": list(self.exclude),
            "models": list(self.models),
            "budget": {"max_tokens": self.budget.max_tokens, "n": self.budget.n},
            "timeout": self.timeout,
            "stream_idle_timeout": self.stream_idle_timeout,
            "max_stream_seconds": self.max_stream_seconds,
            "max_body_bytes": self.max_body_bytes,
            "max_time": self.max_time,
            "fault": self.fault,
            "expect_auth": self.expect_auth,
            "expect": list(self.expect),
            "profile": self.profile,
            "probes": self.probes,
            "concurrency": self.concurrency,
            "shard": f"{self.shard[0]}/{self.shard[1]}" if self.shard else None,
            "draw_ahead": self.draw_ahead,
            "header_names": sorted(self.headers),
        }


def selected_operations(contract: Contract, config: RunConfig) -> list[Operation]:
    """The operations ``--include``, ``--exclude`` and ``--shard`` select, in the spec's order."""
    selected = select_operations(iter_operations(contract.document), config.include, config.exclude)
    if not selected:
        raise ConfigError("no operation matches the --include/--exclude patterns")
    if config.shard:
        index, count = config.shard
        selected = selected[index - 1 :: count]
    return selected
