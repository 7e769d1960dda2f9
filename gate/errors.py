"""The gate's error family: each error carries its outcome and a message for the user."""

from __future__ import annotations

from typing import Any

from gate.outcome import Outcome


class GateError(Exception):
    """An error that ends the run with a known outcome and a user-facing message."""

    outcome: Outcome = Outcome.UNKNOWN

    def __init__(self, message: str, *, outcome: Outcome | None = None) -> None:
        super().__init__(message)
        self.message = message
        if outcome is not None:
            self.outcome = outcome


class UsageError(GateError):
    """Settings are missing or invalid; nothing was sent to EPM."""

    outcome = Outcome.USAGE_ERROR

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid settings: " + "; ".join(problems))


class EpmError(GateError):
    """A response from EPM, or its absence, that ends the run.

    ``http_status`` is the HTTP status when a response arrived, ``details`` is the
    server's own error text when its body had one.
    """

    def __init__(
        self,
        message: str,
        *,
        http_status: int | None = None,
        details: str | None = None,
        outcome: Outcome | None = None,
    ) -> None:
        super().__init__(message, outcome=outcome)
        self.http_status = http_status
        self.details = details


class InfraError(EpmError):
    """EPM could not be reached, or kept failing for longer than the retry budget."""

    outcome = Outcome.INFRA_ERROR


class AuthError(EpmError):
    """EPM or the token endpoint refused the credentials (401, 403, a sign-in page)."""

    outcome = Outcome.AUTH_ERROR


class RejectedError(EpmError):
    """EPM refused the request itself (400, 404): retrying cannot help."""

    outcome = Outcome.REJECTED


class SubmitUnknownError(EpmError):
    """The submit may have created a job, but its response was lost."""

    outcome = Outcome.SUBMIT_UNKNOWN


class TransientError(EpmError):
    """A status request failed in a way that may pass (transport error, 429, 5xx, bad body).

    ``retry_after`` is the server's Retry-After in seconds, when it sent one.
    """

    outcome = Outcome.INFRA_ERROR

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class Interrupted(GateError):
    """SIGINT or SIGTERM reached the gate."""

    outcome = Outcome.INTERRUPTED

    def __init__(self, signum: int, signame: str) -> None:
        super().__init__(f"received {signame}")
        self.signum = signum
        self.signame = signame


class TokenEndpointUnreachable(InfraError):
    """The token endpoint returned no usable response: a transport failure, 429 or 5xx.

    ``tls`` marks a failed certificate verification, which waiting does not cure.
    """

    def __init__(self, message: str, *, tls: bool = False, http_status: int | None = None) -> None:
        super().__init__(message, http_status=http_status)
        self.tls = tls
