"""Measure the gate's peak memory while it downloads a large job log from the simulator.

The simulator runs in this process and generates the log while sending it, so only the
gate (a child process) holds any of it. The gate's peak resident set size is read from
``getrusage(RUSAGE_CHILDREN)`` once it has exited.

Usage: ``python benchmarks/download_memory.py [--size-mib 1024] [--limit-mib 150]``
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from gate.simulator import Scenario, Simulator, SimulatorServer, job

LOG_NAME = "outbox/logs/GL_ACTUALS_4412.log"
USER = "bench_user"
PASSWORD = "bench-pass"


def run(size: int, status: int) -> tuple[int, int, float, int]:
    """Run one gate against a log of ``size`` bytes; return exit, peak KiB, seconds, bytes saved."""
    simulator = Simulator(
        Scenario("big-log", polls=[job(status, logFileName=LOG_NAME)]),
        user=USER,
        password=PASSWORD,
    )
    simulator.files.put_generated(LOG_NAME, size)
    with (
        tempfile.TemporaryDirectory(prefix="epm-gate-bench-") as work,
        SimulatorServer(simulator) as server,
    ):
        env = {key: value for key, value in os.environ.items() if not key.startswith("EPM_")}
        env.update(
            {
                "EPM_URL": server.url,
                "EPM_USERNAME": USER,
                "EPM_PASSWORD": PASSWORD,
                "EPM_JOB_NAME": "GL_ACTUALS",
                "EPM_POLL_INTERVAL": "0.05",
                "EPM_CI": "none",
                "EPM_DOWNLOAD_DIR": str(Path(work) / "files"),
                "EPM_SUMMARY_PATH": str(Path(work) / "summary.json"),
            }
        )
        started = time.monotonic()
        completed = subprocess.run(
            [sys.executable, "-m", "gate"], env=env, cwd=work, capture_output=True, check=False
        )
        elapsed = time.monotonic() - started
        saved = Path(work) / "files" / Path(LOG_NAME).name
        saved_size = saved.stat().st_size if saved.exists() else 0
        if completed.returncode not in (0, 1):
            sys.stderr.write(completed.stderr.decode(errors="replace"))
    # On Linux ru_maxrss is in KiB, and for RUSAGE_CHILDREN it is the largest child's peak.
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return completed.returncode, peak_kib, elapsed, saved_size


def main() -> int:
    """Run the benchmark and print one result line; exit 1 when a check fails."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024, help="log size in MiB")
    parser.add_argument("--limit-mib", type=float, default=150.0, help="largest peak RSS allowed")
    parser.add_argument(
        "--status",
        type=int,
        default=0,
        help="the job's final status; 1 makes the gate also read the whole log to diagnose it",
    )
    options = parser.parse_args()

    size = options.size_mib * 1024 * 1024
    code, peak_kib, elapsed, saved = run(size, options.status)
    peak_mib = peak_kib / 1024
    expected_code = {0: 0, 1: 1}.get(options.status, code)
    passed = code == expected_code and saved == size and peak_mib < options.limit_mib
    print(
        f"download_memory: log {options.size_mib} MiB, job status {options.status}, "
        f"exit {code}, saved {saved} bytes, "
        f"gate peak RSS {peak_mib:.1f} MiB (limit {options.limit_mib:g} MiB), "
        f"{elapsed:.1f}s, {'PASS' if passed else 'FAIL'}"
    )
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
