"""A run's surroundings: the contract loaded, the target started or reached, the engine built."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from openai_conformance.engine import Engine, RunConfig, embedded_target
from openai_conformance.openapi.loader import Contract, load_contract
from openai_conformance.options import SessionOptions

if TYPE_CHECKING:
    from openai_conformance.generation.ahead import CaseFeed

__all__ = ["Session", "open_session"]


@dataclass
class Session:
    """What a run works with."""

    contract: Contract
    engine: Engine
    target: dict[str, Any]


@contextlib.contextmanager
def open_session(
    config: RunConfig,
    options: SessionOptions,
    *,
    contract: Contract | None = None,
    feed: CaseFeed | None = None,
) -> Iterator[Session]:
    """Load the spec (unless given), start the embedded target when no base URL is given, build the engine.

    ``feed`` (requests drawn ahead in a helper process) goes to the engine; the session stops it.
    """
    if contract is None:
        contract = load_contract(options.spec, overlays=options.overlays)
    with contextlib.ExitStack() as stack:
        if feed is not None:
            stack.callback(feed.close)
        if config.base_url is None:
            base_url = stack.enter_context(
                embedded_target(
                    contract, api_key=config.api_key, faults=(config.fault,) if config.fault else ()
                )
            )
            target: dict[str, Any] = {"base_url": base_url, "embedded": True, "fault": config.fault}
        else:
            base_url = config.base_url
            target = {"base_url": base_url, "embedded": False}
        engine = Engine(contract, config, base_url, feed=feed)
        stack.callback(engine.close)
        yield Session(contract, engine, target)
