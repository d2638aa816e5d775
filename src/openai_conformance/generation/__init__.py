"""Requests generated from the spec by schemathesis and hypothesis."""
