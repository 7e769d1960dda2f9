"""Collecting job files end to end: downloads, warnings, audit keys, streaming."""

from __future__ import annotations

import hashlib
import json
import urllib.error
import urllib.request
from collections.abc import Callable

import pytest

from gate.simulator import Scenario, Simulator, SimulatorServer, http, job
from tests.conftest import PASSWORD, GateResult

Serve = Callable[..., SimulatorServer]
Gate = Callable[..., GateResult]

INTEROP = "/interop/rest/11.1.2.3.600/applicationsnapshots/"


def downloads(simulator: Simulator) -> list[str]:
    """Return the paths of the download requests the simulator received."""
    return [r.path for r in simulator.requests if r.path.startswith("/interop/")]


def batch_simulator() -> Simulator:
    log_name = "\\outbox\\logs\\BATCH1_7595.log"
    scenario = Scenario(
        "batch-backslashes",
        submit=[job(-1, logFileName=log_name)],
        polls=[job(0, logFileName=log_name)],
    )
    simulator = Simulator(scenario, first_job_id=7595)
    simulator.files.put("outbox/logs/BATCH1_7595.log", "line one\nline two\n")
    return simulator


def test_backslash_log_path_is_downloaded(serve: Serve, gate: Gate) -> None:
    simulator = batch_simulator()
    result = gate(serve(simulator).url, EPM_JOB_TYPE="BATCH", EPM_JOB_NAME="BATCH1")

    assert result.code == 0, result.stderr
    assert result.summary["outcome"] == "success"
    assert result.summary["files"] == {"log": "epm-gate-files/BATCH1_7595.log", "output": None}
    assert downloads(simulator) == [INTEROP + "outbox%2Flogs%2FBATCH1_7595.log/contents"]
    saved = result.workdir / "epm-gate-files" / "BATCH1_7595.log"
    assert saved.read_text() == "line one\nline two\n"
    assert result.outputs["log-file"] == "epm-gate-files/BATCH1_7595.log"
    assert result.summary["warnings"] == []


def test_log_404_keeps_success_verdict(serve: Serve, gate: Gate) -> None:
    simulator = batch_simulator()
    simulator.files.purge("outbox/logs/BATCH1_7595.log")
    result = gate(serve(simulator).url, EPM_JOB_TYPE="BATCH", EPM_JOB_NAME="BATCH1")

    assert result.code == 0, result.stderr
    assert result.summary["outcome"] == "success"
    assert result.summary["files"]["log"] is None
    assert len(result.summary["warnings"]) == 1
    assert "log was not retrieved" in result.summary["warnings"][0]
    assert "HTTP 404" in result.summary["warnings"][0]
    assert result.outputs["log-file"] == ""
    assert not (result.workdir / "epm-gate-files" / "BATCH1_7595.log").exists()


def test_purged_log_of_attached_job(serve: Serve, gate: Gate) -> None:
    simulator = Simulator()
    simulator.add_job(
        110,
        Scenario(
            "old", polls=[job(1, logFileName="/outbox/logs/X_110.log", details="Load failed")]
        ),
    )
    simulator.files.purge("outbox/logs/X_110.log")
    result = gate(serve(simulator).url, EPM_JOB_ID="110")

    assert result.code == 1, result.stderr
    assert result.summary["outcome"] == "failed"
    assert result.summary["request"] is None
    assert result.summary["files"]["log"] is None
    assert any("log no longer available (HTTP 404)" in w for w in result.summary["warnings"])
    assert downloads(simulator) == [INTEROP + "outbox%2Flogs%2FX_110.log/contents"]
    assert result.summary["attempts"] == []
    assert simulator.count("POST") == 0


def rejected_rows_simulator() -> Simulator:
    scenario = Scenario(
        "rejected",
        polls=[
            job(
                0,
                "WARNING",
                details="Rows rejected: 42",
                logFileName="outbox/logs/GL_ACTUALS_103.log",
                outputFileName="outbox/errors_103.zip",
            )
        ],
    )
    simulator = Simulator(scenario, first_job_id=103)
    simulator.files.put("outbox/errors_103.zip", b"PK\x03\x04zip bytes\x00\xff")
    return simulator


