"""OpenAI-aware adjustments to generated requests: real model ids and small generation budgets.

A fuzzer left alone asks a real LLM server for ``max_tokens: 264451`` with ``n: 128`` and a model
named ``""``. Here every body field that names a model is drawn from the models the target serves
(or that the user named), and every field that sizes the output is capped by the budget — and kept
at the least the API takes: a chat completion of no tokens (``max_completion_tokens: 0``, which
the spec's schema allows) is refused with 400, so a request meant to be valid would test nothing but
the error path.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Budget", "apply_hints", "budget_fields"]


@dataclass(frozen=True, slots=True)
class Budget:
    """Upper bounds for generation-size parameters."""

    max_tokens: int = 16
    n: int = 2
    best_of: int = 2
    top_logprobs: int = 3
    logprobs: int = 3  # the legacy completions parameter is a count
    max_items: int = 4  # embeddings inputs, image count, …

    def caps(self) -> dict[str, int]:
        return {
            "max_tokens": self.max_tokens,
            "max_completion_tokens": self.max_tokens,
            "max_output_tokens": self.max_tokens,
            "max_prompt_tokens": 4 * self.max_tokens,
            "n": self.n,
            "best_of": self.best_of,
            "top_logprobs": self.top_logprobs,
        }


# Token caps the API refuses below 1 though the spec declares no minimum (per operation; "" for all).
# A legacy completion may ask for none (``max_tokens: 0`` with ``echo`` scores the prompt).
_AT_LEAST_ONE = {"": ("max_completion_tokens",), "createChatCompletion": ("max_tokens",)}


def budget_fields() -> frozenset[str]:
    """The body fields the budget caps."""
    return frozenset(Budget().caps()) | {"logprobs"}


def _cap(value: Any, cap: int) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    if value > cap:
        return cap if isinstance(value, int) else float(cap)
    return value


def apply_hints(body: Any, *, model: str | None, budget: Budget, operation_id: str) -> Any:
    """The body with ``model`` replaced and size parameters capped (other fields untouched)."""
    if not isinstance(body, dict):
        return body
    result = dict(body)
    if model is not None and "model" in result and isinstance(result["model"], str):
        result["model"] = model
    for name, cap in budget.caps().items():
        if name in result:
            result[name] = _cap(result[name], cap)
    for name in (*_AT_LEAST_ONE[""], *_AT_LEAST_ONE.get(operation_id, ())):
        value = result.get(name)
        if isinstance(value, int) and not isinstance(value, bool) and value < 1:
            result[name] = 1
    # `logprobs` is a count on /completions and a boolean on /chat/completions.
    if "logprobs" in result and not isinstance(result["logprobs"], bool):
        result["logprobs"] = _cap(result["logprobs"], budget.logprobs)
    if "best_of" in result and "n" in result:
        n, best_of = result["n"], result["best_of"]
        if isinstance(n, int) and isinstance(best_of, int) and best_of < n:
            result["best_of"] = n  # the API requires best_of >= n
    return result
