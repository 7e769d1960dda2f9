"""What a gate process imports: only the modules its path uses.

Each run sets PYTHONPROFILEIMPORTTIME, the environment form of ``python -X importtime``,
which lists every module the process imported on stderr.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from gate.simulator import Scenario, Simulator, SimulatorServer, job
from tests.conftest import PASSWORD, USER, GateResult

UNUSED_BY_A_PLAIN_RUN = (
    "gate.simulator",
    "gate.report.github",
    "gate.epm.oauth",
    "gate.epm.planning",
    "gate.diagnose",
)


def imported_modules(stderr: str) -> set[str]:
    """Return the module names that ``-X importtime`` lines on stderr list."""
    names = set()
    for line in stderr.splitlines():
        if line.startswith("import time:") and line.count("|") == 2:
            names.add(line.rsplit("|", 1)[1].strip())
    names.discard("imported package")  # the header line
    return names


def ended_job_server(serve: Callable[..., SimulatorServer], status: int = 0) -> SimulatorServer:
    simulator = Simulator(user=USER, password=PASSWORD)
    simulator.add_job(4412, Scenario("ended", polls=[job(status)]))
    return serve(simulator)


def test_plain_run_skips_unused_modules(
    serve: Callable[..., SimulatorServer], gate: Callable[..., GateResult]
) -> None:
    server = ended_job_server(serve)

    result = gate(server.url, EPM_JOB_ID="4412", EPM_CI="none", PYTHONPROFILEIMPORTTIME="1")

    assert result.code == 0, result.stderr
    modules = imported_modules(result.stderr)
    assert "gate.run" in modules
    assert "gate.settings" in modules
    for name in UNUSED_BY_A_PLAIN_RUN:
        assert name not in modules


def test_github_run_imports_github_writer(
    serve: Callable[..., SimulatorServer], gate: Callable[..., GateResult]
) -> None:
    server = ended_job_server(serve)

    result = gate(server.url, EPM_JOB_ID="4412", PYTHONPROFILEIMPORTTIME="1")

    assert result.code == 0, result.stderr
    assert result.outputs["outcome"] == "success"
    assert "gate.report.github" in imported_modules(result.stderr)
    assert "gate.simulator" not in imported_modules(result.stderr)


def test_failed_run_imports_diagnosis(
    serve: Callable[..., SimulatorServer], gate: Callable[..., GateResult]
) -> None:
    server = ended_job_server(serve, status=1)

    result = gate(server.url, EPM_JOB_ID="4412", EPM_CI="none", PYTHONPROFILEIMPORTTIME="1")

    assert result.code == 1, result.stderr
    assert result.summary["failure"]["category"]
    assert "gate.diagnose" in imported_modules(result.stderr)


def test_version_skips_settings_and_http(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("EPM_")}
    env["PYTHONPROFILEIMPORTTIME"] = "1"

    completed = subprocess.run(
        [sys.executable, "-m", "gate", "--version"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )

    assert completed.returncode == 0
    assert completed.stdout.startswith("epm-gate ")
    modules = imported_modules(completed.stderr)
    assert "gate.cli" in modules
    for name in ("gate.settings", "pydantic_settings", "requests", "gate.simulator"):
        assert name not in modules
