"""Tests of the stream, semantics and scenario checks."""
