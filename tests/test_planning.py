"""End-to-end runs of the gate on the Planning jobs API (EPM_API=planning) against the simulator."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from gate.epm.planning import usable_link
from gate.simulator import Scenario, Simulator, SimulatorServer, http, job
from gate.simulator.planning_scripts import PlanningScript, builtin_planning_scripts, message
from gate.simulator.server import Exchange, RecordedRequest
from tests.conftest import PASSWORD, USER, GateResult

JOBS = "/HyperionPlanning/rest/v3/applications/Vision/jobs"

Serve = Callable[..., SimulatorServer]
Gate = Callable[..., GateResult]


def run_planning(
    gate: Gate, url: str, job_type: str | None = "RULES", **settings: str
) -> GateResult:
    """Run the gate on the Planning API of application Vision."""
    values = {"EPM_API": "planning", "EPM_APPLICATION": "Vision", "EPM_JOB_NAME": "Allocate"}
    if job_type is not None:
        values["EPM_JOB_TYPE"] = job_type
    values.update(settings)
    return gate(url, **values)


def details_requests(simulator: Simulator) -> list[RecordedRequest]:
    """Return the requests for job details and child job details, in order."""
    return [
        request
        for request in simulator.requests
        if request.method == "GET" and urlsplit(request.path).path.endswith("/details")
    ]


def query_of(request: RecordedRequest) -> dict[str, str]:
    """Return the query parameters of a request, one value each."""
    return {key: values[0] for key, values in parse_qs(urlsplit(request.path).query).items()}


def failing_import(messages: list[dict[str, Any]]) -> PlanningScript:
    """Return an import of data that fails with the given details messages."""
    scenario = Scenario("failing-import", polls=[job(-1), job(1, details="Import data failed")])
    return PlanningScript(scenario, messages=messages)


def test_rule_succeeds_with_parameters(serve: Serve, gate: Gate) -> None:
    simulator = Simulator()
    server = serve(simulator)
    parameters = {"Entity": "North America", "Period": "Jan"}

    result = run_planning(
        gate,
        server.url,
        "RULES",
        EPM_JOB_NAME="Allocate Expenses",
        EPM_JOB_PARAMETERS=json.dumps(parameters),
    )

    assert result.code == 0, result.stderr
    assert result.summary["outcome"] == "success"
    posts = [request for request in simulator.requests if request.method == "POST"]
    assert len(posts) == 1
    assert posts[0].path == JOBS
    sent = {"jobType": "RULES", "jobName": "Allocate Expenses", "parameters": parameters}
    assert posts[0].json() == sent
    assert result.summary["request"] == sent
    assert result.summary["jobId"] == 4412
    assert result.outputs["job-id"] == "4412"
    assert result.summary["failure"] is None
    assert details_requests(simulator) == []
    polls = [request.path for request in simulator.requests if request.method == "GET"]
    assert polls and all(path == f"{JOBS}/4412" for path in polls)


@pytest.mark.parametrize("job_type", ["RULESET", "CUBE_REFRESH"])
def test_ruleset_and_cube_refresh_succeed(serve: Serve, gate: Gate, job_type: str) -> None:
    server = serve(Simulator())

    result = run_planning(gate, server.url, job_type, EPM_JOB_NAME="Nightly")

    assert result.code == 0, result.stderr
    assert result.summary["outcome"] == "success"
    assert result.summary["request"]["jobType"] == job_type


def test_metadata_import_error_reads_child_details(serve: Serve, gate: Gate) -> None:
    simulator = Simulator()
    server = serve(simulator)

    result = run_planning(gate, server.url, "IMPORT_METADATA", EPM_JOB_NAME="Import Accounts")

    assert result.code == 1, result.stderr
    assert result.summary["outcome"] == "failed"
    assert "One or more child jobs have failed" in result.summary["message"]
    failure = result.summary["failure"]
    assert failure["category"] == "validation"
    assert result.outputs["failure-category"] == "validation"
    assert failure["rejectedRecords"] == 2
    excerpt = "\n".join(failure["excerpt"])
    assert "Invalid parent member 'Revenue X' for member 'Acct 5000'" in excerpt
    assert "Invalid parent member 'Revenue X' for member 'Acct 5001'" in excerpt
    assert "members loaded" not in excerpt
    assert "Invalid parent member" in result.step_summary
    children = {child["dimensionName"]: child for child in result.summary["children"]}
    assert children["Account"]["recordsRejected"] == 2
    assert children["Account"]["childJobId"] == "2"
    assert children["Entity"]["recordsRejected"] == 0

    paths = [urlsplit(request.path).path for request in details_requests(simulator)]
    assert paths == [f"{JOBS}/4412/details", f"{JOBS}/4412/childjobs/2/details"]
    for request in details_requests(simulator):
        assert json.loads(query_of(request)["q"]) == {"messageType": "ERROR"}
    # GitHub needs each secret form once on stdout, in ::add-mask:: commands, to hide it.
    visible = "\n".join(
        line for line in result.text.splitlines() if not line.startswith("::add-mask::")
    )
    assert PASSWORD not in visible
    assert base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode() not in visible


def test_rejected_rows_fail_under_fail_policy(serve: Serve, gate: Gate) -> None:
    simulator = Simulator()
    server = serve(simulator)

    result = run_planning(gate, server.url, "IMPORT_DATA", EPM_JOB_NAME="Load Sales")

    assert result.code == 7, result.stderr
    assert result.summary["outcome"] == "warning"
    assert result.summary["job"]["descriptiveStatus"] == "Completed with Errors"
    assert "42 rows rejected" in result.summary["message"]
    failure = result.summary["failure"]
    assert failure["rejectedRecords"] == 42
    assert failure["category"] == "validation"
    assert failure["excerpt"][0] == (
        "ERROR [Data Import] Row 1: unknown member 'Acct 4701' in dimension Account"
    )
    assert all(line.startswith("ERROR") for line in failure["excerpt"])
    assert not any("rounded" in line for line in failure["excerpt"])
    assert result.outputs["outcome"] == "warning"


def test_rejected_rows_pass_under_pass_policy(serve: Serve, gate: Gate) -> None:
    server = serve(Simulator())

    result = run_planning(
        gate, server.url, "IMPORT_DATA", EPM_JOB_NAME="Load Sales", EPM_WARNING_POLICY="pass"
    )

    assert result.code == 0, result.stderr
    assert result.summary["outcome"] == "success"
    assert result.summary["failure"] is None
    assert "42 rows rejected" in result.summary["message"]
    assert "EPM_WARNING_POLICY=pass" in result.summary["message"]
    accepted = [text for text in result.summary["warnings"] if "accepted" in text]
    assert len(accepted) == 1
    assert "42 error messages" in accepted[0]
    assert "unknown member 'Acct 4701'" in accepted[0]


def test_invalid_parameter_at_submit(serve: Serve, gate: Gate) -> None:
    scenario = Scenario(
        "invalid-prompt", submit=[job(4, details="Invalid value for runtime prompt Entity")]
    )
    simulator = Simulator(scenario)
    server = serve(simulator)

    result = run_planning(gate, server.url, "RULES", EPM_JOB_PARAMETERS='{"Entity": "Nowhere"}')

    assert result.code == 5, result.stderr
    assert result.summary["outcome"] == "rejected"
    assert "Invalid value for runtime prompt Entity" in result.summary["message"]
    assert "parameters={'Entity': 'Nowhere'}" in result.summary["message"]
    assert simulator.count("POST") == 1
    assert simulator.count("GET") == 0


def test_cancel_pending_then_cancelled(serve: Serve, gate: Gate) -> None:
    scenario = Scenario("cancel", polls=[job(-1), job(2, repeat=2), job(3)])
    server = serve(Simulator(scenario))

    result = run_planning(gate, server.url, "RULESET", EPM_JOB_NAME="Nightly")

    assert result.code == 4, result.stderr
    assert result.summary["outcome"] == "cancelled"
    assert "cancelled in EPM, not by the gate" in result.summary["message"]
    assert [entry["status"] for entry in result.summary["history"]] == [-1, 2, 3]
    assert result.summary["job"]["descriptiveStatus"] == "Cancelled"


def test_attach_to_running_rule(serve: Serve, gate: Gate) -> None:
    simulator = Simulator()
    simulator.planning.add_job(5100, Scenario("done", polls=[job(-1), job(0)]))
    server = serve(simulator)

    result = run_planning(gate, server.url, None, EPM_JOB_ID="5100")

    assert result.code == 0, result.stderr
    assert result.summary["attached"] is True
    assert result.summary["request"] is None
    assert result.summary["jobId"] == 5100
    assert simulator.count("POST") == 0
    assert simulator.count("GET", f"{JOBS}/5100") >= 2


def test_attach_to_failed_import_reads_details(serve: Serve, gate: Gate) -> None:
    simulator = Simulator()
    script = builtin_planning_scripts()["IMPORT_METADATA"]
    simulator.planning.add_job(5200, script, "Import Accounts", "IMPORT_METADATA")
    server = serve(simulator)

    result = run_planning(gate, server.url, None, EPM_JOB_ID="5200")

    assert result.code == 1, result.stderr
    assert result.summary["failure"]["rejectedRecords"] == 2
    assert any("Acct 5000" in line for line in result.summary["failure"]["excerpt"])


def test_unknown_application_is_rejected(serve: Serve, gate: Gate) -> None:
    simulator = Simulator()
    server = serve(simulator)

    result = run_planning(gate, server.url, "RULES", EPM_APPLICATION="BadApp")

    assert result.code == 5, result.stderr
    assert result.summary["outcome"] == "rejected"
    assert "application or URL not found" in result.summary["message"]
    assert "EPM_APPLICATION ('BadApp')" in result.summary["message"]
    assert result.summary["jobId"] is None
    assert len(simulator.requests) == 1


def test_forbidden_submit_names_planning_roles(serve: Serve, gate: Gate) -> None:
    scenario = Scenario("forbidden", submit=[http(403, '{"details": "insufficient privileges"}')])
    simulator = Simulator(scenario)
    server = serve(simulator)

    result = run_planning(gate, server.url, "RULES")

    assert result.code == 6, result.stderr
    assert result.summary["outcome"] == "auth_error"
    assert "Service Administrator" in result.summary["message"]
    assert "insufficient privileges" in result.summary["message"]
    assert len(simulator.requests) == 1


def test_unknown_job_id_names_application(serve: Serve, gate: Gate) -> None:
    server = serve(Simulator())

    result = run_planning(gate, server.url, None, EPM_JOB_ID="999999")

    assert result.code == 5, result.stderr
    assert "job 999999 not found in application 'Vision'" in result.summary["message"]


@pytest.mark.parametrize(
    ("unset", "variable"),
    [("EPM_APPLICATION", "EPM_APPLICATION"), ("EPM_JOB_TYPE", "EPM_JOB_TYPE")],
)
def test_missing_setting_is_usage_error(
    serve: Serve, gate: Gate, unset: str, variable: str
) -> None:
    simulator = Simulator()
    server = serve(simulator)
    settings = {"EPM_API": "planning", "EPM_APPLICATION": "Vision", "EPM_JOB_TYPE": "RULES"}
    del settings[unset]

    result = gate(server.url, **settings)

    assert result.code == 2
    assert result.summary["outcome"] == "usage_error"
    assert f"{variable}: missing" in result.stderr
    assert simulator.requests == []


def test_unknown_status_fields_kept_verbatim(serve: Serve, gate: Gate) -> None:
    detailed = {"phase": "Aggregation", "code": "EPM-2604", "steps": [1, 2.5, None, "x"]}
    final = job(0, detailedStatus=detailed, futureFlag=None, nested={"a": {"b": [True]}})
    server = serve(Simulator(Scenario("new-fields", polls=[job(-1), final])))

    result = run_planning(gate, server.url, "RULES")

    assert result.code == 0, result.stderr
    kept = result.summary["job"]
    assert kept["detailedStatus"] == detailed
    assert "futureFlag" in kept
    assert kept["futureFlag"] is None
    assert kept["nested"] == {"a": {"b": [True]}}


def test_job_id_in_reference_spelling(serve: Serve, gate: Gate) -> None:
    simulator = Simulator()
    simulator.planning.id_key = "jobID"
    server = serve(simulator)

    result = run_planning(gate, server.url, "CUBE_REFRESH")

    assert result.code == 0, result.stderr
    assert result.summary["jobId"] == 4412
    assert result.summary["job"]["jobID"] == 4412
    assert "jobId" not in result.summary["job"]


def test_details_paged_to_the_end(serve: Serve, gate: Gate) -> None:
    rows = [message("ERROR", f"Row {row}: member 'X{row}' not found") for row in range(1, 24)]
    simulator = Simulator()
    simulator.planning.script = failing_import([message("INFO", "started"), *rows])
    simulator.planning.page_max = 5
    server = serve(simulator)

    result = run_planning(gate, server.url, "IMPORT_DATA")

    assert result.code == 1, result.stderr
    offsets = [int(query_of(request)["offset"]) for request in details_requests(simulator)]
    assert offsets == [0, 5, 10, 15, 20]
    excerpt = result.summary["failure"]["excerpt"]
    assert len(excerpt) == 23
    assert excerpt[-1] == "ERROR [Data Import] Row 23: member 'X23' not found"
    assert result.summary["failure"]["category"] == "validation"


@pytest.mark.parametrize(
    ("count", "size", "page_max", "requests", "reason"),
    [
        (100, 10, 1, 40, "limit of 40 pages"),
        (600, 20000, 25, 4, "limit of 2000000 bytes"),
        (20000, 100, 100, 5, "first 500 messages"),
    ],
    ids=["pages", "bytes", "messages"],
)
def test_details_reading_is_bounded(
    serve: Serve,
    gate: Gate,
    count: int,
    size: int,
    page_max: int,
    requests: int,
    reason: str,
) -> None:
    simulator = Simulator()
    simulator.planning.script = failing_import(
        [message("ERROR", f"{row} " + "x" * size) for row in range(count)]
    )
    simulator.planning.page_max = page_max
    server = serve(simulator)

    result = run_planning(gate, server.url, "IMPORT_DATA")

    assert result.code == 1, result.stderr
    assert result.summary["outcome"] == "failed"
    assert len(details_requests(simulator)) == requests
    cut = [text for text in result.summary["warnings"] if "cut short" in text]
    assert len(cut) == 1
    assert reason in cut[0]
    assert 1 <= len(result.summary["failure"]["excerpt"]) <= 40
    assert all(len(line) <= 400 for line in result.summary["failure"]["excerpt"])


def test_links_to_another_origin_not_followed(serve: Serve, gate: Gate) -> None:
    simulator = Simulator()
    # Port 1 on loopback: a different origin, where nothing listens.
    simulator.planning.link_base = "http://127.0.0.1:1"
    server = serve(simulator)

    result = run_planning(gate, server.url, "IMPORT_METADATA")

    assert result.code == 1, result.stderr
    paths = [urlsplit(request.path).path for request in details_requests(simulator)]
    assert paths == [f"{JOBS}/4412/details"]
    assert any("leaves EPM_URL" in text for text in result.summary["warnings"])
    assert result.summary["failure"]["rejectedRecords"] == 2


def test_details_failure_keeps_verdict(serve: Serve, gate: Gate) -> None:
    simulator = Simulator()

    def broken(exchange: Exchange, match: re.Match[str]) -> None:
        exchange.send(500, b"<html>Internal Server Error</html>", "text/html")

    simulator.routes.insert(0, ("GET", re.compile(r".*/details/?"), broken))
    server = serve(simulator)

    result = run_planning(gate, server.url, "IMPORT_METADATA")

    assert result.code == 1, result.stderr
    assert result.summary["outcome"] == "failed"
    assert any("HTTP 500" in text for text in result.summary["warnings"])
    assert "Internal Server Error" not in " ".join(result.summary["failure"]["excerpt"])


BASE = "https://epm.example.com"


@pytest.mark.parametrize(
    ("href", "expected"),
    [
        (f"{BASE}/HyperionPlanning/rest/v3/applications/V/jobs/7", True),
        (f"{BASE}/HyperionPlanning/rest/v3/applications/V/jobs/7/", True),
        (f"{BASE}/HyperionPlanning/rest/v3/applications/V/jobs/8", False),
        ("http://epm.example.com/HyperionPlanning/rest/v3/applications/V/jobs/7", False),
        ("https://epm.example.com:8443/HyperionPlanning/rest/v3/applications/V/jobs/7", False),
        ("https://other.example.com/HyperionPlanning/rest/v3/applications/V/jobs/7", False),
        ("https://user:pw@epm.example.com/HyperionPlanning/rest/v3/applications/V/jobs/7", False),
        ("https://epm.example.com:port/jobs/7", False),
        ("", False),
        (None, False),
    ],
)
def test_usable_link(href: str | None, expected: bool) -> None:
    link = usable_link(href, BASE, "/jobs/7")
    assert link == (href if expected else None)


def test_usable_link_keeps_base_path() -> None:
    base = "https://gateway.example.com/epm"
    inside = "https://gateway.example.com/epm/HyperionPlanning/rest/v3/applications/V/jobs/7"
    outside = "https://gateway.example.com/HyperionPlanning/rest/v3/applications/V/jobs/7"
    assert usable_link(inside, base, "/jobs/7") == inside
    assert usable_link(outside, base, "/jobs/7") is None
