"""Pure writers: a :class:`~openai_conformance.results.models.RunResult` to files and to the terminal."""
