"""The job APIs behind one interface: submit a job, read its status."""

from __future__ import annotations

from typing import Any, Protocol
from urllib.parse import quote

from gate.epm.session import Answer, EpmSession, Redirected, TransportError
from gate.epm.status import JobState, MalformedJobError, parse_job
from gate.epm.tls import CA_BUNDLE_ADVICE
from gate.errors import (
    AuthError,
    EpmError,
    InfraError,
    RejectedError,
    SubmitUnknownError,
    TokenEndpointUnreachable,
    TransientError,
)

LOST_SUBMIT_ADVICE = (
    "a job may have been created; check Process Details in EPM before running again"
)
SSO_ADVICE = (
    "SSO and MFA accounts cannot use the REST API; use a service account with Basic auth, "
    "or OAuth 2.0"
)
SIGN_IN_ADVICE = f"EPM returned an HTML sign-in page instead of JSON: {SSO_ADVICE}"
ROLES_ADVICE = "the user lacks the Service Administrator or Power User role"


class JobApi(Protocol):
    """The interface the wait loop uses to submit a job and read its status."""

    def submit(self, body: dict[str, Any]) -> JobState:
        """Submit a job; raise the contract's errors when that fails."""
        ...

    def status(self, job_id: int) -> JobState:
        """Read a job's status; raise TransientError for failures that may pass."""
        ...


class Throttled(Exception):
    """A 429 response: EPM did not take the request."""

    def __init__(self, retry_after: float | None) -> None:
        super().__init__("HTTP 429 Too Many Requests")
        self.retry_after = retry_after


class IntegrationJobs:
    """Data Integration jobs: ``POST /aif/rest/{version}/jobs``, ``GET .../jobs/{id}``."""

    def __init__(self, session: EpmSession, version: str) -> None:
        self.session = session
        self.jobs_path = f"/aif/rest/{quote(version, safe='')}/jobs"

    def submit(self, body: dict[str, Any]) -> JobState:
        """Send the submit once; raise Throttled on 429 so the caller may send it again."""
        return submit_job(self.session, self.session.url(self.jobs_path), body)

    def status(self, job_id: int) -> JobState:
        """Read the status of a job."""
        return read_status(self.session, self.session.url(f"{self.jobs_path}/{job_id}"), job_id)


def submit_job(session: EpmSession, url: str, body: dict[str, Any]) -> JobState:
    """POST a job and parse the response, applying the submit rules.

    Exit 3 when no job can exist, exit 9 when one may, exit 5 when EPM refused the
    request, exit 6 for credentials; a 429 raises Throttled because EPM did not take it.
    """
    session.fresh_connection()
    try:
        answer = session.read(session.request("POST", url, json_body=body))
        # A 401 created no job, so after renewing a token the same body may go again.
        if answer.http_status == 401 and session.auth.renew():
            answer = session.read(session.request("POST", url, json_body=body))
    except TransportError as exc:
        if exc.sent:
            raise SubmitUnknownError(f"submit failed: {exc.reason}; {LOST_SUBMIT_ADVICE}") from exc
        raise _unreachable(exc, session) from exc
    except Redirected as exc:
        raise _redirect_error(exc, submit=True) from exc

    code = answer.http_status
    if code == 429:
        raise Throttled(answer.retry_after)
    if code == 503:
        raise InfraError(
            "service unavailable (daily maintenance?); no job was created",
            http_status=code,
            details=answer.details,
        )
    if code >= 500:
        raise SubmitUnknownError(
            f"the submit returned HTTP {code}{_quote(answer)}; {LOST_SUBMIT_ADVICE}",
            http_status=code,
            details=answer.details,
        )
    _raise_for_refusal(answer, session, what="submit")
    try:
        return parse_job(answer.json)
    except MalformedJobError as exc:
        raise SubmitUnknownError(
            f"the submit returned HTTP {code} with a body that is not a job object ({exc}): "
            f"{answer.preview()!r}; {LOST_SUBMIT_ADVICE}",
            http_status=code,
        ) from exc


