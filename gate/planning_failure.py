"""The failure of a Planning job, from the ERROR messages of its job details."""

from __future__ import annotations

import logging

from gate.diagnose import diagnose
from gate.epm.jobs import JobApi
from gate.epm.planning import PlanningJobs
from gate.epm.status import JobState
from gate.outcome import Outcome
from gate.record import RunRecord

log = logging.getLogger("gate")

# Outcomes whose job details are read: the job ran and reported errors. A cancelled
# job's messages contain nothing the gate can act on.
_EXPLAINED = frozenset({Outcome.FAILED, Outcome.WARNING, Outcome.REJECTED, Outcome.UNKNOWN})


def explain_planning_job(api: JobApi, state: JobState, record: RunRecord) -> None:
    """Fill ``record.failure``, ``children`` and ``warnings`` from a Planning job's details.

    Runs after the verdict is set and never changes it; a success with warnings (under
    EPM_WARNING_POLICY=pass) has its messages summed up in ``warnings`` instead.
    """
    if not isinstance(api, PlanningJobs) or record.outcome is None or record.job_id is None:
        return
    accepted_warnings = record.outcome is Outcome.SUCCESS and state.has_warnings
    if record.outcome not in _EXPLAINED and not accepted_warnings:
        return

    messages = api.error_messages(record.job_id, state, record.job_type)
    if messages.lines:
        log.info(
            "job %s: its details hold %s error lines, the first: %s",
            record.job_id,
            len(messages.lines),
            messages.lines[0],
        )
    record.warnings.extend(messages.warnings)
    record.children.extend(messages.children)

    status_texts = [state.details, state.descriptive_status, state.job_status]
    failure = diagnose(record.outcome, record.message, status_texts, messages.lines)
    if failure is not None:
        if messages.rejected_records is not None:
            failure.rejected_records = messages.rejected_records
        record.failure = failure
    elif messages.lines:
        rejected = (
            f"{messages.rejected_records} records rejected; " if messages.rejected_records else ""
        )
        record.warnings.append(
            f"job {record.job_id} finished with errors that EPM_WARNING_POLICY=pass accepted: "
            f"{rejected}{len(messages.lines)} error messages, the first: {messages.lines[0]}"
        )
