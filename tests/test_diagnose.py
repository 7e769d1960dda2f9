"""Failure diagnosis: one log sample per category, rejected counts, the excerpt, its display."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from gate.diagnose import MAX_EXCERPT_LINES, MAX_LINE_CHARS, diagnose, rejected_records
from gate.outcome import FAILURE_CATEGORIES, Outcome
from gate.simulator import Scenario, Simulator, SimulatorServer, builtin_scenarios, job
from tests.conftest import GateResult

Serve = Callable[..., SimulatorServer]
Gate = Callable[..., GateResult]

HEAD = """\
2026-04-30 06:00:01,101 INFO  [AIF]: FDMEE Process Start, Process ID: 4412
2026-04-30 06:00:01,102 INFO  [AIF]: Location     : LOC_GL (Partitionkey:4)
2026-04-30 06:00:01,103 INFO  [AIF]: Locking rules for the POV are not used by this location
"""

# One log sample per category, written as Data Integration logs read; (category,
# retryable, log text).
SAMPLES = [
    (
        "locked",
        True,
        "2026-04-30 06:00:02,201 ERROR [AIF]: Error: POV is locked for Location LOC_GL, "
        "Period Apr-26, Category Actual\n",
    ),
    (
        "source_connection",
        True,
        "2026-04-30 06:00:02,201 INFO  [AIF]: Connecting to ERP_CLOUD\n"
        "2026-04-30 06:00:02,202 ERROR [AIF]: java.sql.SQLException: ORA-12541: TNS:no listener\n",
    ),
    (
        "timeout",
        True,
        "2026-04-30 06:00:02,201 ERROR [AIF]: Error: Query timed out after 3600 seconds\n",
    ),
    (
        "mapping",
        False,
        "2026-04-30 06:00:02,201 WARN  [AIF]: Processing Mappings for Column 'ACCOUNT'\n"
        "2026-04-30 06:00:02,202 ERROR [AIF]: Error: Data rows with unmapped dimensions exist\n"
        "2026-04-30 06:00:02,203 INFO  [AIF]: Rows rejected: 1,204\n",
    ),
    (
        "validation",
        False,
        "2026-04-30 06:00:02,201 ERROR [AIF]: Essbase Error(1003014): Unknown Member "
        "[Acct_9000] in Data Load, 12 Records Completed\n",
    ),
    (
        "target_load",
        False,
        "2026-04-30 06:00:02,201 ERROR [AIF]: Error: Export data to target application "
        "Vision failed: Cube Plan1 is not available\n",
    ),
    (
        "invalid_parameter",
        False,
        "2026-04-30 06:00:02,201 ERROR [AIF]: Error: Invalid period Apr 26 for the "
        "integration GL_ACTUALS\n",
    ),
    (
        "unknown",
        False,
        "2026-04-30 06:00:02,201 ERROR [AIF]: java.lang.NullPointerException\n"
        "2026-04-30 06:00:02,202 ERROR [AIF]:     at oracle.apps.aif.Load.run(Load.java:88)\n",
    ),
]


@pytest.mark.parametrize(("category", "retryable", "sample"), SAMPLES)
def test_log_sample_category(category: str, retryable: bool, sample: str) -> None:
    log_lines = (HEAD + sample).splitlines()
    failure = diagnose(
        Outcome.FAILED, "job 4412 ended with status 1", ["FAILED", "Error"], log_lines
    )

    assert failure is not None
    assert failure.category == category
    assert failure.retryable is retryable
    assert category in FAILURE_CATEGORIES
    assert any("ERROR" in line for line in failure.excerpt)
    assert "\n" not in failure.reason


def test_every_text_category_has_sample() -> None:
    text_categories = {"locked", "source_connection", "timeout", "mapping", "validation"}
    text_categories |= {"target_load", "invalid_parameter", "unknown"}
    assert {category for category, _, _ in SAMPLES} == text_categories


def test_reason_quotes_evidence() -> None:
    failure = diagnose(Outcome.FAILED, "verdict", [], (HEAD + SAMPLES[0][2]).splitlines())

    assert failure is not None
    assert failure.reason.startswith("another process holds the POV: ")
    assert "POV is locked for Location LOC_GL" in failure.reason


def test_context_lines_do_not_categorise() -> None:
    # HEAD mentions locking rules on an INFO line; only error lines may decide.
    failure = diagnose(Outcome.FAILED, "verdict", [], HEAD.splitlines())

    assert failure is not None
    assert failure.category == "unknown"


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("Rows rejected: 42", 42),
        ("42 rows rejected", 42),
        ("INFO [AIF]: Total Data Rows Imported: 1250, 17 rows rejected", 17),
        ("Rejected records = 1,204", 1204),
        ("3 records were rejected", 3),
        ("no rows were rejected", None),
        ("Job completed", None),
    ],
)
def test_rejected_record_counts(text: str, count: int | None) -> None:
    assert rejected_records([text]) == count


def test_excerpt_is_bounded() -> None:
    lines = [f"ERROR [AIF]: failure number {index} " + "x" * 1000 for index in range(10_000)]
    failure = diagnose(Outcome.FAILED, "verdict", [], iter(lines))

    assert failure is not None
    assert len(failure.excerpt) == MAX_EXCERPT_LINES
    assert all(len(line) <= MAX_LINE_CHARS for line in failure.excerpt)


def test_excerpt_keeps_context() -> None:
    lines = [f"INFO line {index}" for index in range(10)]
    lines[5] = "ERROR [AIF]: it broke"
    failure = diagnose(Outcome.FAILED, "verdict", [], lines)

    assert failure is not None
    assert failure.excerpt == [
        "INFO line 3",
        "INFO line 4",
        "ERROR [AIF]: it broke",
        "INFO line 6",
        "INFO line 7",
    ]


def test_details_form_excerpt_without_log() -> None:
    details = "java.lang.RuntimeException: Load failed\n\tat Loader.run\n\tat Main.main"
    failure = diagnose(Outcome.FAILED, "verdict", ["FAILED", details], [])

    assert failure is not None
    assert failure.excerpt[0] == "java.lang.RuntimeException: Load failed"


def test_warning_lines_stand_in_for_errors() -> None:
    lines = ["INFO start", "WARN  [AIF]: Warning: unmapped members exist", "INFO end"]
    failure = diagnose(Outcome.WARNING, "verdict", ["WARNING"], lines)

    assert failure is not None
    assert failure.category == "mapping"
    assert "WARN  [AIF]: Warning: unmapped members exist" in failure.excerpt


def test_success_has_no_failure() -> None:
    assert diagnose(Outcome.SUCCESS, "ok", ["SUCCESS"], ["ERROR odd line"]) is None


@pytest.mark.parametrize(
    ("outcome", "category"),
    [
        (Outcome.AUTH_ERROR, "auth"),
        (Outcome.INFRA_ERROR, "infra"),
        (Outcome.SUBMIT_UNKNOWN, "infra"),
        (Outcome.TIMEOUT, "timeout"),
        (Outcome.CANCELLED, "cancelled"),
        (Outcome.INTERRUPTED, "interrupted"),
    ],
)
def test_outcome_decides_without_diagnosis(outcome: Outcome, category: str) -> None:
    failure = diagnose(outcome, "verdict", ["Rows rejected: 3"], [])

    assert failure is not None
    assert failure.category == category


KINDS = ["locked", "source_connection", "timeout", "mapping", "validation", "target_load"]


@pytest.mark.parametrize("kind", KINDS)
def test_simulated_failure_kind_end_to_end(serve: Serve, gate: Gate, kind: str) -> None:
    server = serve(builtin_scenarios()[kind])
    result = gate(server.url)

    assert result.code == 1, result.stderr
    assert result.summary["failure"]["category"] == kind
    assert result.outputs["failure-category"] == kind
    assert result.summary["files"]["log"] == f"epm-gate-files/4412_{kind}.log"
    assert result.summary["failure"]["excerpt"]
    annotation = next(line for line in result.stderr.splitlines() if line.startswith("::error"))
    assert f"Cause ({kind})" in annotation
    assert "<details><summary>Error excerpt</summary>" in result.step_summary


def test_log_text_cannot_issue_workflow_commands(serve: Serve, gate: Gate) -> None:
    log_name = "outbox/logs/GL_ACTUALS_4412.log"
    simulator = Simulator(Scenario("hostile", polls=[job(1, logFileName=log_name)]))
    simulator.files.put(
        log_name, "INFO start\nERROR ::set-env name=X::1\nERROR \x1b[31m::error::forged\n"
    )
    result = gate(serve(simulator).url)

    assert result.code == 1, result.stderr
    lines = result.stderr.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("::stop-commands::"))
    token = lines[start].removeprefix("::stop-commands::")
    end = lines.index(f"::{token}::")
    inside = lines[start + 1 : end]
    assert "  ERROR ::set-env name=X::1" in inside
    assert all(not line.startswith("::") for line in inside)
    assert not any("forged" in line for line in lines[:start] + lines[end + 1 :])
    assert "\x1b" not in result.stderr


def test_excerpt_on_stderr_outside_github(serve: Serve, gate: Gate) -> None:
    server = serve(builtin_scenarios()["locked"])
    result = gate(server.url, GITHUB_ACTIONS="", EPM_CI="none")

    assert result.code == 1, result.stderr
    assert "error excerpt of job 4412" in result.stderr
    assert "The POV is locked" in result.stderr
    assert "::stop-commands::" not in result.stderr
