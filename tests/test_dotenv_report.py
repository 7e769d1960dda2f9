"""The GitLab dotenv report: a few single-line GATE_* scalars within GitLab's limits."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from gate.report.gitlab import DOTENV_LIMIT_BYTES, render_dotenv
from gate.report.redact import Redactor
from gate.simulator import SimulatorServer
from tests.conftest import GateResult

NAMES = ["GATE_JOB_ID", "GATE_OUTCOME", "GATE_EXIT_CODE", "GATE_STATUS", "GATE_FAILURE_CATEGORY"]
# GitLab's dotenv rules: NAME=value lines, names of letters, digits and underscores.
_LINE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=[^\r\n]*$")


def parse_dotenv(text: str) -> dict[str, str]:
    assert text.endswith("\n")
    lines = text[:-1].split("\n")
    for line in lines:
        assert _LINE.match(line), f"line GitLab would reject: {line!r}"
    return dict(line.split("=", 1) for line in lines)


def assert_within_gitlab_limits(text: str) -> None:
    assert len(text.encode()) < DOTENV_LIMIT_BYTES
    values = parse_dotenv(text)
    assert list(values) == NAMES
    assert not any(name.startswith("EPM_") for name in values)
    assert not any(value.startswith(("'", '"')) for value in values.values())


@pytest.mark.parametrize(
    ("job_name", "expected"),
    [
        ("GL_ACTUALS", ["4412", "success", "0", "0", ""]),
        ("error", ["4412", "failed", "1", "1", "target_load"]),
        ("warning", ["4412", "warning", "7", "0", "mapping"]),
    ],
)
def test_gate_writes_dotenv(
    serve: Callable[..., SimulatorServer],
    gate: Callable[..., GateResult],
    tmp_path: Path,
    job_name: str,
    expected: list[str],
) -> None:
    server = serve()

    result = gate(
        server.url, EPM_JOB_NAME=job_name, EPM_DOTENV_PATH="epm-gate.env", EPM_CI="gitlab"
    )

    text = (tmp_path / "epm-gate.env").read_text(encoding="utf-8")
    assert_within_gitlab_limits(text)
    assert list(parse_dotenv(text).values()) == expected
    assert str(result.code) == expected[2]
    assert "example-pass" not in text


def test_dotenv_written_on_usage_error(
    serve: Callable[..., SimulatorServer], gate: Callable[..., GateResult], tmp_path: Path
) -> None:
    server = serve()

    result = gate(server.url, EPM_TIMEOUT="soon", EPM_DOTENV_PATH="epm-gate.env")

    assert result.code == 2
    values = parse_dotenv((tmp_path / "epm-gate.env").read_text(encoding="utf-8"))
    assert values == {
        "GATE_JOB_ID": "",
        "GATE_OUTCOME": "usage_error",
        "GATE_EXIT_CODE": "2",
        "GATE_STATUS": "",
        "GATE_FAILURE_CATEGORY": "invalid_parameter",
    }


def test_values_made_single_line_and_scrubbed() -> None:
    redactor = Redactor()
    redactor.add("example-pass")
    values = {"GATE_OUTCOME": "failed\r\nGATE_EXIT_CODE=0", "GATE_STATUS": "x example-pass y"}

    text = render_dotenv(values, redactor)

    assert text == "GATE_OUTCOME=failed  GATE_EXIT_CODE=0\nGATE_STATUS=x *** y\n"


def test_long_values_capped_below_limit() -> None:
    values = {f"GATE_VALUE_{index}": "x" * 10_000 for index in range(20)}

    text = render_dotenv(values, Redactor())

    assert len(text.encode()) < DOTENV_LIMIT_BYTES


def test_oversized_file_rejected() -> None:
    values = {f"GATE_VALUE_{index}": "x" * 200 for index in range(30)}

    with pytest.raises(ValueError, match="5120 byte limit"):
        render_dotenv(values, Redactor())


@pytest.mark.parametrize("name", ["EPM_JOB_ID", "epm_outcome", "GATE-ID", "1GATE", ""])
def test_unsafe_names_rejected(name: str) -> None:
    with pytest.raises(ValueError, match="invalid dotenv variable name"):
        render_dotenv({name: "1"}, Redactor())