@pytest.mark.parametrize(
    ("policy", "code", "outcome"), [("fail", 7, "warning"), ("pass", 0, "success")]
)
def test_rejected_rows_warning(
    serve: Serve, gate: Gate, policy: str, code: int, outcome: str
) -> None:
    simulator = rejected_rows_simulator()
    result = gate(serve(simulator).url, EPM_WARNING_POLICY=policy)

    assert result.code == code, result.stderr
    assert result.summary["outcome"] == outcome
    assert "Rows rejected: 42" in result.summary["message"]
    assert result.summary["files"] == {
        "log": "epm-gate-files/GL_ACTUALS_103.log",
        "output": "epm-gate-files/errors_103.zip",
    }
    zipped = (result.workdir / "epm-gate-files" / "errors_103.zip").read_bytes()
    assert zipped == b"PK\x03\x04zip bytes\x00\xff"
    assert "Rows rejected: 42" in (result.workdir / "epm-gate-files/GL_ACTUALS_103.log").read_text()
    assert len(downloads(simulator)) == 2
    if policy == "fail":
        assert result.summary["failure"]["rejectedRecords"] == 42
        assert result.summary["failure"]["category"] == "mapping"
        assert result.outputs["failure-category"] == "mapping"
    else:
        assert result.summary["failure"] is None
        assert result.outputs["failure-category"] == ""


@pytest.mark.parametrize(
    ("setting", "expected"),
    [("none", []), ("log", ["log"]), ("output", ["output"]), ("log,output", ["log", "output"])],
)
def test_download_setting_selects_files(
    serve: Serve, gate: Gate, setting: str, expected: list[str]
) -> None:
    simulator = rejected_rows_simulator()
    result = gate(serve(simulator).url, EPM_DOWNLOAD=setting)

    assert result.code == 7, result.stderr
    fetched = [kind for kind, path in result.summary["files"].items() if path]
    assert fetched == expected
    assert len(downloads(simulator)) == len(expected)


def test_bad_download_setting_is_usage_error(serve: Serve, gate: Gate) -> None:
    simulator = Simulator()
    result = gate(serve(simulator).url, EPM_DOWNLOAD="logs")

    assert result.code == 2
    assert "EPM_DOWNLOAD" in result.stderr
    assert result.summary["outcome"] == "usage_error"
    assert simulator.requests == []


def log_simulator(log_name: str = "outbox/logs/GL_ACTUALS_4412.log") -> Simulator:
    return Simulator(Scenario("with-log", polls=[job(0, logFileName=log_name)]))


def test_transient_failures_are_retried(serve: Serve, gate: Gate) -> None:
    simulator = log_simulator()
    path = "outbox/logs/GL_ACTUALS_4412.log"
    simulator.files.put(path, "the log\n")
    simulator.files.script(path, http(503, "<html>maintenance</html>", "text/html"), http(429))
    result = gate(serve(simulator).url)

    assert result.code == 0, result.stderr
    assert result.summary["files"]["log"] == "epm-gate-files/GL_ACTUALS_4412.log"
    assert len(downloads(simulator)) == 3
    assert result.summary["counts"] == {"requests": len(simulator.requests), "retries": 2}
    assert result.summary["warnings"] == []


def test_persistent_5xx_becomes_warning(serve: Serve, gate: Gate) -> None:
    simulator = log_simulator()
    path = "outbox/logs/GL_ACTUALS_4412.log"
    simulator.files.put(path, "the log\n")
    simulator.files.script(path, *[http(500, '{"status":1,"details":"internal"}')] * 10)
    result = gate(serve(simulator).url)

    assert result.code == 0, result.stderr
    assert result.summary["files"]["log"] is None
    assert len(downloads(simulator)) == 4
    assert result.summary["warnings"] == [
        "log not retrieved: HTTP 500: internal after 4 tries (outbox/logs/GL_ACTUALS_4412.log)"
    ]
    assert result.summary["counts"]["retries"] == 3


