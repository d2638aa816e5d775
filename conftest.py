"""Hypothesis profiles for the tool's own tests: ``dev`` (default), ``ci`` and ``thorough``.


Select one with ``HYPOTHESIS_PROFILE``. Runs against a target use the engine's own settings
(``--max-examples``, ``--seed``), not these profiles.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile("dev", max_examples=25, deadline=None)
settings.register_profile("ci", max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=500, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))
