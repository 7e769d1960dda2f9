"""OAuth 2.0 refresh-token grant: access tokens for EPM, and rotated refresh tokens."""

from __future__ import annotations

import base64
import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests

from gate.atomic import write_atomic
from gate.epm.auth import SecretSink
from gate.epm.tls import CA_BUNDLE_ADVICE, configure_trust
from gate.errors import AuthError, TokenEndpointUnreachable

if TYPE_CHECKING:
    from gate.settings import Settings

log = logging.getLogger("gate")

# Refresh this long before the stated expiry, or at a tenth of a short lifetime, so a
# token never expires between the check and the request.
EXPIRY_MARGIN = 60.0
DEFAULT_LIFETIME = 3600.0

RESEED_ADVICE = (
    "the refresh token was rejected: it expired or was already used (EPM refresh tokens "
    "are single-use). Seed EPM_REFRESH_TOKEN again from a new device-code sign-in, and set "
    "EPM_REFRESH_TOKEN_OUT so each run hands the next one on"
)
# How much of the token endpoint's error_description goes into a message.
DESCRIPTION_LIMIT = 200


class RefreshGrantAuth:
    """Bearer tokens from ``grant_type=refresh_token``, always using the newest refresh token."""

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: str | None,
        refresh_token: str,
        sink: SecretSink,
        *,
        refresh_token_out: Path | None = None,
        request_timeout: float = 30.0,
        ca_bundle: Path | None = None,
    ) -> None:
        self.token_url = token_url
        self.client_id = client_id
        self.client_secret = client_secret
        self.refresh_token = refresh_token
        self.sink = sink
        self.refresh_token_out = refresh_token_out
        self.request_timeout = request_timeout
        self.http = requests.Session()
        self.http.headers["Accept"] = "application/json"
        configure_trust(self.http, ca_bundle)
        self.access_token: str | None = None
        self.expires_at = 0.0
        self.grants = 0
        self.warned_unsaved = False
        sink(refresh_token)
        if client_secret:
            sink(client_secret)
        self.client_header = _client_basic_header(client_id, client_secret)
        if self.client_header:
            sink(self.client_header)

    @classmethod
    def from_settings(cls, settings: Settings, sink: SecretSink) -> RefreshGrantAuth:
        """Build the grant from the settings; the checks made sure each part is set."""
        refresh_token = settings.secret("refresh_token")
        assert settings.token_url
        assert settings.client_id
        assert refresh_token
        return cls(
            settings.token_url,
            settings.client_id,
            settings.secret("client_secret"),
            refresh_token,
            sink,
            refresh_token_out=settings.refresh_token_out,
            request_timeout=settings.request_timeout,
            ca_bundle=settings.ca_bundle,
        )

    def header(self) -> str:
        """Return ``Bearer <token>``, first getting a token when none is valid."""
        if self.access_token is None or time.monotonic() >= self.expires_at:
            self.grant()
        assert self.access_token is not None
        return f"Bearer {self.access_token}"

    def renew(self) -> bool:
        """Get a new access token after a 401."""
        log.info("EPM rejected the access token (HTTP 401); refreshing it")
        self.grant()
        return True

    def describe(self) -> str:
        """Return the OAuth client, for messages."""
        return f"the OAuth access token of client {self.client_id!r}"

    def rejection_advice(self) -> str:
        """Explain a token refused although it was just granted or renewed."""
        return (
            "EPM refused a freshly granted token; check that EPM_TOKEN_URL and EPM_CLIENT_ID "
            "belong to the identity domain of EPM_URL and that the client may call EPM"
        )

    def grant(self) -> None:
        """Exchange the refresh token for an access token (and usually a new refresh token)."""
        form = {"grant_type": "refresh_token", "refresh_token": self.refresh_token}
        headers = {}
        if self.client_header:
            headers["Authorization"] = self.client_header
        else:
            form["client_id"] = self.client_id
        self.grants += 1
        try:
            response = self.http.post(
                self.token_url,
                data=form,
                headers=headers,
                timeout=(self.request_timeout, self.request_timeout),
                allow_redirects=False,
            )
        except requests.exceptions.SSLError as exc:
            raise TokenEndpointUnreachable(
                f"cannot reach the token endpoint {self.token_url}: TLS verification failed. "
                f"{CA_BUNDLE_ADVICE}",
                tls=True,
            ) from exc
        except requests.exceptions.RequestException as exc:
            raise TokenEndpointUnreachable(
                f"cannot reach the token endpoint {self.token_url}: {type(exc).__name__}"
            ) from exc
        with response:
            self._accept(response)

    def _accept(self, response: requests.Response) -> None:
        code = response.status_code
        if code == 429 or code >= 500:
            raise TokenEndpointUnreachable(
                f"the token endpoint {self.token_url} returned HTTP {code}", http_status=code
            )
        try:
            body: Any = response.json()
        except (ValueError, RecursionError):
            body = None
        if code != 200 or not isinstance(body, dict) or "access_token" not in body:
            raise self._grant_error(code, body)
        token = body["access_token"]
        if not isinstance(token, str) or not token:
            raise AuthError("the token endpoint returned no usable access_token")
        self.sink(token)
        self.access_token = token
        lifetime = _seconds(body.get("expires_in")) or DEFAULT_LIFETIME
        margin = min(EXPIRY_MARGIN, lifetime / 10)
        self.expires_at = time.monotonic() + lifetime - margin
        rotated = body.get("refresh_token")
        if isinstance(rotated, str) and rotated and rotated != self.refresh_token:
            self.sink(rotated)
            self.refresh_token = rotated
            self._hand_on(rotated)
        log.info("got an OAuth access token valid for %gs", lifetime)

    def _grant_error(self, code: int, body: Any) -> AuthError:
        error = body.get("error") if isinstance(body, dict) else None
        description = body.get("error_description") if isinstance(body, dict) else None
        quoted_description = ""
        if isinstance(description, str) and description.strip():
            quoted_description = f" ({' '.join(description.split())[:DESCRIPTION_LIMIT]})"
        if 300 <= code < 400:
            return AuthError(
                f"the token endpoint returned a redirect (HTTP {code}), which the gate "
                "does not follow; set EPM_TOKEN_URL to the endpoint itself, such as "
                "https://idcs-....identity.oraclecloud.com/oauth2/v1/token",
                http_status=code,
            )
        if error == "invalid_grant":
            return AuthError(
                f"token grant refused (HTTP {code}, invalid_grant{quoted_description}): {RESEED_ADVICE}",
                http_status=code,
            )
        if error in ("invalid_client", "unauthorized_client"):
            return AuthError(
                f"token grant refused (HTTP {code}, {error}): check EPM_CLIENT_ID and "
                "EPM_CLIENT_SECRET, and that the client may use the refresh-token grant",
                http_status=code,
            )
        if code == 200:
            return AuthError(
                f"the token endpoint {self.token_url} returned HTTP 200 without an access_token; "
                "check that EPM_TOKEN_URL is the OAuth 2.0 token endpoint",
                http_status=code,
            )
        detail = f", {error}" if isinstance(error, str) else ""
        return AuthError(
            f"token grant refused (HTTP {code}{detail}{quoted_description}) by {self.token_url}",
            http_status=code,
        )

    def _hand_on(self, token: str) -> None:
        """Write a rotated refresh token to EPM_REFRESH_TOKEN_OUT (mode 0600, atomically)."""
        if self.refresh_token_out is None:
            if self.warned_unsaved:
                return
            self.warned_unsaved = True
            log.warning(
                "the token endpoint rotated the refresh token, and EPM_REFRESH_TOKEN_OUT is "
                "not set: the current EPM_REFRESH_TOKEN is now used up; re-seed it before the "
                "next run"
            )
            return
        path = self.refresh_token_out
        try:
            write_private(path, token + "\n")
        except OSError as exc:
            # The run goes on: the job is not at fault, and failing now would not bring the
            # used-up refresh token back.
            log.error(
                "cannot write the rotated refresh token to %s (EPM_REFRESH_TOKEN_OUT): %s; the "
                "refresh token given to this run is now used up, so seed EPM_REFRESH_TOKEN "
                "again before the next run",
                path,
                exc.strerror or type(exc).__name__,
            )
            return
        log.info("rotated refresh token written to %s (mode 0600)", path)


def write_private(path: Path, text: str) -> None:
    """Replace ``path`` atomically with a file of mode 0600 holding ``text``."""
    write_atomic(path, text, mode=0o600)


def _client_basic_header(client_id: str, client_secret: str | None) -> str | None:
    """Return the HTTP Basic header of a confidential client, or None for a public one.

    The id and secret go as they are, UTF-8 encoded; requests' own Basic helper would
    encode them as Latin-1.
    """
    if not client_secret:
        return None
    return "Basic " + base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()


def _seconds(value: object) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        return float(value)
    if isinstance(value, str) and value.strip().isdigit():
        return float(value)
    return None
