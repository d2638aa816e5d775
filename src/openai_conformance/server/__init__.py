"""The reference server: a deterministic implementation of the OpenAI REST API, with switchable faults."""

from __future__ import annotations

from openai_conformance.server.app import create_app
from openai_conformance.server.faults import FAULTS, Fault, get_fault
from openai_conformance.server.thread import serve, serve_in_thread

__all__ = ["FAULTS", "Fault", "create_app", "get_fault", "serve", "serve_in_thread"]
