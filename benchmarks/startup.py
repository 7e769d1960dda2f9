"""Start-up cost: wall time, CPU time and peak RSS of ``epm-gate`` processes against ``import requests``.

Every case is a fresh process started with ``posix_spawn`` and reaped with ``wait4``, whose
resource usage gives that one process's CPU time and peak resident set size. The cases run in turns,
so a busy moment on the machine spreads over all of them, and each figure is the median
of its runs after one uncounted warm-up run. The gate run attaches (EPM_JOB_ID) to a job that already ended, served by a
simulator in a separate process so that its cost is not counted.

    python benchmarks/startup.py              # 20 runs per case
    python benchmarks/startup.py --runs 1     # the smoke-test size

Linux and macOS only: it needs ``os.posix_spawn`` and ``os.wait4``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

RUNS = 20
TARGET_RATIO = 2.5
JOB_ID = 4412
USER = "bench"
PASSWORD = "bench-password"

# Linux reports ru_maxrss in KiB, macOS in bytes.
RSS_UNIT = 1 if sys.platform == "darwin" else 1024


@dataclass(frozen=True)
class Case:
    """One command line whose process is measured."""

    name: str
    argv: list[str]


@dataclass(frozen=True)
class Sample:
    """One process: wall seconds from spawn to reaped, CPU seconds and peak RSS in bytes."""

    wall: float
    cpu: float
    rss: int


def gate_command() -> list[str]:
    """Return the ``epm-gate`` console script next to this interpreter, else ``python -m gate``."""
    script = Path(sys.executable).with_name("epm-gate")
    return [str(script)] if script.exists() else [sys.executable, "-m", "gate"]


def cases() -> list[Case]:
    """Return the floor, the reference points and the two gate commands measured."""
    python = sys.executable
    return [
        Case("python -c pass", [python, "-c", "pass"]),
        Case("floor: import requests", [python, "-c", "import requests"]),
        Case(
            "import requests, pydantic_settings",
            [python, "-c", "import requests, pydantic_settings"],
        ),
        Case("epm-gate --version", [*gate_command(), "--version"]),
        Case("epm-gate run (attach, job ended)", gate_command()),
    ]


def run_once(argv: list[str], env: dict[str, str], output: Path) -> Sample:
    """Spawn one process with stdout and stderr in ``output``; raise if it fails."""
    redirect = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    actions = [
        (os.POSIX_SPAWN_OPEN, 1, str(output), redirect, 0o600),
        (os.POSIX_SPAWN_DUP2, 1, 2),
    ]
    started = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, env, file_actions=actions)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        text = output.read_text(encoding="utf-8", errors="replace")
        raise RuntimeError(f"{' '.join(argv)} exited with {code}:\n{text}")
    return Sample(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * RSS_UNIT)


def child_env(url: str, workdir: Path) -> dict[str, str]:
    """Return the environment of every measured process: a gate that attaches to the ended job."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("EPM_")}
    # An installed package ships compiled bytecode. An editable install compiles it on
    # first use, and on every run while PYTHONDONTWRITEBYTECODE is set.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(
        {
            "EPM_URL": url,
            "EPM_USERNAME": USER,
            "EPM_PASSWORD": PASSWORD,
            "EPM_JOB_ID": str(JOB_ID),
            "EPM_CI": "none",
            "EPM_SUMMARY_PATH": str(workdir / "epm-gate-summary.json"),
        }
    )
    return env


def measure(runs: int, url: str, workdir: Path) -> dict[str, list[Sample]]:
    """Run every case ``runs`` times, in turns; return the samples per case."""
    env = child_env(url, workdir)
    output = workdir / "output.txt"
    samples: dict[str, list[Sample]] = {case.name: [] for case in cases()}
    # One uncounted run per case writes bytecode caches and warms the page cache.
    for case in cases():
        run_once(case.argv, env, output)
    for _ in range(runs):
        for case in cases():
            samples[case.name].append(run_once(case.argv, env, output))
    return samples


def imports_by_package(url: str, workdir: Path) -> tuple[dict[str, float], list[str]]:
    """Run the gate once under ``-X importtime``; return self time per top package and gate modules."""
    env = child_env(url, workdir) | {"PYTHONPROFILEIMPORTTIME": "1"}
    completed = subprocess.run(
        gate_command(), env=env, capture_output=True, text=True, timeout=60, check=True
    )
    seconds: dict[str, float] = {}
    gate_modules = []
    for line in completed.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        self_column, _, name_column = line.removeprefix("import time:").split("|")
        if not self_column.strip().isdigit():
            continue
        name = name_column.strip()
        package = name.split(".")[0]
        seconds[package] = seconds.get(package, 0.0) + int(self_column) / 1e6
        if package == "gate":
            gate_modules.append(name)
    return seconds, sorted(gate_modules)


