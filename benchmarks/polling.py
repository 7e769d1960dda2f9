"""Polling efficiency: how soon the gate notices a job's end, and how many status requests it sends.

Runs the gate's own run path (``GateRun``, ``Waiter``, ``PollSchedule``) against the
simulator over real HTTP on 127.0.0.1. The gate and the simulator share one simulated
clock: the gate's sleeps advance it at once, so a two-hour job takes a second or so of
real time, and both sides see the same instant for every request.

Each job duration is played at several end times spread around the nominal duration, so
the figures do not depend on how the job's end lines up with the poll times.

    python benchmarks/polling.py                       # 10 s, 2 min, 20 min and 2 h
    python benchmarks/polling.py --durations 10 --samples 2   # the smoke-test size
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from gate.record import RunRecord
from gate.report.redact import Redactor
from gate.report.reporter import Reporter
from gate.run import GateRun
from gate.settings import Settings, load_settings
from gate.simulator import Clock as SimulatorClock
from gate.simulator import Scenario, Simulator, SimulatorServer, job

DURATIONS = (10.0, 120.0, 1200.0, 7200.0)
SAMPLES = 8

# Maximum spread of end times around a nominal duration, in seconds: one full period of
# the slowest poll interval measured (60 s), or half the duration for short jobs.
MAX_SPREAD = 60.0

# Targets: detection lag at most LAG_SHARE of the job's duration plus LAG_ALLOWANCE
# seconds, and at most REQUEST_ALLOWANCE more status requests than a fixed 30 s poll.
LAG_SHARE = 0.1
LAG_ALLOWANCE = 5.0
REQUEST_ALLOWANCE = 30
BASELINE = "fixed 30 s"

# The fractional part of the golden ratio, (sqrt(5) - 1) / 2.
GOLDEN_FRACTION = 0.6180339887498949

USER = "bench"
PASSWORD = "bench-pass"
STATUS_PATH = "/aif/rest/V1/jobs/"


class SimulatedTime:
    """A clock whose ``sleep`` advances the time at once; the gate's ``Clock`` protocol."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        """Return the simulated seconds since the benchmark started."""
        return self.now

    def sleep(self, seconds: float) -> None:
        """Advance the simulated time without waiting."""
        if seconds > 0:
            self.now += seconds


class SharedSimulatorClock(SimulatorClock):
    """The simulator's clock, reading the gate's simulated time."""

    def __init__(self, time: SimulatedTime) -> None:
        super().__init__()
        self.time = time

    def now(self) -> float:
        """Return the simulated seconds the gate has slept so far."""
        return self.time.now


@dataclass(frozen=True)
class Schedule:
    """A poll schedule as the gate's settings express it, in seconds."""

    name: str
    poll_interval: float
    poll_max_interval: float


@dataclass(frozen=True)
class Sample:
    """One gate run: when the job ended, how late the gate noticed, how often it asked."""

    job_seconds: float
    lag: float
    requests: int


def default_schedule() -> Schedule:
    """Return the schedule the gate uses when EPM_POLL_INTERVAL and its maximum are unset."""
    first = Settings.model_fields["poll_interval"].default
    maximum = Settings.model_fields["poll_max_interval"].default
    return Schedule(f"default {first:g}-{maximum:g} s", first, maximum)


def schedules() -> list[Schedule]:
    """Return the gate's default schedule and the fixed intervals hand-written scripts use."""
    fixed = [Schedule(f"fixed {seconds:g} s", seconds, seconds) for seconds in (5.0, 10.0, 30.0)]
    return [default_schedule(), *fixed]


def end_times(duration: float, samples: int) -> list[float]:
    """Return job durations spread over a window centred on ``duration``.

    The first is the nominal duration. The others follow the golden-ratio sequence, which
    covers the window evenly for any sample count without landing on round seconds, so
    fixed intervals are not lucky by lining up with the job's end.
    """
    spread = min(duration / 2, MAX_SPREAD)
    positions = [(0.5 + index * GOLDEN_FRACTION) % 1.0 for index in range(samples)]
    return [duration + spread * (position - 0.5) for position in positions]


def run_gate(server: SimulatorServer, time: SimulatedTime, schedule: Schedule) -> Sample:
    """Submit one job through the gate's run path and wait for it on the simulated clock."""
    simulator = server.simulator
    settings = load_settings(
        {
            "url": server.url,
            "username": USER,
            "password": PASSWORD,
            "job_name": "GL_ACTUALS",
            "poll_interval": str(schedule.poll_interval),
            "poll_max_interval": str(schedule.poll_max_interval),
            # Longer than the longest job, so no run ends in a timeout.
            "timeout": str(4 * max(DURATIONS)),
            "ci": "none",
        }
    )
    record = RunRecord()
    simulator.requests.clear()
    GateRun(settings, record, Reporter({}, Redactor(), "none"), clock=time).execute()
    assert record.outcome is not None and record.outcome.value == "success", record.message
    assert record.job_id is not None
    played = simulator.jobs[record.job_id]
    assert played.scenario.run_seconds is not None
    ended_at = played.created + played.scenario.run_seconds
    requests = simulator.count("GET", STATUS_PATH)
    return Sample(played.scenario.run_seconds, time.monotonic() - ended_at, requests)


