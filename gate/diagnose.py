"""Failure diagnosis: a category, a reason and an excerpt from EPM's status text and log lines."""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

from gate.outcome import Outcome
from gate.record import Failure

# Lines of context kept around each error line, and bounds of the excerpt: at most
# MAX_EXCERPT_LINES lines of MAX_LINE_CHARS characters each.
CONTEXT_LINES = 2
MAX_EXCERPT_LINES = 40
MAX_LINE_CHARS = 400
# Maximum length of the EPM text quoted in the one-line reason.
MAX_EVIDENCE_CHARS = 200


@dataclass(frozen=True)
class Pattern:
    """A text pattern that points to a failure category, with the cause it stands for."""

    category: str
    regex: re.Pattern[str]
    retryable: bool
    cause: str


def _p(category: str, cause: str, expression: str, *, retryable: bool = False) -> Pattern:
    return Pattern(category, re.compile(expression, re.IGNORECASE), retryable, cause)


# The first pattern that matches decides, so specific causes come before general ones.
# Only status texts and the log's error lines are matched, never context lines.
PATTERNS: tuple[Pattern, ...] = (
    _p(
        "locked",
        "another process holds the POV",
        r"\b(pov|point of view)\b.{0,60}\block(ed)?\b|\block(ed)?\b.{0,60}\b(pov|point of view)\b"
        r"|being (processed|used) by another|already running for (the same|this)"
        r"|\blocked by (another|user|process)",
        retryable=True,
    ),
    _p(
        "source_connection",
        "the source system could not be reached",
        r"source (system|connection)|cannot connect to (the )?source|unable to connect"
        r"|connection (refused|reset|timed out)|ORA-12\d{3}|ORA-01017|ORA-28000"
        r"|communication link failure|agent (is )?(not reachable|unavailable|down)"
        r"|UnknownHostException|ConnectException",
        retryable=True,
    ),
    _p(
        "timeout",
        "the job ran out of time in EPM",
        r"\btimed?[ -]?out\b|time ?limit (was )?exceeded|exceeded the maximum (execution|run) ?time"
        r"|ORA-01013",
        retryable=True,
    ),
    # Planning rejects data and metadata records that name members the application does
    # not have. That is a validation failure even where the status also reports "rows rejected".
    _p(
        "validation",
        "records name members the application does not have",
        r"unknown member|invalid (parent )?member|member .{0,80}\b(does not exist|not found)",
    ),
    _p(
        "mapping",
        "unmapped members or kicked-out rows",
        r"unmapped|no mapping|kick[ -]?outs?\b|kicked out|mapping (validation )?(error|failed)"
        r"|(rows?|records?) (were )?rejected|rejected (rows?|records?)|invalid mapping",
    ),
    _p(
        "validation",
        "data failed validation against the target",
        r"validation (failed|error)|failed validation|data validation|invalid member"
        r"|unknown member|member .{0,40}not found|not a valid member|invalid intersection"
        r"|intersection .{0,40}(invalid|not valid)",
    ),
    _p(
        "target_load",
        "loading data into the target application failed",
        r"(load(ing)?|export(ing)?) (data )?(to|into) (the )?target|target application"
        r"|essbase error|data load failed|failed to load data|error.*\bload(ing)? data\b",
    ),
    _p(
        "invalid_parameter",
        "a parameter of the job is invalid",
        r"invalid (period|parameter|import mode|export mode|value for)"
        r"|period .{0,40}(not found|does not exist|not valid|invalid)"
        r"|(integration|rule|pipeline|batch|location) .{0,60}(does not exist|not found)",
    ),
)

_ERROR_LINE = re.compile(
    r"\b(error|fatal|severe|exception|failed|failure|rejected|kick[ -]?outs?)\b", re.IGNORECASE
)
_WARNING_LINE = re.compile(r"\bwarn(ing)?s?\b", re.IGNORECASE)
# A quick filter on the lower-cased line that matches every line either pattern matches.
# Matching lower-case text without IGNORECASE is several times faster on long logs.
_NOTABLE_WORDS = re.compile("error|fatal|severe|exception|fail|reject|kick|warn")
_REJECTED = re.compile(
    r"(?:rows?|records?)\s+(?:were\s+)?rejected\s*[:=]?\s*(\d[\d,]*)"
    r"|rejected\s+(?:rows?|records?)\s*[:=]?\s*(\d[\d,]*)"
    r"|(\d[\d,]*)\s+(?:data\s+)?(?:rows?|records?)\s+(?:were\s+)?rejected",
    re.IGNORECASE,
)


