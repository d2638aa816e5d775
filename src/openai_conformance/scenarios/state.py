"""State across calls: the rules a workflow judges once it has seen several answers about one resource.

Each rule is a pure function of answers already parsed, yielding violations; the workflows
(``files``, ``batches``, ``resources``) send the requests and call them. What a real server may do
legitimately (a list that lags its creates, a field filled in later) speaks as a warning, as each
declaration says.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from openai_conformance.transport.exchange import Exchange
from openai_conformance.validation.registry import check
from openai_conformance.validation.semantics.shared import json_type
from openai_conformance.validation.violations import Violation

__all__ = [
    "TERMINAL",
    "check_batch_output",
    "check_bytes",
    "check_content",
    "check_counts",
    "check_gone",
    "check_listed",
    "check_page",
    "check_same",
    "check_transition",
    "check_updated",
    "content_of",
]

#: The documented moves of each lifecycle (an object may skip ahead between two polls).
_MOVES: dict[str, dict[str, tuple[str, ...]]] = {
    "batch": {
        "validating": ("in_progress", "failed", "cancelling"),
        "in_progress": ("finalizing", "expired", "cancelling", "failed"),
        "finalizing": ("completed", "expired", "cancelling", "failed"),
        "cancelling": ("cancelled",),
    },
    "upload": {"pending": ("completed", "cancelled", "expired")},
    "fine_tuning.job": {
        "validating_files": ("queued", "failed", "cancelled"),
        "queued": ("running", "failed", "cancelled"),
        "running": ("succeeded", "failed", "cancelled"),
    },
    "thread.run": {
        "queued": ("in_progress", "cancelling", "expired", "failed"),
        "in_progress": ("requires_action", "completed", "failed", "incomplete", "expired", "cancelling"),
        "requires_action": ("in_progress", "expired", "cancelling", "failed"),
        "cancelling": ("cancelled",),
    },
    "vector_store.files_batch": {"in_progress": ("completed", "cancelled", "failed")},
    "organization.project": {"active": ("archived",)},
}
#: Statuses that never change again.
TERMINAL = frozenset({"completed", "failed", "expired", "cancelled", "succeeded", "incomplete", "archived"})


def _reachable(kind: str, status: str) -> set[str]:
    moves = _MOVES.get(kind, {})
    seen: set[str] = set()
    todo = [status]
    while todo:
        for nxt in moves.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def _known(kind: str, status: str) -> bool:
    moves = _MOVES.get(kind, {})
    return status in moves or any(status in targets for targets in moves.values())


@check("state.delete", "error")
def check_gone(exchange: Exchange, what: str) -> Iterator[Violation]:
    """A deleted resource can no longer be retrieved.

    A look-up of a deleted resource: refused with 404 (the envelope is the per-answer checks').

    Reference: Delete operations: the resource is deleted
    Why: state is the server's: a deleted object is gone
    Relaxed: A look-up of a deleted resource refused with a 4xx other than 404 (410 Gone, 400): the
        resource is gone, only the status differs from OpenAI's
    """
    status = exchange.status
    if 200 <= status < 300:
        yield check_gone.violation(f"{what} answers {status} after the delete succeeded")
    elif status >= 500:
        yield check_gone.violation(f"{what} answers {status}, not 404, after the delete succeeded")
    elif status != 404:
        yield check_gone.violation(f"{what} answers {status}, not 404, after the delete", warning=True)


@check("state.list", "error")
def check_listed(where: str, what: str, missing: Iterable[str], still: Iterable[str]) -> Iterator[Violation]:
    """A created resource appears in its list.

    The resources still missing from a list (``where``: which, after how long) or still in it.

    Reference: List operations return the resources
    Why: state is the server's: a created object is listed
    Relaxed: Lists of real servers are eventually consistent (a new file can take seconds to be listed,
        a deleted one to vanish): a workflow re-reads the list until --max-wait, then speaks as a
        warning
    """
    for item in sorted(missing):
        yield check_listed.violation(f"{what} {item} is missing from {where}", warning=True)
    for item in sorted(still):
        yield check_listed.violation(f"{what} {item} is still in {where}", warning=True)


@check("state.retrieve", "error")
def check_same(
    first: Mapping[str, Any],
    again: Mapping[str, Any],
    what: str,
    *,
    declared: Iterable[str] = (),
    changing: Iterable[str] = ("status",),
) -> Iterator[Violation]:
    """A retrieve answers what the create (or the list) answered: the same id and declared fields;
    generated fields present, with the same type.

    A later answer about the object ``first`` described: the same id and ``declared`` fields; every
    other field ``first`` had is still there with the same type (null may be filled in later).

    Reference: Retrieve operations: returns the object matching the specified ID
    Why: state is the server's: an object's id and the fields its client set do not change by being read
    Relaxed: A generated field the create answered that the retrieve leaves out or types differently
        (servers omit null fields; a listed model id with a `/` may not route): a warning
    """
    if again.get("id") != first.get("id"):
        yield check_same.violation(f"{what} answers id {again.get('id')!r}, not {first.get('id')!r}", "/id")
        return
    declared = [name for name in declared if name in first]
    for name in declared:
        if again.get(name) != first.get(name):
            yield check_same.violation(
                f"{what} answers {name} {_short(again.get(name))}, not {_short(first.get(name))}", f"/{name}"
            )
    skip = {*declared, *changing, "id"}
    for name, value in first.items():
        if name in skip or value is None:
            continue
        if name not in again:
            yield check_same.violation(f"{what} leaves out {name}", f"/{name}", warning=True)
        elif again[name] is not None and json_type(again[name]) != json_type(value):
            message = f"{what} gives {name} as {json_type(again[name])}, not {json_type(value)}"
            yield check_same.violation(message, f"/{name}", warning=True)


@check("state.update", "error")
def check_updated(answer: Mapping[str, Any], changes: Mapping[str, Any], what: str) -> Iterator[Violation]:
    """An update is in its answer and visible on the next retrieve.

    Each changed field holds its new value in ``answer``.

    Reference: Modify operations: returns the modified object
    Why: state is the server's: a modify that answers 200 has made the change it was asked
    """
    for name, value in changes.items():
        if answer.get(name) != value:
            yield check_updated.violation(
                f"{what} answers {name} {_short(answer.get(name))}, not the update's {_short(value)}",
                f"/{name}",
            )


@check("state.pagination", "error")
def check_page(
    page: Mapping[str, Any], what: str, *, limit: int, seen: set[str], more_known: bool
) -> Iterator[Violation]:
    """Cursor pagination: `limit` honoured, `after` advances, `has_more`/`first_id`/`last_id` agree with
    the page, no item twice across pages.

    One page of a cursor list asked for ``limit`` items; ``seen`` holds the ids of earlier pages
    (this page's are added); ``more_known``: items are known to exist beyond this page.

    Reference: List operations: `limit`, `after`, `has_more`, `first_id`, `last_id`
    Why: the server cuts the pages: a cursor is followed exactly, whatever the items are
    """
    data = page.get("data")
    if not isinstance(data, list):
        return
    ids = [str(item.get("id")) for item in data if isinstance(item, dict)]
    if len(data) > limit:
        yield check_page.violation(f"{what} asked for limit={limit} and answered {len(data)} items", "/data")
    for name, expected in (("first_id", ids[0] if ids else None), ("last_id", ids[-1] if ids else None)):
        value = page.get(name)
        if expected is not None and value is not None and value != expected:
            yield check_page.violation(
                f"{what}: {name} is {value!r}, the page's item is {expected!r}", f"/{name}"
            )
    for item_id in ids:
        if item_id in seen:
            yield check_page.violation(f"{what} answers {item_id} again, which an earlier page had", "/data")
        seen.add(item_id)
    if page.get("has_more") is False and more_known:
        yield check_page.violation(f"{what} says has_more false, but more items were listed", "/has_more")


def check_bytes(obj: Mapping[str, Any], size: int, what: str) -> Iterator[Violation]:
    """A file object's ``bytes`` is the size uploaded."""
    value = obj.get("bytes")
    if isinstance(value, int | float) and not isinstance(value, bool) and value != size:
        yield check_content.violation(f"{what} says bytes {value}, but {size} bytes were uploaded", "/bytes")


@check("state.content", "error")
def check_content(exchange: Exchange, expected: bytes, what: str) -> Iterator[Violation]:
    """A file's content comes back byte for byte, and its `bytes` is the uploaded size (the sum of an
    upload's parts).

    The content of a file is the bytes uploaded.

    Reference: Files: retrieve file content; the File object's `bytes`; Uploads: complete
    Why: the server stores the bytes it was sent: nothing a model does changes a file
    """
    if exchange.body == expected or content_of(exchange) == expected:
        return
    got = content_of(exchange)
    at = next(
        (i for i, (a, b) in enumerate(zip(got, expected, strict=False)) if a != b),
        min(len(got), len(expected)),
    )
    yield check_content.violation(
        f"{what} answers {len(got)} bytes that differ from the {len(expected)} uploaded from byte {at}"
    )


def content_of(exchange: Exchange) -> bytes:
    """A file's content as answered: the raw body, or the string a JSON answer holds (as some specs
    declare the content a JSON string)."""
    if exchange.content_type == "application/json":
        try:
            value = exchange.json()
        except ValueError:
            return exchange.body
        if isinstance(value, str):
            return value.encode("utf-8")
    return exchange.body


@check("state.lifecycle", "error")
def check_transition(kind: str, what: str, before: object, after: object) -> Iterator[Violation]:
    """Statuses move only along the documented transitions (a final status never changes; a cancel answers
    cancelling or cancelled, and a finished object refuses it); `request_counts` add up.

    A move from ``before`` to ``after`` seen between two answers about one ``kind`` object.

    Reference: Batch, Upload, Run, fine-tuning job and vector store file batch objects: `status`
    Why: the server moves its objects' statuses; polls may skip statuses, never go back
    Relaxed: A cancel of a finished batch answered 2xx with the batch unchanged: the request did
        nothing, though OpenAI refuses it
    """
    if not (isinstance(before, str) and isinstance(after, str)) or before == after:
        return
    if not (_known(kind, before) and _known(kind, after)):
        return  # a status the spec does not list is the schema check's to judge
    if after not in _reachable(kind, before):
        final = " (a final status)" if before in TERMINAL else ""
        yield check_transition.violation(f"{what} moved from {before}{final} to {after}", "/status")


def check_counts(batch: Mapping[str, Any], what: str, lines: int) -> Iterator[Violation]:
    """``request_counts`` of a batch that sent ``lines`` requests: parts within the total; all of it once completed."""
    counts = batch.get("request_counts")
    if not isinstance(counts, dict):
        return
    total, done, failed = counts.get("total"), counts.get("completed"), counts.get("failed")
    if not all(isinstance(n, int) and not isinstance(n, bool) for n in (total, done, failed)):
        return  # the schema check judges the types
    assert isinstance(total, int) and isinstance(done, int) and isinstance(failed, int)
    if done + failed > total:
        yield check_transition.violation(
            f"{what}: request_counts completed {done} + failed {failed} exceed total {total}",
            "/request_counts",
        )
    elif batch.get("status") == "completed" and (done + failed != total or total != lines):
        yield check_transition.violation(
            f"{what} is completed with request_counts total {total}, completed {done}, failed {failed}, "
            f"for an input of {lines} requests",
            "/request_counts",
        )


@check("state.batch_output", "error")
def check_batch_output(
    contents: Sequence[bytes], custom_ids: Sequence[str], what: str
) -> Iterator[Violation]:
    """A completed batch's output and error files answer every input `custom_id` exactly once.

    The lines of a batch's output and error files: one per input ``custom_id``, none other.

    Reference: Batch API: the output file has one line per input request, matched by `custom_id`
    Why: the server writes the output files: each input line gets one line, whatever the model answered
    """
    answered: dict[str, int] = {}
    for content in contents:
        for number, line in enumerate(content.splitlines(), 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError:
                yield check_batch_output.violation(f"{what}: line {number} is not JSON")
                continue
            custom_id = record.get("custom_id") if isinstance(record, dict) else None
            if not isinstance(custom_id, str):
                yield check_batch_output.violation(f"{what}: line {number} has no custom_id")
                continue
            answered[custom_id] = answered.get(custom_id, 0) + 1
    for custom_id in custom_ids:
        count = answered.pop(custom_id, 0)
        if count != 1:
            yield check_batch_output.violation(
                f"{what} answers custom_id {custom_id!r} {count} times, not once"
            )
    for custom_id in answered:
        yield check_batch_output.violation(f"{what} answers custom_id {custom_id!r}, which no input line had")


def _short(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 80 else text[:77] + "..."