def measure(durations: Sequence[float], samples: int) -> dict[tuple[float, str], list[Sample]]:
    """Run every schedule against every end time; return the samples per duration and schedule."""
    time = SimulatedTime()
    simulator = Simulator(user=USER, password=PASSWORD, clock=SharedSimulatorClock(time))
    results: dict[tuple[float, str], list[Sample]] = {}
    with SimulatorServer(simulator) as server:
        for duration in durations:
            for seconds in end_times(duration, samples):
                simulator.scenario = Scenario("bench", run_seconds=seconds, final=job(0))
                for schedule in schedules():
                    sample = run_gate(server, time, schedule)
                    results.setdefault((duration, schedule.name), []).append(sample)
    return results


def lag_met(sample: Sample) -> bool:
    """Tell whether a run noticed the end within the lag target of its own duration."""
    return sample.lag <= LAG_SHARE * sample.job_seconds + LAG_ALLOWANCE + 1e-9


def print_tables(
    results: dict[tuple[float, str], list[Sample]], durations: Sequence[float]
) -> None:
    """Print one table per duration and the verdict per schedule over all durations."""
    names = [schedule.name for schedule in schedules()]
    met_everywhere = dict.fromkeys(names, True)
    for duration in durations:
        baseline = results[(duration, BASELINE)]
        lag_target = LAG_SHARE * duration + LAG_ALLOWANCE
        request_limit = statistics.mean(s.requests for s in baseline) + REQUEST_ALLOWANCE
        print(
            f"\njob of {format_seconds(duration)} (end times {format_spread(baseline)}); "
            f"targets: lag <= {lag_target:g} s, requests <= {BASELINE} + {REQUEST_ALLOWANCE} "
            f"(mean {request_limit:g})"
        )
        print(
            f"{'schedule':<18} {'lag mean s':>10} {'lag max s':>10} {'lag max %':>9} "
            f"{'req mean':>9} {'req max':>8} {'req/fixed30':>11}  {'lag ok':<6} {'req ok':<6}"
        )
        for name in names:
            runs = results[(duration, name)]
            lags_ok = all(lag_met(sample) for sample in runs)
            requests_ok = all(
                sample.requests <= base.requests + REQUEST_ALLOWANCE
                for sample, base in zip(runs, baseline, strict=True)
            )
            met_everywhere[name] = met_everywhere[name] and lags_ok and requests_ok
            worst_share = max(sample.lag / sample.job_seconds for sample in runs)
            requests_mean = statistics.mean(sample.requests for sample in runs)
            print(
                f"{name:<18} {statistics.mean(s.lag for s in runs):>10.1f} "
                f"{max(s.lag for s in runs):>10.1f} {100 * worst_share:>8.1f}% "
                f"{requests_mean:>9.1f} {max(s.requests for s in runs):>8} "
                f"{requests_mean / statistics.mean(s.requests for s in baseline):>10.2f}x  "
                f"{yes_no(lags_ok):<6} {yes_no(requests_ok):<6}"
            )
    print(
        f"\nboth targets met on every duration measured ({', '.join(map(format_seconds, durations))}):"
    )
    for name in names:
        print(f"  {name:<18} {yes_no(met_everywhere[name])}")


def format_seconds(seconds: float) -> str:
    """Return ``10 s``, ``2 min`` or ``2 h``."""
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{seconds / 3600:g} h"
    if seconds >= 60 and seconds % 60 == 0:
        return f"{seconds / 60:g} min"
    return f"{seconds:g} s"


def format_spread(runs: list[Sample]) -> str:
    """Return the range of end times of a set of runs, e.g. ``7.5-11.9 s``."""
    seconds = [sample.job_seconds for sample in runs]
    return f"{min(seconds):.1f}-{max(seconds):.1f} s, {len(seconds)} samples"


def yes_no(flag: bool) -> str:
    """Return ``yes`` or ``NO``, so a missed target is easy to spot."""
    return "yes" if flag else "NO"


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--durations",
        default=",".join(f"{seconds:g}" for seconds in DURATIONS),
        help="comma-separated nominal job durations in seconds (default: %(default)s)",
    )
    parser.add_argument(
        "--samples",
        type=int,
        default=SAMPLES,
        help="end times per duration, spread around it (default: %(default)s)",
    )
    options = parser.parse_args(argv)
    text = options.durations
    try:
        options.durations = [float(item) for item in text.split(",") if item.strip()]
    except ValueError:
        parser.error(f"--durations: invalid value {text!r}; expected seconds such as 10,120")
    if not options.durations or min(options.durations) <= 0:
        parser.error(f"--durations: invalid value {text!r}; expected positive seconds")
    if options.samples < 1:
        parser.error("--samples must be at least 1")
    return options


def main(argv: Sequence[str]) -> int:
    """Measure and print the tables."""
    options = parse_args(argv)
    # EPM_* variables of the calling shell would change the schedules measured.
    for name in [name for name in os.environ if name.startswith("EPM_")]:
        del os.environ[name]
    results = measure(options.durations, options.samples)
    print_tables(results, options.durations)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
