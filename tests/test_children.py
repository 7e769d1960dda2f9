"""Pipelines and batches: child jobs and stages named by the details and the log."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from gate.children import find_children
from gate.simulator import Scenario, Simulator, SimulatorServer, builtin_scenarios, job
from tests.conftest import GateResult

Serve = Callable[..., SimulatorServer]
Gate = Callable[..., GateResult]

PIPELINE_LOG = "outbox/logs/DAILYLOAD_111.log"


def pipeline_simulator(details: str, status: int, job_status: str) -> Simulator:
    final = job(status, job_status, logFileName=PIPELINE_LOG, details=details)
    scenario = Scenario("pipeline", polls=[job(-1), final])
    simulator = Simulator(scenario, first_job_id=111)
    simulator.files.put(
        PIPELINE_LOG,
        "INFO  [AIF]: Pipeline DAILYLOAD started\n"
        "INFO  [AIF]: Stage 1 job LOAD_AP (4501) completed\n"
        "ERROR [AIF]: Stage 2 job LOAD_GL (4502) failed\n",
    )
    return simulator


def test_failed_pipeline_stage(serve: Serve, gate: Gate) -> None:
    simulator = pipeline_simulator("Stage 2 job LOAD_GL failed", 1, "FAILED")
    result = gate(
        serve(simulator).url,
        EPM_JOB_TYPE="PIPELINE",
        EPM_JOB_NAME="DAILYLOAD",
        EPM_JOB_PARAMETERS='{"variables": {"STARTPERIOD": "Apr-26"}}',
    )

    assert result.code == 1, result.stderr
    assert result.summary["outcome"] == "failed"
    assert "Stage 2 job LOAD_GL failed" in result.summary["message"]
    assert result.summary["files"]["log"] == "epm-gate-files/DAILYLOAD_111.log"
    assert simulator.requests[0].json()["variables"] == {"STARTPERIOD": "Apr-26"}
    assert result.summary["children"] == [
        {"name": "LOAD_GL", "stage": 2, "state": "failed", "source": "details", "jobId": 4502},
        {"name": "LOAD_AP", "stage": 1, "jobId": 4501, "state": "completed", "source": "log"},
    ]


@pytest.mark.parametrize(("policy", "code"), [("fail", 7), ("pass", 0)])
def test_pipeline_stage_warning(serve: Serve, gate: Gate, policy: str, code: int) -> None:
    simulator = pipeline_simulator("Stage 1 job LOAD_AP ended with warnings", 0, "WARNING")
    result = gate(
        serve(simulator).url,
        EPM_JOB_TYPE="PIPELINE",
        EPM_JOB_NAME="DAILYLOAD",
        EPM_WARNING_POLICY=policy,
    )

    assert result.code == code, result.stderr
    assert "Stage 1 job LOAD_AP ended with warnings" in result.summary["message"]
    assert result.summary["children"][0] == {
        "name": "LOAD_AP",
        "stage": 1,
        "state": "warning",
        "source": "details",
        "jobId": 4501,
    }


def test_batch_without_children(serve: Serve, gate: Gate) -> None:
    scenario = Scenario("plain-batch", polls=[job(0, details="Batch completed")])
    result = gate(serve(scenario).url, EPM_JOB_TYPE="BATCH", EPM_JOB_NAME="BATCH1")

    assert result.code == 0, result.stderr
    assert result.summary["children"] == []


def test_simulated_pipeline_children(serve: Serve, gate: Gate) -> None:
    scenario = builtin_scenarios()["pipeline"]
    result = gate(serve(scenario).url, EPM_JOB_TYPE="PIPELINE", EPM_JOB_NAME="DAILYLOAD")

    assert result.code == 1, result.stderr
    ids = [child.get("jobId") for child in result.summary["children"]]
    assert 4501 in ids
    assert 4502 in ids


def test_integration_jobs_list_no_children(serve: Serve, gate: Gate) -> None:
    scenario = Scenario("integration", polls=[job(1, details="Stage 2 job LOAD_GL failed")])
    result = gate(serve(scenario).url)

    assert result.code == 1
    assert result.summary["children"] == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Member job LOAD_AP (4601) submitted", [{"name": "LOAD_AP", "jobId": 4601}]),
        ("child job id: 4700", [{"jobId": 4700}]),
        ("Stage 1: LOAD_AP (4501) completed", [{"name": "LOAD_AP", "jobId": 4501}]),
        ("INFO job LOAD_GL, job id 4602", [{"name": "LOAD_GL", "jobId": 4602}]),
        ("Job finished", []),
        ("", []),
    ],
)
def test_find_children_patterns(text: str, expected: list[dict[str, object]]) -> None:
    found = find_children(None, [text])
    assert [{k: v for k, v in c.items() if k in ("name", "jobId")} for c in found] == expected
