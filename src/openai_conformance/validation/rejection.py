"""An invalid request must be rejected: answered with a 4xx, never accepted with a 2xx.

Two kinds of request are known to be invalid: the hand-made ones of the error scenarios (a missing
field, malformed JSON, a text/plain body) and, with ``--negative``, generated requests whose body
breaks the schema. Both are held to this one rule.
"""

from __future__ import annotations

from collections.abc import Iterator

from openai_conformance.transport.exchange import Exchange
from openai_conformance.validation.registry import check
from openai_conformance.validation.violations import Violation

__all__ = ["check_negative_answer", "check_rejected"]


@check("errors.invalid_accepted", "error")
def check_rejected(exchange: Exchange, request: str) -> Iterator[Violation]:
    """An invalid request is answered with a 4xx, never a 2xx.

    The answer to an invalid ``request`` (say, "a request with malformed JSON") must not be a 2xx.

    Reference: the API rejects requests that violate the request schema with 400
    Why: validating the request happens before any model runs
    """
    if 200 <= exchange.status < 300:
        yield check_rejected.violation(f"{request} was accepted with {exchange.status}")


def _json_media(media_type: str | None) -> bool:
    return media_type is None or media_type == "application/json" or media_type.endswith("+json")


def check_negative_answer(exchange: Exchange, *, body_breaks_schema: bool) -> Iterator[Violation]:
    """The answer to a generated request of ``--negative`` mode.

    Only a JSON body is known to break the schema on the wire: a number in a multipart field
    arrives as text, which the schema may well allow.
    """
    if body_breaks_schema and _json_media(exchange.request.media_type):
        yield from check_rejected(exchange, "a request whose body breaks the schema")
