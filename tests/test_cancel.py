"""A CI run cancelled while the job runs: SIGINT and SIGTERM reach the running gate.

The gate must stop within the runners' grace period (5 s on Jenkins, about 10 s on
GitLab, 7.5 s on GitHub) and write every report with outcome ``interrupted``. It says
that the job was left running, because Data Integration has no REST cancel, sends
nothing that could cancel it, and exits 128 plus the signal number.
"""

from __future__ import annotations

import os
import signal
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest

from gate.simulator import Scenario, Simulator, SimulatorServer
from gate.simulator.scenarios import Step, job
from tests.conftest import gate_env, parse_outputs
from tests.running_gate import finish, has_output, start_gate, wait_until

# Every report has to be written within this budget after the signal.
GRACE_SECONDS = 5.0

LEFT_RUNNING = "job 112 left running in EPM; no REST cancel exists for Data Integration jobs"
SIGNALS = [(signal.SIGTERM, 143), (signal.SIGINT, 130)]


def running_for_ever(held: float = 0.0) -> Scenario:
    """Return a job that returns status -1 to every request, each response held ``held`` s."""
    return Scenario(
        "running", submit=[job(-1)], polls=[Step(status=-1, delay=held)] if held else [job(-1)]
    )


def assert_nothing_cancelled(simulator: Simulator) -> None:
    for request in simulator.requests:
        assert request.method in ("GET", "POST"), f"unexpected {request.method} {request.path}"
        assert "cancel" not in request.path.lower()
    assert simulator.count("POST") == 1


def assert_interrupted(result_code: int, expected_code: int, summary: dict[str, object]) -> None:
    assert result_code == expected_code
    assert summary["outcome"] == "interrupted"
    assert summary["exitCode"] == expected_code
    assert summary["jobId"] == 112
    assert summary["status"] == -1
    assert summary["jobStatus"] == "RUNNING"
    assert LEFT_RUNNING in str(summary["message"])
    assert "EPM_JOB_ID=112" in str(summary["message"])


@pytest.mark.parametrize(("signum", "code"), SIGNALS)
def test_signal_while_sleeping_between_polls(
    serve: Callable[..., SimulatorServer], tmp_path: Path, signum: int, code: int
) -> None:
    server = serve(running_for_ever(), first_job_id=112)
    # A long first interval keeps the gate asleep between the submit and the first poll.
    env = gate_env(
        server.url,
        tmp_path,
        EPM_POLL_INTERVAL="30",
        EPM_POLL_MAX_INTERVAL="60",
        EPM_TIMEOUT="120",
        EPM_JUNIT_PATH="junit.xml",
        EPM_DOTENV_PATH="gate.env",
    )
    process = start_gate(env, tmp_path)
    wait_until(lambda: has_output(tmp_path, "job-id"), "the job id output")
    time.sleep(0.2)

    process.send_signal(signum)
    result = finish(process, env, tmp_path, timeout=GRACE_SECONDS)

    assert_interrupted(result.code, code, result.summary)
    assert result.summary["failure"]["category"] == "interrupted"
    assert result.outputs["job-id"] == "112"
    assert result.outputs["outcome"] == "interrupted"
    assert result.outputs["exit-code"] == str(code)
    assert result.outputs["status"] == "-1"
    assert f"received {signal.Signals(signum).name}" in result.stderr
    assert "EPM gate: interrupted" in result.step_summary
    dotenv = (tmp_path / "gate.env").read_text(encoding="utf-8")
    assert f"GATE_EXIT_CODE={code}\n" in dotenv
    report = ET.parse(tmp_path / "junit.xml")  # noqa: S314 - the gate's own report
    error = report.find("./testsuite/testcase/error")
    assert error is not None
    assert error.get("type") == "interrupted"
    assert_nothing_cancelled(server.simulator)


