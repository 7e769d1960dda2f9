"""The wait loop: poll a job until it ends, within a deadline and a retry budget."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from gate.durations import format_duration
from gate.epm.jobs import JobApi
from gate.epm.retry import backoff_delay
from gate.epm.status import JobState
from gate.errors import InfraError, TransientError

log = logging.getLogger("gate")

HEARTBEAT_SECONDS = 300.0


class Clock(Protocol):
    """Monotonic time and sleeping; benchmarks pass a simulated clock."""

    def monotonic(self) -> float:
        """Return seconds on a clock that never goes back."""
        ...

    def sleep(self, seconds: float) -> None:
        """Wait for the given seconds."""
        ...


class SystemClock:
    """The real clock."""

    def monotonic(self) -> float:
        """Return ``time.monotonic()``."""
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        """Sleep; a signal handler may raise out of it."""
        if seconds > 0:
            time.sleep(seconds)


@dataclass(frozen=True)
class PollSchedule:
    """When to ask again: a tenth of the time waited so far, between two bounds.

    Waiting in proportion to the elapsed time keeps the detection lag near 10% of a
    job's duration, while a two-hour job costs about as many requests as a few minutes
    of fixed polling.
    """

    first: float
    maximum: float
    ratio: float = 0.1

    def interval(self, elapsed: float) -> float:
        """Return the seconds to wait before the next status request."""
        return min(self.maximum, max(self.first, self.ratio * elapsed))


class DeadlineReached(Exception):
    """EPM_TIMEOUT passed before the job reached a terminal status."""

    def __init__(self, waited: float, last: JobState | None, last_error: str | None) -> None:
        super().__init__(f"no terminal status after {format_duration(waited)}")
        self.waited = waited
        self.last = last
        self.last_error = last_error


@dataclass
class WaitLimits:
    """The settings that bound a wait, in seconds."""

    timeout: float
    unreachable_timeout: float
    poll_interval: float
    poll_max_interval: float


class Waiter:
    """Polls one job; calls ``on_state`` with every answer and ``on_failure`` per failed poll."""

    def __init__(
        self,
        api: JobApi,
        limits: WaitLimits,
        *,
        clock: Clock | None = None,
        on_state: Callable[[JobState], None],
        on_failure: Callable[[TransientError], None],
        rng: random.Random | None = None,
    ) -> None:
        self.api = api
        self.limits = limits
        self.clock = clock or SystemClock()
        self.schedule = PollSchedule(limits.poll_interval, limits.poll_max_interval)
        self.on_state = on_state
        self.on_failure = on_failure
        self.rng = rng or random.Random()  # noqa: S311 - jitter only
        self.polls = 0

    def wait(self, job_id: int, start: float, state: JobState | None) -> JobState:
        """Return the first terminal state; raise DeadlineReached or InfraError.

        ``start`` is the monotonic time the deadline counts from; ``state`` is the submit
        answer, or None when attaching, in which case the first poll is immediate.
        """
        deadline = start + self.limits.timeout
        failures = 0
        failing_since: float | None = None
        retry_after: float | None = None
        last_error: str | None = None
        next_heartbeat = start + HEARTBEAT_SECONDS
        delay = 0.0 if state is None else self.schedule.interval(0.0)

        while state is None or state.waiting:
            now = self.clock.monotonic()
            if now + delay >= deadline:
                return self._final_check(job_id, start, deadline, state, last_error)
            self.clock.sleep(delay)
            try:
                state = self._poll(job_id)
            except TransientError as exc:
                now = self.clock.monotonic()
                failures += 1
                failing_since = now if failing_since is None else failing_since
                retry_after, last_error = exc.retry_after, exc.message
                self.on_failure(exc)
                if now - failing_since >= self.limits.unreachable_timeout:
                    raise InfraError(
                        f"status requests for job {job_id} kept failing for "
                        f"{format_duration(now - failing_since)} (EPM_UNREACHABLE_TIMEOUT); "
                        f"last error: {exc.message}. The job may still be running: attach "
                        f"later with EPM_JOB_ID={job_id}"
                    ) from exc
                delay = backoff_delay(
                    failures,
                    base=self.limits.poll_interval,
                    cap=self.limits.poll_max_interval,
                    retry_after=retry_after,
                    rng=self.rng,
                )
                continue
            failures, failing_since, last_error = 0, None, None
            now = self.clock.monotonic()
            delay = self.schedule.interval(now - start)
            if now >= next_heartbeat and state.waiting:
                log.info(
                    "job %s still running (status %s %s) after %s",
                    job_id,
                    state.status,
                    state.job_status or state.status_name,
                    format_duration(now - start),
                )
                next_heartbeat = now + HEARTBEAT_SECONDS
        return state

    def _poll(self, job_id: int) -> JobState:
        self.polls += 1
        state = self.api.status(job_id)
        self.on_state(state)
        return state

    def _final_check(
        self,
        job_id: int,
        start: float,
        deadline: float,
        state: JobState | None,
        last_error: str | None,
    ) -> JobState:
        """Sleep to the deadline and ask once more, so a job that just ended is not missed."""
        self.clock.sleep(max(0.0, deadline - self.clock.monotonic()))
        try:
            final = self._poll(job_id)
        except TransientError as exc:
            self.on_failure(exc)
            last_error = exc.message
        else:
            if not final.waiting:
                return final
            state, last_error = final, None
        raise DeadlineReached(self.clock.monotonic() - start, state, last_error)
