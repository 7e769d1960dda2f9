"""Known failure modes of EPM jobs and CI gates, played by the simulator end to end.

Authentication cases live in test_auth_errors.py and lost submit responses in
test_lost_submit.py.
"""

from __future__ import annotations

from collections.abc import Callable

from gate.simulator import Scenario, Simulator, SimulatorServer, Step, http, job
from gate.simulator.scenarios import MAINTENANCE_PAGE
from tests.conftest import GateResult

Serve = Callable[..., SimulatorServer]
Gate = Callable[..., GateResult]


def test_job_never_leaving_running_times_out(serve: Serve, gate: Gate) -> None:
    server = serve(Simulator(Scenario("stuck", polls=[job(-1)]), first_job_id=101))
    result = gate(server.url, EPM_TIMEOUT="0.8", EPM_POLL_INTERVAL="0.1")

    assert result.code == 124
    assert result.summary["outcome"] == "timeout"
    assert result.summary["jobId"] == 101
    assert result.summary["status"] == -1
    assert [entry["status"] for entry in result.summary["history"]] == [-1]
    message = result.summary["message"]
    assert "job 101" in message
    assert "EPM_JOB_ID=101" in message
    assert "--job-id 101" in message
    assert "sent no cancel" in message
    assert server.simulator.count("DELETE") == 0


def test_invalid_parameter_at_submit_is_not_polled(serve: Serve, gate: Gate) -> None:
    server = serve(
        Simulator(
            Scenario("bad", submit=[job(4, details="Invalid period or import mode")]),
            first_job_id=104,
        )
    )
    result = gate(
        server.url,
        EPM_JOB_TYPE="DATARULE",
        EPM_JOB_NAME="DLR Actuals",
        EPM_START_PERIOD="Jan 26",
        EPM_END_PERIOD="{CurMonth}",
        EPM_IMPORT_MODE="replace",
        EPM_EXPORT_MODE="Q1&FY26",
    )

    assert result.code == 5
    assert result.summary["outcome"] == "rejected"
    assert server.simulator.count("GET") == 0
    sent = server.simulator.requests[0].json()
    assert sent == {
        "jobType": "DATARULE",
        "jobName": "DLR Actuals",
        "startPeriod": "Jan 26",
        "endPeriod": "{CurMonth}",
        "importMode": "replace",
        "exportMode": "Q1&FY26",
    }
    assert result.summary["request"] == sent
    assert "Invalid period or import mode" in result.summary["message"]
    assert "importMode='replace'" in result.summary["message"]


def test_cancel_pending_then_cancelled(serve: Serve, gate: Gate) -> None:
    scenario = Scenario("cancel", polls=[job(-1), job(2, repeat=2), job(3)])
    server = serve(Simulator(scenario, first_job_id=106))
    result = gate(server.url)

    assert result.code == 4
    assert result.summary["outcome"] == "cancelled"
    assert [entry["status"] for entry in result.summary["history"]] == [-1, 2, 3]
    assert "cancelled in EPM, not by the gate" in result.summary["message"]


MAINTENANCE = Scenario(
    "maintenance",
    polls=[
        http(503, MAINTENANCE_PAGE, "text/html", repeat=3),
        http(200, "<html><h1>Maintenance</h1></html>", "text/html", repeat=2),
        job(0),
    ],
)


def test_maintenance_while_polling_is_ridden_out(serve: Serve, gate: Gate) -> None:
    server = serve(Simulator(MAINTENANCE, first_job_id=107))
    result = gate(server.url)

    assert result.code == 0, result.stderr
    assert result.summary["outcome"] == "success"
    assert result.summary["counts"]["retries"] == 5
    assert server.simulator.count("POST") == 1


def test_maintenance_longer_than_timeout(serve: Serve, gate: Gate) -> None:
    scenario = Scenario("down", polls=[http(503, MAINTENANCE_PAGE, "text/html")])
    server = serve(Simulator(scenario, first_job_id=107))
    result = gate(server.url, EPM_TIMEOUT="0.8")

    assert result.code == 124
    assert result.summary["outcome"] == "timeout"
    assert result.summary["jobId"] == 107
    assert "HTTP 503" in result.summary["message"]


