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
from openai_conformance.validation.registry import check

__all__ = ["CATALOGUE", "WHOLE_ANSWER", "accepted", "content_type", "differences", "refused", "status"]

#: The operations that answer with the model catalogue, which a gateway configures for itself.
CATALOGUE = frozenset({"listModels", "retrieveModel"})
_RELAXED_IN_CATALOGUE = frozenset({FIELD_DROPPED, VALUE_CHANGED})


@check("proxy.refused", "error")
def refused(mine: int, theirs: int, said: str) -> Difference | None:
    """A request the upstream accepts (2xx) is not refused by the proxy.

    Reference: a proxy of the OpenAI API serves what its upstream serves: a refusal of a valid request
        breaks every client that sends it
    Why: the upstream accepts the very same request: a transparent proxy forwards it, whatever a model
        would write
    """
    if 200 <= theirs < 300 and mine >= 400:
        return Difference(refused, f"the upstream accepts this request: {said}", "", "")
    return None


@check("proxy.accepted", "error")
def accepted(mine: int, theirs: int, said: str) -> Difference | None:
    """A request the upstream refuses (4xx) is not answered 2xx by the proxy.

    Reference: the upstream's error is the client's to see: a success answered in its place hides it
    Why: the upstream refuses the very same request: a success in its place is the proxy's own, no
        model's
    """
    if theirs >= 400 and 200 <= mine < 300:
        return Difference(accepted, f"the upstream refuses this request: {said}", "", "")
    return None


@check("proxy.status", "error")
def status(mine: int, theirs: int, said: str) -> Difference:
    """The proxy answers with the upstream's status code.

    Another status than the upstream's, neither a refusal nor an acceptance in its place.

    Reference: clients act on the status (404 unknown model, 400 invalid request, 401 key, 429 rate
        limit)
    Why: the status is the upstream's for the same request, passed on; a model never chooses it
    Relaxed: the upstream failed with a 5xx: a gateway may answer 502, 503 or 504 for its upstream's
        failure
    """
    return Difference(status, said, "", "", warning=theirs >= 500 and mine >= 500)


@check("proxy.content_type", "error")
def content_type(proxy: Exchange, upstream: Exchange) -> Difference | None:
    """The proxy answers with the upstream's media type (a stream as a stream, JSON as JSON).

    Reference: a client reads the body by its media type; parameters such as charset are not compared
    Why: the media type follows from the request (streamed or not), never from what a model wrote
    """
    if proxy.content_type == upstream.content_type:
        return None
    said = f"the proxy answered {proxy.content_type or 'no media type'}, the upstream {upstream.content_type or 'none'}"
    return Difference(content_type, said, "", "")


#: The checks of a difference that makes the two answers different answers altogether.
WHOLE_ANSWER = frozenset({refused.id, accepted.id, status.id, content_type.id})


def _status(proxy: Exchange, upstream: Exchange) -> Difference | None:
    mine, theirs = proxy.status, upstream.status
    if mine == theirs:
        return None
    said = f"the proxy answered {mine}, the upstream {theirs}"
    return refused(mine, theirs, said) or accepted(mine, theirs, said) or status(mine, theirs, said)


def differences(
    proxy: Exchange,
    upstream: Exchange,
    operation_id: str,
    *,
    deterministic: bool,
    declarations: Declarations,
) -> list[Difference]:
    """How the proxy's answer differs from the upstream's to the same request."""
    whole = _status(proxy, upstream) or content_type(proxy, upstream)
    if whole is not None:
        return [whole]
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
