"""Child jobs and stages that a pipeline's or batch's details and log name."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

# Job types and process types whose jobs start other jobs.
PARENT_JOB_TYPES = frozenset({"PIPELINE", "BATCH"})
PARENT_PROCESS_TYPES = frozenset({"COMM_BATCH", "PIPELINE"})
# Most children listed, so that a log naming thousands of jobs keeps the summary small.
MAX_CHILDREN = 100

# "Stage 2 job LOAD_GL failed", "Stage 1: LOAD_AP ended with warnings".
_STAGE = re.compile(
    r"\bstage\s+(?P<stage>\d+)\s*[:\-]?\s*(?:job\s+)?(?P<name>[A-Za-z][\w.\-]*)"
    r"(?:\s*\((?:job\s*(?:id)?\s*[:=#]?\s*)?(?P<id>\d+)\))?"
    r"(?P<rest>.{0,80})",
    re.IGNORECASE,
)
# "Job LOAD_GL (4413) ...", "member job LOAD_AP, job id 4414", "child job id: 4415".
_JOB = re.compile(
    r"\b(?:member|child|sub)?\s*job\s+(?:name\s*[:=]\s*)?(?P<name>[A-Z][A-Z0-9_.\-]{2,})"
    r"\s*(?:\(\s*(?:id\s*[:=#]?\s*)?(?P<id>\d+)\s*\)|,?\s*job\s*id\s*[:=#]?\s*(?P<id2>\d+))"
    r"(?P<rest>.{0,80})",
)
_CHILD_ID = re.compile(
    r"\b(?:child|member|sub)[ -]?(?:job|process)\s*id\s*[:=#]?\s*(?P<id>\d+)", re.IGNORECASE
)
_STATE = re.compile(
    r"\b(failed|error|succeeded|success|completed|warnings?|running|cancell?ed|submitted)\b",
    re.IGNORECASE,
)


def has_children(job_type: str | None, process_type: object) -> bool:
    """Tell whether a job may start child jobs: a pipeline or a batch."""
    return (job_type or "").upper() in PARENT_JOB_TYPES or str(
        process_type or ""
    ).upper() in PARENT_PROCESS_TYPES


def find_children(details: str | None, log_lines: Iterable[str] = ()) -> list[dict[str, Any]]:
    """Return the children named in the details and the log, first mention first.

    Each child has ``name``, ``stage`` and ``jobId`` where the text states them, the last
    ``state`` word mentioned with it, and ``source`` (``details`` or ``log``). A text that
    names none gives an empty list.
    """
    found: dict[tuple[Any, ...], dict[str, Any]] = {}
    sources = [("details", line) for line in (details or "").splitlines()]
    for source, line in [*sources, *(("log", line) for line in log_lines)]:
        for child in _children_in(line):
            # A child named in the details and again in the log (often with its job id)
            # is one child: later mentions fill in what earlier ones left out.
            key = ("name", child["name"]) if child.get("name") else ("id", child.get("jobId"))
            if key in found:
                known = found[key]
                for field in ("stage", "jobId"):
                    if known.get(field) is None and child.get(field) is not None:
                        known[field] = child[field]
                # The details are EPM's final word on the job, so their state is kept.
                if "state" in child and not (known["source"] == "details" and "state" in known):
                    known["state"] = child["state"]
                continue
            if len(found) >= MAX_CHILDREN:
                return list(found.values())
            found[key] = {**child, "source": source}
    return list(found.values())


def _children_in(line: str) -> list[dict[str, Any]]:
    children: list[dict[str, Any]] = []
    for match in _STAGE.finditer(line):
        children.append(
            _child(match.group("name"), match.group("id"), match.group("rest"), match["stage"])
        )
    if children:
        return children
    for match in _JOB.finditer(line):
        children.append(
            _child(match["name"], match.group("id") or match.group("id2"), match["rest"], None)
        )
    if children:
        return children
    return [{"jobId": int(match["id"])} for match in _CHILD_ID.finditer(line)]


def _child(name: str, job_id: str | None, rest: str, stage: str | None) -> dict[str, Any]:
    child: dict[str, Any] = {"name": name}
    if stage is not None:
        child["stage"] = int(stage)
    if job_id is not None:
        child["jobId"] = int(job_id)
    state = _STATE.search(rest or "")
    if state is not None:
        word = state.group(1).lower()
        child["state"] = "warning" if word == "warnings" else word
    return child
