"""The submit reached EPM but its response was lost: the gate never posts a second time.

Each variant creates job 115 in the simulator and then loses the response; a second POST
would create job 116 and load the data twice.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from gate.simulator import Scenario, SimulatorServer
from gate.simulator.scenarios import Step, http
from tests.conftest import GateResult

LOST_ANSWERS = {
    # The response is held past EPM_REQUEST_TIMEOUT, so the gate's read times out.
    "read timeout": Step(status=-1, delay=3.0),
    # The simulator reads the whole request body, then resets the connection.
    "reset after body": Step(status=-1, reset=True),
    "502 bad gateway": http(502, "<html>Bad Gateway</html>", "text/html"),
    "504 gateway timeout": http(504, "<html>Gateway Timeout</html>", "text/html"),
}


@pytest.mark.parametrize("answer", LOST_ANSWERS.values(), ids=LOST_ANSWERS.keys())
def test_lost_submit_answer_posts_once(
    serve: Callable[..., SimulatorServer],
    gate: Callable[..., GateResult],
    tmp_path: Path,
    answer: Step,
) -> None:
    server = serve(Scenario("lost", submit=[answer]), first_job_id=115)

    # A CI run id makes the gate keep re-run state, which it must not do without a job id.
    result = gate(server.url, EPM_REQUEST_TIMEOUT="0.5", GITHUB_RUN_ID="9001")

    assert result.code == 9
    assert server.simulator.count("POST") == 1
    assert server.simulator.count("GET") == 0
    assert result.summary["outcome"] == "submit_unknown"
    assert result.summary["exitCode"] == 9
    assert result.summary["jobId"] is None
    assert result.summary["request"] == {"jobType": "INTEGRATION", "jobName": "GL_ACTUALS"}
    assert "a job may have been created" in result.summary["message"]
    assert "check Process Details" in result.summary["message"]
    assert result.summary["failure"]["category"] == "infra"
    assert result.outputs["outcome"] == "submit_unknown"
    assert result.outputs["exit-code"] == "9"
    assert result.outputs["job-id"] == ""
    assert not (tmp_path / ".epm-gate").exists()
    assert "example-pass" not in json.dumps(result.summary) + result.output_text
