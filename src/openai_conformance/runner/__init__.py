"""The run loop: operations × generated requests and scenarios → sent → judged → events."""

from __future__ import annotations

from openai_conformance.runner.operation import build_operation_runner, secrets_of
from openai_conformance.runner.runner import Runner
from openai_conformance.runner.target import embedded_target, open_target

__all__ = ["Runner", "build_operation_runner", "embedded_target", "open_target", "secrets_of"]
