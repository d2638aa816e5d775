"""A proxy judged beside its upstream: what it drops, adds, rewrites or refuses (the ``proxy.*`` checks).

``judge_pair`` takes the two answers to the same request and what the per-answer checks found in
each, and says whose each finding is (verdicts.py); the differences are found in answers.py (status,
media type), fields.py (JSON, member by member) and streams.py (event by event).
"""

from __future__ import annotations

from openai_conformance.validation.proxy.declared import Declarations
from openai_conformance.validation.proxy.verdicts import UPSTREAM_UNANSWERED, PairVerdict, judge_pair

__all__ = ["UPSTREAM_UNANSWERED", "Declarations", "PairVerdict", "judge_pair"]
