"""Every exit code a server can cause, end to end: the real gate against the simulator."""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from gate.simulator import Scenario, SimulatorServer, http, job
from tests.conftest import OUTPUT_NAMES, GateResult


@dataclass
class Case:
    name: str
    scenario: Scenario
    code: int
    outcome: str
    status: int | None
    category: str
    settings: dict[str, str] = field(default_factory=dict)


CASES = [
    Case("success", Scenario("s", polls=[job(-1), job(0)]), 0, "success", 0, ""),
    Case(
        "error",
        Scenario("e", polls=[job(-1), job(1, details="Load failed")]),
        1,
        "failed",
        1,
        "unknown",
    ),
    Case(
        "cancelled",
        Scenario("c", polls=[job(2), job(3)]),
        4,
        "cancelled",
        3,
        "cancelled",
    ),
    Case(
        "invalid parameter",
        Scenario("i", submit=[job(4, details="Invalid period")]),
        5,
        "rejected",
        4,
        "invalid_parameter",
    ),
    Case(
        "warning",
        Scenario("w", polls=[job(0, "WARNING", details="Rows rejected: 42")]),
        7,
        "warning",
        0,
        "mapping",
    ),
    Case(
        "warning passed",
        Scenario("w", polls=[job(0, "WARNING", details="Rows rejected: 42")]),
        0,
        "success",
        0,
        "",
        {"EPM_WARNING_POLICY": "pass"},
    ),
    Case("unknown", Scenario("u", polls=[job(2147483647)]), 8, "unknown", 2147483647, "unknown"),
    Case("unrecognised", Scenario("u", polls=[job(17)]), 8, "unknown", 17, "unknown"),
    Case(
        "submit 502",
        Scenario("l", submit=[http(502, "<html>Bad Gateway</html>", "text/html")]),
        9,
        "submit_unknown",
        None,
        "infra",
    ),
    Case(
        "timeout",
        Scenario("t", polls=[job(-1)]),
        124,
        "timeout",
        -1,
        "timeout",
        {"EPM_TIMEOUT": "0.6"},
    ),
    Case(
        "unreachable while waiting",
        Scenario("m", polls=[job(-1), http(503, "down", "text/plain")]),
        3,
        "infra_error",
        -1,
        "infra",
        {"EPM_UNREACHABLE_TIMEOUT": "0.4"},
    ),
    Case(
        "auth",
        Scenario("a", submit=[http(403, '{"details": "insufficient privileges"}')]),
        6,
        "auth_error",
        None,
        "auth",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_exit_code_per_outcome(
    case: Case,
    serve: Callable[..., SimulatorServer],
    gate: Callable[..., GateResult],
) -> None:
    server = serve(case.scenario)
    result = gate(server.url, **case.settings)

    assert result.code == case.code, result.stderr
    assert result.summary["outcome"] == case.outcome
    assert result.summary["exitCode"] == case.code
    assert result.summary["status"] == case.status
    assert list(result.outputs) == list(OUTPUT_NAMES)
    assert result.outputs["outcome"] == case.outcome
    assert result.outputs["exit-code"] == str(case.code)
    assert result.outputs["failure-category"] == case.category
    assert result.outputs["summary-path"] == "epm-gate-summary.json"
    annotation = "::notice title=EPM gate::" if case.code == 0 else "::error title=EPM gate::"
    assert annotation in result.stderr
    assert "EPM gate" in result.step_summary


def test_connection_refused_is_infra_error(gate: Callable[..., GateResult]) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Nothing listens on the port once the probe socket is closed.
    result = gate(f"http://127.0.0.1:{port}")

    assert result.code == 3
    assert result.summary["outcome"] == "infra_error"
    assert result.summary["jobId"] is None
    assert "no job was created" in result.summary["message"]
    assert result.outputs["job-id"] == ""


def test_usage_error_writes_every_report(
    tmp_path_factory: pytest.TempPathFactory, gate: Callable[..., GateResult]
) -> None:
    result = gate("ftp://example.invalid", EPM_TIMEOUT="soon")

    assert result.code == 2
    assert result.summary["outcome"] == "usage_error"
    assert "EPM_URL" in result.stderr
    assert "EPM_TIMEOUT" in result.stderr
    assert result.outputs["outcome"] == "usage_error"
    assert result.outputs["failure-category"] == "invalid_parameter"


def test_job_id_output_written_before_waiting(
    serve: Callable[..., SimulatorServer], gate: Callable[..., GateResult]
) -> None:
    server = serve(Scenario("t", polls=[job(-1)]))
    result = gate(server.url, EPM_TIMEOUT="0.3")

    first_record = result.output_text.split("\n", 1)[0]
    assert first_record.startswith("job-id<<ghadelimiter_")
    assert result.outputs["job-id"] == "4412"
