"""Foldable log sections around the submit and the wait, in each platform's own form."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from gate.report.redact import Redactor
from gate.report.sections import Sections
from gate.simulator import SimulatorServer
from tests.conftest import gate_env
from tests.running_gate import finish, start_gate

_GITLAB_START = re.compile(
    rb"\x1b\[0Ksection_start:(\d+):(\w+)(\[collapsed=true\])?\r\x1b\[0K([^\n]*)\n"
)
_GITLAB_END = re.compile(rb"\x1b\[0Ksection_end:(\d+):(\w+)\r\x1b\[0K\n")


def run_on(
    platform: str, serve: Callable[..., SimulatorServer], tmp_path: Path
) -> tuple[int, bytes]:
    """Run a succeeding gate with EPM_CI=platform; return the exit code and raw stderr."""
    server = serve()
    env = gate_env(server.url, tmp_path, EPM_CI=platform)
    # Raw bytes: text mode would turn GitLab's carriage returns into line breaks.
    process = start_gate(env, tmp_path)
    _, stderr = process.communicate(timeout=30)
    return process.returncode, stderr


def test_github_groups(serve: Callable[..., SimulatorServer], tmp_path: Path) -> None:
    code, stderr = run_on("github", serve, tmp_path)

    text = stderr.decode()
    assert code == 0
    assert re.findall(r"^::(group::.*|endgroup::)$", text, re.MULTILINE) == [
        "group::Submitting INTEGRATION GL_ACTUALS",
        "endgroup::",
        "group::Waiting for job 4412",
        "endgroup::",
        "group::Collecting the files of job 4412",
        "endgroup::",
    ]
    # The verdict stays outside every group, where the reader sees it first.
    assert text.rindex("::endgroup::") < text.index("::notice")


def test_gitlab_sections(serve: Callable[..., SimulatorServer], tmp_path: Path) -> None:
    code, stderr = run_on("gitlab", serve, tmp_path)

    assert code == 0
    starts = _GITLAB_START.findall(stderr)
    ends = _GITLAB_END.findall(stderr)
    assert [(name, title) for _, name, _, title in starts] == [
        (b"epm_submit", b"Submitting INTEGRATION GL_ACTUALS"),
        (b"epm_poll_4412", b"Waiting for job 4412"),
        (b"epm_collect_4412", b"Collecting the files of job 4412"),
    ]
    assert [name for _, name in ends] == [b"epm_submit", b"epm_poll_4412", b"epm_collect_4412"]
    assert all(int(start[0]) <= int(end[0]) for start, end in zip(starts, ends, strict=True))
    assert b"::group::" not in stderr


def test_jenkins_headers(serve: Callable[..., SimulatorServer], tmp_path: Path) -> None:
    code, stderr = run_on("jenkins", serve, tmp_path)

    text = stderr.decode()
    assert code == 0
    assert re.findall(r"^==> .*$", text, re.MULTILINE) == [
        "==> Submitting INTEGRATION GL_ACTUALS",
        "==> Waiting for job 4412",
        "==> Collecting the files of job 4412",
    ]
    assert "\x1b" not in text
    assert "::" not in text


def test_no_platform_no_markers(serve: Callable[..., SimulatorServer], tmp_path: Path) -> None:
    code, stderr = run_on("none", serve, tmp_path)

    assert code == 0
    for marker in (b"::group::", b"section_start", b"==> "):
        assert marker not in stderr


def test_gitlab_section_closed_on_failure(
    serve: Callable[..., SimulatorServer], tmp_path: Path
) -> None:
    server = serve()
    env = gate_env(server.url, tmp_path, EPM_CI="gitlab", EPM_JOB_NAME="sign-in")
    result = finish(start_gate(env, tmp_path), env, tmp_path, timeout=30)

    assert result.code == 6
    assert result.stderr.count("section_start:") == 1
    assert result.stderr.count("section_end:") == 1


def sections_on(platform: str) -> tuple[Sections, io.StringIO]:
    stream = io.StringIO()
    return Sections(lambda: platform, Redactor().line, stream), stream


def test_section_closed_when_block_raises() -> None:
    sections, stream = sections_on("github")

    with pytest.raises(KeyboardInterrupt), sections.section("Waiting", "wait"):
        raise KeyboardInterrupt

    assert stream.getvalue() == "::group::Waiting\n::endgroup::\n"


def test_nested_section_adds_no_markers() -> None:
    sections, stream = sections_on("github")

    with sections.section("Outer", "outer"), sections.section("Inner", "inner"):
        pass

    assert stream.getvalue() == "::group::Outer\n::endgroup::\n"


def test_gitlab_names_unique_and_safe() -> None:
    sections, stream = sections_on("gitlab")

    for _ in range(2):
        with sections.section("Title\nwith a line break", "epm poll/4412", collapsed=True):
            pass

    text = stream.getvalue()
    assert "section_start:" in text
    assert re.findall(r"section_start:\d+:(\w+)\[collapsed=true\]", text) == [
        "epm_poll_4412",
        "epm_poll_4412_2",
    ]
    assert "Title with a line break" in text
