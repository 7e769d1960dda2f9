"""Lenient parsing of EPM job objects and the mapping of their status to an outcome."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from gate.jsontypes import json_type_name
from gate.outcome import Outcome

IN_PROGRESS = -1
SUCCESS = 0
ERROR = 1
CANCEL_PENDING = 2
CANCELLED = 3
INVALID_PARAMETER = 4
UNKNOWN = 2147483647  # Java's Integer.MAX_VALUE, EPM's "Unknown"

STATUS_NAMES = {
    IN_PROGRESS: "In Progress",
    SUCCESS: "Success",
    ERROR: "Error",
    CANCEL_PENDING: "Cancel Pending",
    CANCELLED: "Cancelled",
    INVALID_PARAMETER: "Invalid Parameter",
    UNKNOWN: "Unknown",
}

# Statuses that keep the gate waiting.
WAITING_STATUSES = frozenset({IN_PROGRESS, CANCEL_PENDING})

# jobStatus words and the numeric statuses they agree with. Words not listed here
# are accepted silently, since EPM adds new ones between releases.
_JOB_STATUS_AGREES = {
    "RUNNING": {IN_PROGRESS},
    "IN PROGRESS": {IN_PROGRESS},
    "PROCESSING": {IN_PROGRESS},
    "SUCCESS": {SUCCESS},
    "SUCCEEDED": {SUCCESS},
    "COMPLETED": {SUCCESS},
    "WARNING": {SUCCESS},
    "FAILED": {ERROR, INVALID_PARAMETER},
    "ERROR": {ERROR, INVALID_PARAMETER},
    "CANCEL PENDING": {CANCEL_PENDING},
    "CANCELLED": {CANCELLED},
    "CANCELED": {CANCELLED},
    "INVALID PARAMETER": {INVALID_PARAMETER},
    "UNKNOWN": {UNKNOWN},
}

# A status 0 job finished with warnings when jobStatus is WARNING (Data Integration) or
# the readable status reports warnings or errors, as Planning's descriptiveStatus
# "Completed with Errors" does. Planning responses carry no jobStatus at all.
_WARNING_TEXT = re.compile(r"warning|with errors", re.IGNORECASE)

# ASCII digits only: int() also reads the digits of other scripts, such as U+0660 as 0.
_INTEGER = re.compile(r"^\s*[+-]?[0-9]+\s*$", re.ASCII)

# Deepest nesting kept from a job object. EPM's are two or three levels deep; a hostile
# body nested hundreds of levels would exhaust the recursion limit of the report writers.
MAX_NESTING = 32
TOO_DEEP = f"(nested deeper than {MAX_NESTING} levels; not kept)"


class MalformedJobError(ValueError):
    """A body that is not a job object: not a JSON object, or without a numeric status."""


@dataclass(frozen=True)
class JobState:
    """One answer about a job: the parsed fields the gate uses and every raw field."""

    status: int
    raw: dict[str, Any] = field(repr=False)
    job_id: int | None = None
    job_name: str | None = None
    job_status: str | None = None
    descriptive_status: str | None = None
    details: str | None = None
    log_file: str | None = None
    output_file: str | None = None

    @property
    def waiting(self) -> bool:
        """Tell whether the job is still running (-1) or cancelling (2)."""
        return self.status in WAITING_STATUSES

    @property
    def status_name(self) -> str:
        """Return Oracle's name of the numeric status, or "unrecognised"."""
        return STATUS_NAMES.get(self.status, "unrecognised")

    @property
    def has_warnings(self) -> bool:
        """Tell whether a status 0 job reports warnings or rejected rows."""
        texts = (self.job_status or "", self.descriptive_status or "")
        return self.status == SUCCESS and any(_WARNING_TEXT.search(text) for text in texts)

    def link(self, rel: str) -> str | None:
        """Return the ``href`` of the first link with this ``rel``, or None.

        Oracle's samples send odd ``links`` values (``[0]``, missing keys), so anything
        that is not a list of objects with string ``rel`` and ``href`` is ignored.
        """
        links = self.raw.get("links")
        if not isinstance(links, list):
            return None
        for entry in links:
            if not isinstance(entry, dict):
                continue
            href = entry.get("href")
            if entry.get("rel") == rel and isinstance(href, str) and href.strip():
                return href.strip()
        return None

    def disagreement(self) -> str | None:
        """Return a warning when ``jobStatus`` names a different state than ``status``."""
        if not self.job_status:
            return None
        word = self.job_status.strip().upper().replace("_", " ")
        agreeing = _JOB_STATUS_AGREES.get(word)
        if agreeing is None or self.status in agreeing:
            return None
        return (
            f"jobStatus {self.job_status!r} disagrees with status {self.status} "
            f"({self.status_name}); the numeric status decides"
        )

    def outcome(self, warning_policy: str) -> Outcome | None:
        """Return the run's outcome for a terminal status, or None while the job runs."""
        if self.waiting:
            return None
        if self.status == SUCCESS:
            if self.has_warnings and warning_policy == "fail":
                return Outcome.WARNING
            return Outcome.SUCCESS
        return {
            ERROR: Outcome.FAILED,
            CANCELLED: Outcome.CANCELLED,
            INVALID_PARAMETER: Outcome.REJECTED,
        }.get(self.status, Outcome.UNKNOWN)


def parse_int(value: object) -> int | None:
    """Return an integer sent as a number or a numeric string, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _INTEGER.match(value):
        try:
            return int(value)
        except ValueError:
            # Python refuses to convert strings of more than 4300 digits.
            return None
    return None


def _text(value: object) -> str | None:
    """Return a string field; Oracle's samples send null as the text "null"."""
    if value is None:
        return None
    if not isinstance(value, str):
        return str(value)
    if value.strip() in ("", "null"):
        return None
    return value


def parse_job(body: object) -> JobState:
    """Parse a job object leniently; raise MalformedJobError unless it has a numeric status.

    Unknown keys are kept in ``raw``. The two job APIs differ only in spelling here:
    Planning's reference table names the id ``jobID`` while its samples send ``jobId``,
    and Planning sends no ``jobStatus``, ``logFileName`` or ``outputFileName``.
    """
    if not isinstance(body, dict):
        if body is None:
            raise MalformedJobError("the body is not a JSON object")
        raise MalformedJobError(f"expected a JSON object, got a JSON {json_type_name(body)}")
    status = parse_int(body.get("status"))
    if status is None:
        if "status" in body:
            raise MalformedJobError("the response has a status that is not a number")
        raise MalformedJobError("the response has no status field")
    job_id = parse_int(body.get("jobId", body.get("jobID")))
    raw: dict[str, Any] = limit_nesting(body, MAX_NESTING)
    return JobState(
        status=status,
        raw=raw,
        job_id=job_id,
        job_name=_text(raw.get("jobName")),
        job_status=_text(raw.get("jobStatus")),
        descriptive_status=_text(raw.get("descriptiveStatus")),
        details=_text(raw.get("details")),
        log_file=_text(raw.get("logFileName")),
        output_file=_text(raw.get("outputFileName")),
    )


def limit_nesting(value: Any, levels: int) -> Any:
    """Return JSON data with containers below ``levels`` of nesting replaced by a note."""
    if not isinstance(value, (dict, list)):
        return value
    if levels <= 0:
        return TOO_DEEP
    if isinstance(value, dict):
        return {key: limit_nesting(item, levels - 1) for key, item in value.items()}
    return [limit_nesting(item, levels - 1) for item in value]
