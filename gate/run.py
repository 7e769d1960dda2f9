"""One gate run: submit or attach, wait for a terminal status, reach a verdict."""

from __future__ import annotations

import logging
import random
from typing import Any

from gate.collect import Collector
from gate.durations import format_duration
from gate.epm.auth import Authenticator, BasicAuth, BearerAuth, SecretSink
from gate.epm.jobs import IntegrationJobs, JobApi, Throttled
from gate.epm.payloads import request_body
from gate.epm.retry import backoff_delay
from gate.epm.session import EpmSession
from gate.epm.status import STATUS_NAMES, JobState
from gate.errors import InfraError, SubmitUnknownError, TransientError
from gate.outcome import Outcome
from gate.record import RunRecord, iso
from gate.report.reporter import Reporter
from gate.resubmit import Resubmitter
from gate.settings import Settings
from gate.state import RerunState
from gate.wait import Clock, DeadlineReached, SystemClock, Waiter, WaitLimits

log = logging.getLogger("gate")

# Maximum length of EPM text (details, descriptive status) quoted in a message.
DETAILS_IN_MESSAGE = 300


def make_auth(settings: Settings, sink: SecretSink) -> Authenticator:
    """Return the authenticator for the one credential kind the settings complete."""
    password = settings.secret("password")
    if settings.username is not None and password is not None:
        return BasicAuth(settings.username, password, settings.identity_domain, sink)
    token = settings.secret("access_token")
    if token is not None:
        return BearerAuth(token, sink)
    from gate.epm.oauth import RefreshGrantAuth

    return RefreshGrantAuth.from_settings(settings, sink)


def make_api(settings: Settings, session: EpmSession) -> JobApi:
    """Return the job API that ``EPM_API`` selects."""
    if settings.api == "planning":
        from gate.epm.planning import PlanningJobs

        assert settings.application is not None
        return PlanningJobs(session, settings.effective_api_version, settings.application)
    return IntegrationJobs(session, settings.effective_api_version)


