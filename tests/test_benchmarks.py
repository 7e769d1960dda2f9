"""Smoke test of the benchmark scripts at a tiny size, so they keep working.

The figures they print are not checked: speed is measured by running them in full.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def run_benchmark(tmp_path: Path, script: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("EPM_")}
    return subprocess.run(
        [sys.executable, str(BENCHMARKS / script), *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_polling_benchmark_tiny(tmp_path: Path) -> None:
    completed = run_benchmark(tmp_path, "polling.py", "--durations", "10,60", "--samples", "2")

    assert completed.returncode == 0, completed.stderr
    assert "job of 10 s" in completed.stdout
    assert "job of 1 min" in completed.stdout
    for schedule in ("default 5-60 s", "fixed 5 s", "fixed 10 s", "fixed 30 s"):
        assert schedule in completed.stdout
    assert "both targets met on every duration measured" in completed.stdout


def test_startup_benchmark_tiny(tmp_path: Path) -> None:
    completed = run_benchmark(tmp_path, "startup.py", "--runs", "1")

    assert completed.returncode == 0, completed.stderr
    assert "floor: import requests" in completed.stdout
    assert "epm-gate run (attach, job ended)" in completed.stdout
    assert "gate run: wall" in completed.stdout
    assert "import self time of one gate run" in completed.stdout


def test_download_memory_benchmark_tiny(tmp_path: Path) -> None:
    completed = run_benchmark(tmp_path, "download_memory.py", "--size-mib", "4", "--status", "1")

    assert completed.returncode == 0, completed.stderr
    assert "log 4 MiB, job status 1, exit 1" in completed.stdout
    assert "saved 4194304 bytes" in completed.stdout
    assert "PASS" in completed.stdout


def test_benchmarks_reject_bad_sizes(tmp_path: Path) -> None:
    polling = run_benchmark(tmp_path, "polling.py", "--samples", "0")
    durations = run_benchmark(tmp_path, "polling.py", "--durations", "10,2min")
    startup = run_benchmark(tmp_path, "startup.py", "--runs", "0")

    assert polling.returncode == 2
    assert "--samples must be at least 1" in polling.stderr
    assert durations.returncode == 2
    assert "--durations: invalid value '10,2min'" in durations.stderr
    assert startup.returncode == 2
    assert "--runs must be at least 1" in startup.stderr
