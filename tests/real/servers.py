"""Real OpenAI-compatible servers from PyPI and npm, started as processes on 127.0.0.1 for the tests.

``.ci/install-real-servers`` installs them (pinned) into ``.real-servers/`` beside the checkout, or
into ``$OPENAI_CONFORMANCE_REAL_SERVERS``; a server that is not there is skipped with the reason.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tests.hostile.server import closed_port

ROOT = Path(__file__).resolve().parents[2]
INSTALLED = Path(os.environ.get("OPENAI_CONFORMANCE_REAL_SERVERS") or ROOT / ".real-servers")
_START_TIMEOUT = 30.0

_FAKELLM_CONFIG = "version: 1\ndefaults:\n  fallback: deterministic_echo\nrules: []\n"


@dataclass(frozen=True)
class RealServer:
    """How to start one real server: its program (installed or not) and its command line."""

    name: str
    program: Path  # what must be installed
    command: Callable[[Path, int], list[str]]  # (working folder, port) → argv
    env: Callable[[int], dict[str, str]] = field(default=lambda port: {})
    files: dict[str, str] = field(default_factory=dict)  # written into the working folder first
    start_timeout: float = _START_TIMEOUT  # seconds until it must listen

    def missing(self) -> str | None:
        """Why the server cannot be started here, or None."""
        if not self.program.exists():
            installer = ".ci/install-litellm" if self.name == "litellm" else ".ci/install-real-servers"
            return f"{self.name} is not installed ({self.program} is missing): run {installer}"
        if self.name == "mock-llm" and shutil.which("node") is None:
            return "mock-llm needs node, which is not on PATH"
        return None

    @contextlib.contextmanager
    def running(self, workdir: Path) -> Iterator[str]:
        """Start the server on a free loopback port; yield its base URL (without /v1); stop it."""
        port = closed_port()
        for name, text in self.files.items():
            (workdir / name).write_text(text)
        log = (workdir / "server.log").open("wb")
        process = subprocess.Popen(
            self.command(workdir, port),
            cwd=workdir,
            env={**os.environ, **self.env(port)},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_for(port, process, workdir / "server.log", self.start_timeout)
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()  # the process this test started, by its own handle
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
            log.close()


def _wait_for(port: int, process: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}: {log.read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"the server did not listen on 127.0.0.1:{port} within {timeout:g} s")


_VENV = INSTALLED / "venv" / "bin"
_MOCK_LLM = INSTALLED / "node" / "node_modules" / "@dwmkerr" / "mock-llm" / "dist" / "main.js"

SERVERS: dict[str, RealServer] = {
    "fakellm": RealServer(
        "fakellm",
        _VENV / "fakellm",
        lambda workdir, port: [
            str(_VENV / "fakellm"),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--config",
            str(workdir / "fakellm.yaml"),
        ],
        files={"fakellm.yaml": _FAKELLM_CONFIG},
    ),
    "fastapi-openai-compat": RealServer(
        "fastapi-openai-compat",
        _VENV / "python",
        lambda workdir, port: [
            str(_VENV / "python"),
            "-m",
            "uvicorn",
            "--app-dir",
            str(ROOT / "tests" / "real" / "apps"),
            "echo_compat:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
    ),
    "mock-llm": RealServer(
        "mock-llm",
        _MOCK_LLM,
        lambda workdir, port: ["node", str(_MOCK_LLM)],
        env=lambda port: {"HOST": "127.0.0.1", "PORT": str(port)},
    ),
}

_LITELLM = INSTALLED / "litellm" / "bin" / "litellm"

#: The LiteLLM proxy (``.ci/install-litellm``), configured by ``litellm.yaml`` in its working folder.
LITELLM = RealServer(
    "litellm",
    _LITELLM,
    lambda workdir, port: [
        str(_LITELLM),
        "--config",
        str(workdir / "litellm.yaml"),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--num_workers",
        "1",
    ],
    # Its cost map from the package, not from the network; no telemetry.
    env=lambda port: {"LITELLM_LOCAL_MODEL_COST_MAP": "True", "LITELLM_TELEMETRY": "False"},
    start_timeout=120.0,
)