class GateRun:
    """Drives one job from submit (or attach) to its verdict, filling the run record."""

    def __init__(
        self,
        settings: Settings,
        record: RunRecord,
        reporter: Reporter,
        *,
        clock: Clock | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self.record = record
        self.reporter = reporter
        self.clock = clock or SystemClock()
        self.rng = rng or random.Random()  # noqa: S311 - jitter only
        self.limits = WaitLimits(
            timeout=settings.timeout,
            unreachable_timeout=settings.unreachable_timeout,
            poll_interval=settings.poll_interval,
            poll_max_interval=settings.poll_max_interval,
        )
        self.seen_disagreements: set[str] = set()
        self.session: EpmSession | None = None
        self.waiter: Waiter | None = None
        self.api: JobApi | None = None
        self.submit_attempts = 0

    def execute(self) -> None:
        """Run the gate; on return the record contains the verdict. GateError may escape."""
        settings = self.settings
        auth = make_auth(settings, self.reporter.redactor.add)
        self.session = EpmSession(
            settings.url,
            auth,
            request_timeout=settings.request_timeout,
            ca_bundle=settings.ca_bundle,
        )
        try:
            self.api = api = make_api(settings, self.session)
            start = self.clock.monotonic()
            if settings.attaching:
                assert settings.job_id is not None
                job_id = int(settings.job_id)
                self.record.job_id = job_id
                self.record.attached = True
                log.info("attaching to job %s at %s", job_id, settings.url)
                self.finish_job(self.wait_in_section(api, job_id, start, None))
            else:
                resubmitter = Resubmitter(
                    settings,
                    self.record,
                    clock=self.clock,
                    deadline=start + self.limits.timeout,
                    rng=self.rng,
                )
                resubmitter.run(
                    lambda: self.submit_in_section(api),
                    lambda job_id, state: self.wait_in_section(api, job_id, start, state),
                    self.finish_job,
                )
        finally:
            self.record.requests = self.session.requests_sent
            self.session.close()

    def submit_in_section(self, api: JobApi) -> tuple[int, JobState | None]:
        """Submit inside a folded log section of the CI platform."""
        title = f"Submitting {self.settings.effective_job_type} {self.settings.job_name}"
        with self.reporter.sections.section(title, "epm_submit"):
            return self.submit(api)

    def wait_in_section(
        self, api: JobApi, job_id: int, start: float, state: JobState | None
    ) -> JobState:
        """Wait inside a folded log section of the CI platform."""
        with self.reporter.sections.section(f"Waiting for job {job_id}", f"epm_poll_{job_id}"):
            return self.wait(api, job_id, start, state)

    def submit(self, api: JobApi) -> tuple[int, JobState | None]:
        """Send the submit, again only after a 429; return the job id and the response.

        The first submit of a run that finds a job in its re-run state file attaches to
        that job instead (unless EPM_RESUBMIT=always) and returns no response.
        """
        body = request_body(self.settings)
        rerun = RerunState.for_submit(
            self.settings,
            self.reporter.env,
            body,
            scrub=self.reporter.redactor.scrub,
            warn=self._warn,
        )
        recorded = None
        # Only the first submit of a run may attach: a resubmit of a failed job must
        # create a new job, not find the failed one in the state file.
        if self.submit_attempts == 0 and self.settings.resubmit != "always":
            recorded = rerun.recorded_job()
        self.submit_attempts += 1
        if recorded is not None:
            return self._resume(recorded, rerun), None
        self.record.request = body
        # EPM_JOB_PARAMETERS may override the name and type; the reports name what was sent.
        self.record.job_name = str(body.get("jobName") or self.record.job_name or "") or None
        self.record.job_type = str(body.get("jobType") or self.record.job_type or "") or None
        log.info(
            "submitting %s %s to %s", body.get("jobType"), body.get("jobName"), self.settings.url
        )
        state = self._submit_through_throttling(api, body)
        if state.job_id is None:
            self.observe(state)
            raise SubmitUnknownError(
                "the submit response has no jobId, so the job cannot be followed; a job may "
                "have been created; check Process Details in EPM before running again"
            )
        self.record.job_id = state.job_id
        if rerun.record_job(state.job_id, body):
            self.record.state_file = str(rerun.path)
        self.reporter.job_started(self.record)
        log.info("job %s submitted", state.job_id)
        self.observe(state)
        return state.job_id, state

    def _resume(self, job_id: int, rerun: RerunState) -> int:
        self.record.job_id = job_id
        self.record.attached = self.record.resumed = True
        self.record.state_file = str(rerun.path)
        log.info(
            "attaching to job %s, submitted by an earlier attempt of this CI job (state file "
            "%s); set EPM_RESUBMIT=always to submit a new job instead",
            job_id,
            rerun.path,
        )
        self.reporter.job_started(self.record)
        return job_id

    def _warn(self, message: str) -> None:
        self.record.warnings.append(message)
        self.reporter.warn(message)

    def _submit_through_throttling(self, api: JobApi, body: dict[str, Any]) -> JobState:
        started = self.clock.monotonic()
        throttled = 0
        while True:
            try:
                return api.submit(body)
            except Throttled as exc:
                throttled += 1
                self.record.retries += 1
                waited = self.clock.monotonic() - started
                delay = backoff_delay(
                    throttled,
                    base=self.limits.poll_interval,
                    cap=self.limits.poll_max_interval,
                    retry_after=exc.retry_after,
                    rng=self.rng,
                )
                if waited + delay > self.limits.unreachable_timeout:
                    raise InfraError(
                        f"the submit was throttled (HTTP 429) for {format_duration(waited)}, "
                        "longer than EPM_UNREACHABLE_TIMEOUT; no job was created",
                        http_status=429,
                    ) from exc
                log.warning(
                    "submit throttled (HTTP 429); sending it again in %s", format_duration(delay)
                )
                self.clock.sleep(delay)

    def wait(self, api: JobApi, job_id: int, start: float, state: JobState | None) -> JobState:
        """Poll until a terminal status, turning a passed deadline into a timeout verdict."""
        self.waiter = waiter = Waiter(
            api,
            self.limits,
            clock=self.clock,
            on_state=self.observe,
            on_failure=self.note_failure,
            rng=self.rng,
        )
        try:
            return waiter.wait(job_id, start, state)
        except DeadlineReached as exc:
            raise GateTimeout(self.timeout_message(job_id, exc)) from exc
        finally:
            self.record.polls += waiter.polls

    def observe(self, state: JobState) -> None:
        """Record one job status response; log it when the job's state changed."""
        changed = self.record.observe(state.raw, state.status, state.job_status)
        if state.job_name and not self.record.job_name:
            self.record.job_name = state.job_name
        if changed:
            log.info(
                "job %s: status %s (%s)%s",
                self.record.job_id,
                state.status,
                state.status_name,
                f", {state.job_status}" if state.job_status else "",
            )
        disagreement = state.disagreement()
        if disagreement and disagreement not in self.seen_disagreements:
            self.seen_disagreements.add(disagreement)
            self.record.warnings.append(disagreement)
            self.reporter.warn(disagreement, annotate=True)

    def note_failure(self, exc: TransientError) -> None:
        """Count a failed status request; it means "still running" within the budget."""
        self.record.retries += 1
        log.warning(
            "status request for job %s failed: %s; will retry", self.record.job_id, exc.message
        )

    def conclude(self, state: JobState) -> None:
        """Set the verdict of a terminal job."""
        outcome = state.outcome(self.settings.warning_policy)
        assert outcome is not None
        self.record.finish(outcome, verdict_message(state, outcome, self.record))

    def finish_job(self, state: JobState) -> None:
        """Set the verdict of a terminal job, then collect its files and diagnose it."""
        self.conclude(state)
        assert self.session is not None
        assert self.api is not None
        collector = Collector(
            self.settings,
            self.record,
            self.session,
            warn=lambda message: self.reporter.warn(message, annotate=True),
            sleep=self.clock.sleep,
            rng=self.rng,
        )
        title = f"Collecting the files of job {self.record.job_id}"
        with self.reporter.sections.section(title, f"epm_collect_{self.record.job_id}"):
            collector.collect(state)
            if self.settings.api == "planning":
                from gate.planning_failure import explain_planning_job

                explain_planning_job(self.api, state, self.record)

    def timeout_message(self, job_id: int, exc: DeadlineReached) -> str:
        """Explain a passed deadline: when EPM last returned a status, and how to attach."""
        name = f" {self.record.job_name}" if self.record.job_name else ""
        last = exc.last
        seen = (
            f"it was last seen with status {last.status} ({last.status_name})"
            f"{', ' + last.job_status if last.job_status else ''}"
            f" at {iso(self.record.last_answer_at)}"
            if last is not None
            else "EPM never returned a status"
        )
        failing = f"; the last status request failed: {exc.last_error}" if exc.last_error else ""
        return (
            f"job {job_id}{name} did not reach a terminal status within "
            f"{format_duration(self.limits.timeout)} (EPM_TIMEOUT); {seen}{failing}. The job "
            f"may still be running in EPM; the gate sent no cancel. To wait again, attach with "
            f"EPM_JOB_ID={job_id} or --job-id {job_id}"
        )


class GateTimeout(InfraError):
    """EPM_TIMEOUT passed: outcome ``timeout`` (exit 124)."""

    outcome = Outcome.TIMEOUT


def _excerpt(text: str | None) -> str:
    if not text:
        return ""
    flat = " ".join(text.split())
    if len(flat) > DETAILS_IN_MESSAGE:
        flat = flat[:DETAILS_IN_MESSAGE] + "..."
    return flat


# Readable statuses that only repeat the numeric status and add nothing to a message.
_PLAIN_WORDS = {
    "completed",
    "error",
    "in progress",
    "cancelled",
    "cancel pending",
    "success",
    "failed",
    "invalid parameter",
    "unknown",
}


def verdict_message(state: JobState, outcome: Outcome, record: RunRecord) -> str:
    """Return the one-line verdict: ``job 4412 GL_ACTUALS ended with status 1 (Error): ...``."""
    name = record.job_name or state.job_name
    head = f"job {record.job_id}{' ' + name if name else ''} ended with status {state.status}"
    head += f" ({STATUS_NAMES.get(state.status, 'unrecognised')})"
    texts = (_excerpt(state.descriptive_status), _excerpt(state.details))
    reason = "; ".join(text for text in texts if text and text.lower() not in _PLAIN_WORDS)
    warning_word = state.job_status or state.descriptive_status
    match outcome:
        case Outcome.SUCCESS if state.has_warnings:
            head += f" with warnings ({warning_word})"
            reason = f"{reason}; passed because EPM_WARNING_POLICY=pass".lstrip("; ")
        case Outcome.WARNING:
            head += f" with warnings ({warning_word})"
            reason = f"{reason}; set EPM_WARNING_POLICY=pass to accept warnings".lstrip("; ")
        case Outcome.CANCELLED:
            reason = "; ".join(
                filter(None, ("the job was cancelled in EPM, not by the gate", reason))
            )
        case Outcome.REJECTED if record.request:
            sent = ", ".join(
                f"{key}={value!r}" for key, value in record.request.items() if key != "jobType"
            )
            reason = "; ".join(filter(None, (reason, f"values sent: {sent}")))
        case _:
            pass
    return f"{head}: {reason}" if reason else head
