"""Server text that tries to steer the CI runner, and answers at the edges of the wait."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from gate.simulator import Scenario, Simulator, SimulatorServer, job
from tests.conftest import GateResult

Serve = Callable[..., SimulatorServer]
Gate = Callable[..., GateResult]

INJECTION = (
    "boom\n::set-output name=outcome::success\r\n::error::forged\nEOF\noutcome=success\x1b[2K"
)


def test_server_text_cannot_inject_commands(serve: Serve, gate: Gate) -> None:
    scenario = Scenario("evil", polls=[job(1, job_status=INJECTION, details=INJECTION)])
    server = serve(scenario)
    result = gate(server.url)

    assert result.code == 1
    forged = [
        line
        for line in result.stderr.splitlines()
        if line.startswith(("::set-output", "::error::forged"))
    ]
    assert forged == []
    assert result.stderr.count("::error ") == 1
    assert result.outputs["outcome"] == "failed"
    assert "\x1b" not in result.stderr
    assert result.summary["job"]["details"] == INJECTION


def test_disagreeing_job_status_warns_once(serve: Serve, gate: Gate) -> None:
    server = serve(Scenario("odd", polls=[job(-1, "SUCCESS", repeat=3), job(0)]))
    result = gate(server.url)

    assert result.code == 0
    warning = "::warning title=EPM gate::jobStatus 'SUCCESS' disagrees with status -1"
    assert result.stderr.count(warning) == 1
    assert result.summary["warnings"] == [
        "jobStatus 'SUCCESS' disagrees with status -1 (In Progress); the numeric status decides"
    ]


def test_final_check_before_timeout(serve: Serve, gate: Gate) -> None:
    # The first regular poll would come after the deadline, so only the last check at
    # the deadline can see the job end.
    scenario = Scenario("late", run_seconds=0.5, final=job(0))
    server = serve(Simulator(scenario))
    result = gate(server.url, EPM_POLL_INTERVAL="5", EPM_POLL_MAX_INTERVAL="5", EPM_TIMEOUT="1")

    assert result.code == 0, result.stderr
    assert result.summary["polls"] == 1


def test_attach_to_finished_job_sends_no_post(serve: Serve, gate: Gate) -> None:
    server = serve()
    server.simulator.add_job(4000, Scenario("done", polls=[job(0)]))
    result = gate(server.url, EPM_JOB_ID="4000")

    assert result.code == 0
    assert result.summary["attached"] is True
    assert result.summary["request"] is None
    assert result.summary["jobId"] == 4000
    assert server.simulator.count("POST") == 0


def test_short_password_leaves_reports_readable(serve: Serve, gate: Gate) -> None:
    # "Stat" is also part of "jobStatus" and "Status"; only a standalone "Stat" is masked.
    server = serve(Scenario("short", polls=[job(0)]), password="Stat")
    result = gate(server.url, EPM_PASSWORD="Stat")

    assert result.code == 0, result.stderr
    assert result.summary["jobStatus"] == "SUCCESS"
    assert "| Job status | SUCCESS |" in result.step_summary
    assert "job-status" in result.outputs


def test_job_parameters_name_the_reported_job(serve: Serve, gate: Gate) -> None:
    server = serve(Scenario("named", polls=[job(0)]))
    result = gate(server.url, EPM_JOB_PARAMETERS='{"jobName": "OTHER", "jobType": "BATCH"}')

    assert result.code == 0, result.stderr
    assert result.summary["jobName"] == "OTHER"
    assert result.summary["jobType"] == "BATCH"
    assert "job 4412 OTHER ended" in result.summary["message"]


def test_unusable_download_dir_sends_nothing(serve: Serve, gate: Gate, tmp_path: Path) -> None:
    (tmp_path / "blocker").write_text("a file, not a folder", encoding="utf-8")
    server = serve(Scenario("ok", polls=[job(0)]))
    result = gate(server.url, EPM_DOWNLOAD_DIR="blocker")

    assert result.code == 2
    assert result.summary["outcome"] == "usage_error"
    assert "EPM_DOWNLOAD_DIR: blocker is not a folder" in result.stderr
    assert server.simulator.requests == []


def test_unusable_summary_path_falls_back(serve: Serve, gate: Gate, tmp_path: Path) -> None:
    (tmp_path / "blocker").write_text("a file, not a folder", encoding="utf-8")
    server = serve(Scenario("ok", polls=[job(0)]))
    result = gate(server.url, EPM_SUMMARY_PATH="blocker/summary.json")

    assert result.code == 2
    fallback = json.loads((tmp_path / "epm-gate-summary.json").read_text(encoding="utf-8"))
    assert fallback["outcome"] == "usage_error"
    assert "wrote the JSON summary to epm-gate-summary.json instead" in result.stderr
    assert result.outputs["summary-path"] == "epm-gate-summary.json"
