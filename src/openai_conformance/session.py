"""A run's surroundings: the contract loaded, the target started or reached, the engine built."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from openai_conformance.engine import Engine, RunConfig, embedded_target
from openai_conformance.openapi.loader import Contract, load_contract
from openai_conformance.options import SessionOptions

__all__ = ["Session", "open_session"]


@dataclass
class Session:
    """What a run works with."""

    contract: Contract
    engine: Engine
    target: dict[str, Any]


@contextlib.contextmanager
def open_session(config: RunConfig, options: SessionOptions) -> Iterator[Session]:
    """Load the spec, start the embedded target when no base URL is given, and build the engine."""
    contract = load_contract(options.spec, overlays=options.overlays)
    with contextlib.ExitStack() as stack:
        if config.base_url is None:
            base_url = stack.enter_context(
                embedded_target(contract, api_key=config.api_key, fault=config.fault)
            )
            target: dict[str, Any] = {"base_url": base_url, "embedded": True, "fault": config.fault}
        else:
            base_url = config.base_url
            target = {"base_url": base_url, "embedded": False}
        engine = Engine(contract, config, base_url)
        stack.callback(engine.close)
        yield Session(contract, engine, target)
