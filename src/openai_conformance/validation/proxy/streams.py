"""Two streamed answers to the same request, event by event: the proxy's and the upstream's.

Chunks are lined up per choice index, in order: the k-th chunk of choice 1 through the proxy beside
the k-th chunk of choice 1 upstream, whatever else the stream interleaves. From a deterministic
upstream, every choice must come through with as many chunks as the upstream sent, each with its
fields (fields.py); from a model that is not deterministic, each choice's first and last chunk are
compared, by presence and type. The usage chunk is compared on its own. SSE comments, CRLF line
ends and the way the bytes are split into network reads are not events: they are not compared.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from openai_conformance.transport.exchange import Exchange
from openai_conformance.validation.parsed_stream import ParsedStream, choices_of, parse_stream
from openai_conformance.validation.proxy.declared import Declarations
from openai_conformance.validation.proxy.fields import Difference, diff_json
from openai_conformance.validation.registry import check
from openai_conformance.validation.semantics.shared import json_int

__all__ = ["diff_streams", "stream_chunks", "stream_usage"]

#: One choice of one chunk: the event's index, the choice's position in ``choices``, the chunk.
Unit = tuple[int, int, dict[str, Any]]


def _units(stream: ParsedStream, leave: frozenset[int] = frozenset()) -> dict[int, list[Unit]]:
    """The chunks of each choice index, in the order they came (but the events ``leave``)."""
    units: dict[int, list[Unit]] = {}
    for i, chunk in stream.chunks:
        if i in leave:
            continue
        for j, choice in choices_of(chunk):
            index = json_int(choice.get("index"))
            units.setdefault(index if index is not None else j, []).append((i, j, chunk))
    return units


def _with_usage(stream: ParsedStream) -> list[tuple[int, dict[str, Any]]]:
    return [(i, chunk) for i, chunk in stream.chunks if chunk.get("usage") is not None]


def _usage_given_choices(mine: ParsedStream, theirs: ParsedStream) -> frozenset[int]:
    """The proxy's usage chunks that carry choices where the upstream's carries none: what is wrong
    with them is the usage comparison's to say, their choices are no chunks of the choices'."""
    if not any(chunk.get("choices") == [] for _, chunk in _with_usage(theirs)):
        return frozenset()
    return frozenset(i for i, chunk in _with_usage(mine) if chunk.get("choices"))


def _finish(unit: Unit) -> Any:
    _i, j, chunk = unit
    return chunk["choices"][j].get("finish_reason")


def diff_streams(
    proxy: Exchange,
    upstream: Exchange,
    operation_id: str,
    *,
    deterministic: bool,
    declarations: Declarations,
) -> Iterator[Difference]:
    """How the proxy's stream differs from the upstream's."""
    mine, theirs = parse_stream(proxy), parse_stream(upstream)
    schema = declarations.schema_of(operation_id, 200, streamed=True)
    complete = mine.finished and theirs.finished
    if mine.aborted != theirs.aborted and mine.ended_by_server and theirs.ended_by_server:
        who = "the proxy's" if mine.aborted else "the upstream's"
        where = mine.error.index if mine.error is not None else None
        yield Difference(
            stream_chunks,
            f"{who} stream ends with an error event, the other's does not",
            f"/events/{where}" if where is not None else "",
            f"/events/{theirs.error.index}" if theirs.error is not None else "",
        )
    units, upstream_units = _units(mine, _usage_given_choices(mine, theirs)), _units(theirs)
    compared_events: set[tuple[int, int]] = set()
    for index in sorted(set(units) | set(upstream_units)):
        ours, others = units.get(index, []), upstream_units.get(index, [])
        if not ours or not others:
            if complete or (not ours and theirs.finished):
                yield stream_chunks(index, ours, others)
            continue
        if deterministic and complete and len(ours) != len(others):
            yield (
                _regrouped(index, ours, others)
                if _same_content(ours, others)
                else stream_chunks(index, ours, others)
            )
            continue
        pairs = list(zip(ours, others, strict=False)) if deterministic else [(ours[0], others[0])]
        if not deterministic and complete and len(ours) > 1 and len(others) > 1:
            pairs.append((ours[-1], others[-1]))
        for (i, j, chunk), (k, m, other) in pairs:
            yield from diff_json(
                chunk["choices"][j],
                other["choices"][m],
                deterministic=deterministic,
                declares=lambda path: declarations.declares(schema, ["choices", 0, *path]),
                prefix=f"/events/{i}/choices/{j}",
                upstream_prefix=f"/events/{k}/choices/{m}",
            )
            if (i, k) not in compared_events:
                compared_events.add((i, k))
                yield from _diff_chunk(chunk, other, i, k, deterministic, declarations, schema)
    if complete:
        yield from stream_usage(mine, theirs, deterministic, declarations, schema)


def _diff_chunk(
    chunk: dict[str, Any],
    other: dict[str, Any],
    i: int,
    k: int,
    deterministic: bool,
    declarations: Declarations,
    schema: Any,
) -> Iterator[Difference]:
    """The members of two chunks besides their choices (and a usage the usage comparison judges)."""
    skip = {"choices"}
    if chunk.get("usage") is not None or other.get("usage") is not None:
        skip.add("usage")
    yield from diff_json(
        chunk,
        other,
        deterministic=deterministic,
        declares=lambda path: declarations.declares(schema, path),
        prefix=f"/events/{i}",
        upstream_prefix=f"/events/{k}",
        skip=frozenset(skip),
    )


def _joined(units: list[Unit]) -> tuple[str, str, Any]:
    """What a choice's chunks say together: its content (or text), its tool-call arguments, and its
    last finish_reason."""
    content, arguments = [], []
    for _i, j, chunk in units:
        choice = chunk["choices"][j]
        delta = choice.get("delta") if isinstance(choice.get("delta"), dict) else choice
        for key in ("content", "text"):
            if isinstance(delta.get(key), str):
                content.append(delta[key])
        for call in delta.get("tool_calls") or []:
            function = call.get("function") if isinstance(call, dict) else None
            if isinstance(function, dict) and isinstance(function.get("arguments"), str):
                arguments.append(function["arguments"])
    finishes = [_finish(unit) for unit in units if _finish(unit) is not None]
    return "".join(content), "".join(arguments), finishes[-1] if finishes else None


def _same_content(ours: list[Unit], others: list[Unit]) -> bool:
    return _joined(ours) == _joined(others)


def _regrouped(index: int, ours: list[Unit], others: list[Unit]) -> Difference:
    """Choice ``index`` came through whole, its content in other chunks than the upstream's."""
    count = f"{len(others)} chunks upstream, {len(ours)} through the proxy"
    message = f"choice {index}: {count}, with the same content and finish_reason — the deltas regrouped"
    pointer = f"/events/{ours[0][0]}/choices/{ours[0][1]}"
    upstream_pointer = f"/events/{others[0][0]}/choices/{others[0][1]}"
    return Difference(stream_chunks, message, pointer, upstream_pointer, warning=True)


