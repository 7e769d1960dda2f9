"""The JUnit XML report: one test case per gated job, in the subset every CI reads.

GitLab (``artifacts:reports:junit``), the Jenkins ``junit`` step and GitHub reporters
such as dorny/test-reporter read the same few elements. These are a ``testsuites``
root, one ``testsuite``, and ``testcase`` elements with ``classname``, ``name`` and
``time``, each with a ``failure`` or ``error`` child and a ``system-out``. ElementTree
escapes markup but not the characters XML 1.0 forbids, so those are removed first.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from gate.atomic import write_atomic
from gate.outcome import Outcome
from gate.record import RunRecord
from gate.report.redact import Redactor, strip_controls

SUITE_NAME = "epm-gate"
# GitLab fails to parse huge text nodes; 64 KB of log tail is plenty to see the error.
SYSTEM_OUT_LIMIT = 64 * 1024
MESSAGE_LIMIT = 1000

# Outcomes reported as a test failure; every other non-success outcome is an error,
# because the gate could not reach a verdict about the job itself.
FAILURE_OUTCOMES = frozenset({Outcome.FAILED, Outcome.WARNING, Outcome.REJECTED, Outcome.CANCELLED})

# Characters XML 1.0 forbids: C0 controls other than tab, LF and CR, lone surrogates,
# U+FFFE and U+FFFF.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str, redactor: Redactor) -> str:
    """Return text safe for an XML 1.0 document: no ANSI, no control characters, no secret."""
    cleaned = strip_controls(redactor.scrub(text), keep_newlines=True)
    return _XML_ILLEGAL.sub("", cleaned)


def case_name(record: RunRecord) -> str:
    """Return the stable test name: ``<jobType> <jobName>``, or ``job <jobId>`` when attached.

    A re-run that attached through its state file keeps the submit's name, so the test
    is tracked under one name across attempts.
    """
    attached_by_id = record.attached and not record.resumed
    if not attached_by_id and record.job_name:
        return " ".join(part for part in (record.job_type, record.job_name) if part)
    if record.job_id is not None:
        return f"job {record.job_id}"
    return record.job_name or SUITE_NAME


def build_junit(record: RunRecord, redactor: Redactor, summary_path: Path) -> str:
    """Return the JUnit XML document of a finished run, with its XML declaration."""
    assert record.outcome is not None
    outcome = record.outcome
    failures = 1 if outcome in FAILURE_OUTCOMES else 0
    errors = 1 if outcome is not Outcome.SUCCESS and not failures else 0
    seconds = f"{record.duration_seconds:.3f}"
    counts = {
        "tests": "1",
        "failures": str(failures),
        "errors": str(errors),
        "skipped": "0",
        "time": seconds,
    }
    root = ET.Element("testsuites", {"name": SUITE_NAME, **counts})
    timestamp = record.started_at.replace(tzinfo=None).isoformat()
    suite = ET.SubElement(root, "testsuite", {"name": SUITE_NAME, **counts, "timestamp": timestamp})
    case = ET.SubElement(
        suite,
        "testcase",
        {
            "classname": f"{SUITE_NAME}.{record.api}",
            "name": xml_text(case_name(record), redactor),
            "time": seconds,
        },
    )

    if outcome is not Outcome.SUCCESS:
        message = " ".join(xml_text(record.message, redactor).split())
        problem = ET.SubElement(
            case,
            "failure" if failures else "error",
            {"type": outcome.value, "message": message[:MESSAGE_LIMIT]},
        )
        problem.text = _problem_text(record, redactor, summary_path)
    output = _system_out(record, redactor)
    if output:
        ET.SubElement(case, "system-out").text = output

    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


def write_junit(path: Path, record: RunRecord, redactor: Redactor, summary_path: Path) -> None:
    """Write the JUnit report through a temporary file and a rename."""
    write_atomic(path, build_junit(record, redactor, summary_path))


def _problem_text(record: RunRecord, redactor: Redactor, summary_path: Path) -> str:
    lines = [record.message]
    if record.failure is not None and record.failure.excerpt:
        lines += ["", "Error excerpt:", *record.failure.excerpt]
    run_url = record.ci.get("runUrl")
    if run_url:
        lines.append(f"CI run: {run_url}")
    lines.append(f"Summary: {summary_path}")
    return xml_text("\n".join(lines), redactor)


def _system_out(record: RunRecord, redactor: Redactor) -> str:
    """Return the job facts and the tail of the job log, at most ``SYSTEM_OUT_LIMIT``."""
    facts = [
        f"{label}: {value}"
        for label, value in (
            ("Job id", record.job_id),
            ("Status", record.status),
            ("Job status", record.job_status),
            ("Log file", record.files.get("log")),
        )
        if value is not None
    ]
    tail = _log_tail(record.files.get("log"))
    if tail:
        facts += ["", f"Last lines of {record.files.get('log')}:", tail]
    text = xml_text("\n".join(facts), redactor)
    if len(text.encode()) > SYSTEM_OUT_LIMIT:
        text = text.encode()[-SYSTEM_OUT_LIMIT:].decode(errors="ignore")
    return text


def _log_tail(path: str | None) -> str:
    """Return the last part of a saved job log, starting at a whole line; "" if unreadable."""
    if not path:
        return ""
    try:
        with open(path, "rb") as stream:
            size = stream.seek(0, 2)
            start = max(0, size - SYSTEM_OUT_LIMIT // 2)
            stream.seek(start)
            data = stream.read()
    except OSError:
        return ""
    text = data.decode("utf-8", errors="replace")
    if start > 0 and "\n" in text:
        text = text.split("\n", 1)[1]
    return text.rstrip()
