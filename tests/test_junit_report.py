"""The JUnit XML report: valid for every platform's reader, one case per gated job."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest

from gate.outcome import Outcome
from gate.record import Failure, RunRecord
from gate.report.junit import SYSTEM_OUT_LIMIT, build_junit, case_name
from gate.report.redact import Redactor
from gate.simulator import SimulatorServer
from tests.conftest import GateResult
from tests.junit_schema import junit_problems

SUMMARY = Path("epm-gate-summary.json")
FAILURES = {Outcome.FAILED, Outcome.WARNING, Outcome.REJECTED, Outcome.CANCELLED}


def finished_record(outcome: Outcome, message: str = "job 4412 GL_ACTUALS ended") -> RunRecord:
    record = RunRecord(job_id=4412, job_name="GL_ACTUALS", job_type="INTEGRATION")
    record.status, record.job_status = 1, "FAILED"
    record.finish(outcome, message)
    return record


def only_case(document: str) -> ET.Element:
    root = ET.fromstring(document.encode())  # noqa: S314 - the gate's own report
    case = root.find("./testsuite/testcase")
    assert case is not None
    return case


@pytest.mark.parametrize("outcome", list(Outcome), ids=[o.value for o in Outcome])
def test_every_outcome_valid(outcome: Outcome) -> None:
    document = build_junit(finished_record(outcome), Redactor(), SUMMARY)

    assert junit_problems(document) == []
    case = only_case(document)
    assert case.get("classname") == "epm-gate.integration"
    assert case.get("name") == "INTEGRATION GL_ACTUALS"
    failure, error = case.find("failure"), case.find("error")
    if outcome is Outcome.SUCCESS:
        assert failure is None
        assert error is None
    elif outcome in FAILURES:
        assert failure is not None
        assert failure.get("type") == outcome.value
        assert error is None
    else:
        assert error is not None
        assert error.get("type") == outcome.value
        assert failure is None


def test_illegal_characters_and_ansi_removed() -> None:
    hostile = "job 4412 ended: \x1b[31mred\x1b[0m \x00\x07\x0b bell \ud800 \ufffe done"
    record = finished_record(Outcome.FAILED, hostile)
    record.failure = Failure("unknown", "x", excerpt=["line \x1b[1mbold\x1b[0m \x01"])

    document = build_junit(record, Redactor(), SUMMARY)

    assert junit_problems(document) == []
    failure = only_case(document).find("failure")
    assert failure is not None
    assert failure.get("message") == "job 4412 ended: red bell done"
    assert failure.text is not None
    assert "line bold" in failure.text
    assert "\x1b" not in document


def test_secrets_scrubbed() -> None:
    redactor = Redactor()
    redactor.add("example-pass")
    record = finished_record(Outcome.AUTH_ERROR, "refused for ci_bot/example-pass")

    document = build_junit(record, redactor, SUMMARY)

    assert "example-pass" not in document
    assert "ci_bot/***" in document


def test_case_name_when_attached() -> None:
    record = finished_record(Outcome.SUCCESS)
    record.attached = True
    assert case_name(record) == "job 4412"
    record.resumed = True
    assert case_name(record) == "INTEGRATION GL_ACTUALS"


def test_system_out_keeps_log_tail(tmp_path: Path) -> None:
    log = tmp_path / "GL_ACTUALS_4412.log"
    lines = [
        f"2026-04-30 06:00:{i % 60:02d} INFO row {i} \x1b[32mloaded\x1b[0m" for i in range(9000)
    ]
    log.write_text("\n".join([*lines, "ERROR ORA-20001 the last line"]) + "\n", encoding="utf-8")
    record = finished_record(Outcome.FAILED)
    record.files["log"] = str(log)

    document = build_junit(record, Redactor(), SUMMARY)

    assert junit_problems(document) == []
    output = only_case(document).findtext("system-out")
    assert output is not None
    assert len(output.encode()) <= SYSTEM_OUT_LIMIT
    assert output.startswith("Job id: 4412")
    assert output.endswith("ERROR ORA-20001 the last line")
    assert "row 0 " not in output
    assert "\x1b" not in output


@pytest.mark.parametrize(
    ("job_name", "code", "child"),
    [("GL_ACTUALS", 0, None), ("error", 1, "failure"), ("unknown", 8, "error")],
)
def test_gate_writes_junit(
    serve: Callable[..., SimulatorServer],
    gate: Callable[..., GateResult],
    tmp_path: Path,
    job_name: str,
    code: int,
    child: str | None,
) -> None:
    server = serve()

    result = gate(server.url, EPM_JOB_NAME=job_name, EPM_JUNIT_PATH="reports/junit.xml")

    assert result.code == code
    document = (tmp_path / "reports" / "junit.xml").read_text(encoding="utf-8")
    assert junit_problems(document) == []
    case = only_case(document)
    assert case.get("name") == f"INTEGRATION {job_name}"
    if child is None:
        assert len(case.findall("failure")) + len(case.findall("error")) == 0
    else:
        problem = case.find(child)
        assert problem is not None
        assert problem.get("type") == result.summary["outcome"]
        assert problem.get("message") == result.summary["message"]
    assert [p.name for p in (tmp_path / "reports").iterdir()] == ["junit.xml"]


def test_gate_writes_junit_on_usage_error(
    serve: Callable[..., SimulatorServer], gate: Callable[..., GateResult], tmp_path: Path
) -> None:
    server = serve()

    result = gate(server.url, EPM_JOB_NAME="", EPM_JUNIT_PATH="junit.xml")

    assert result.code == 2
    document = (tmp_path / "junit.xml").read_text(encoding="utf-8")
    assert junit_problems(document) == []
    error = only_case(document).find("error")
    assert error is not None
    assert error.get("type") == "usage_error"
    assert "EPM_JOB_NAME" in (error.get("message") or "")
    assert server.simulator.requests == []


def test_attached_job_named_by_id(
    serve: Callable[..., SimulatorServer], gate: Callable[..., GateResult], tmp_path: Path
) -> None:
    server = serve()
    server.simulator.add_job(5120, server.simulator.scenario_for("success"))

    result = gate(server.url, EPM_JOB_ID="5120", EPM_JUNIT_PATH="junit.xml")

    assert result.code == 0
    case = only_case((tmp_path / "junit.xml").read_text(encoding="utf-8"))
    assert case.get("name") == "job 5120"


def test_validator_rejects_bad_documents() -> None:
    header = '<?xml version="1.0" encoding="UTF-8"?>\n'
    good = build_junit(finished_record(Outcome.FAILED), Redactor(), SUMMARY)
    assert junit_problems(good) == []
    assert junit_problems(good.replace('failures="1"', 'failures="0"', 1)) != []
    assert junit_problems(good.replace('type="failed" ', "")) != []
    assert junit_problems(header + "<testsuite/>") != []
    assert junit_problems(header + "<testsuites><x/></testsuites>") != []
    assert junit_problems(good.replace("Job id", "\x1b[0mJob id")) != []