def test_maintenance_at_submit_creates_no_job(serve: Serve, gate: Gate) -> None:
    server = serve(Scenario("down", submit=[http(503, MAINTENANCE_PAGE, "text/html")]))
    result = gate(server.url)

    assert result.code == 3
    assert result.summary["outcome"] == "infra_error"
    assert result.summary["jobId"] is None
    assert (
        "service unavailable (daily maintenance?); no job was created" in result.summary["message"]
    )
    assert server.simulator.count("POST") == 1


def test_unknown_api_version_is_rejected_once(serve: Serve, gate: Gate) -> None:
    server = serve(Scenario("ok"))
    result = gate(server.url, EPM_API_VERSION="V2")

    assert result.code == 5
    assert result.summary["outcome"] == "rejected"
    assert "application or URL not found" in result.summary["message"]
    assert [r.path for r in server.simulator.requests] == ["/aif/rest/V2/jobs"]


def test_attach_to_unknown_job(serve: Serve, gate: Gate) -> None:
    server = serve(Scenario("ok"))
    result = gate(server.url, EPM_JOB_ID="999999")

    assert result.code == 5
    assert result.summary["outcome"] == "rejected"
    assert "job 999999 not found" in result.summary["message"]
    assert result.summary["request"] is None
    assert [r.method for r in server.simulator.requests] == ["GET"]


def test_throttled_polls_are_not_failures(serve: Serve, gate: Gate) -> None:
    polls = [
        job(-1),
        http(429, Retry_After="1"),
        job(-1),
        http(429),
        job(-1),
        http(429, Retry_After="1"),
        job(-1),
        job(-1),
        job(0),
    ]
    server = serve(Simulator(Scenario("busy", polls=polls), first_job_id=113))
    result = gate(server.url)

    assert result.code == 0, result.stderr
    assert result.summary["outcome"] == "success"
    assert result.summary["counts"]["retries"] == 3
    gets = [r.at for r in server.simulator.requests if r.method == "GET"]
    # The request after each Retry-After: 1 response waits at least that second.
    assert gets[2] - gets[1] >= 0.95
    assert gets[6] - gets[5] >= 0.95


def test_throttling_beyond_the_budget(serve: Serve, gate: Gate) -> None:
    server = serve(Simulator(Scenario("busy", polls=[job(-1), http(429)]), first_job_id=113))
    result = gate(server.url, EPM_UNREACHABLE_TIMEOUT="0.5")

    assert result.code == 3
    assert result.summary["outcome"] == "infra_error"
    assert result.summary["jobId"] == 113
    assert "EPM_JOB_ID=113" in result.summary["message"]


def test_resets_and_slow_answers_while_polling(serve: Serve, gate: Gate) -> None:
    polls = [
        job(-1, repeat=2),
        Step(reset=True, repeat=2),
        Step(status=-1, delay=1.5),
        job(0),
    ]
    server = serve(Simulator(Scenario("flaky", polls=polls), first_job_id=116))
    result = gate(server.url, EPM_REQUEST_TIMEOUT="0.5")

    assert result.code == 0, result.stderr
    assert result.summary["outcome"] == "success"
    assert result.summary["counts"]["retries"] == 3
    assert result.stderr.count("will retry") == 3
    assert server.simulator.count("POST") == 1


def test_long_job_within_timeout(serve: Serve, gate: Gate) -> None:
    scenario = Scenario("long", run_seconds=1.5, final=job(0))
    server = serve(Simulator(scenario, first_job_id=117))
    result = gate(server.url, EPM_TIMEOUT="3")

    assert result.code == 0
    assert result.summary["outcome"] == "success"


def test_long_job_beyond_timeout(serve: Serve, gate: Gate) -> None:
    scenario = Scenario("long", run_seconds=3, final=job(0))
    server = serve(Simulator(scenario, first_job_id=117))
    result = gate(server.url, EPM_TIMEOUT="1")

    assert result.code == 124
    assert result.summary["jobId"] == 117
    assert "EPM_JOB_ID=117" in result.summary["message"]
    assert "--job-id 117" in result.summary["message"]