def print_table(samples: dict[str, list[Sample]]) -> None:
    """Print medians and ratios to the floor, and whether the gate run meets the target."""
    floor = samples["floor: import requests"]
    floor_wall = statistics.median(sample.wall for sample in floor)
    floor_cpu = statistics.median(sample.cpu for sample in floor)
    floor_rss = statistics.median(sample.rss for sample in floor)
    runs = len(floor)
    print(f"median of {runs} runs per case; ratios are to the floor measured in the same run")
    print(
        f"{'case':<36} {'wall ms':>8} {'CPU ms':>7} {'RSS MB':>7} "
        f"{'wall/floor':>10} {'CPU/floor':>9} {'RSS/floor':>9}"
    )
    for name, runs_of_case in samples.items():
        wall = statistics.median(sample.wall for sample in runs_of_case)
        cpu = statistics.median(sample.cpu for sample in runs_of_case)
        rss = statistics.median(sample.rss for sample in runs_of_case)
        print(
            f"{name:<36} {1000 * wall:>8.0f} {1000 * cpu:>7.0f} {rss / 2**20:>7.1f} "
            f"{wall / floor_wall:>9.2f}x {cpu / floor_cpu:>8.2f}x {rss / floor_rss:>8.2f}x"
        )
    gate_run = samples["epm-gate run (attach, job ended)"]
    wall_ratio = statistics.median(sample.wall for sample in gate_run) / floor_wall
    rss_ratio = statistics.median(sample.rss for sample in gate_run) / floor_rss
    met = wall_ratio <= TARGET_RATIO and rss_ratio <= TARGET_RATIO
    print(
        f"\ngate run: wall {wall_ratio:.2f}x, RSS {rss_ratio:.2f}x the floor; "
        f"target <= {TARGET_RATIO:g}x: {'met' if met else 'NOT met'}"
    )


def print_imports(seconds: dict[str, float], gate_modules: list[str]) -> None:
    """Print where the gate run's import time goes, by top-level package."""
    total = sum(seconds.values())
    print("\nimport self time of one gate run, by top-level package (-X importtime adds overhead)")
    print(f"{'package':<24} {'ms':>7} {'share':>6}")
    for package, spent in sorted(seconds.items(), key=lambda item: -item[1])[:12]:
        print(f"{package:<24} {1000 * spent:>7.1f} {100 * spent / total:>5.1f}%")
    print(f"{'all ' + str(len(seconds)) + ' packages':<24} {1000 * total:>7.1f}")
    unused = ("gate.simulator", "gate.report.github", "gate.epm.oauth", "gate.epm.planning")
    loaded = [name for name in unused if any(m.startswith(name) for m in gate_modules)]
    print(f"gate modules imported: {len(gate_modules)}; of {', '.join(unused)}: ", end="")
    print(", ".join(loaded) if loaded else "none")


def serve_finished_job() -> int:
    """Serve a simulator holding one ended job; print its URL, stop when stdin closes."""
    from gate.simulator import Scenario, Simulator, SimulatorServer, job

    simulator = Simulator(user=USER, password=PASSWORD)
    simulator.add_job(JOB_ID, Scenario("ended", polls=[job(0)]))
    with SimulatorServer(simulator) as server:
        print(server.url, flush=True)
        sys.stdin.read()
    return 0


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--runs", type=int, default=RUNS, help="runs per case (default: %(default)s)"
    )
    parser.add_argument(
        "--serve-finished-job", action="store_true", help=argparse.SUPPRESS
    )  # the simulator process this script starts for itself
    options = parser.parse_args(argv)
    if options.runs < 1:
        parser.error("--runs must be at least 1")
    return options


def main(argv: Sequence[str]) -> int:
    """Start the simulator process, measure every case and print the tables."""
    options = parse_args(argv)
    if options.serve_finished_job:
        return serve_finished_job()
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve-finished-job"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdin is not None and server.stdout is not None
    try:
        url = server.stdout.readline().strip()
        with tempfile.TemporaryDirectory(prefix="epm-gate-startup-") as folder:
            workdir = Path(folder)
            samples = measure(options.runs, url, workdir)
            seconds, gate_modules = imports_by_package(url, workdir)
    finally:
        server.stdin.close()
        server.wait(timeout=10)
    print_table(samples)
    print_imports(seconds, gate_modules)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
