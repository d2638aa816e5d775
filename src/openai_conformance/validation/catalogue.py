"""Every check the suite runs, read from the declarations of the modules that enforce them.

Check ids are a public contract: reports name them, ``--ignore`` takes them, and every fault of the
reference server declares the id that must catch it. The checks themselves are declared by the
functions that judge them (:func:`~openai_conformance.validation.registry.check`); this module only
lists them (``openai-conformance checks``).
"""

from __future__ import annotations

from openai_conformance.validation.registry import Check, all_checks, get_check

__all__ = ["CHECKS", "Check", "get_check"]

#: check id → its declaration, by area and then in the order the modules declare them.
CHECKS: dict[str, Check] = {check.id: check for check in all_checks()}
