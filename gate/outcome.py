"""The outcomes of a gate run and the exit code of each: the one table of exit codes."""

from __future__ import annotations

import enum


class Outcome(str, enum.Enum):
    """How a gate run ended, as scripts see it in the ``outcome`` output."""

    SUCCESS = "success"
    FAILED = "failed"
    USAGE_ERROR = "usage_error"
    INFRA_ERROR = "infra_error"
    CANCELLED = "cancelled"
    REJECTED = "rejected"
    AUTH_ERROR = "auth_error"
    WARNING = "warning"
    UNKNOWN = "unknown"
    SUBMIT_UNKNOWN = "submit_unknown"
    TIMEOUT = "timeout"
    INTERRUPTED = "interrupted"

    @property
    def exit_code(self) -> int:
        """Return the process exit code; ``interrupted`` defaults to SIGINT's 130."""
        return EXIT_CODES[self]

    @property
    def default_category(self) -> str:
        """Return the failure category used when diagnosis finds nothing more precise."""
        return DEFAULT_CATEGORIES[self]


EXIT_CODES: dict[Outcome, int] = {
    Outcome.SUCCESS: 0,
    Outcome.FAILED: 1,
    Outcome.USAGE_ERROR: 2,
    Outcome.INFRA_ERROR: 3,
    Outcome.CANCELLED: 4,
    Outcome.REJECTED: 5,
    Outcome.AUTH_ERROR: 6,
    Outcome.WARNING: 7,
    Outcome.UNKNOWN: 8,
    Outcome.SUBMIT_UNKNOWN: 9,
    Outcome.TIMEOUT: 124,
    # 128 + SIGINT; a SIGTERM run exits 143 instead (see interrupted_exit_code).
    Outcome.INTERRUPTED: 130,
}

# Failure category per outcome; "" means the run did not fail.
DEFAULT_CATEGORIES: dict[Outcome, str] = {
    Outcome.SUCCESS: "",
    Outcome.FAILED: "unknown",
    Outcome.USAGE_ERROR: "invalid_parameter",
    Outcome.INFRA_ERROR: "infra",
    Outcome.CANCELLED: "cancelled",
    Outcome.REJECTED: "invalid_parameter",
    Outcome.AUTH_ERROR: "auth",
    Outcome.WARNING: "validation",
    Outcome.UNKNOWN: "unknown",
    Outcome.SUBMIT_UNKNOWN: "infra",
    Outcome.TIMEOUT: "timeout",
    Outcome.INTERRUPTED: "interrupted",
}

FAILURE_CATEGORIES = (
    "invalid_parameter",
    "mapping",
    "validation",
    "source_connection",
    "target_load",
    "locked",
    "timeout",
    "auth",
    "infra",
    "cancelled",
    "interrupted",
    "unknown",
)


def interrupted_exit_code(signum: int) -> int:
    """Return 128 plus the signal number, as shells report a process ended by a signal."""
    return 128 + signum
