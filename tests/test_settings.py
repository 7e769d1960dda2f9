"""Settings: durations, defaults, cross-field checks and messages without secret values."""

from __future__ import annotations

from pathlib import Path

import pytest

from gate.durations import format_duration, parse_duration
from gate.epm.payloads import integration_body, planning_body
from gate.errors import UsageError
from gate.settings import Settings, load_settings

BASE = {
    "EPM_URL": "https://acme-test.epm.example.com",
    "EPM_USERNAME": "ci_bot",
    "EPM_PASSWORD": "s3cret-Value",
    "EPM_JOB_NAME": "GL",
}


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in list(__import__("os").environ):
        if name.startswith("EPM_"):
            monkeypatch.delenv(name)
    for name, value in BASE.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90", 90.0),
        ("0.5", 0.5),
        (".5", 0.5),
        ("90s", 90.0),
        ("45m", 2700.0),
        ("2h", 7200.0),
        (" 2H ", 7200.0),
        (3, 3.0),
    ],
)
def test_parse_duration_forms(text: str | int, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "soon", "-5", "0", "1d", "5 minutes", "nan", True])
def test_parse_duration_rejects(text: object) -> None:
    with pytest.raises(ValueError, match="expected"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("seconds", "text"), [(4.25, "4.2s"), (42, "42s"), (725, "12m05s"), (7200, "2h00m")]
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


def test_defaults(env: pytest.MonkeyPatch) -> None:
    settings = load_settings()

    assert settings.timeout == 7200
    assert settings.poll_interval == 5
    assert settings.poll_max_interval == 60
    assert settings.unreachable_timeout == 3600
    assert settings.request_timeout == 30
    assert settings.effective_api_version == "V1"
    assert settings.effective_job_type == "INTEGRATION"
    assert settings.summary_path == Path("epm-gate-summary.json")
    assert settings.download == ["log", "output"]
    assert settings.warning_policy == "fail"


def test_empty_values_count_as_unset(env: pytest.MonkeyPatch) -> None:
    env.setenv("EPM_TIMEOUT", "")
    env.setenv("EPM_JOB_TYPE", "")
    env.setenv("EPM_IDENTITY_DOMAIN", "")

    settings = load_settings()

    assert settings.timeout == 7200
    assert settings.effective_job_type == "INTEGRATION"
    assert settings.identity_domain is None


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://acme.epm.example.com/", "https://acme.epm.example.com"),
        ("https://acme.epm.example.com/epmcloud", "https://acme.epm.example.com"),
        ("https://acme.epm.example.com/epmcloud/", "https://acme.epm.example.com"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://localhost:8080/", "http://localhost:8080"),
    ],
)
def test_url_normalised(env: pytest.MonkeyPatch, given: str, expected: str) -> None:
    env.setenv("EPM_URL", given)
    assert load_settings().url == expected


def problems_of(env: pytest.MonkeyPatch, **changes: str | None) -> list[str]:
    for name, value in changes.items():
        if value is None:
            env.delenv(name, raising=False)
        else:
            env.setenv(name, value)
    with pytest.raises(UsageError) as caught:
        load_settings()
    return caught.value.problems


def test_plain_http_only_for_loopback(env: pytest.MonkeyPatch) -> None:
    problems = problems_of(env, EPM_URL="http://acme.epm.example.com")
    assert problems == [
        "EPM_URL: plain http:// is allowed only for loopback hosts, not acme.epm.example.com; use https://"
    ]


def test_missing_url(env: pytest.MonkeyPatch) -> None:
    problems = problems_of(env, EPM_URL=None)
    assert problems[0].startswith("EPM_URL: missing")


def test_every_problem_reported_once(env: pytest.MonkeyPatch) -> None:
    problems = problems_of(
        env,
        EPM_TIMEOUT="forever",
        EPM_POLL_INTERVAL="-1",
        EPM_WARNING_POLICY="ignore",
        EPM_JOB_PARAMETERS='{"secret": "hunter2", oops}',
    )
    text = "\n".join(problems)

    assert len(problems) == 4
    assert "EPM_TIMEOUT: expected seconds such as 90" in text
    assert "(got 'forever')" in text
    assert "EPM_POLL_INTERVAL" in text
    assert "EPM_WARNING_POLICY: expected 'fail' or 'pass' (got 'ignore')" in text
    assert "EPM_JOB_PARAMETERS: not valid JSON" in text
    assert "hunter2" not in text


