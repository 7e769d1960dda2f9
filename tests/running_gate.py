"""Helpers for tests that talk to a gate while it runs: start it, wait for it, signal it."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tests.conftest import GateResult, collect

# Upper bound for any wait on a condition in these tests; the conditions normally hold
# within a fraction of a second.
CONDITION_TIMEOUT = 8.0


def start_gate(env: dict[str, str], workdir: Path) -> subprocess.Popen[bytes]:
    """Start ``python -m gate`` in ``workdir``; stdout and stderr are captured as bytes."""
    return subprocess.Popen(
        [sys.executable, "-m", "gate"],
        env=env,
        cwd=workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def wait_until(condition: Callable[[], bool], what: str) -> None:
    """Poll ``condition`` every 20 ms; fail the test when it does not hold in time."""
    deadline = time.monotonic() + CONDITION_TIMEOUT
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def finish(
    process: subprocess.Popen[bytes], env: dict[str, str], workdir: Path, timeout: float
) -> GateResult:
    """Wait at most ``timeout`` seconds for the gate to exit and collect what it left."""
    stdout, stderr = process.communicate(timeout=timeout)
    return collect(
        process.returncode,
        stdout.decode("utf-8", errors="replace"),
        stderr.decode("utf-8", errors="replace"),
        env,
        workdir,
    )


def has_output(workdir: Path, name: str) -> bool:
    """Tell whether the gate already wrote the step output ``name`` to ``github_output``."""
    path = workdir / "github_output"
    return path.exists() and f"{name}<<" in path.read_text(encoding="utf-8")
