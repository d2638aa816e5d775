"""The proxy's answer beside the upstream's: status, media type, then the body or the stream.

A proxy of the OpenAI API answers what its upstream answers. When the statuses or media types
differ, that is the one finding of the pair (the bodies of two different answers are not compared
member by member); otherwise the bodies are (fields.py), or the streams event by event (streams.py).
"""

from __future__ import annotations

from dataclasses import replace

from openai_conformance.transport.exchange import Exchange
from openai_conformance.validation.parsed_stream import EVENT_STREAM
from openai_conformance.validation.proxy.declared import Declarations
from openai_conformance.validation.proxy.fields import FIELD_DROPPED, VALUE_CHANGED, Difference, diff_json
from openai_conformance.validation.proxy.streams import diff_streams
from openai_conformance.validation.registry import register

__all__ = ["ACCEPTED", "CATALOGUE", "CONTENT_TYPE", "REFUSED", "STATUS", "WHOLE_ANSWER", "differences"]

REFUSED = register(
    "proxy.refused",
    "error",
    "A request the upstream accepts (2xx) is not refused by the proxy.",
    "a proxy of the OpenAI API serves what its upstream serves: a refusal of a valid request breaks "
    "every client that sends it",
    why="the upstream accepts the very same request: a transparent proxy forwards it, whatever a "
    "model would write",
)
ACCEPTED = register(
    "proxy.accepted",
    "error",
    "A request the upstream refuses (4xx) is not answered 2xx by the proxy.",
    "the upstream's error is the client's to see: a success answered in its place hides it",
    why="the upstream refuses the very same request: a success in its place is the proxy's own, no model's",
)
STATUS = register(
    "proxy.status",
    "error",
    "The proxy answers with the upstream's status code.",
    "clients act on the status (404 unknown model, 400 invalid request, 401 key, 429 rate limit)",
    relaxed="the upstream failed with a 5xx: a gateway may answer 502, 503 or 504 for its upstream's failure",
    why="the status is the upstream's for the same request, passed on; a model never chooses it",
)
CONTENT_TYPE = register(
    "proxy.content_type",
    "error",
    "The proxy answers with the upstream's media type (a stream as a stream, JSON as JSON).",
    "a client reads the body by its media type; parameters such as charset are not compared",
    why="the media type follows from the request (streamed or not), never from what a model wrote",
)

#: The operations that answer with the model catalogue, which a gateway configures for itself.
CATALOGUE = frozenset({"listModels", "retrieveModel"})
_RELAXED_IN_CATALOGUE = frozenset({FIELD_DROPPED, VALUE_CHANGED})

#: The checks of a difference that makes the two answers different answers altogether.
WHOLE_ANSWER = frozenset({REFUSED.id, ACCEPTED.id, STATUS.id, CONTENT_TYPE.id})


def _status(proxy: Exchange, upstream: Exchange) -> Difference | None:
    mine, theirs = proxy.status, upstream.status
    if mine == theirs:
        return None
    said = f"the proxy answered {mine}, the upstream {theirs}"
    if 200 <= theirs < 300 and mine >= 400:
        return Difference(REFUSED, f"the upstream accepts this request: {said}", "", "")
    if theirs >= 400 and 200 <= mine < 300:
        return Difference(ACCEPTED, f"the upstream refuses this request: {said}", "", "")
    return Difference(STATUS, said, "", "", warning=theirs >= 500 and mine >= 500)


def differences(
    proxy: Exchange,
    upstream: Exchange,
    operation_id: str,
    *,
    deterministic: bool,
    declarations: Declarations,
) -> list[Difference]:
    """How the proxy's answer differs from the upstream's to the same request."""
    status = _status(proxy, upstream)
    if status is not None:
        return [status]
    if proxy.content_type != upstream.content_type:
        said = f"the proxy answered {proxy.content_type or 'no media type'}, the upstream {upstream.content_type or 'none'}"
        return [Difference(CONTENT_TYPE, said, "", "")]
    if proxy.content_type == EVENT_STREAM:
        return list(
            diff_streams(
                proxy, upstream, operation_id, deterministic=deterministic, declarations=declarations
            )
        )
    try:
        mine, theirs = proxy.json(), upstream.json()
    except ValueError:  # not JSON on one side at least: bytes, compared where they are deterministic
        if deterministic and proxy.body != upstream.body:
            said = (
                f"the body differs: {len(proxy.body)} bytes through the proxy, {len(upstream.body)} upstream"
            )
            return [Difference(VALUE_CHANGED, said, "", "")]
        return []
    schema = declarations.schema_of(operation_id, proxy.status)
    found = diff_json(
        mine,
        theirs,
        deterministic=deterministic,
        declares=lambda path: declarations.declares(schema, path),
        error=proxy.status >= 400,
    )
    if operation_id in CATALOGUE and proxy.status < 300:  # the gateway's own list of models
        return [replace(d, warning=True) if d.check in _RELAXED_IN_CATALOGUE else d for d in found]
    return list(found)