def test_job_parameters_must_be_an_object(env: pytest.MonkeyPatch) -> None:
    problems = problems_of(env, EPM_JOB_PARAMETERS="[1, 2]")
    assert problems == ["EPM_JOB_PARAMETERS: expected a JSON object, got a JSON array"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"a": NaN}', "EPM_JOB_PARAMETERS: not valid JSON: NaN is not a JSON value"),
        ('{"a": -Infinity}', "EPM_JOB_PARAMETERS: not valid JSON: -Infinity is not a JSON value"),
        (
            '{"a":' * 5000 + "1" + "}" * 5000,
            "EPM_JOB_PARAMETERS: nested too deeply to be a job's parameters",
        ),
        ('"text"', "EPM_JOB_PARAMETERS: expected a JSON object, got a JSON string"),
    ],
)
def test_job_parameters_rejected(env: pytest.MonkeyPatch, text: str, expected: str) -> None:
    assert problems_of(env, EPM_JOB_PARAMETERS=text) == [expected]


def test_negative_resubmits_message(env: pytest.MonkeyPatch) -> None:
    assert problems_of(env, EPM_MAX_RESUBMITS="-1") == [
        "EPM_MAX_RESUBMITS: expected greater than or equal to 0 (got '-1')"
    ]


def test_unwritable_summary_folder(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    problems = problems_of(env, EPM_SUMMARY_PATH=str(blocker / "summary.json"))
    assert problems == [f"EPM_SUMMARY_PATH: {blocker} is not a folder; fix the path"]


def test_summary_path_is_a_folder(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    problems = problems_of(env, EPM_SUMMARY_PATH=str(tmp_path))
    assert problems == [f"EPM_SUMMARY_PATH: {tmp_path} is a folder; give a file path"]


def test_download_dir_is_a_file(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    problems = problems_of(env, EPM_DOWNLOAD_DIR=str(blocker))
    assert problems == [f"EPM_DOWNLOAD_DIR: {blocker} is not a folder; fix the path"]


def test_credentials_required(env: pytest.MonkeyPatch) -> None:
    problems = problems_of(env, EPM_USERNAME=None, EPM_PASSWORD=None)
    assert problems[0].startswith("credentials: missing; set EPM_USERNAME and EPM_PASSWORD")


def test_two_credential_kinds_rejected(env: pytest.MonkeyPatch) -> None:
    problems = problems_of(env, EPM_ACCESS_TOKEN="tok")
    assert problems == ["credentials: Basic and access token are both set; set exactly one kind"]


def test_incomplete_refresh_grant(env: pytest.MonkeyPatch) -> None:
    problems = problems_of(
        env,
        EPM_USERNAME=None,
        EPM_PASSWORD=None,
        EPM_TOKEN_URL="https://idcs.example.com/oauth2/v1/token",
    )
    assert problems == [
        "EPM_CLIENT_ID: missing; the OAuth refresh grant needs it",
        "EPM_REFRESH_TOKEN: missing; the OAuth refresh grant needs it",
    ]


def test_password_file(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    secret = tmp_path / "password"
    secret.write_text("from-file\n", encoding="utf-8")
    env.delenv("EPM_PASSWORD")
    env.setenv("EPM_PASSWORD_FILE", str(secret))

    assert load_settings().secret("password") == "from-file"


def test_password_file_missing(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    problems = problems_of(env, EPM_PASSWORD=None, EPM_PASSWORD_FILE=str(tmp_path / "nope"))
    assert problems == [
        f"EPM_PASSWORD_FILE: cannot read {tmp_path / 'nope'}: No such file or directory"
    ]


def test_password_and_file_both_set(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    secret = tmp_path / "password"
    secret.write_text("x", encoding="utf-8")
    problems = problems_of(env, EPM_PASSWORD_FILE=str(secret))
    assert problems == ["EPM_PASSWORD_FILE: set together with EPM_PASSWORD; set only one of them"]


@pytest.mark.parametrize(
    ("job_type", "missing"),
    [
        ("DATARULE", ["EPM_START_PERIOD", "EPM_END_PERIOD", "EPM_IMPORT_MODE", "EPM_EXPORT_MODE"]),
        ("MAPPINGIMPORT", ["EPM_FILE_NAME"]),
        ("MAPPINGEXPORT", ["EPM_FILE_NAME", "EPM_LOCATION_NAME"]),
    ],
)
def test_required_fields_per_job_type(
    env: pytest.MonkeyPatch, job_type: str, missing: list[str]
) -> None:
    problems = problems_of(env, EPM_JOB_TYPE=job_type)
    assert [problem.split(":")[0] for problem in problems] == missing
    assert all(f"job type {job_type} needs" in problem for problem in problems)


def test_job_parameters_supply_required_fields(env: pytest.MonkeyPatch) -> None:
    env.setenv("EPM_JOB_TYPE", "MAPPINGEXPORT")
    env.setenv("EPM_FILE_NAME", "outbox/map.csv")
    env.setenv("EPM_JOB_PARAMETERS", '{"locationName": "LOC_A"}')

    assert integration_body(load_settings())["locationName"] == "LOC_A"


def test_job_name_required_when_submitting(env: pytest.MonkeyPatch) -> None:
    assert problems_of(env, EPM_JOB_NAME=None) == [
        "EPM_JOB_NAME: missing; job type INTEGRATION needs jobName"
    ]


def test_attach_needs_no_job_name(env: pytest.MonkeyPatch) -> None:
    env.delenv("EPM_JOB_NAME")
    env.setenv("EPM_JOB_ID", "4412")
    assert load_settings().attaching


def test_attach_needs_numeric_id(env: pytest.MonkeyPatch) -> None:
    assert problems_of(env, EPM_JOB_ID="last") == [
        "EPM_JOB_ID: expected a numeric job id such as 4412"
    ]


def test_unknown_job_type(env: pytest.MonkeyPatch) -> None:
    problems = problems_of(env, EPM_JOB_TYPE="RULES")
    assert problems[0].startswith("EPM_JOB_TYPE: expected one of INTEGRATION, DATARULE")


def test_planning_needs_application_and_type(env: pytest.MonkeyPatch) -> None:
    problems = problems_of(env, EPM_API="planning")
    assert problems == [
        "EPM_APPLICATION: missing; EPM_API=planning needs the application name",
        "EPM_JOB_TYPE: missing; EPM_API=planning needs a job type such as RULES",
    ]


def test_planning_body(env: pytest.MonkeyPatch) -> None:
    env.setenv("EPM_API", "planning")
    env.setenv("EPM_APPLICATION", "Vision")
    env.setenv("EPM_JOB_TYPE", "RULES")
    env.setenv("EPM_JOB_PARAMETERS", '{"Scenario": "Actual"}')
    settings = load_settings()

    assert settings.effective_api_version == "v3"
    assert planning_body(settings) == {
        "jobType": "RULES",
        "jobName": "GL",
        "parameters": {"Scenario": "Actual"},
    }


def test_integration_body_merges_parameters_last(env: pytest.MonkeyPatch) -> None:
    env.setenv("EPM_JOB_TYPE", "PIPELINE")
    env.setenv("EPM_PERIOD_NAME", "{Apr-26}")
    env.setenv(
        "EPM_JOB_PARAMETERS", '{"periodName": "{May-26}", "variables": {"STARTPERIOD": "Apr-26"}}'
    )

    assert integration_body(load_settings()) == {
        "jobType": "PIPELINE",
        "jobName": "GL",
        "periodName": "{May-26}",
        "variables": {"STARTPERIOD": "Apr-26"},
    }


def test_poll_interval_above_maximum(env: pytest.MonkeyPatch) -> None:
    problems = problems_of(env, EPM_POLL_INTERVAL="2m", EPM_POLL_MAX_INTERVAL="1m")
    assert problems == [
        "EPM_POLL_INTERVAL: longer than EPM_POLL_MAX_INTERVAL; lower it or raise the maximum"
    ]


def test_flags_override_environment(env: pytest.MonkeyPatch) -> None:
    settings = load_settings({"job_name": "FROM_FLAG", "timeout": "45m"})
    assert settings.job_name == "FROM_FLAG"
    assert settings.timeout == 2700


def test_settings_repr_hides_secrets(env: pytest.MonkeyPatch) -> None:
    assert "s3cret-Value" not in repr(Settings())
