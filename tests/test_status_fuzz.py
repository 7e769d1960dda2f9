"""Property tests: the job-status parser survives any body and never invents a success."""

from __future__ import annotations

import json
import re
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from gate.epm.session import Answer
from gate.epm.status import MAX_NESTING, MalformedJobError, parse_job
from gate.outcome import Outcome
from gate.record import RunRecord
from gate.report.redact import Redactor
from gate.run import verdict_message

# Digits of other scripts that Python's int() reads as 0.
ARABIC_ZERO = "\u0660"
FULLWIDTH_ZERO = "\uff10"

_ASCII_INTEGER = re.compile(r"\s*[+-]?[0-9]+\s*", re.ASCII)

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)

# Values of "status" that are close calls: numeric look-alikes, other scripts' digits.
status_values = (
    json_values
    | st.sampled_from(
        [0, -1, 1, 2, 3, 4, 2147483647, 0.0, -0.0, 0.5, "0", " 0 ", "+0", "-0", "00", "0x0"]
    )
    | st.sampled_from(
        [ARABIC_ZERO, FULLWIDTH_ZERO, "0\n", "", "null", "SUCCESS", True, False, [0], {"0": 0}]
    )
)
job_status_words = st.sampled_from(
    ["SUCCESS", "WARNING", "FAILED", "RUNNING", "Completed with Errors", "null", ""]
)
job_like = st.fixed_dictionaries(
    {},
    optional={
        "status": status_values,
        "jobId": json_values,
        "jobID": json_values,
        "jobName": json_values,
        "jobStatus": job_status_words | json_values,
        "descriptiveStatus": job_status_words | json_values,
        "details": json_values,
        "logFileName": json_values,
        "outputFileName": json_values,
        "extra": json_values,
    },
)


def is_numeric_zero(body: Any) -> bool:
    """Tell whether a body carries a status that is the number 0 (or its ASCII digits)."""
    if not isinstance(body, dict) or "status" not in body:
        return False
    status = body["status"]
    if isinstance(status, bool):
        return False
    if isinstance(status, (int, float)):
        return status == 0
    return isinstance(status, str) and bool(_ASCII_INTEGER.fullmatch(status)) and int(status) == 0


def depth(value: Any) -> int:
    """Return the nesting depth of JSON data; a scalar is 0."""
    if isinstance(value, dict):
        return 1 + max((depth(item) for item in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((depth(item) for item in value), default=0)
    return 0


def check_body(body: Any) -> None:
    """Parse a body as the gate does and check every property of the result."""
    try:
        state = parse_job(body)
    except MalformedJobError:
        return
    assert depth(state.raw) <= MAX_NESTING + 1
    state.disagreement()
    for policy in ("fail", "pass"):
        outcome = state.outcome(policy)
        if outcome in (Outcome.SUCCESS, Outcome.WARNING):
            assert is_numeric_zero(body), f"{outcome} from {body!r}"
        if outcome is not None:
            record = RunRecord(job_id=state.job_id)
            verdict_message(state, outcome, record)
    json.dumps(Redactor().scrub_data(state.raw))


def check_text(text: str) -> None:
    """Parse a body from its text, the way a status response reaches the parser."""
    answer = Answer(200, {"content-type": "application/json"}, text, "http://127.0.0.1/")
    check_body(answer.json)


@settings(max_examples=300, deadline=None)
@given(job_like)
def test_job_like_bodies(body: dict[str, Any]) -> None:
    check_body(body)
    check_text(json.dumps(body))


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_arbitrary_json(body: Any) -> None:
    check_body(body)
    check_text(json.dumps(body))


@settings(max_examples=200, deadline=None)
@given(st.text())
@example('{"status": "' + ARABIC_ZERO + '"}')
@example('{"status": "' + "0" * 5000 + '"}')
@example('{"status": 0' + "0" * 5000 + "}")
@example('{"status": 0, "details": ' + "[" * 900 + "]" * 900 + "}")
@example('{"status": 0, "jobName": ' + "[" * 900 + "]" * 900 + "}")
@example("[" * 100_000)
@example("<error>token expired</error>")
@example('{"status": 0.0, "jobStatus": "WARNING"}')
def test_arbitrary_text(text: str) -> None:
    check_text(text)


def test_ascii_zero_is_success() -> None:
    assert parse_job({"status": " 0 "}).outcome("fail") is Outcome.SUCCESS


def test_other_script_zero_is_malformed() -> None:
    for status in (ARABIC_ZERO, FULLWIDTH_ZERO):
        try:
            parse_job({"status": status})
        except MalformedJobError:
            continue
        raise AssertionError(f"status {status!r} was accepted")
