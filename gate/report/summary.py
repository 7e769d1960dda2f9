"""The JSON summary: built in one place from the run record, written atomically."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gate.atomic import write_atomic
from gate.record import RunRecord, iso
from gate.report.redact import Redactor

SCHEMA_VERSION = 1


def build_summary(record: RunRecord, redactor: Redactor, summary_path: Path) -> dict[str, Any]:
    """Return the summary document with the contract's keys, secrets removed."""
    failure = None
    if record.failure_category:
        failure = {
            "category": record.failure_category,
            "retryable": record.failure.retryable if record.failure else False,
            "reason": record.failure.reason if record.failure else record.message,
            "excerpt": record.failure.excerpt if record.failure else [],
            "rejectedRecords": record.failure.rejected_records if record.failure else None,
        }
    document: dict[str, Any] = {
        "schemaVersion": SCHEMA_VERSION,
        "outcome": record.outcome.value if record.outcome else None,
        "exitCode": record.exit_code,
        "message": record.message,
        "jobId": record.job_id,
        "status": record.status,
        "jobStatus": record.job_status,
        "job": record.job,
        "request": record.request,
        "startedAt": iso(record.started_at),
        "finishedAt": iso(record.finished_at),
        "durationSeconds": record.duration_seconds,
        "polls": record.polls,
        "executedBy": (record.job or {}).get("executedBy"),
        "processType": (record.job or {}).get("processType"),
        "history": record.history,
        "files": record.files,
        "failure": failure,
        "attempts": record.attempts,
        "counts": {"requests": record.requests, "retries": record.retries},
        "children": record.children,
        "warnings": record.warnings,
        "ci": record.ci,
        "api": record.api,
        "jobName": record.job_name,
        "jobType": record.job_type,
        "attached": record.attached,
        "state": (
            {"path": record.state_file, "resumed": record.resumed} if record.state_file else None
        ),
        "summaryPath": str(summary_path),
    }
    # The gate's own keys stay as they are, so a secret that happens to equal a key name
    # cannot change the summary's format; values and EPM's nested keys are scrubbed.
    scrubbed = {key: redactor.scrub_data(value) for key, value in document.items()}
    return scrubbed


def write_summary(path: Path, document: dict[str, Any]) -> None:
    """Write the summary document as indented JSON."""
    write_atomic(path, json.dumps(document, indent=2, ensure_ascii=False) + "\n")