def read_status(session: EpmSession, url: str, job_id: int) -> JobState:
    """GET a job's status; failures that may pass become TransientError."""
    try:
        answer = _get_with_renewal(session, url)
    except TransportError as exc:
        if exc.tls:
            # A certificate that fails verification does not heal by waiting.
            raise InfraError(
                f"status request to {session.base_url} failed: {exc.reason}. {CA_BUNDLE_ADVICE}"
            ) from exc
        raise TransientError(exc.reason) from exc
    except TokenEndpointUnreachable as exc:
        if exc.tls:
            raise
        raise TransientError(exc.message) from exc
    except Redirected as exc:
        raise _redirect_error(exc, submit=False) from exc

    code = answer.http_status
    if code == 429:
        raise TransientError(
            "HTTP 429 Too Many Requests", retry_after=answer.retry_after, http_status=code
        )
    if code >= 500:
        raise TransientError(
            f"HTTP {code}{_quote(answer)}", retry_after=answer.retry_after, http_status=code
        )
    if code == 404:
        raise RejectedError(
            f"job {job_id} not found (HTTP 404{_quote(answer, sep=': ')}); check EPM_JOB_ID, "
            "EPM_URL and EPM_API_VERSION",
            http_status=code,
            details=answer.details,
        )
    _raise_for_refusal(answer, session, what="status request")
    try:
        return parse_job(answer.json)
    except MalformedJobError as exc:
        raise TransientError(
            f"HTTP {code} with a body that is not a job object ({exc}): {answer.preview()!r}",
            http_status=code,
        ) from exc


def _get_with_renewal(session: EpmSession, url: str) -> Answer:
    answer = session.read(session.request("GET", url))
    if answer.http_status == 401 and session.auth.renew():
        answer = session.read(session.request("GET", url))
    return answer


def _raise_for_refusal(answer: Answer, session: EpmSession, *, what: str) -> None:
    """Raise for 4xx responses and sign-in pages; return for anything else.

    None of these is retried, because the same request would get the same response.
    """
    code = answer.http_status
    if answer.is_sign_in_page and code < 500:
        raise AuthError(f"{SIGN_IN_ADVICE}; the page began: {answer.preview()!r}", http_status=code)
    if code == 401:
        raise AuthError(
            f"{what} refused with HTTP 401{_quote_any(answer)} for {session.auth.describe()}: "
            f"{session.auth.rejection_advice()}",
            http_status=code,
            details=answer.details,
        )
    if code == 403:
        raise AuthError(
            f"{what} refused with HTTP 403{_quote(answer)}: {ROLES_ADVICE} needed for "
            "Data Integration jobs",
            http_status=code,
            details=answer.details,
        )
    if code == 407:
        raise AuthError(
            "the proxy refused the request (HTTP 407); check the user and password in HTTPS_PROXY",
            http_status=code,
        )
    if code == 404:
        raise RejectedError(
            f"{what} returned HTTP 404{_quote(answer)}: application or URL not found; check "
            "EPM_URL, EPM_API_VERSION and EPM_APPLICATION",
            http_status=code,
            details=answer.details,
        )
    if 400 <= code < 500:
        raise RejectedError(
            f"{what} rejected with HTTP {code}{_quote(answer)}",
            http_status=code,
            details=answer.details,
        )


def _quote(answer: Answer, sep: str = ": ") -> str:
    return f"{sep}{answer.details}" if answer.details else ""


def _quote_any(answer: Answer) -> str:
    """Quote the server's error text, also from a plain-text or XML body such as EPM's 401s."""
    if answer.details:
        return f" ({answer.details})"
    if answer.json is not None or answer.is_html or not answer.text.strip():
        return ""
    return f" ({answer.preview()!r})"


def _unreachable(exc: TransportError, session: EpmSession) -> EpmError:
    if exc.tls:
        return InfraError(
            f"cannot reach {session.base_url}: {exc.reason}. {CA_BUNDLE_ADVICE}; no job was created"
        )
    return InfraError(f"cannot reach {session.base_url}: {exc.reason}; no job was created")


def _redirect_error(exc: Redirected, *, submit: bool) -> EpmError:
    if exc.sign_in:
        return AuthError(
            f"EPM redirected to a sign-in page or another host ({exc.location}), which the "
            f"gate did not follow: {SSO_ADVICE}"
        )
    if submit:
        return SubmitUnknownError(f"submit was redirected to {exc.location}; {LOST_SUBMIT_ADVICE}")
    return TransientError(f"redirected to {exc.location}")
