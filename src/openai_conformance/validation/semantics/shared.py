"""What the semantics rules share: the operations, request facts, and the rules on choices and usage.

Every rule of this package is something the API guarantees for *every* valid request, so a fuzzed
request with odd but valid values never makes a conformant server fail: when the request leaves room
(a choice cut by ``max_tokens``, a non-strict schema, an ``echo``), the rule stays silent.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from openai_conformance.transport.exchange import Exchange
from openai_conformance.validation.registry import Parameter, check
from openai_conformance.validation.violations import Violation, pointer_from_path

__all__ = [
    "CHAT_OPERATION",
    "COMPLETION_OPERATION",
    "CUT",
    "EMBEDDING_OPERATION",
    "END_USER",
    "SAMPLING",
    "SEMANTIC_OPERATIONS",
    "as_dict",
    "check_indices",
    "check_usage",
    "expected_choices",
    "is_stream_request",
    "json_int",
    "json_type",
    "max_tokens",
    "per_input",
    "prompt_texts",
    "schema_errors",
    "short",
    "usage_total",
]

CHAT_OPERATION = "createChatCompletion"
COMPLETION_OPERATION = "createCompletion"
EMBEDDING_OPERATION = "createEmbedding"

#: Why the parameters of every text operation that no check can verify are such.
SAMPLING = "sampling settings: their effect is a distribution over answers, which one answer cannot show"
END_USER = "an end-user id for abuse monitoring: nothing in the answer shows it"

SEMANTIC_OPERATIONS = frozenset({CHAT_OPERATION, COMPLETION_OPERATION, EMBEDDING_OPERATION})

CUT = frozenset({"length", "content_filter"})  # a choice that did not end on its own
_MESSAGE_LIMIT = 200


def json_type(value: Any) -> str:
    """The JSON type of a value: null, boolean, number, string, array or object."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def short(value: Any) -> str:
    """A value shortened for a message."""
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return repr(text if len(text) <= _MESSAGE_LIMIT else text[:_MESSAGE_LIMIT] + "…")


def json_int(value: Any) -> int | None:
    """``value`` when it is a JSON integer (``true`` is not one)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def as_dict(value: Any) -> dict[str, Any]:
    """``value`` when it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def is_stream_request(exchange: Exchange) -> bool:
    """Whether the request asked for a stream (``stream: true``, or speech's ``stream_format: "sse"``)."""
    return exchange.request.asks_stream


# --- request facts ---------------------------------------------------------------------------------


def _n(request: Mapping[str, Any]) -> int | None:
    n = request.get("n")
    if n is None:
        return 1
    return n if json_int(n) is not None and n >= 1 else None


def prompt_texts(prompt: Any) -> list[str | None] | None:
    """The text of each prompt of a completions ``prompt`` (None for one given as token ids); None
    when the form is unclear. A string, strings, token ids, or lists of token ids."""
    if prompt is None:
        return ["<|endoftext|>"]  # the API's default prompt
    if isinstance(prompt, str):
        return [prompt]
    if not isinstance(prompt, list) or not prompt:
        return None
    if all(isinstance(item, str) for item in prompt):
        return list(prompt)
    if all(json_int(item) is not None for item in prompt):
        return [None]  # one prompt given as tokens
    if all(isinstance(item, list) for item in prompt):
        return [None] * len(prompt)
    return None


def _prompt_count(prompt: Any) -> int | None:
    """How many prompts a completions ``prompt`` holds (None when unclear)."""
    texts = prompt_texts(prompt)
    return None if texts is None else len(texts)


def expected_choices(request: Any, operation_id: str) -> int | None:
    """How many choices the request asks for (``n`` times the prompts), or None when unclear."""
    request = as_dict(request)
    n = _n(request)
    if n is None:
        return None
    if operation_id == COMPLETION_OPERATION:
        prompts = _prompt_count(request.get("prompt"))
        return None if prompts is None else n * prompts
    return n


def _token_bound(request: Mapping[str, Any], operation_id: str, choices: int) -> tuple[int, str] | None:
    """The most completion tokens the answer may count, and how it was derived."""
    caps = [
        (value, name)
        for name in ("max_tokens", "max_completion_tokens")
        if (value := json_int(request.get(name))) is not None and value >= 0
    ]
    if not caps:
        return None
    cap, name = min(caps)
    if operation_id == COMPLETION_OPERATION and request.get("echo") is True:
        return None  # echoed prompts: not worth guessing how servers count them
    per_prompt = max(_n(request) or 1, json_int(request.get("best_of")) or 1)
    prompts = _prompt_count(request.get("prompt")) if operation_id == COMPLETION_OPERATION else 1
    generations = max(per_prompt * (prompts or 1), choices, 1)
    if generations == 1:
        return cap, f"{name}={cap}"
    return cap * generations, f"{name}={cap} x {generations} generations"


# --- rules on choices and usage ---------------------------------------------------------------------