@dataclass
class LogScan:
    """The result of scanning a log: the excerpt, and the error lines that categorise it."""

    excerpt: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class _Window:
    """Collects the lines that match a pattern, with CONTEXT_LINES lines around each."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern
        self.kept: list[str] = []
        self.hits: list[str] = []
        self.after = 0
        self.last_kept = -1

    @property
    def full(self) -> bool:
        return len(self.kept) >= MAX_EXCERPT_LINES

    def feed(self, index: int, line: str, recent: deque[tuple[int, str]]) -> None:
        """Take line ``index``; ``recent`` contains the lines just before it."""
        if self.full:
            return
        if self.pattern.search(line):
            self.kept.extend(_clip(text) for number, text in recent if number > self.last_kept)
            self.kept.append(_clip(line))
            self.hits.append(_clip(line))
            self.after = CONTEXT_LINES
            self.last_kept = index
        elif self.after:
            self.kept.append(_clip(line))
            self.after -= 1
            self.last_kept = index
        del self.kept[MAX_EXCERPT_LINES:]


def _clip(line: str) -> str:
    return line.rstrip("\r\n")[:MAX_LINE_CHARS]


def scan_log(lines: Iterable[str]) -> LogScan:
    """Return the error lines of a log with a little context, bounded in size.

    Warning lines stand in when the log has no error line. Reading stops once the
    error excerpt is full, so a huge log is not read to its end.
    """
    errors = _Window(_ERROR_LINE)
    warnings = _Window(_WARNING_LINE)
    recent: deque[tuple[int, str]] = deque(maxlen=CONTEXT_LINES)
    for index, line in enumerate(lines):
        # Most lines of a long log are neither errors, warnings nor context: skip them fast.
        if errors.after or warnings.after or _NOTABLE_WORDS.search(line.lower()):
            errors.feed(index, line, recent)
            warnings.feed(index, line, recent)
            if errors.full:
                break
        recent.append((index, line))
    chosen = errors if errors.hits else warnings
    return LogScan(excerpt=chosen.kept, errors=chosen.hits)


def excerpt(lines: Iterable[str]) -> list[str]:
    """Return the error lines of a log with a little context, bounded in size."""
    return scan_log(lines).excerpt


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
            digits = next(group for group in match.groups() if group)
            return int(digits.replace(",", ""))
    return None


def diagnose(
    outcome: Outcome,
    reason: str,
    status_texts: Iterable[str | None],
    log_lines: Iterable[str] = (),
) -> Failure | None:
    """Return the failure of a run that did not succeed, or None for a success.

    ``status_texts`` are the job's details, descriptiveStatus and jobStatus, most telling
    first; ``log_lines`` the job log, read once. ``reason`` is the verdict, kept when no pattern matches.
    Without a log, the lines of ``details`` (often a Java stack trace) form the excerpt.
    """
    if outcome is Outcome.SUCCESS:
        return None
    texts = [text for text in status_texts if text]
    scan = scan_log(log_lines)
    if not scan.excerpt:
        # Single words such as jobStatus FAILED add nothing to an excerpt.
        sentences = [text for text in texts if len(text.split()) > 1]
        scan = scan_log(line for text in sentences for line in text.splitlines())
    evidence = texts + scan.errors
    found = categorise(evidence) if outcome in _DIAGNOSED else None
    if found is None:
        return Failure(
            category=outcome.default_category,
            reason=_one_line(reason),
            retryable=outcome in _RETRYABLE,
            excerpt=scan.excerpt,
            rejected_records=rejected_records(evidence),
        )
    matched = next(text for text in evidence if found.regex.search(text))
    return Failure(
        category=found.category,
        reason=f"{found.cause}: {_one_line(matched, MAX_EVIDENCE_CHARS)}",
        retryable=found.retryable,
        excerpt=scan.excerpt,
        rejected_records=rejected_records(evidence),
    )


def _one_line(text: str, limit: int = 500) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit] + "..."


# Outcomes whose category comes from EPM's text; the others are decided by the outcome.
_DIAGNOSED = frozenset({Outcome.FAILED, Outcome.WARNING, Outcome.REJECTED, Outcome.UNKNOWN})
# A submit_unknown run is never retryable: a second submit could load the data twice.
_RETRYABLE = frozenset({Outcome.INFRA_ERROR})