@pytest.mark.parametrize(("signum", "code"), SIGNALS)
def test_signal_during_held_status_request(
    serve: Callable[..., SimulatorServer], tmp_path: Path, signum: int, code: int
) -> None:
    # The status response is held far longer than the grace period, so the signal arrives
    # while the gate is blocked reading the socket.
    server = serve(running_for_ever(held=30.0), first_job_id=112)
    env = gate_env(server.url, tmp_path, EPM_REQUEST_TIMEOUT="60", EPM_CI="gitlab")
    process = start_gate(env, tmp_path)
    wait_until(lambda: server.simulator.count("GET") >= 1, "the first status request")
    time.sleep(0.2)

    process.send_signal(signum)
    result = finish(process, env, tmp_path, timeout=GRACE_SECONDS)

    assert_interrupted(result.code, code, result.summary)
    assert server.simulator.count("GET") == 1
    assert_nothing_cancelled(server.simulator)
    # The wait section is closed although the signal cut the wait short.
    assert "section_end:" in result.stderr
    assert result.stderr.count("section_start:") == result.stderr.count("section_end:")


@pytest.mark.parametrize(("signum", "code"), SIGNALS)
def test_signal_while_submit_in_flight(
    serve: Callable[..., SimulatorServer], tmp_path: Path, signum: int, code: int
) -> None:
    scenario = Scenario("held-submit", submit=[Step(status=-1, delay=30.0)])
    server = serve(scenario, first_job_id=112)
    env = gate_env(server.url, tmp_path, EPM_REQUEST_TIMEOUT="60")
    process = start_gate(env, tmp_path)
    wait_until(lambda: server.simulator.count("POST") == 1, "the submit")
    time.sleep(0.2)

    process.send_signal(signum)
    result = finish(process, env, tmp_path, timeout=GRACE_SECONDS)

    assert result.code == code
    assert result.summary["outcome"] == "interrupted"
    assert result.summary["jobId"] is None
    assert result.summary["request"] == {"jobType": "INTEGRATION", "jobName": "GL_ACTUALS"}
    assert "a job may have been created" in result.summary["message"]
    assert "check Process Details" in result.summary["message"]
    assert result.outputs["job-id"] == ""
    assert_nothing_cancelled(server.simulator)


@pytest.mark.parametrize(("first", "second", "code"), [(signal.SIGTERM, signal.SIGINT, 143)])
def test_second_signal_during_cleanup_keeps_code(
    serve: Callable[..., SimulatorServer], tmp_path: Path, first: int, second: int, code: int
) -> None:
    """The step outputs go to a FIFO that the test opens late, so clean-up blocks there."""
    server = serve(running_for_ever(), first_job_id=112)
    fifo = tmp_path / "github_output"
    os.mkfifo(fifo)
    env = gate_env(server.url, tmp_path)
    received: list[str] = []
    reopen = threading.Event()

    def read_fifo() -> None:
        # The first writer is the job id output after the submit. The second writes the
        # final outputs during clean-up, and the test decides when it may proceed.
        for session in range(2):
            if session:
                reopen.wait(timeout=10)
            with open(fifo, encoding="utf-8") as stream:
                received.append(stream.read())

    reader = threading.Thread(target=read_fifo, daemon=True)
    reader.start()
    process = start_gate(env, tmp_path)
    wait_until(lambda: bool(received), "the job id output")
    time.sleep(0.2)

    process.send_signal(first)
    # The summary is written before the outputs: once it exists, the gate is cleaning up.
    wait_until(lambda: (tmp_path / "epm-gate-summary.json").exists(), "the summary")
    process.send_signal(second)
    time.sleep(0.2)
    reopen.set()
    _, stderr = process.communicate(timeout=GRACE_SECONDS)
    reader.join(timeout=5)

    assert process.returncode == code
    outputs = parse_outputs("".join(received))
    assert outputs["outcome"] == "interrupted"
    assert outputs["exit-code"] == str(code)
    assert outputs["job-id"] == "112"
    assert b"received SIGTERM" in stderr
    assert b"received SIGINT" not in stderr
    assert_nothing_cancelled(server.simulator)
