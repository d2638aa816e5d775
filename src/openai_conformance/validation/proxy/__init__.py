"""A proxy judged beside its upstream: what it drops, adds, rewrites or refuses (the ``proxy.*`` checks).

``judge_pair`` takes the two answers to the same request and what the per-answer checks found in
each, and says whose each finding is (verdicts.py); the differences are found in answers.py (status,
media type), fields.py (JSON, member by member) and streams.py (event by event).
"""

from __future__ import annotations

from openai_conformance.validation.proxy.declared import Declarations
from openai_conformance.validation.proxy.verdicts import PairVerdict, judge_pair, upstream_unanswered

__all__ = ["Declarations", "PairVerdict", "judge_pair", "upstream_unanswered"]