@check(
    "semantics.choices_count",
    "error",
    parameters=(
        Parameter(CHAT_OPERATION, "n", "n choices, indexed 0..n-1 (plain and streamed)"),
        Parameter(COMPLETION_OPERATION, "n", "n choices per prompt, indexed 0..n x prompts - 1"),
        Parameter(
            COMPLETION_OPERATION,
            "prompt",
            "each form (a string, strings, tokens, token arrays) gives its number of prompts x n choices",
        ),
        Parameter(COMPLETION_OPERATION, "best_of", "best_of candidates, of which n come back (not best_of)"),
    ),
)
def check_indices(indices: list[tuple[Any, str]], expected: int | None, where: str) -> Iterator[Violation]:
    """len(choices) == n, with indices 0..n-1.

    Choice indices must be exactly 0..count-1 (``indices`` pairs each with its pointer).

    Reference: CreateChatCompletionRequest.n: how many chat completion choices to generate
    Why: how many choices come back is the server's loop over n (times the prompts), not the model's
    """
    if expected is not None and len(indices) != expected:
        yield check_indices.violation(f"{len(indices)} choices for {expected} asked (n x prompts)", where)
    seen: set[int] = set()
    for index, pointer in indices:
        value = json_int(index)
        if value is None or not 0 <= value < len(indices) or value in seen:
            yield check_indices.violation(
                f"choice index {short(index)} is not one of 0..{len(indices) - 1} (each once)",
                pointer,
            )
            return
        seen.add(value)


def _tokens(usage: Any) -> tuple[int | None, int | None, int | None]:
    usage = as_dict(usage)
    prompt, completion, total = (
        json_int(usage.get(k)) for k in ("prompt_tokens", "completion_tokens", "total_tokens")
    )
    return prompt, completion, total


@check("semantics.usage_total", "error")
def usage_total(usage: Any, pointer: str) -> Iterator[Violation]:
    """usage.total_tokens == prompt_tokens + completion_tokens.

    Reference: CompletionUsage.total_tokens: total number of tokens used in the request (prompt +
        completion)
    Why: the server adds the counts; no model writes them
    """
    prompt, completion, total = _tokens(usage)
    if prompt is not None and completion is not None and total is not None and total != prompt + completion:
        yield usage_total.violation(
            f"total_tokens {total} != prompt_tokens {prompt} + completion_tokens {completion}",
            f"{pointer}/total_tokens",
        )


@check(
    "semantics.max_tokens",
    "error",
    parameters=(
        Parameter(
            CHAT_OPERATION,
            "max_tokens",
            "completion_tokens <= cap (and the text's bytes); a cap "
            "reached on an answer asked to be long ends with finish_reason `length`",
        ),
        Parameter(CHAT_OPERATION, "max_completion_tokens", "the same, sent alone"),
        Parameter(
            COMPLETION_OPERATION,
            "max_tokens",
            "completion_tokens <= cap x choices; a cap reached on "
            "an answer asked to be long ends with finish_reason `length`",
        ),
    ),
)
def max_tokens(
    usage: Any, pointer: str, request: Mapping[str, Any], operation_id: str, choices: int
) -> Iterator[Violation]:
    """completion_tokens never exceeds max_tokens / max_completion_tokens; hitting it gives finish_reason
    `length`.

    Reference: max_tokens: the maximum number of tokens that can be generated
    Why: the server stops generating at the cap and says why; the model cannot go past it
    """
    completion = _tokens(usage)[1]
    bound = _token_bound(request, operation_id, choices)
    if bound is not None and completion is not None and completion > bound[0]:
        yield max_tokens.violation(
            f"completion_tokens is {completion}, more than {bound[0]} ({bound[1]})",
            f"{pointer}/completion_tokens",
        )


def check_usage(
    usage: Any, pointer: str, request: Mapping[str, Any], operation_id: str, choices: int
) -> Iterator[Violation]:
    """The usage object of an answer (or of a stream's usage chunk) adds up and keeps the token cap."""
    yield from usage_total(usage, pointer)
    yield from max_tokens(usage, pointer, request, operation_id, choices)


def per_input(body: Mapping[str, Any], field: str, inputs: int | None, what: str) -> tuple[list[Any], str]:
    """The list ``body[field]`` (empty when it is not a list: the schema's to judge), and what is
    wrong with its length when it does not hold one item per input ("" when nothing; ``inputs``
    None: any length is right)."""
    items = body.get(field)
    if not isinstance(items, list):
        return [], ""
    if inputs is not None and len(items) != inputs:
        return items, f"{len(items)} {what} for {inputs} inputs"
    return items, ""


# --- JSON Schema -----------------------------------------------------------------------------------------


def schema_errors(instance: Any, schema: Any) -> list[str] | None:
    """Why ``instance`` fails the JSON Schema ``schema`` (None when the schema cannot be used)."""
    if not isinstance(schema, dict):
        return None
    from jsonschema import exceptions as jsonschema_exceptions
    from jsonschema.validators import Draft202012Validator, validator_for
    from referencing import Registry
    from referencing.exceptions import Unresolvable

    try:
        cls = validator_for(schema, default=Draft202012Validator)
        cls.check_schema(schema)
        # An empty registry: a `$ref` to anything outside the schema is never fetched.
        validator = cls(schema, registry=Registry())
        errors = [
            f"{pointer_from_path(list(error.absolute_path)) or '/'}: {error.message}"
            for error in validator.iter_errors(instance)
        ]
    except (jsonschema_exceptions.SchemaError, jsonschema_exceptions.ValidationError, Unresolvable):
        return None
    except Exception:  # a fuzzed schema can break a validator in odd ways; that is not the server's fault
        return None
    return errors
