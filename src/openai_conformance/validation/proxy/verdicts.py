"""Whose is each finding of a paired answer: the proxy's, or the upstream's that the proxy passed on.

Both answers are judged by the same checks. A violation the upstream's answer shows too is the
upstream's (``upstream.violation``: the proxy passed on what it was given). A violation only the
proxy's answer shows is the proxy's; when a difference between the two answers explains it (a
dropped field that the schema requires, a status rewritten into a 5xx), the difference's finding
names it, so that one defect is one finding; otherwise it stays under its own check.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from openai_conformance.transport.exchange import Exchange
from openai_conformance.validation.proxy.answers import WHOLE_ANSWER, differences
from openai_conformance.validation.proxy.declared import Declarations
from openai_conformance.validation.proxy.fields import Difference
from openai_conformance.validation.proxy.streams import stream_chunks, stream_usage
from openai_conformance.validation.registry import check
from openai_conformance.validation.violations import Violation

__all__ = ["PairVerdict", "judge_pair", "upstream_unanswered", "upstream_violation"]


@check("upstream.violation", "warning")
def upstream_violation(violation: Violation) -> Violation:
    """A rule that the upstream's own answer breaks too is the upstream's, not the proxy's.

    The finding of a proxy's violation that its upstream's answer shows too.

    Reference: the proxy passed on what its upstream answered: the deviation is the upstream's to fix
    Why: the proxy passed on its upstream's answer as it was: a correct proxy shows its upstream's
        deviations, and they are not its own
    """
    keyword = f"{violation.check} {violation.keyword}".strip()
    message = f"{violation.check}: {violation.message} — the upstream's own answer breaks this rule too"
    return upstream_violation.violation(message, violation.pointer, keyword)


@check("upstream.unanswered", "warning")
def upstream_unanswered(error: str) -> Violation:
    """The upstream answers every request the proxy answered, so that the two answers can be compared.

    The finding of a proxy's answer whose upstream gave none (``error``: what happened upstream).

    Reference: a proxy is judged beside its upstream: an answer the upstream did not give leaves the
        proxy's judged alone (by the per-answer checks), not compared
    Why: the upstream may be slow or down while the proxy answers: the proxy is not at fault, its answer
        was judged alone
    """
    return upstream_unanswered.violation(f"{error}: the proxy's answer was judged alone, not compared")


_REQUIRED = re.compile(r"'(?P<name>[^']+)' is a required property")
_MAX_NAMED = 3  # violations a difference's message names


@dataclass(frozen=True, slots=True)
class PairVerdict:
    """One violation of a paired answer, and where the upstream's answer shows the same place."""

    violation: Violation
    upstream_pointer: str | None  # None: nothing of the upstream's answer to show beside it


def _parent(pointer: str) -> str:
    return pointer.rsplit("/", 1)[0] if "/" in pointer else ""


def _explains(difference: Difference, violation: Violation) -> bool:
    """Whether the proxy's ``violation`` follows from ``difference`` (and is named in its finding)."""
    check = difference.check
    if check.id in WHOLE_ANSWER:
        return True  # two different answers: what is wrong with the proxy's is the one defect
    if check is stream_chunks:
        return violation.check == "stream.finish_reason"
    if check is stream_usage:
        return violation.check == "stream.usage"
    where, at = difference.pointer, violation.pointer
    if not where:
        return False
    if violation.keyword == "required":
        named = _REQUIRED.search(violation.message)
        return named is not None and named.group("name") == difference.field and _parent(where) == at
    return at == where or at.startswith(where + "/") or (bool(at) and where.startswith(at + "/"))


def _once(found: list[Difference]) -> list[list[Difference]]:
    """The differences grouped by kind (indices folded): each group is one finding."""
    kept: dict[tuple[str, str], list[Difference]] = {}
    for difference in found:
        folded = "/".join("*" if part.isdigit() else part for part in difference.pointer.split("/"))
        kept.setdefault((difference.check.id, folded), []).append(difference)
    return list(kept.values())


def judge_pair(
    proxy: Exchange,
    proxy_violations: Sequence[Violation],
    upstream: Exchange,
    upstream_violations: Sequence[Violation],
    operation_id: str,
    *,
    deterministic: bool,
    declarations: Declarations,
) -> list[PairVerdict]:
    """The findings of one paired answer: the upstream's, the differences, the proxy's own."""
    theirs: dict[tuple[str, str, str], Violation] = {}
    for violation in upstream_violations:
        theirs.setdefault(violation.key, violation)
    streamed = proxy.events is not None
    verdicts: list[PairVerdict] = []
    own: list[Violation] = []
    for violation in proxy_violations:
        match = theirs.get(violation.key)
        if match is None:
            own.append(violation)
            continue
        verdicts.append(PairVerdict(upstream_violation(violation), match.pointer))
    found = differences(proxy, upstream, operation_id, deterministic=deterministic, declarations=declarations)
    explained: set[int] = set()
    for same in _once(found):
        difference, seen = same[0], len(same)
        causes = [
            n
            for n, violation in enumerate(own)
            if n not in explained and any(_explains(each, violation) for each in same)
        ]
        explained.update(causes)
        message = difference.message + (f" (and {seen - 1} more like it)" if seen > 1 else "")
        if causes:
            named = "; ".join(f"{own[n].check}: {own[n].message}" for n in causes[:_MAX_NAMED])
            message += f"; so the proxy's answer breaks {named}"
        warning = difference.warning and not any(own[n].severity == "error" for n in causes)
        violation = difference.check.violation(message, difference.pointer, warning=warning)
        verdicts.append(PairVerdict(violation, difference.upstream_pointer))
    for n, violation in enumerate(own):
        if n not in explained:
            verdicts.append(PairVerdict(violation, "" if streamed else violation.pointer))
    return verdicts
