"""Semantics of moderations: one result per input, every category scored, `flagged` as its categories say."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from openai_conformance.validation.registry import Parameter, check
from openai_conformance.validation.semantics.shared import as_dict, per_input, short
from openai_conformance.validation.violations import Violation

__all__ = ["check_moderation", "moderation_categories", "moderation_count", "moderation_flagged"]

_MODERATION = "createModeration"


def _inputs(value: Any) -> int | None:
    if isinstance(value, str):
        return 1
    if isinstance(value, list) and value and all(isinstance(item, str) for item in value):
        return len(value)
    return None  # multi-modal parts: one or several results, as the model reads them


def _score(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 1


def _scored(result: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]] | None:
    categories, scores = result.get("categories"), result.get("category_scores")
    if not isinstance(categories, dict) or not isinstance(scores, dict):
        return None  # the schema's to judge
    return categories, scores


@check(
    "semantics.moderation_count",
    "error",
    parameters=(Parameter(_MODERATION, "input", "a string: one result; a list of strings: one result each"),),
)
def moderation_count(body: Mapping[str, Any], request: Mapping[str, Any]) -> Iterator[Violation]:
    """One moderation result per input (a string is one input, a list of strings one each), in order.

    Reference: CreateModerationResponse.results: a list of moderation objects
    Why: the server classifies each input it was given; the count is its loop, not a model's choice
    """
    _, miscount = per_input(body, "results", _inputs(request.get("input")), "results")
    if miscount:
        yield moderation_count.violation(miscount, "/results")


@check("semantics.moderation_categories", "error")
def moderation_categories(result: Mapping[str, Any], pointer: str) -> Iterator[Violation]:
    """Every category of a result is in both `categories` and `category_scores`, each score in [0, 1].

    Reference: CreateModerationResponse.results[].category_scores: the scores of each category
    Why: a category the server flags is one it scored; a score is a probability
    """
    if (scored := _scored(result)) is None:
        return
    categories, scores = scored
    unscored = sorted(set(categories) - set(scores))
    flags_missing = sorted(set(scores) - set(categories))
    if unscored or flags_missing:
        what = (
            f"{unscored} have no score" if unscored else f"{flags_missing} are scored but not in categories"
        )
        yield moderation_categories.violation(f"categories {what}", f"{pointer}/category_scores")
    bad = next((name for name, value in scores.items() if not _score(value)), None)
    if bad is not None:
        yield moderation_categories.violation(
            f"the score of {bad!r} is {short(scores[bad])}, not a probability in [0, 1]",
            f"{pointer}/category_scores",
        )


@check("semantics.moderation_flagged", "error")
def moderation_flagged(result: Mapping[str, Any], pointer: str) -> Iterator[Violation]:
    """`flagged` is true exactly when some category is true.

    Reference: CreateModerationResponse.results[].flagged: whether any of the below categories are flagged
    Why: `flagged` is defined from the categories the server itself reports
    """
    if (scored := _scored(result)) is None:
        return
    flagged = result.get("flagged")
    on = sorted(name for name, value in scored[0].items() if value is True)
    if isinstance(flagged, bool) and flagged != bool(on):
        why = f"categories {on} are true" if on else "no category is true"
        yield moderation_flagged.violation(
            f"flagged is {str(flagged).lower()} but {why}", f"{pointer}/flagged"
        )


def check_moderation(body: Mapping[str, Any], request: Mapping[str, Any]) -> Iterator[Violation]:
    """The moderation rules on one answer."""
    yield from moderation_count(body, request)
    results, _ = per_input(body, "results", None, "results")
    for i, result in enumerate(results):
        yield from moderation_categories(as_dict(result), f"/results/{i}")
        yield from moderation_flagged(as_dict(result), f"/results/{i}")
