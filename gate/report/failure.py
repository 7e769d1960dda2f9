"""The diagnosis on the console: the verdict line with its cause, and the log excerpt."""

from __future__ import annotations

import sys
from typing import TextIO

from gate.outcome import Outcome
from gate.record import RunRecord
from gate.report.redact import Redactor


def verdict_line(record: RunRecord) -> str:
    """Return the verdict message with the failure category and cause, when it failed."""
    failure = record.failure
    if record.outcome in (None, Outcome.SUCCESS) or failure is None:
        return record.message
    if failure.reason and failure.reason not in record.message:
        # A cause whose quoted evidence the message already shows is named without it.
        cause, _, evidence = failure.reason.partition(": ")
        if evidence and evidence.removesuffix("...") in record.message:
            return f"{record.message}. Cause ({failure.category}): {cause}"
        return f"{record.message}. Cause ({failure.category}): {failure.reason}"
    return f"{record.message} (category: {failure.category})"


def print_excerpt(
    record: RunRecord, redactor: Redactor, platform: str, stream: TextIO | None = None
) -> None:
    """Print the failure's log excerpt on stderr, scrubbed.

    On GitHub the lines sit between stop-commands markers, so log text from EPM cannot
    issue workflow commands.
    """
    if record.failure is None or not record.failure.excerpt:
        return
    out = stream or sys.stderr
    lines = [redactor.line(line) for line in record.failure.excerpt]
    print(f"error excerpt of job {record.job_id} ({len(lines)} lines):", file=out)
    if platform == "github":
        from gate.report import github

        github.untrusted_block([f"  {line}" for line in lines], out)
    else:
        for line in lines:
            print(f"  {line}", file=out)
    out.flush()
