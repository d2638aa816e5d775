"""Judging responses: schema conformance, streaming, OpenAI semantics, errors and auth."""