def test_json_answer_is_an_error(serve: Serve, gate: Gate) -> None:
    simulator = log_simulator()
    simulator.files.script(
        "outbox/logs/GL_ACTUALS_4412.log",
        http(200, '{"status":8,"details":"EPMLCM-13000: file is locked"}'),
    )
    result = gate(serve(simulator).url)

    assert result.code == 0, result.stderr
    assert result.summary["files"]["log"] is None
    assert "EPMLCM-13000: file is locked" in result.summary["warnings"][0]
    assert len(downloads(simulator)) == 1
    assert list((result.workdir / "epm-gate-files").glob("*")) == []


def test_hostile_file_name_stays_in_folder(serve: Serve, gate: Gate) -> None:
    remote = "outbox/logs/../../../Données_Übersicht.log"
    simulator = log_simulator(remote)
    simulator.files.put(remote, "bonjour\n")
    result = gate(serve(simulator).url)

    assert result.code == 0, result.stderr
    assert result.summary["files"]["log"] == "epm-gate-files/Données_Übersicht.log"
    assert (result.workdir / "epm-gate-files" / "Données_Übersicht.log").read_text() == "bonjour\n"
    assert sorted(p.name for p in result.workdir.iterdir() if p.suffix == ".log") == []


def test_streams_a_large_file(serve: Serve, gate: Gate) -> None:
    simulator = log_simulator()
    path = "outbox/logs/GL_ACTUALS_4412.log"
    size = 5 * 1024 * 1024 + 17
    simulator.files.put_generated(path, size, b"0123456789abcdef\n")
    result = gate(serve(simulator).url)

    assert result.code == 0, result.stderr
    saved = result.workdir / "epm-gate-files" / "GL_ACTUALS_4412.log"
    expected = (b"0123456789abcdef\n" * (size // 17 + 1))[:size]
    assert saved.stat().st_size == size
    assert hashlib.sha256(saved.read_bytes()).digest() == hashlib.sha256(expected).digest()


def test_audit_keys_in_summary(serve: Serve, gate: Gate) -> None:
    simulator = Simulator()
    result = gate(serve(simulator).url)
    summary = result.summary

    assert result.code == 0, result.stderr
    assert summary["executedBy"] == "ci_bot"
    assert summary["processType"] == "COMM_LOAD_BALANCES"
    assert [entry["status"] for entry in summary["history"]] == [-1, 0]
    assert all(entry["at"].endswith("Z") for entry in summary["history"])
    assert summary["counts"] == {"requests": len(simulator.requests), "retries": 0}
    assert len(downloads(simulator)) == 1
    assert summary["attempts"][0]["jobId"] == 4412
    assert summary["attempts"][0]["outcome"] == "success"
    assert PASSWORD not in json.dumps(summary) + result.output_text + result.step_summary


@pytest.mark.parametrize(
    "spelling",
    [
        "outbox/logs/GL_ACTUALS_4412.log",
        "outbox%2flogs%2fGL_ACTUALS_4412.log",
        "outbox%2Flogs/GL_ACTUALS_4412.log",
        "%2Foutbox%2Flogs%2FGL_ACTUALS_4412.log",
    ],
)
def test_simulator_finds_only_encoded_form(serve: Serve, spelling: str) -> None:
    simulator = Simulator(user=None)
    simulator.files.put("outbox/logs/GL_ACTUALS_4412.log", "x\n")
    server = serve(simulator)
    good = f"{server.url}{INTEROP}outbox%2Flogs%2FGL_ACTUALS_4412.log/contents"
    with urllib.request.urlopen(good) as answer:
        assert answer.read() == b"x\n"

    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(f"{server.url}{INTEROP}{spelling}/contents")
    assert caught.value.code == 404
    assert json.loads(caught.value.read()) == {"status": 8, "details": "file not found"}
