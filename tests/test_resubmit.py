"""The resubmit policy end to end: which failures submit the job again, and how often."""

from __future__ import annotations

from collections.abc import Callable

from gate.simulator import Scenario, Simulator, SimulatorServer, builtin_scenarios, job
from tests.conftest import GateResult

Serve = Callable[..., SimulatorServer]
Gate = Callable[..., GateResult]


class SequenceSimulator(Simulator):
    """Plays the n-th scenario for the n-th submitted job; the last one repeats."""

    def __init__(self, *scenarios: Scenario) -> None:
        super().__init__()
        self.sequence = list(scenarios)

    def scenario_for(self, job_name: str) -> Scenario:
        return self.sequence[min(self.submits, len(self.sequence) - 1)]


LOCKED = builtin_scenarios()["locked"]
MAPPING = builtin_scenarios()["mapping"]
SUCCESS = builtin_scenarios()["success"]


def test_listed_category_is_resubmitted(serve: Serve, gate: Gate) -> None:
    simulator = SequenceSimulator(LOCKED, SUCCESS)
    result = gate(serve(simulator).url, EPM_RESUBMIT_ON="locked,mapping", EPM_MAX_RESUBMITS="2")
    summary = result.summary

    assert result.code == 0, result.stderr
    assert simulator.count("POST") == 2
    assert summary["outcome"] == "success"
    assert summary["jobId"] == 4413
    assert summary["failure"] is None
    assert [(a["jobId"], a["outcome"], a["category"]) for a in summary["attempts"]] == [
        (4412, "failed", "locked"),
        (4413, "success", ""),
    ]
    assert summary["attempts"][0]["logFile"] == "epm-gate-files/4412_locked.log"
    assert all(a["startedAt"] <= a["finishedAt"] for a in summary["attempts"])
    assert [entry["status"] for entry in summary["history"]] == [-1, 1, -1, 0]
    assert summary["polls"] == simulator.count("GET", "/aif/rest/V1/jobs/")
    assert "submitting it again" in result.stderr


def test_resubmit_in_ci_creates_a_new_job(serve: Serve, gate: Gate) -> None:
    # With a CI run id the re-run state file records each job; the resubmit must still
    # create a new job rather than attach to the failed one it just recorded.
    simulator = SequenceSimulator(LOCKED, SUCCESS)
    result = gate(
        serve(simulator).url,
        EPM_RESUBMIT_ON="locked",
        EPM_MAX_RESUBMITS="1",
        GITHUB_RUN_ID="77",
        GITHUB_JOB="load",
    )

    assert result.code == 0, result.stderr
    assert simulator.count("POST") == 2
    assert result.summary["jobId"] == 4413
    assert result.summary["attached"] is False


def test_unlisted_category_is_not_resubmitted(serve: Serve, gate: Gate) -> None:
    simulator = SequenceSimulator(MAPPING, SUCCESS)
    result = gate(serve(simulator).url, EPM_RESUBMIT_ON="locked", EPM_MAX_RESUBMITS="2")

    assert result.code == 1, result.stderr
    assert simulator.count("POST") == 1
    assert result.summary["failure"]["category"] == "mapping"
    assert len(result.summary["attempts"]) == 1


def test_resubmits_stop_at_limit(serve: Serve, gate: Gate) -> None:
    simulator = SequenceSimulator(LOCKED)
    result = gate(serve(simulator).url, EPM_RESUBMIT_ON="locked", EPM_MAX_RESUBMITS="2")

    assert result.code == 1, result.stderr
    assert simulator.count("POST") == 3
    assert [a["jobId"] for a in result.summary["attempts"]] == [4412, 4413, 4414]
    assert result.summary["jobId"] == 4414
    assert result.outputs["failure-category"] == "locked"
    assert any("EPM_MAX_RESUBMITS=2 reached" in w for w in result.summary["warnings"])


def test_no_resubmit_by_default(serve: Serve, gate: Gate) -> None:
    simulator = SequenceSimulator(LOCKED, SUCCESS)
    result = gate(serve(simulator).url)

    assert result.code == 1, result.stderr
    assert simulator.count("POST") == 1
    assert result.summary["failure"]["retryable"] is True


def test_attached_job_is_never_resubmitted(serve: Serve, gate: Gate) -> None:
    simulator = Simulator()
    simulator.add_job(500, LOCKED)
    result = gate(
        serve(simulator).url, EPM_JOB_ID="500", EPM_RESUBMIT_ON="locked", EPM_MAX_RESUBMITS="3"
    )

    assert result.code == 1, result.stderr
    assert result.summary["failure"]["category"] == "locked"
    assert simulator.count("POST") == 0
    assert result.summary["attempts"] == []


def test_rejected_submit_is_never_resubmitted(serve: Serve, gate: Gate) -> None:
    scenario = Scenario("invalid", submit=[job(4, details="Invalid period or import mode")])
    simulator = SequenceSimulator(scenario, SUCCESS)
    result = gate(serve(simulator).url, EPM_RESUBMIT_ON="invalid_parameter", EPM_MAX_RESUBMITS="3")

    assert result.code == 5, result.stderr
    assert simulator.count("POST") == 1
    assert result.summary["failure"]["category"] == "invalid_parameter"


def test_unknown_outcome_is_never_resubmitted(serve: Serve, gate: Gate) -> None:
    scenario = Scenario("unknown", polls=[job(2147483647, details="Data load failed")])
    simulator = SequenceSimulator(scenario, SUCCESS)
    result = gate(
        serve(simulator).url, EPM_RESUBMIT_ON="target_load,unknown", EPM_MAX_RESUBMITS="3"
    )

    assert result.code == 8, result.stderr
    assert simulator.count("POST") == 1


def test_lost_submit_is_never_resubmitted(serve: Serve, gate: Gate) -> None:
    scenario = Scenario("lost", submit=[job(-1), job(-1)], polls=[job(1)])
    scenario.submit[1].http = 502
    scenario.submit[1].body = "bad gateway"
    simulator = SequenceSimulator(LOCKED, scenario)
    result = gate(serve(simulator).url, EPM_RESUBMIT_ON="locked", EPM_MAX_RESUBMITS="3")

    assert result.code == 9, result.stderr
    assert simulator.count("POST") == 2
    assert result.summary["jobId"] is None
    assert [a["outcome"] for a in result.summary["attempts"]] == ["failed", "submit_unknown"]


def test_unknown_resubmit_category_is_usage_error(serve: Serve, gate: Gate) -> None:
    simulator = Simulator()
    result = gate(serve(simulator).url, EPM_RESUBMIT_ON="locked,auth", EPM_MAX_RESUBMITS="1")

    assert result.code == 2
    assert "EPM_RESUBMIT_ON: 'auth'" in result.stderr
    assert simulator.requests == []
