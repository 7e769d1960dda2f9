"""Re-run safety: a re-run of the same CI job attaches to the job it already submitted."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gate.simulator import Scenario, SimulatorServer
from gate.simulator.scenarios import job
from gate.state import KEY_VARIABLES, JobTarget, state_folder, state_key
from tests.conftest import GateResult, gate_env, run_gate_process
from tests.running_gate import finish, has_output, start_gate, wait_until

# One GitHub run, job and step; a re-run attempt keeps all three.
GITHUB_RUN = {"GITHUB_RUN_ID": "9001", "GITHUB_JOB": "load", "GITHUB_ACTION": "gate"}


def state_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.json")) if folder.exists() else []


def recorded_job_id(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))["jobId"]


def test_rerun_attaches_to_submitted_job(
    serve: Callable[..., SimulatorServer], gate: Callable[..., GateResult], tmp_path: Path
) -> None:
    server = serve()

    first = gate(server.url, **GITHUB_RUN)
    second = gate(server.url, **GITHUB_RUN)

    assert server.simulator.count("POST") == 1
    assert (first.code, second.code) == (0, 0)
    assert second.summary["jobId"] == first.summary["jobId"] == 4412
    assert second.summary["attached"] is True
    assert second.summary["request"] is None
    assert second.summary["state"]["resumed"] is True
    assert first.summary["state"] == {"path": second.summary["state"]["path"], "resumed": False}
    assert "submitted by an earlier attempt of this CI job" in second.stderr
    assert second.outputs["job-id"] == "4412"
    [path] = state_files(tmp_path / ".epm-gate")
    assert recorded_job_id(path) == 4412


def test_rerun_after_cancel_attaches(serve: Callable[..., SimulatorServer], tmp_path: Path) -> None:
    """The first attempt is cancelled mid-wait; the re-run waits for the same job to end."""
    server = serve(Scenario("slow", run_seconds=1.5, final=job(0)), first_job_id=112)
    env = gate_env(server.url, tmp_path, **GITHUB_RUN, GITHUB_WORKSPACE=str(tmp_path / "ws"))
    process = start_gate(env, tmp_path)
    wait_until(lambda: has_output(tmp_path, "job-id"), "the job id output")
    time.sleep(0.1)
    process.send_signal(signal.SIGTERM)
    first = finish(process, env, tmp_path, timeout=5)

    second = run_gate_process(env, tmp_path)

    assert first.code == 143
    assert "a re-run of this CI job attaches to it" in first.summary["message"]
    assert second.code == 0
    assert second.summary["jobId"] == 112
    assert second.summary["outcome"] == "success"
    assert server.simulator.count("POST") == 1
    assert len(state_files(tmp_path / "ws" / ".epm-gate")) == 1


def test_rerun_reports_finished_failure(
    serve: Callable[..., SimulatorServer], gate: Callable[..., GateResult]
) -> None:
    server = serve()

    first = gate(server.url, EPM_JOB_NAME="error", **GITHUB_RUN)
    second = gate(server.url, EPM_JOB_NAME="error", **GITHUB_RUN)

    assert first.code == second.code == 1
    assert second.summary["message"] == first.summary["message"]
    assert server.simulator.count("POST") == 1


def test_resubmit_always_submits_again(
    serve: Callable[..., SimulatorServer], gate: Callable[..., GateResult], tmp_path: Path
) -> None:
    server = serve()

    gate(server.url, **GITHUB_RUN)
    second = gate(server.url, EPM_RESUBMIT="always", **GITHUB_RUN)
    third = gate(server.url, **GITHUB_RUN)

    assert server.simulator.count("POST") == 2
    assert second.summary["jobId"] == 4413
    assert third.summary["jobId"] == 4413
    [path] = state_files(tmp_path / ".epm-gate")
    assert recorded_job_id(path) == 4413


@pytest.mark.parametrize(
    "change",
    [
        {"EPM_JOB_NAME": "GL_BUDGET"},
        {"EPM_PERIOD_NAME": "{Apr-26}"},
        {"GITHUB_RUN_ID": "9002"},
        {"GITHUB_JOB": "load-eu"},
        {"GITHUB_ACTION": "gate-2"},
    ],
    ids=lambda change: next(iter(change)),
)
def test_other_inputs_submit_again(
    serve: Callable[..., SimulatorServer],
    gate: Callable[..., GateResult],
    tmp_path: Path,
    change: dict[str, str],
) -> None:
    server = serve()

    gate(server.url, **GITHUB_RUN)
    second = gate(server.url, **{**GITHUB_RUN, **change})

    assert server.simulator.count("POST") == 2
    assert second.summary["attached"] is False
    assert len(state_files(tmp_path / ".epm-gate")) == 2


@pytest.mark.parametrize(
    "content",
    ["{not json", '{"jobId": "4412"}', '{"jobId": true}', "[]", "\udcff"],
    ids=["broken", "string-id", "bool-id", "array", "not-utf8"],
)
def test_corrupt_state_warns_and_submits(
    serve: Callable[..., SimulatorServer],
    gate: Callable[..., GateResult],
    tmp_path: Path,
    content: str,
) -> None:
    server = serve()
    gate(server.url, **GITHUB_RUN)
    [path] = state_files(tmp_path / ".epm-gate")
    path.write_bytes(content.encode("utf-8", errors="surrogateescape"))

    second = gate(server.url, **GITHUB_RUN)

    assert second.code == 0
    assert server.simulator.count("POST") == 2
    assert second.summary["jobId"] == 4413
    assert any(str(path.name) in warning for warning in second.summary["warnings"])
    assert "warning:" in second.stderr
    assert recorded_job_id(path) == 4413


def test_unwritable_state_folder_warns(
    serve: Callable[..., SimulatorServer], gate: Callable[..., GateResult], tmp_path: Path
) -> None:
    server = serve()
    (tmp_path / "blocked").write_text("a file where the folder should be", encoding="utf-8")

    result = gate(server.url, EPM_STATE_PATH="blocked/state", **GITHUB_RUN)

    assert result.code == 0
    assert result.summary["state"] is None
    assert any("would submit job 4412" in warning for warning in result.summary["warnings"])


def test_no_state_outside_ci_run(
    serve: Callable[..., SimulatorServer], gate: Callable[..., GateResult], tmp_path: Path
) -> None:
    server = serve()

    gate(server.url)
    second = gate(server.url)

    assert server.simulator.count("POST") == 2
    assert second.summary["state"] is None
    assert not (tmp_path / ".epm-gate").exists()


def test_state_path_setting_used(
    serve: Callable[..., SimulatorServer], gate: Callable[..., GateResult], tmp_path: Path
) -> None:
    server = serve()

    result = gate(
        server.url,
        EPM_STATE_PATH=str(tmp_path / "cache" / "gate"),
        GITHUB_WORKSPACE=str(tmp_path / "ws"),
        **GITHUB_RUN,
    )

    assert len(state_files(tmp_path / "cache" / "gate")) == 1
    assert not (tmp_path / "ws").exists()
    assert result.summary["state"]["path"].startswith(str(tmp_path / "cache" / "gate"))


def test_state_file_holds_no_secret(
    serve: Callable[..., SimulatorServer], gate: Callable[..., GateResult], tmp_path: Path
) -> None:
    server = serve()

    gate(server.url, EPM_JOB_PARAMETERS='{"note": "example-pass"}', **GITHUB_RUN)

    [path] = state_files(tmp_path / ".epm-gate")
    text = path.read_text(encoding="utf-8")
    assert "example-pass" not in text
    assert json.loads(text)["request"]["note"] == "***"


def test_concurrent_gates_keep_separate_state(
    serve: Callable[..., SimulatorServer], tmp_path: Path
) -> None:
    """Two CI jobs of one run share a workspace folder and start at the same moment."""
    server = serve(Scenario("slow", run_seconds=0.5, final=job(0)))
    envs = [
        gate_env(
            server.url,
            tmp_path,
            **{**GITHUB_RUN, "GITHUB_JOB": leg},
            EPM_SUMMARY_PATH=f"{leg}.json",
            GITHUB_OUTPUT=str(tmp_path / f"{leg}.out"),
        )
        for leg in ("load-us", "load-eu")
    ]
    processes = [start_gate(env, tmp_path) for env in envs]
    results = [finish(p, env, tmp_path, timeout=30) for p, env in zip(processes, envs, strict=True)]

    assert [result.code for result in results] == [0, 0]
    assert server.simulator.count("POST") == 2
    job_ids = {result.summary["jobId"] for result in results}
    assert job_ids == {4412, 4413}
    assert all(result.summary["attached"] is False for result in results)
    files = state_files(tmp_path / ".epm-gate")
    assert {recorded_job_id(path) for path in files} == job_ids
    for result in results:
        state_path = tmp_path / result.summary["state"]["path"]
        assert recorded_job_id(state_path) == result.summary["jobId"]


def test_same_key_started_later_attaches(
    serve: Callable[..., SimulatorServer], tmp_path: Path
) -> None:
    """Two gates with the same key are the same CI job: the later one joins the first job."""
    server = serve(Scenario("slow", run_seconds=1.0, final=job(0)))
    envs = [
        gate_env(
            server.url,
            tmp_path,
            **GITHUB_RUN,
            EPM_SUMMARY_PATH=f"gate{index}.json",
            GITHUB_OUTPUT=str(tmp_path / f"gate{index}.out"),
        )
        for index in (1, 2)
    ]
    first = start_gate(envs[0], tmp_path)
    wait_until(lambda: bool(state_files(tmp_path / ".epm-gate")), "the first state file")
    second = start_gate(envs[1], tmp_path)
    results = [finish(first, envs[0], tmp_path, 30), finish(second, envs[1], tmp_path, 30)]

    assert [result.code for result in results] == [0, 0]
    assert server.simulator.count("POST") == 1
    assert results[1].summary["jobId"] == results[0].summary["jobId"]
    assert results[1].summary["state"]["resumed"] is True


@pytest.mark.parametrize("name", KEY_VARIABLES)
def test_key_changes_with_each_ci_variable(name: str) -> None:
    target = JobTarget("https://epm.example.com", "integration", None)
    body = {"jobType": "INTEGRATION", "jobName": "GL_ACTUALS"}

    assert state_key({name: "a"}, target, body) != state_key({name: "b"}, target, body)


def test_key_changes_with_target_and_body() -> None:
    target = JobTarget("https://epm.example.com", "integration", None)
    body = {"jobType": "INTEGRATION", "jobName": "GL_ACTUALS"}
    env = {"GITHUB_RUN_ID": "1"}
    key = state_key(env, target, body)

    assert state_key(env, JobTarget("https://other.example.com", "integration", None), body) != key
    assert state_key(env, JobTarget(target.url, "planning", "Vision"), body) != key
    assert state_key(env, JobTarget(target.url, "planning", "Plan2"), body) != state_key(
        env, JobTarget(target.url, "planning", "Vision"), body
    )
    assert state_key(env, target, {**body, "periodName": "{Apr-26}"}) != key
    assert state_key(env, target, dict(reversed(body.items()))) == key


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"GITHUB_WORKSPACE": "/gh", "WORKSPACE": "/jk"}, Path("/gh/.epm-gate")),
        ({"CI_PROJECT_DIR": "/builds/p"}, Path("/builds/p/.epm-gate")),
        ({"WORKSPACE": "/var/jenkins/ws"}, Path("/var/jenkins/ws/.epm-gate")),
        ({}, Path(".epm-gate")),
    ],
)
def test_default_folder_in_ci_workspace(env: dict[str, str], expected: Path) -> None:
    assert state_folder(None, env) == expected
    assert state_folder(Path("/cache"), env) == Path("/cache")
