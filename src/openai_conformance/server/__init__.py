"""The reference server: a deterministic implementation of the OpenAI REST API, with switchable faults.

``create_app(spec, faults=[...], store=...)`` builds it; ``serve_in_thread(app)`` runs it on a free
loopback port.  A ``Store`` filled beforehand (``add_model``, ``add_file``, ``put``) makes it a mock
that serves chosen objects.
"""

from __future__ import annotations

from openai_conformance.server.app import create_app
from openai_conformance.server.faults import ALL, FAULTS, Fault, get_fault
from openai_conformance.server.store import Store
from openai_conformance.server.thread import serve, serve_in_thread

__all__ = ["ALL", "FAULTS", "Fault", "Store", "create_app", "get_fault", "serve", "serve_in_thread"]
