"""Shared fixtures: the simulator on a loopback port and the real gate as a subprocess."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from gate.simulator import Scenario, Simulator, SimulatorServer

USER = "ci_bot"
PASSWORD = "example-pass"

# The step outputs, in the order the gate writes them at the end of a run.
OUTPUT_NAMES = (
    "job-id",
    "status",
    "job-status",
    "outcome",
    "exit-code",
    "log-file",
    "output-file",
    "summary-path",
    "failure-category",
)

# Fast schedules, so a scripted job of a few polls ends within a second or two.
FAST = {
    "EPM_POLL_INTERVAL": "0.05",
    "EPM_POLL_MAX_INTERVAL": "0.2",
    "EPM_TIMEOUT": "20",
    "EPM_REQUEST_TIMEOUT": "5",
}

_HEREDOC = re.compile(r"^(?P<name>[A-Za-z0-9_-]+)<<(?P<delim>.+)$")


@dataclass
class GateResult:
    """What one run of ``epm-gate`` left behind."""

    code: int
    stdout: str
    stderr: str
    summary: dict[str, Any]
    outputs: dict[str, str]
    output_text: str
    step_summary: str
    workdir: Path

    @property
    def text(self) -> str:
        """Return everything the run printed and wrote, for secret searches.

        ``::add-mask::`` lines are left out: they must name the secret, and the runner
        consumes them without showing them.
        """
        printed = [
            line
            for line in (self.stdout + "\n" + self.stderr).splitlines()
            if not line.startswith("::add-mask::")
        ]
        return "\n".join([*printed, json.dumps(self.summary), self.output_text, self.step_summary])


def parse_outputs(text: str) -> dict[str, str]:
    """Parse a ``$GITHUB_OUTPUT`` file in heredoc form; later values win, as on GitHub."""
    outputs: dict[str, str] = {}
    lines = text.split("\n")
    index = 0
    while index < len(lines):
        match = _HEREDOC.match(lines[index])
        if match is None:
            assert lines[index] == "", f"unexpected output line {lines[index]!r}"
            index += 1
            continue
        end = lines.index(match.group("delim"), index + 1)
        outputs[match.group("name")] = "\n".join(lines[index + 1 : end])
        index = end + 1
    return outputs


def gate_env(url: str, workdir: Path, **settings: str) -> dict[str, str]:
    """Return a clean environment for a gate run against the simulator."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("EPM_", "GITHUB_", "GITLAB", "CI_", "JENKINS", "BUILD_"))
    }
    env.update(
        {
            "EPM_URL": url,
            "EPM_USERNAME": USER,
            "EPM_PASSWORD": PASSWORD,
            "EPM_JOB_NAME": "GL_ACTUALS",
            "GITHUB_ACTIONS": "true",
            "GITHUB_OUTPUT": str(workdir / "github_output"),
            "GITHUB_STEP_SUMMARY": str(workdir / "step_summary.md"),
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(FAST)
    env.update(settings)
    return {key: value for key, value in env.items() if value is not None}


def run_gate_process(
    env: dict[str, str], workdir: Path, args: list[str] | None = None, timeout: float = 60
) -> GateResult:
    """Run ``epm-gate`` as a subprocess in ``workdir`` and collect what it left."""
    completed = subprocess.run(
        [sys.executable, "-m", "gate", *(args or [])],
        env=env,
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return collect(completed.returncode, completed.stdout, completed.stderr, env, workdir)


def collect(code: int, stdout: str, stderr: str, env: dict[str, str], workdir: Path) -> GateResult:
    """Read the summary, outputs and step summary a run left in ``workdir``."""
    summary_path = workdir / env.get("EPM_SUMMARY_PATH", "epm-gate-summary.json")
    summary = json.loads(summary_path.read_text(encoding="utf-8")) if summary_path.exists() else {}
    output_file = Path(env.get("GITHUB_OUTPUT", workdir / "github_output"))
    output_text = output_file.read_text(encoding="utf-8") if output_file.exists() else ""
    step_file = Path(env.get("GITHUB_STEP_SUMMARY", workdir / "step_summary.md"))
    step_summary = step_file.read_text(encoding="utf-8") if step_file.exists() else ""
    return GateResult(
        code,
        stdout,
        stderr,
        summary,
        parse_outputs(output_text),
        output_text,
        step_summary,
        workdir,
    )


@pytest.fixture
def serve() -> Iterator[Callable[..., SimulatorServer]]:
    """Start simulators on free loopback ports; all are stopped after the test."""
    servers: list[SimulatorServer] = []

    def start(scenario: Scenario | Simulator | None = None, **options: Any) -> SimulatorServer:
        simulator = scenario if isinstance(scenario, Simulator) else Simulator(scenario, **options)
        server = SimulatorServer(simulator).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def gate(tmp_path: Path) -> Callable[..., GateResult]:
    """Run the real gate against a simulator URL with settings as keyword arguments."""

    def run(
        url: str, *, args: list[str] | None = None, timeout: float = 60, **settings: str
    ) -> GateResult:
        return run_gate_process(gate_env(url, tmp_path, **settings), tmp_path, args, timeout)

    return run