@check("proxy.stream_chunks", "error")
def stream_chunks(index: int, ours: list[Unit], others: list[Unit]) -> Difference:
    """Every chunk a deterministic upstream streams for a choice reaches the client, and no other.

    Choice ``index`` came through with a different number of chunks (none at all, maybe).

    Reference: a proxy passes a stream on event by event (it may split the bytes differently, not the
        events): a lost chunk loses content or a finish_reason
    Why: the deterministic reference server streams the same chunks for the same request: a chunk more
        or less is the proxy's
    Relaxed: the choice's joined content, tool-call arguments and finish_reason are the upstream's: the
        proxy regrouped the deltas into other chunks, and a client that joins them sees the same answer
    """
    count = f"{len(others)} chunks upstream, {len(ours)} through the proxy"
    pointer = f"/events/{ours[-1][0]}/choices/{ours[-1][1]}" if ours else ""
    if len(ours) < len(others):
        first_lost = others[len(ours)]
        upstream_pointer = f"/events/{first_lost[0]}/choices/{first_lost[1]}"
        what = "lost"
        final = _finish(others[-1])
        if final is not None and (not ours or _finish(ours[-1]) is None):
            what = f"lost, with its final chunk (finish_reason {final!r})"
    else:
        extra = ours[len(others)]
        pointer = f"/events/{extra[0]}/choices/{extra[1]}"
        upstream_pointer = f"/events/{others[-1][0]}/choices/{others[-1][1]}" if others else ""
        what = "added by the proxy"
    return Difference(stream_chunks, f"choice {index}: {count} — chunks {what}", pointer, upstream_pointer)


@check("proxy.stream_usage", "error")
def stream_usage(
    mine: ParsedStream, theirs: ParsedStream, deterministic: bool, declarations: Declarations, schema: Any
) -> Iterator[Difference]:
    """The upstream's usage chunk comes through as the upstream sent it: once, with `choices: []`.

    Reference: ChatCompletionStreamOptions.include_usage: the usage chunk has an empty `choices` array
    Why: the usage chunk and its shape follow from the request (include_usage), not from a model
    """
    ours, others = _with_usage(mine), _with_usage(theirs)
    if not ours and not others:
        return
    if not ours:
        k, _ = others[0]
        message = "the upstream's usage chunk did not come through the proxy"
        yield Difference(stream_usage, message, "", f"/events/{k}/usage")
        return
    i, chunk = ours[0]
    if not others:
        yield Difference(
            stream_usage, "the proxy sent a usage chunk the upstream did not", f"/events/{i}/usage", ""
        )
        return
    k, other = others[0]
    shown, expected = chunk.get("choices"), other.get("choices")
    if (shown == []) != (expected == []):
        count = len(shown) if isinstance(shown, list) else shown
        message = f"the usage chunk has {count} choice(s) through the proxy, {len(expected or [])} upstream"
        yield Difference(stream_usage, message, f"/events/{i}/choices", f"/events/{k}/choices")
    if len(ours) != len(others):
        message = f"{len(ours)} chunks carry usage through the proxy, {len(others)} upstream"
        yield Difference(
            stream_usage, message, f"/events/{ours[-1][0]}/usage", f"/events/{others[-1][0]}/usage"
        )
    yield from diff_json(
        chunk["usage"],
        other["usage"],
        deterministic=deterministic,
        declares=lambda path: declarations.declares(schema, ["usage", *path]),
        prefix=f"/events/{i}/usage",
        upstream_prefix=f"/events/{k}/usage",
        generated=True,
    )
    if shown == [] and expected == []:  # a usage chunk of its own: its other members too
        yield from _diff_chunk(chunk, other, i, k, deterministic, declarations, schema)
