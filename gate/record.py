"""The record of one gate run: everything the reports need, in plain data."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from typing import Any

from gate.outcome import Outcome


def utc_now() -> dt.datetime:
    """Return the current UTC time, to the second."""
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def iso(moment: dt.datetime | None) -> str | None:
    """Return an ISO 8601 UTC timestamp such as ``2026-04-30T06:00:00Z``."""
    if moment is None:
        return None
    return moment.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z")


@dataclass
class Failure:
    """The cause of a run that did not succeed, as the summary's ``failure`` object reports it."""

    category: str
    reason: str
    retryable: bool = False
    excerpt: list[str] = field(default_factory=list)
    rejected_records: int | None = None


@dataclass
class RunRecord:
    """The record of one run: filled as the run goes, read by every report writer."""

    api: str = "integration"
    started_at: dt.datetime = field(default_factory=utc_now)
    started_monotonic: float = field(default_factory=time.monotonic)
    finished_at: dt.datetime | None = None
    job_id: int | None = None
    job_name: str | None = None
    job_type: str | None = None
    attached: bool = False
    # True when a re-run attached to the job its state file named, instead of submitting.
    resumed: bool = False
    state_file: str | None = None
    request: dict[str, Any] | None = None
    job: dict[str, Any] | None = None
    status: int | None = None
    job_status: str | None = None
    history: list[dict[str, Any]] = field(default_factory=list)
    polls: int = 0
    requests: int = 0
    retries: int = 0
    files: dict[str, str | None] = field(default_factory=lambda: {"log": None, "output": None})
    warnings: list[str] = field(default_factory=list)
    children: list[dict[str, Any]] = field(default_factory=list)
    attempts: list[dict[str, Any]] = field(default_factory=list)
    ci: dict[str, str | None] = field(default_factory=dict)
    outcome: Outcome | None = None
    exit_code: int | None = None
    message: str = ""
    failure: Failure | None = None
    # One line per invalid setting, for a usage error; each is logged on its own.
    problems: list[str] = field(default_factory=list)
    last_answer_at: dt.datetime | None = None

    def observe(self, job: dict[str, Any], status: int, job_status: str | None) -> bool:
        """Store a job status response; add a history entry and return True when the state changed."""
        self.job = job
        self.last_answer_at = utc_now()
        changed = not self.history or (
            self.history[-1]["status"],
            self.history[-1]["jobStatus"],
        ) != (status, job_status)
        self.status = status
        self.job_status = job_status
        if changed:
            self.history.append(
                {"at": iso(self.last_answer_at), "status": status, "jobStatus": job_status}
            )
        return changed

    def finish(self, outcome: Outcome, message: str, exit_code: int | None = None) -> None:
        """Set the verdict; the exit code defaults to the outcome's."""
        self.outcome = outcome
        self.exit_code = outcome.exit_code if exit_code is None else exit_code
        self.message = message
        self.finished_at = utc_now()

    @property
    def duration_seconds(self) -> float:
        """Return the seconds since the run started, on the monotonic clock."""
        return round(time.monotonic() - self.started_monotonic, 1)

    @property
    def failure_category(self) -> str:
        """Return the failure category, or "" on success."""
        if self.outcome is None or self.outcome is Outcome.SUCCESS:
            return ""
        if self.failure is not None:
            return self.failure.category
        return self.outcome.default_category
