"""``epm-gate demo`` and ``epm-gate simulate`` as a new user runs them."""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path


def clean_env() -> dict[str, str]:
    return {
        key: value for key, value in os.environ.items() if not key.startswith(("EPM_", "GITHUB_"))
    }


def test_demo_runs_a_gate_to_success(tmp_path: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "gate", "demo"],
        cwd=tmp_path,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr
    summary = json.loads((tmp_path / "epm-gate-summary.json").read_text(encoding="utf-8"))
    assert summary["outcome"] == "success"
    assert summary["jobId"] == 4412
    assert "EPM simulator listening at http://127.0.0.1:" in completed.stderr
    assert "demo-password" not in completed.stderr


def test_demo_plays_a_failing_scenario(tmp_path: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "gate", "demo", "--scenario", "error"],
        cwd=tmp_path,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert completed.returncode == 1
    summary = json.loads((tmp_path / "epm-gate-summary.json").read_text(encoding="utf-8"))
    assert summary["outcome"] == "failed"


def test_simulate_prints_url_and_serves(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "gate", "simulate", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        env=clean_env(),
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        credentials = base64.b64encode(b"ci_bot:example-pass").decode()
        request = urllib.request.Request(
            url + "/aif/rest/", headers={"Authorization": f"Basic {credentials}"}
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            versions = json.load(response)
        assert versions["items"][0]["version"] == "V1"
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
