"""GitHub Actions: step outputs, the step summary, annotations and masks."""

from __future__ import annotations

import html
import re
import sys
import uuid
from pathlib import Path
from typing import TextIO

from gate.record import RunRecord
from gate.report.redact import Redactor, strip_controls

# Step summaries above 1 MiB fail to upload; the gate stays far below that.
STEP_SUMMARY_LIMIT = 64 * 1024
OUTPUT_VALUE_LIMIT = 1024
ANNOTATION_TITLE = "EPM gate"

_OUTPUT_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def escape_data(text: str) -> str:
    """Escape a workflow command's message: ``%``, CR and LF."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a workflow command's property value, which also forbids ``:`` and ``,``."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str, stream: TextIO | None = None, **properties: str) -> None:
    """Print one workflow command, such as ``::error title=EPM gate::message``."""
    props = ",".join(f"{key}={escape_property(value)}" for key, value in properties.items())
    line = f"::{name}{' ' + props if props else ''}::{escape_data(message)}"
    print(line, file=stream or sys.stderr, flush=True)


def add_mask(value: str, stream: TextIO | None = None) -> None:
    """Mask a secret in the log from now on; one command per line of a multi-line value."""
    for part in value.splitlines() or [value]:
        if part.strip():
            command("add-mask", part, stream)


def untrusted_block(lines: list[str], stream: TextIO | None = None) -> None:
    """Print server text with workflow commands switched off around it.

    A random token ends the pause, so a line of EPM text cannot end it early.
    """
    out = stream or sys.stderr
    token = uuid.uuid4().hex
    print(f"::stop-commands::{token}", file=out)
    for line in lines:
        print(line, file=out)
    print(f"::{token}::", file=out, flush=True)


def output_value(value: object) -> str:
    """Return a step output value: one line, no control characters, bounded length."""
    text = "" if value is None else str(value)
    return strip_controls(text).strip()[:OUTPUT_VALUE_LIMIT]


def append_outputs(path: Path, outputs: dict[str, str]) -> None:
    """Append outputs to ``$GITHUB_OUTPUT`` in heredoc form with a random delimiter.

    A value that contains the delimiter cannot occur, because the delimiter is a fresh
    UUID; the check stays as a guard against a broken random source.
    """
    records = []
    for name, value in outputs.items():
        if not _OUTPUT_NAME.match(name):
            raise ValueError(f"invalid output name {name!r}")
        delimiter = f"ghadelimiter_{uuid.uuid4()}"
        if delimiter in value:
            raise ValueError(f"output {name} contains its delimiter")
        records.append(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
    with path.open("a", encoding="utf-8", newline="\n") as stream:
        stream.write("".join(records))


def _cell(value: object, redactor: Redactor) -> str:
    text = redactor.line("" if value is None else str(value)).strip()
    if len(text) > 300:
        text = text[:300] + "..."
    return html.escape(text).replace("|", "\\|") or " "


def _fence(lines: list[str]) -> str:
    longest = max((len(run) for line in lines for run in re.findall(r"`+", line)), default=0)
    return "`" * max(3, longest + 1)


def _cause(record: RunRecord) -> str | None:
    failure = record.failure
    return failure.reason if failure and failure.reason != record.message else None


def step_summary(record: RunRecord, redactor: Redactor, summary_path: Path) -> str:
    """Render the step summary: a status line, a table of job fields, the excerpt."""
    outcome = record.outcome.value if record.outcome else "unknown"
    icon = "✅" if record.exit_code == 0 else "❌"
    job = record.job or {}
    rows = [
        ("Outcome", f"{outcome} (exit {record.exit_code})"),
        ("Job id", record.job_id),
        ("Job", f"{record.job_type or ''} {record.job_name or job.get('jobName') or ''}".strip()),
        ("Status", record.status),
        ("Job status", record.job_status),
        ("Descriptive status", job.get("descriptiveStatus")),
        ("Details", job.get("details")),
        ("Process type", job.get("processType")),
        ("Executed by", job.get("executedBy")),
        ("Failure category", record.failure_category),
        ("Cause", _cause(record)),
        ("Rejected records", record.failure.rejected_records if record.failure else None),
        ("Log file", record.files.get("log")),
        ("Output file", record.files.get("output")),
        ("Status requests", record.polls),
        ("Duration", f"{record.duration_seconds:.1f}s"),
        ("Summary", str(summary_path)),
    ]
    parts = [
        f"### {icon} EPM gate: {outcome}",
        "",
        _cell(record.message, redactor),
        "",
        "| Field | Value |",
        "| --- | --- |",
    ]
    parts += [
        f"| {name} | {_cell(value, redactor)} |" for name, value in rows if value not in (None, "")
    ]
    for warning in record.warnings:
        parts.append(f"\n> ⚠️ {_cell(warning, redactor)}")
    excerpt = record.failure.excerpt if record.failure else []
    if excerpt:
        lines = [redactor.scrub(strip_controls(line)) for line in excerpt]
        fence = _fence(lines)
        parts += [
            "",
            "<details><summary>Error excerpt</summary>",
            "",
            f"{fence}text",
            *lines,
            fence,
            "",
            "</details>",
        ]
    text = "\n".join(parts) + "\n"
    if len(text.encode()) > STEP_SUMMARY_LIMIT:
        text = text.encode()[: STEP_SUMMARY_LIMIT - 100].decode(errors="ignore")
        text += "\n\n(step summary truncated; see the JSON summary)\n"
    return text
