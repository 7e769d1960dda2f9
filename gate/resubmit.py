"""The resubmit policy: submit a failed job again when its failure category is listed.

Only a submitted job that EPM ended with status 1 (Error) is submitted again. Some jobs
never are, because a second submit could load the same data twice: an attached job, a
rejected submit (status 4, HTTP 400 or 404), and a run whose outcome is unknown (a lost
submit response, an unrecognised status, a job still running at EPM_TIMEOUT).
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections.abc import Callable

from gate.durations import format_duration
from gate.epm.retry import backoff_delay
from gate.epm.status import JobState
from gate.errors import GateError
from gate.outcome import FAILURE_CATEGORIES, Outcome
from gate.record import RunRecord, iso, utc_now
from gate.settings import Settings
from gate.wait import Clock

log = logging.getLogger("gate")

# Outcomes after which a job may be submitted again.
RESUBMITTABLE_OUTCOMES = frozenset({Outcome.FAILED})
# Categories that a status 1 job can be diagnosed with, so the only useful EPM_RESUBMIT_ON values.
RESUBMIT_CATEGORIES = tuple(
    category
    for category in FAILURE_CATEGORIES
    if category not in ("auth", "infra", "cancelled", "interrupted")
)


def resubmit_problems(settings: Settings) -> list[str]:
    """Return a problem for each EPM_RESUBMIT_ON value that can never lead to a resubmit."""
    problems = []
    for category in settings.resubmit_on:
        if category not in RESUBMIT_CATEGORIES:
            problems.append(
                f"EPM_RESUBMIT_ON: {category!r} is not a category a failed job can have; "
                f"expected a comma-separated list of {', '.join(RESUBMIT_CATEGORIES)}"
            )
    return problems


class Resubmitter:
    """Runs attempts of a submitted job until one is final, keeping each in ``attempts``."""

    def __init__(
        self,
        settings: Settings,
        record: RunRecord,
        *,
        clock: Clock,
        deadline: float,
        rng: random.Random | None = None,
    ) -> None:
        self.categories = frozenset(settings.resubmit_on)
        self.max_resubmits = settings.max_resubmits
        self.base_delay = settings.poll_interval
        self.max_delay = settings.poll_max_interval
        self.record = record
        self.clock = clock
        self.deadline = deadline
        self.rng = rng or random.Random()  # noqa: S311 - jitter only
        self.resubmits = 0

    def run(
        self,
        submit: Callable[[], tuple[int, JobState | None]],
        wait: Callable[[int, JobState | None], JobState],
        finish: Callable[[JobState], None],
    ) -> None:
        """Submit, wait and finish; repeat while the policy allows. GateError may escape."""
        while True:
            started = utc_now()
            started_monotonic = self.clock.monotonic()
            try:
                job_id, state = submit()
                finish(wait(job_id, state))
            except GateError as exc:
                self._keep_attempt(started, exc.outcome.value, exc.outcome.default_category)
                raise
            outcome = self.record.outcome
            assert outcome is not None
            self._keep_attempt(started, outcome.value, self.record.failure_category)
            delay = self._next_delay(outcome, self.clock.monotonic() - started_monotonic)
            if delay is None:
                return
            self.resubmits += 1
            log.warning(
                "job %s failed (%s); submitting it again in %s (resubmit %d of %d)",
                self.record.job_id,
                self.record.failure_category,
                format_duration(delay),
                self.resubmits,
                self.max_resubmits,
            )
            self.clock.sleep(delay)
            self._forget_job()

    def _next_delay(self, outcome: Outcome, last_attempt: float) -> float | None:
        """Return the back-off before the next submit, or None when there is none."""
        category = self.record.failure_category
        if category not in self.categories:
            return None
        if self.record.attached:
            # A job found in the re-run state file was submitted by an earlier run; only
            # that run's policy may submit it again.
            self._note(
                "not submitted again: the gate attached to this job instead of submitting it"
            )
            return None
        if outcome not in RESUBMITTABLE_OUTCOMES:
            log.info(
                "job %s is not submitted again: its outcome is %s, and only a job that ended "
                "with status 1 (Error) is",
                self.record.job_id,
                outcome.value,
            )
            return None
        if self.resubmits >= self.max_resubmits:
            if self.max_resubmits:
                self._note(f"not submitted again: EPM_MAX_RESUBMITS={self.max_resubmits} reached")
            return None
        delay = backoff_delay(
            self.resubmits + 1, base=self.base_delay, cap=self.max_delay, rng=self.rng
        )
        # The next job is expected to take as long as the one that just failed. A job
        # that could not end before EPM_TIMEOUT would only be left running in EPM.
        if self.clock.monotonic() + delay + last_attempt >= self.deadline:
            self._note("not submitted again: EPM_TIMEOUT would pass before the job could end")
            return None
        return delay

    def _keep_attempt(self, started: dt.datetime, outcome: str, category: str) -> None:
        self.record.attempts.append(
            {
                "jobId": self.record.job_id,
                "outcome": outcome,
                "category": category,
                "startedAt": iso(started),
                "finishedAt": iso(utc_now()),
                "logFile": self.record.files.get("log"),
            }
        )

    def _note(self, text: str) -> None:
        message = f"job {self.record.job_id} failed ({self.record.failure_category}) and was {text}"
        log.warning("%s", message)
        self.record.warnings.append(message)

    def _forget_job(self) -> None:
        """Clear what belongs to the attempt just ended; history and counts carry on."""
        record = self.record
        record.job_id = None
        record.job = None
        record.status = None
        record.job_status = None
        record.outcome = None
        record.exit_code = None
        record.message = ""
        record.failure = None
        record.finished_at = None
        record.files = {"log": None, "output": None}
        record.children = []
