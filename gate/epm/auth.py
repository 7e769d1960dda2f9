"""Credentials for EPM requests: Basic and OAuth 2.0 bearer tokens."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Protocol

SecretSink = Callable[[str], None]


class Authenticator(Protocol):
    """What the EPM session needs from a credential kind."""

    def header(self) -> str:
        """Return the value of the Authorization header for the next request."""
        ...

    def renew(self) -> bool:
        """Get fresh credentials after a 401; return False when the kind has none to get."""
        ...

    def describe(self) -> str:
        """Return who is signing in, for messages; never a secret."""
        ...

    def rejection_advice(self) -> str:
        """Return what to check when EPM rejects these credentials with HTTP 401."""
        ...


class BasicAuth:
    """HTTP Basic with ``user`` or ``domain.user`` (Classic environments need the domain)."""

    def __init__(
        self, username: str, password: str, identity_domain: str | None, sink: SecretSink
    ) -> None:
        self.user = f"{identity_domain}.{username}" if identity_domain else username
        self.has_domain = bool(identity_domain)
        token = base64.b64encode(f"{self.user}:{password}".encode()).decode()
        self._header = f"Basic {token}"
        sink(password)
        sink(token)
        sink(self._header)

    def header(self) -> str:
        """Return ``Basic <base64 of user:password>``."""
        return self._header

    def renew(self) -> bool:
        """Return False: a password cannot be renewed during a run."""
        return False

    def describe(self) -> str:
        """Return the user string as sent, e.g. ``exampledomain.ci_bot``."""
        return f"user {self.user!r}"

    def rejection_advice(self) -> str:
        """Point to the identity domain, the usual cause on Classic environments."""
        if self.has_domain:
            return (
                "the password was not accepted (not valid, or expired), or EPM_IDENTITY_DOMAIN is not the "
                "environment's identity domain"
            )
        return (
            "the password was not accepted (not valid, or expired), or the user lacks the identity domain: "
            "Classic environments need it, so set EPM_IDENTITY_DOMAIN and the user is sent "
            "as DOMAIN.USER"
        )


class BearerAuth:
    """A fixed OAuth 2.0 access token obtained by an earlier step."""

    def __init__(self, token: str, sink: SecretSink) -> None:
        self._header = f"Bearer {token}"
        sink(token)
        sink(self._header)

    def header(self) -> str:
        """Return ``Bearer <token>``."""
        return self._header

    def renew(self) -> bool:
        """Return False: a fixed access token cannot be renewed."""
        return False

    def describe(self) -> str:
        """Return a description of the credential kind."""
        return "the access token in EPM_ACCESS_TOKEN"

    def rejection_advice(self) -> str:
        """Explain a refused fixed token."""
        return (
            "the token expired, was revoked or was issued for another environment; get a new "
            "one, or configure the refresh grant (EPM_TOKEN_URL, EPM_CLIENT_ID, "
            "EPM_REFRESH_TOKEN) so the gate renews it"
        )
