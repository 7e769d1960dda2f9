"""Failure diagnosis: a category, a reason and an excerpt from EPM's status text and log lines."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from gate.outcome import Outcome
from gate.record import Failure

# Lines of context kept around each error line, and bounds of the excerpt.
CONTEXT_LINES = 2
MAX_EXCERPT_LINES = 40
MAX_LINE_CHARS = 400


@dataclass(frozen=True)
class Pattern:
    """A text pattern that points to a failure category."""

    category: str
    regex: re.Pattern[str]
    retryable: bool


def _p(category: str, expression: str, *, retryable: bool = False) -> Pattern:
    return Pattern(category, re.compile(expression, re.IGNORECASE), retryable)


# The first matching pattern decides, so specific causes come before general ones.
PATTERNS: tuple[Pattern, ...] = (
    _p(
        "locked",
        r"\block(ed)?\b.*\b(pov|point of view)\b|\bpov\b.*\block(ed)?\b|being processed by another",
    ),
    # Planning rejects data and metadata records that name members the application does
    # not have. That is a validation failure even where the status also reports "rows rejected".
    _p(
        "validation",
        r"unknown member|invalid (parent )?member|member .{0,80}\b(does not exist|not found)",
    ),
    _p("mapping", r"unmapped|no mapping|kick ?outs?|mapping (validation )?error|rows? rejected"),
    _p(
        "source_connection",
        r"source (system|connection)|cannot connect to (the )?source|ORA-12\d{3}|ORA-01017|connection refused",
        retryable=True,
    ),
    _p(
        "target_load",
        r"load to target|export to target|target application|essbase error|error.*\bload(ing)? data\b",
    ),
    _p("validation", r"validation (failed|error)|invalid member|member not found|intersection"),
    _p(
        "invalid_parameter",
        r"invalid (period|parameter|import mode|export mode)|period .* not (found|valid)",
    ),
)

_ERROR_LINE = re.compile(
    r"\b(error|fatal|exception|failed|failure|rejected|kickout)\b", re.IGNORECASE
)
_REJECTED = re.compile(
    r"(?:rows?|records?)\s+rejected\s*[:=]?\s*(\d[\d,]*)|(\d[\d,]*)\s+(?:rows?|records?)\s+(?:were\s+)?rejected",
    re.IGNORECASE,
)


def categorise(texts: Iterable[str]) -> Pattern | None:
    """Return the first pattern that matches any of the texts."""
    materialised = [text for text in texts if text]
    for pattern in PATTERNS:
        if any(pattern.regex.search(text) for text in materialised):
            return pattern
    return None


def rejected_records(texts: Iterable[str]) -> int | None:
    """Return the number of rejected records that the texts state, if any."""
    for text in texts:
        match = _REJECTED.search(text or "")
        if match:
            return int((match.group(1) or match.group(2)).replace(",", ""))
    return None


def excerpt(lines: Iterable[str]) -> list[str]:
    """Return the error lines of a log with a little context, bounded in size."""
    kept: list[str] = []
    window: list[str] = []
    after = 0
    for raw in lines:
        line = raw.rstrip("\r\n")[:MAX_LINE_CHARS]
        if _ERROR_LINE.search(line):
            kept.extend(window)
            window.clear()
            kept.append(line)
            after = CONTEXT_LINES
        elif after:
            kept.append(line)
            after -= 1
        else:
            window = [*window, line][-CONTEXT_LINES:]
        if len(kept) >= MAX_EXCERPT_LINES:
            return kept[:MAX_EXCERPT_LINES]
    return kept


def diagnose(
    outcome: Outcome,
    reason: str,
    status_texts: Iterable[str | None],
    log_lines: Iterable[str] = (),
) -> Failure | None:
    """Return the failure of a run that did not succeed, or None for a success.

    ``status_texts`` are the job's jobStatus, descriptiveStatus and details; ``log_lines``
    the job log (or Planning's error messages), read once.
    """
    if outcome is Outcome.SUCCESS:
        return None
    texts = [text for text in status_texts if text]
    lines = excerpt(log_lines)
    found = categorise(texts + lines) if outcome in _DIAGNOSED else None
    category = found.category if found else outcome.default_category
    retryable = found.retryable if found else outcome in _RETRYABLE
    return Failure(
        category=category,
        reason=reason,
        retryable=retryable,
        excerpt=lines,
        rejected_records=rejected_records(texts + lines),
    )


# Outcomes whose category comes from EPM's text; the others are decided by the outcome.
_DIAGNOSED = frozenset({Outcome.FAILED, Outcome.WARNING, Outcome.REJECTED, Outcome.UNKNOWN})
# A submit_unknown run is never retryable: a second submit could load the data twice.
_RETRYABLE = frozenset({Outcome.INFRA_ERROR})
