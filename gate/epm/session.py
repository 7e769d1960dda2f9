"""The HTTP session to EPM: auth, timeouts, User-Agent, and translation of every failure."""

from __future__ import annotations

import json
import platform
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
import urllib3.exceptions

from gate import __version__
from gate.epm.auth import Authenticator
from gate.epm.retry import parse_retry_after
from gate.epm.tls import ca_bundle_problem, configure_trust
from gate.errors import UsageError

USER_AGENT = (
    f"epm-gate/{__version__} (Python {platform.python_version()}; {platform.system()}) "
    f"python-requests/{requests.__version__}"
)

MAX_REDIRECTS = 5
# How much of an unexpected body goes into messages and the log.
BODY_PREVIEW = 200
# How much of the server's own error text goes into messages. A cut text ends with "...",
# which lets the redactor mask a secret cut in half.
DETAILS_LIMIT = 500

_SIGN_IN_PAGE = re.compile(
    r"type\s*=\s*[\"']?password|<title>[^<]*(sign[ -]?in|log[ -]?in|logon|single sign)"
    r"|/oauth2/|/sso/",
    re.IGNORECASE,
)
_SIGN_IN_PATH = re.compile(r"/(oauth2|sso|saml|signin|login)(/|$)", re.IGNORECASE)


class TransportError(Exception):
    """A request that got no HTTP response.

    ``sent`` tells whether the request may have reached the server: False for a refused
    connection, a DNS or TLS failure or a connect timeout; True for a reset or read
    timeout after sending, which matters when the request was a submit.
    """

    def __init__(self, reason: str, *, sent: bool, tls: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.sent = sent
        self.tls = tls


@dataclass(frozen=True)
class Answer:
    """An HTTP response read into memory: status, headers, text and parsed JSON if any."""

    http_status: int
    headers: dict[str, str]
    text: str
    url: str

    @property
    def json(self) -> Any:
        """Return the body parsed as JSON, or None when it is not JSON."""
        try:
            return json.loads(self.text)
        except (ValueError, RecursionError):
            # A hostile body nested deeper than the parser's recursion limit is not JSON
            # the gate can use either.
            return None

    @property
    def is_html(self) -> bool:
        """Tell whether the body is an HTML page."""
        content_type = self.headers.get("content-type", "").lower()
        return "html" in content_type or self.text.lstrip()[:15].lower().startswith(
            ("<!doctype html", "<html")
        )

    @property
    def is_sign_in_page(self) -> bool:
        """Tell whether the body is a sign-in page rather than an API response."""
        return self.is_html and bool(_SIGN_IN_PAGE.search(self.text))

    @property
    def retry_after(self) -> float | None:
        """Return the Retry-After header in seconds, if present and readable."""
        return parse_retry_after(self.headers.get("retry-after"))

    @property
    def details(self) -> str | None:
        """Return the server's own error text from a JSON body, trimmed."""
        body = self.json
        if not isinstance(body, dict):
            return None
        for key in ("details", "detail", "message", "error_description", "error"):
            value = body.get(key)
            if isinstance(value, str) and value.strip() and value.strip() != "null":
                text = value.strip()
                return text[:DETAILS_LIMIT] + ("..." if len(text) > DETAILS_LIMIT else "")
        return None

    def preview(self) -> str:
        """Return the start of the body on one line, for messages."""
        text = " ".join(self.text.split())
        return text[:BODY_PREVIEW] + ("..." if len(text) > BODY_PREVIEW else "")


class Redirected(Exception):
    """A redirect that the gate does not follow: to another host or a sign-in path."""

    def __init__(self, location: str, *, sign_in: bool) -> None:
        super().__init__(location)
        self.location = location
        self.sign_in = sign_in


class EpmSession:
    """One pooled connection to an EPM environment.

    Redirects are followed by hand and only within the same origin, so credentials never
    travel to another host.
    """

    def __init__(
        self,
        base_url: str,
        auth: Authenticator,
        *,
        request_timeout: float,
        ca_bundle: Path | None = None,
    ) -> None:
        self.base_url = base_url
        self.auth = auth
        self.request_timeout = request_timeout
        self.requests_sent = 0
        self.http = requests.Session()
        self.http.headers["User-Agent"] = USER_AGENT
        self.http.headers["Accept"] = "application/json"
        try:
            configure_trust(self.http, ca_bundle)
        except OSError as exc:
            # The settings checks load the bundle first, so only a file changed since
            # then gets here.
            assert ca_bundle is not None
            raise UsageError([ca_bundle_problem(ca_bundle) or f"EPM_CA_BUNDLE: {exc}"]) from exc

    def url(self, path: str) -> str:
        """Return the absolute URL of an API path such as ``/aif/rest/V1/jobs``."""
        return self.base_url + path

    def close(self) -> None:
        """Close pooled connections."""
        self.http.close()

    def fresh_connection(self) -> None:
        """Drop pooled connections, so the next request opens a new one.

        A submit must not go out on a kept-alive connection that the server may have
        closed meanwhile: the reset would look like a lost answer (exit 9) although EPM
        never received the request.
        """
        for adapter in self.http.adapters.values():
            adapter.close()

    def request(
        self,
        method: str,
        url: str,
        *,
        json_body: Any = None,
        timeout: float | None = None,
        stream: bool = False,
        authorise: bool = True,
    ) -> requests.Response:
        """Send one request and return the raw response; raise TransportError or Redirected."""
        limit = self.request_timeout if timeout is None else timeout
        origin = urlsplit(url)[:2]
        for _ in range(MAX_REDIRECTS + 1):
            headers = {"Authorization": self.auth.header()} if authorise else {}
            response = self._send(method, url, headers, json_body, limit, stream)
            if not response.is_redirect:
                return response
            location = urljoin(url, response.headers.get("location", ""))
            response.close()
            target = urlsplit(location)
            sign_in = bool(_SIGN_IN_PATH.search(target.path))
            if target[:2] != origin or sign_in:
                raise Redirected(location, sign_in=True)
            if method != "GET" and response.status_code not in (307, 308):
                raise Redirected(location, sign_in=False)
            url = location
        raise Redirected(url, sign_in=False)

    def _send(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        json_body: Any,
        timeout: float,
        stream: bool,
    ) -> requests.Response:
        self.requests_sent += 1
        try:
            return self.http.request(
                method,
                url,
                headers=headers,
                json=json_body,
                timeout=(timeout, timeout),
                allow_redirects=False,
                stream=stream,
            )
        except requests.exceptions.SSLError as exc:
            raise TransportError(
                f"TLS verification failed: {_root_cause(exc)}", sent=False, tls=True
            ) from exc
        except requests.exceptions.ProxyError as exc:
            raise TransportError(_proxy_reason(exc), sent=False) from exc
        except requests.exceptions.ConnectTimeout as exc:
            raise TransportError(f"connect timed out after {timeout:g}s", sent=False) from exc
        except requests.exceptions.ReadTimeout as exc:
            raise TransportError(
                f"no response within {timeout:g}s (read timeout)", sent=True
            ) from exc
        except requests.exceptions.ConnectionError as exc:
            raise TransportError(_connection_reason(exc), sent=_may_have_sent(exc)) from exc
        except requests.exceptions.RequestException as exc:
            raise TransportError(f"request failed: {_root_cause(exc)}", sent=True) from exc

    def read(self, response: requests.Response) -> Answer:
        """Read a response body into an Answer; a broken body read is a TransportError."""
        try:
            content = response.content
        except requests.exceptions.RequestException as exc:
            raise TransportError(f"response cut off: {_root_cause(exc)}", sent=True) from exc
        finally:
            response.close()
        text = _decode(content, response.headers.get("content-type", ""))
        headers = {key.lower(): value for key, value in response.headers.items()}
        return Answer(response.status_code, headers, text, response.url or "")


def _decode(content: bytes, content_type: str) -> str:
    """Decode a body with its declared charset, else UTF-8.

    requests assumes ISO-8859-1 for text/* without a charset, which garbles EPM's UTF-8
    pages, and with them any secret they echo, past what the redactor recognises.
    """
    match = re.search(r"charset\s*=\s*\"?([\w.:-]+)", content_type, re.IGNORECASE)
    if match:
        try:
            return content.decode(match.group(1), errors="replace")
        except LookupError:
            pass
    return content.decode("utf-8", errors="replace")


def _root_cause(exc: BaseException) -> str:
    cause: BaseException = exc
    while True:
        inner = (
            getattr(cause, "reason", None)
            or cause.__context__
            or (cause.args[0] if cause.args and isinstance(cause.args[0], BaseException) else None)
        )
        if not isinstance(inner, BaseException) or inner is cause:
            break
        cause = inner
    return str(cause) or type(cause).__name__


def _proxy_reason(exc: requests.exceptions.ProxyError) -> str:
    """Describe a proxy failure; urllib3 reports a refused CONNECT only as text."""
    tunnel = re.search(r"Tunnel connection failed: (\d{3})([^'\")]*)", str(exc))
    if tunnel is None:
        return f"proxy failed: {_root_cause(exc)}"
    code, reason = tunnel.group(1), tunnel.group(2).strip()
    if code == "407":
        return (
            f"the proxy refused its credentials (HTTP 407 {reason}); check the user and "
            "password in HTTPS_PROXY"
        )
    return (
        f"the proxy refused to connect to EPM (HTTP {code} {reason}); check HTTPS_PROXY "
        "and NO_PROXY"
    )


def _may_have_sent(exc: requests.exceptions.ConnectionError) -> bool:
    reason = exc.args[0] if exc.args else None
    inner = getattr(reason, "reason", reason)
    return not isinstance(
        inner,
        (urllib3.exceptions.NewConnectionError, urllib3.exceptions.NameResolutionError),
    )


def _connection_reason(exc: requests.exceptions.ConnectionError) -> str:
    reason = exc.args[0] if exc.args else None
    inner = getattr(reason, "reason", reason)
    if isinstance(inner, urllib3.exceptions.NameResolutionError):
        return "host name not found (DNS)"
    if isinstance(inner, urllib3.exceptions.NewConnectionError):
        return "connection refused or unreachable"
    return f"connection lost: {_root_cause(exc)}"
