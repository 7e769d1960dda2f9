"""An OAuth 2.0 token endpoint for the simulator, with the refresh-token grant as EPM uses it.

Access tokens expire, refresh tokens are single-use and rotate on every grant, and a test
can revoke an access token before its stated expiry or script a grant to fail.
"""

from __future__ import annotations

import base64
import re
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

if TYPE_CHECKING:
    from gate.simulator.server import Exchange, Simulator

TOKEN_PATH = "/oauth2/v1/token"  # noqa: S105 - a URL path, not a secret

# EPM returns an XML body with the 401 for an expired or revoked bearer token.
EXPIRED_TOKEN_XML = '<?xml version="1.0" encoding="UTF-8"?><error>token expired</error>'  # noqa: S105 - an error body


@dataclass
class GrantRecord:
    """One request to the token endpoint and the response it got."""

    refresh_token: str | None
    http: int
    access_token: str | None = None
    new_refresh_token: str | None = None
    error: str | None = None


@dataclass
class AccessToken:
    """An issued access token: when it stops working on the simulator clock, and uses left."""

    value: str
    expires_at: float
    uses_left: int | None = None
    revoked: bool = False


@dataclass
class ScriptedResponse:
    """A response that replaces the normal one for a given grant number."""

    http: int
    body: str
    content_type: str = "application/json"


def invalid_grant(description: str = "refresh token already used or expired") -> ScriptedResponse:
    """Return a 400 ``invalid_grant`` response, as the identity service sends it."""
    return ScriptedResponse(400, f'{{"error":"invalid_grant","error_description":"{description}"}}')


class TokenEndpoint:
    """The refresh-token grant of an identity service, served on a Simulator.

    ``expires_in`` is the lifetime stated in each response. ``valid_for`` is how long an
    access token really works (default: as stated), so a shorter value plays a token
    revoked before its stated expiry. ``revoke_after_uses`` revokes each access token after
    that many authorised EPM requests. ``responses`` maps a grant number (1 for the first
    request) to a scripted response, e.g. ``{2: invalid_grant()}``. With ``rotate`` each grant
    voids the refresh token it used and issues the next one.
    """

    # The endpoint itself needs no EPM credentials.
    public = True

    def __init__(
        self,
        *,
        client_id: str = "epm-gate-client",
        client_secret: str | None = None,
        access_prefix: str = "sim-access-",
        refresh_prefix: str = "sim-refresh-",
        expires_in: float = 3600,
        valid_for: float | None = None,
        revoke_after_uses: int | None = None,
        rotate: bool = True,
        responses: dict[int, ScriptedResponse] | None = None,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.access_prefix = access_prefix
        self.refresh_prefix = refresh_prefix
        self.expires_in = expires_in
        self.valid_for = valid_for
        self.revoke_after_uses = revoke_after_uses
        self.rotate = rotate
        self.responses = responses or {}
        self.first_refresh_token = f"{refresh_prefix}0"
        self.refresh_tokens = {self.first_refresh_token}
        self.access_tokens: dict[str, AccessToken] = {}
        self.grants: list[GrantRecord] = []
        self.refresh_serial = 0
        self.simulator: Simulator | None = None
        self.lock = threading.Lock()

    def register(self, simulator: Simulator) -> TokenEndpoint:
        """Serve the endpoint on ``simulator`` and make EPM accept the tokens it issues."""
        self.simulator = simulator
        simulator.add_route("POST", re.escape(TOKEN_PATH), self)
        simulator.bearer_check = self.accepts
        simulator.unauthorised_answer = (EXPIRED_TOKEN_XML, "application/xml")
        return self

    @property
    def issued_refresh_tokens(self) -> list[str]:
        """Return every refresh token handed out, oldest first, the seeded one included."""
        issued = [grant.new_refresh_token for grant in self.grants if grant.new_refresh_token]
        return [self.first_refresh_token, *issued]

    @property
    def issued_access_tokens(self) -> list[str]:
        """Return every access token handed out, oldest first."""
        return list(self.access_tokens)

    def revoke(self, token: str) -> None:
        """Make an access token stop working now, whatever its stated expiry."""
        with self.lock:
            if token in self.access_tokens:
                self.access_tokens[token].revoked = True

    def accepts(self, token: str) -> bool:
        """Check a bearer token for one EPM request, counting the use."""
        assert self.simulator is not None
        with self.lock:
            issued = self.access_tokens.get(token)
            if issued is None or issued.revoked:
                return False
            if self.simulator.clock.now() >= issued.expires_at:
                return False
            if issued.uses_left is not None:
                if issued.uses_left <= 0:
                    return False
                issued.uses_left -= 1
            return True

    def __call__(self, exchange: Exchange, match: re.Match[str]) -> None:
        """Answer one token request."""
        form = _form(exchange.request.body)
        presented = form.get("refresh_token")
        with self.lock:
            number = len(self.grants) + 1
            record = GrantRecord(presented, 200)
            self.grants.append(record)
            scripted = self.responses.get(number)
            if scripted is not None:
                record.http = scripted.http
                exchange.send(scripted.http, scripted.body.encode(), scripted.content_type)
                return
            code, document = self._grant(form, exchange.request.headers, record)
        record.http = code
        record.error = document.get("error")
        exchange.send_json(code, document, {"Cache-Control": "no-store"})

    def _grant(
        self, form: dict[str, str], headers: dict[str, str], record: GrantRecord
    ) -> tuple[int, dict[str, Any]]:
        if not self._client_authenticated(form, headers):
            return 401, {"error": "invalid_client", "error_description": "client unknown"}
        if form.get("grant_type") != "refresh_token":
            return 400, {"error": "unsupported_grant_type"}

        presented = form.get("refresh_token")
        if presented not in self.refresh_tokens:
            return 400, {
                "error": "invalid_grant",
                "error_description": "refresh token already used or expired",
            }
        assert presented is not None and self.simulator is not None

        number = len(self.access_tokens) + 1
        access = f"{self.access_prefix}{number}"
        lifetime = self.expires_in if self.valid_for is None else self.valid_for
        self.access_tokens[access] = AccessToken(
            access, self.simulator.clock.now() + lifetime, self.revoke_after_uses
        )
        record.access_token = access
        document: dict[str, Any] = {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
        }

        if self.rotate:
            self.refresh_tokens.discard(presented)
            self.refresh_serial += 1
            rotated = f"{self.refresh_prefix}{self.refresh_serial}"
            self.refresh_tokens.add(rotated)
            record.new_refresh_token = rotated
            document["refresh_token"] = rotated
        return 200, document

    def _client_authenticated(self, form: dict[str, str], headers: dict[str, str]) -> bool:
        client_id, secret = form.get("client_id"), form.get("client_secret")
        scheme, _, value = headers.get("authorization", "").partition(" ")
        if scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(value, validate=True).decode()
            except (ValueError, UnicodeDecodeError):
                return False
            # requests sends the client id and secret as they are, not form-encoded first.
            client_id, _, secret = decoded.partition(":")
        if client_id != self.client_id:
            return False
        return self.client_secret is None or secret == self.client_secret


def _form(body: bytes) -> dict[str, str]:
    """Parse an ``application/x-www-form-urlencoded`` body, keeping the first of each name."""
    parsed = parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)
    return {name: values[0] for name, values in parsed.items()}
