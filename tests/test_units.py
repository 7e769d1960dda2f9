"""Small pure parts: job parsing, back-off, the poll schedule, scrubbing and GitHub files."""

from __future__ import annotations

import base64
import random
from pathlib import Path

import pytest

from gate.epm.retry import MAX_RETRY_AFTER, backoff_delay, parse_retry_after
from gate.epm.status import MalformedJobError, parse_job
from gate.outcome import EXIT_CODES, Outcome
from gate.report import github
from gate.report.redact import Redactor, strip_controls
from gate.wait import PollSchedule
from tests.conftest import parse_outputs


@pytest.mark.parametrize(
    ("body", "policy", "outcome"),
    [
        ({"status": -1}, "fail", None),
        ({"status": "2"}, "fail", None),
        ({"status": 0, "jobStatus": "SUCCESS"}, "fail", Outcome.SUCCESS),
        ({"status": "0"}, "fail", Outcome.SUCCESS),
        ({"status": 0, "jobStatus": "WARNING"}, "fail", Outcome.WARNING),
        ({"status": 0, "jobStatus": "WARNING"}, "pass", Outcome.SUCCESS),
        ({"status": 0, "descriptiveStatus": "Completed with Errors"}, "fail", Outcome.WARNING),
        ({"status": 1}, "fail", Outcome.FAILED),
        ({"status": 3}, "fail", Outcome.CANCELLED),
        ({"status": 4}, "fail", Outcome.REJECTED),
        ({"status": 2147483647}, "fail", Outcome.UNKNOWN),
        ({"status": 99}, "fail", Outcome.UNKNOWN),
        ({"status": -7}, "fail", Outcome.UNKNOWN),
    ],
)
def test_status_to_outcome(body: dict[str, object], policy: str, outcome: Outcome | None) -> None:
    assert parse_job(body).outcome(policy) is outcome


@pytest.mark.parametrize(
    "body",
    [
        "<html>Maintenance</html>",
        {},
        {"status": None},
        {"status": "ok"},
        {"status": True},
        {"status": 0.5},
        [],
        None,
        {"details": "error"},
    ],
)
def test_body_without_numeric_status_is_malformed(body: object) -> None:
    with pytest.raises(MalformedJobError):
        parse_job(body)


def test_job_fields_parsed_leniently() -> None:
    state = parse_job(
        {
            "status": " 1 ",
            "jobId": "1881",
            "details": "null",
            "links": [0],
            "detailedStatus": "new in 26.04",
            "logFileName": "\\outbox\\logs\\X.log",
        }
    )

    assert state.status == 1
    assert state.job_id == 1881
    assert state.details is None
    assert state.log_file == "\\outbox\\logs\\X.log"
    assert state.raw["detailedStatus"] == "new in 26.04"


def test_planning_job_id_spelling() -> None:
    assert parse_job({"status": 0, "jobID": 731}).job_id == 731


def test_disagreeing_job_status_reported() -> None:
    state = parse_job({"status": -1, "jobStatus": "SUCCESS"})
    assert (
        state.disagreement()
        == "jobStatus 'SUCCESS' disagrees with status -1 (In Progress); the numeric status decides"
    )
    assert state.outcome("fail") is None


@pytest.mark.parametrize("job_status", ["RUNNING", "Running", "NEW_WORD", None, "CANCEL_PENDING"])
def test_agreeing_or_unknown_job_status_is_quiet(job_status: str | None) -> None:
    status = 2 if job_status == "CANCEL_PENDING" else -1
    assert parse_job({"status": status, "jobStatus": job_status}).disagreement() is None


def test_exit_code_table_is_complete() -> None:
    assert set(EXIT_CODES) == set(Outcome)
    assert sorted(EXIT_CODES.values()) == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 124, 130]


def test_backoff_grows_and_caps() -> None:
    rng = random.Random(7)
    delays = [backoff_delay(n, base=1, cap=8, rng=rng) for n in range(1, 8)]
    bounds = [(0.5, 1), (1, 2), (2, 4), (4, 8), (4, 8), (4, 8), (4, 8)]
    for delay, (low, high) in zip(delays, bounds, strict=True):
        assert low <= delay <= high


def test_backoff_honours_retry_after_with_a_cap() -> None:
    assert backoff_delay(1, base=1, cap=2, retry_after=30) == 30
    assert backoff_delay(1, base=1, cap=2, retry_after=10**6) == MAX_RETRY_AFTER


def test_retry_after_forms() -> None:
    assert parse_retry_after("3") == 3
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == 10
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


@pytest.mark.parametrize(
    ("elapsed", "interval"), [(0, 5), (30, 5), (100, 10), (400, 40), (5000, 60)]
)
def test_poll_schedule(elapsed: float, interval: float) -> None:
    assert PollSchedule(5, 60).interval(elapsed) == interval


def test_redactor_scrubs_every_form() -> None:
    masks: list[str] = []
    redactor = Redactor(on_new=masks.append)
    redactor.add('p@ss w"rd')
    token = base64.b64encode(b'ci_bot:p@ss w"rd').decode()
    redactor.add(token)
    text = f'pw p@ss w"rd url p%40ss%20w%22rd json p@ss w\\"rd b64 {token}'

    scrubbed = redactor.scrub(text)

    assert "p@ss" not in scrubbed
    assert token not in scrubbed
    assert scrubbed.count("***") == 4
    assert 'p@ss w"rd' in masks
    assert token in masks


def test_redactor_scrubs_nested_data() -> None:
    redactor = Redactor()
    redactor.add("hunter2")
    data = {"details": ["x hunter2"], "hunter2": 1, "n": 5}
    assert redactor.scrub_data(data) == {"details": ["x ***"], "***": 1, "n": 5}


def test_strip_controls() -> None:
    assert strip_controls("a\x1b[31mred\x1b[0m\r\n::error::x\x07") == "ared  ::error::x "
    assert strip_controls("one\r\ntwo\x00", keep_newlines=True) == "one\ntwo"


def test_outputs_heredoc_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "out"
    path.write_text("earlier=1\n", encoding="utf-8")
    hostile = "x\nEOF\noutcome=success"
    github.append_outputs(path, {"job-status": hostile, "outcome": "failed"})

    text = path.read_text(encoding="utf-8")
    parsed = parse_outputs(text.split("\n", 1)[1])
    assert parsed == {"job-status": hostile, "outcome": "failed"}


def test_output_value_is_one_clean_line() -> None:
    assert github.output_value("a\nb\x1b[1m") == "a b"
    assert github.output_value(None) == ""
    assert len(github.output_value("x" * 5000)) == github.OUTPUT_VALUE_LIMIT


def test_workflow_command_escaping(capsys: pytest.CaptureFixture[str]) -> None:
    github.command("error", "50% done\n::set-output name=x::y", title="EPM gate: a, b")
    assert (
        capsys.readouterr().err
        == "::error title=EPM gate%3A a%2C b::50%25 done%0A::set-output name=x::y\n"
    )


def test_untrusted_block_pauses_commands(capsys: pytest.CaptureFixture[str]) -> None:
    github.untrusted_block(["::error::fake"])
    lines = capsys.readouterr().err.splitlines()
    token = lines[0].removeprefix("::stop-commands::")
    assert len(token) == 32
    assert lines[1:] == ["::error::fake", f"::{token}::"]
