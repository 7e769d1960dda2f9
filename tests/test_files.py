"""Path normalisation, URL encoding and local names of job files."""

from __future__ import annotations

from pathlib import Path

import pytest

from gate.collect import MAX_READ_LINE_BYTES, read_log_lines
from gate.epm.files import MAX_NAME_BYTES, download_path, encode_path, local_name, normalise_path


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("outbox/logs/GL_ACTUALS_4412.log", "outbox/logs/GL_ACTUALS_4412.log"),
        ("\\outbox\\logs\\BATCH1_7595.log", "outbox/logs/BATCH1_7595.log"),
        ("/u03/inbox/outbox/logs/X_110.log", "outbox/logs/X_110.log"),
        ("/outbox/logs/X_110.log", "outbox/logs/X_110.log"),
        ("apr/2020-03-04 23_07_20/report.html", "apr/2020-03-04 23_07_20/report.html"),
        ("//reports/r.pdf", "reports/r.pdf"),
        (None, None),
        ("", None),
        ("   ", None),
        ("null", None),
        (42, None),
    ],
)
def test_normalise_path(value: object, expected: str | None) -> None:
    assert normalise_path(value) == expected


@pytest.mark.parametrize(
    ("path", "encoded"),
    [
        ("outbox/logs/GL_ACTUALS_4412.log", "outbox%2Flogs%2FGL_ACTUALS_4412.log"),
        ("apr/2020-03-04 23_07_20/report.html", "apr%2F2020-03-04%2023_07_20%2Freport.html"),
        ("outbox/Données #1?.csv", "outbox%2FDonn%C3%A9es%20%231%3F.csv"),
    ],
)
def test_encode_path_is_one_segment(path: str, encoded: str) -> None:
    assert encode_path(path) == encoded
    assert download_path(path) == (
        f"/interop/rest/11.1.2.3.600/applicationsnapshots/{encoded}/contents"
    )


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("outbox/logs/GL_ACTUALS_4412.log", "GL_ACTUALS_4412.log"),
        ("outbox/logs/../../../etc/passwd", "passwd"),
        ("outbox/..", "fallback"),
        ("outbox/logs/", "fallback"),
        ("outbox/Données_Übersicht_東京.log", "Données_Übersicht_東京.log"),
        ("outbox/a\\..\\b.log", "b.log"),
        ("outbox/bad:name*?.log", "bad_name__.log"),
        ("outbox/new\nline\x1b[31m.log", "new_line_[31m.log"),
        ("outbox/CON.log", "_CON.log"),
        ("outbox/.hidden", "hidden"),
    ],
)
def test_local_name_is_safe(path: str, expected: str) -> None:
    assert local_name(path, "fallback") == expected


def test_local_name_bounds_length_and_keeps_suffix() -> None:
    name = local_name("outbox/" + "é" * 300 + ".log", "fallback")
    assert len(name.encode()) <= MAX_NAME_BYTES
    assert name.endswith(".log")
    assert "/" not in name


def test_log_lines_skip_overlong_rest(tmp_path: Path) -> None:
    log = tmp_path / "x.log"
    log.write_bytes(b"first\n" + b"y" * (MAX_READ_LINE_BYTES * 3) + b"\nlast\n")
    lines = list(read_log_lines(log))

    assert lines[0] == "first\n"
    assert len(lines[1]) == MAX_READ_LINE_BYTES
    assert lines[2] == "last\n"
    assert len(lines) == 3


def test_log_lines_read_only_the_tail(tmp_path: Path) -> None:
    log = tmp_path / "x.log"
    log.write_bytes(b"".join(b"line %d\n" % index for index in range(1000)))
    lines = list(read_log_lines(log, max_bytes=100))

    assert lines[-1] == "line 999\n"
    assert "line 0\n" not in lines
    assert all(line.startswith("line ") for line in lines)


def test_log_lines_of_missing_file(tmp_path: Path) -> None:
    assert list(read_log_lines(tmp_path / "absent.log")) == []
    assert list(read_log_lines(None)) == []
