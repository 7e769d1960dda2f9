"""End-to-end: the OAuth 2.0 refresh grant, token rotation, expiry and refused grants."""

from __future__ import annotations

import stat
from collections.abc import Callable
from pathlib import Path

from gate.simulator import Scenario, Simulator, SimulatorServer, http, job
from gate.simulator.oauth import ScriptedResponse, TokenEndpoint, invalid_grant
from tests.auth_support import CLIENT_ID, leaks, masked, oauth_settings, published_text
from tests.conftest import GateResult

Serve = Callable[..., SimulatorServer]
Gate = Callable[..., GateResult]

RUNNING_THEN_SUCCESS = Scenario("long", polls=[job(-1), job(0)])


def start(
    serve: Serve, scenario: Scenario = RUNNING_THEN_SUCCESS, **endpoint: object
) -> tuple[SimulatorServer, TokenEndpoint]:
    """Serve a simulator that accepts only tokens from its own token endpoint."""
    simulator = Simulator(scenario, user=None, first_job_id=109)
    options = {"access_prefix": "acc-A", "refresh_prefix": "ref-R", "expires_in": 60}
    options.update(endpoint)
    token_endpoint = TokenEndpoint(**options).register(simulator)  # type: ignore[arg-type]
    return serve(simulator), token_endpoint


def bearer_tokens(server: SimulatorServer, method: str) -> list[str]:
    """Return the bearer token of each request of a method, in order."""
    return [
        request.headers.get("authorization", "").removeprefix("Bearer ")
        for request in server.simulator.requests
        if request.method == method and request.path.startswith("/aif/")
    ]


def all_tokens(endpoint: TokenEndpoint) -> list[str]:
    """Return every token the endpoint handed out or was seeded with."""
    return endpoint.issued_refresh_tokens + endpoint.issued_access_tokens


def test_revoked_token_renewed_once(serve: Serve, gate: Gate, tmp_path: Path) -> None:
    # The first access token stops working after two requests although the grant stated
    # it lasts 60 s, so the gate meets a 401 (with an XML body) in the middle of the wait.
    server, endpoint = start(serve, revoke_after_uses=2)
    out = tmp_path / "state" / "refresh-token"

    result = gate(
        server.url,
        EPM_REFRESH_TOKEN_OUT=str(out),
        **oauth_settings(server.url, endpoint.first_refresh_token),
    )

    assert result.code == 0
    assert result.summary["outcome"] == "success"
    assert [grant.refresh_token for grant in endpoint.grants] == ["ref-R0", "ref-R1"]
    assert bearer_tokens(server, "POST") == ["acc-A1"]
    assert bearer_tokens(server, "GET") == ["acc-A1", "acc-A1", "acc-A2"]
    assert out.read_text(encoding="utf-8") == "ref-R2\n"
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert "HTTP 401" in result.stderr
    assert str(out) in result.stderr
    assert leaks(published_text(result, skip=[out]), all_tokens(endpoint)) == []


def test_refresh_ahead_of_expiry(serve: Serve, gate: Gate) -> None:
    scenario = Scenario("timed", run_seconds=3.5, final=job(0))
    server, endpoint = start(serve, scenario, expires_in=3)

    result = gate(server.url, **oauth_settings(server.url, endpoint.first_refresh_token))

    assert result.code == 0
    assert len(endpoint.grants) >= 2
    assert "refreshing it" not in result.stderr
    assert leaks(published_text(result), all_tokens(endpoint)) == []


def test_refresh_refused_after_submit(serve: Serve, gate: Gate) -> None:
    server, endpoint = start(serve, revoke_after_uses=2, responses={2: invalid_grant()})

    result = gate(server.url, **oauth_settings(server.url, endpoint.first_refresh_token))

    assert result.code == 6
    assert result.summary["outcome"] == "auth_error"
    assert result.summary["jobId"] == 109
    assert result.outputs["job-id"] == "109"
    message = result.summary["message"]
    assert "job 109 may still be running" in message
    assert "invalid_grant" in message
    assert "EPM_REFRESH_TOKEN" in message
    assert server.simulator.count("POST", "/aif/") == 1
    assert leaks(published_text(result), all_tokens(endpoint)) == []


def test_token_endpoint_outage_while_waiting(serve: Serve, gate: Gate) -> None:
    outage = ScriptedResponse(503, "<html>maintenance</html>", "text/html")
    server, endpoint = start(serve, revoke_after_uses=2, responses={2: outage})

    result = gate(server.url, **oauth_settings(server.url, endpoint.first_refresh_token))

    assert result.code == 0
    assert [grant.http for grant in endpoint.grants] == [200, 503, 200]
    assert "HTTP 503" in result.stderr


def test_reused_refresh_token_stops_before_submit(serve: Serve, gate: Gate) -> None:
    server, endpoint = start(serve)
    settings = oauth_settings(server.url, endpoint.first_refresh_token)
    first = gate(server.url, **settings)
    assert first.code == 0
    epm_requests = len([r for r in server.simulator.requests if r.path.startswith("/aif/")])

    second = gate(server.url, **settings)

    assert second.code == 6
    assert second.summary["outcome"] == "auth_error"
    assert second.summary["jobId"] is None
    message = second.summary["message"]
    assert "expired or was already used" in message
    assert "EPM_REFRESH_TOKEN" in message
    assert endpoint.grants[-1].error == "invalid_grant"
    epm_after = len([r for r in server.simulator.requests if r.path.startswith("/aif/")])
    assert epm_after == epm_requests
    assert leaks(published_text(second), all_tokens(endpoint)) == []


def test_rotated_token_handed_to_next_run(serve: Serve, gate: Gate, tmp_path: Path) -> None:
    server, endpoint = start(serve)
    out = tmp_path / "refresh-token"
    first = gate(
        server.url,
        EPM_REFRESH_TOKEN_OUT=str(out),
        **oauth_settings(server.url, endpoint.first_refresh_token),
    )
    assert first.code == 0
    assert out.read_text(encoding="utf-8") == "ref-R1\n"

    second = gate(
        server.url,
        EPM_REFRESH_TOKEN_OUT=str(out),
        EPM_REFRESH_TOKEN_FILE=str(out),
        **oauth_settings(server.url, ""),
    )

    assert second.code == 0
    assert endpoint.grants[-1].refresh_token == "ref-R1"
    assert out.read_text(encoding="utf-8") == "ref-R2\n"
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


def test_rotated_token_written_before_failure(serve: Serve, gate: Gate, tmp_path: Path) -> None:
    refused = Scenario("bad", submit=[http(400, '{"details":"bad request"}')])
    server, endpoint = start(serve, refused)
    out = tmp_path / "refresh-token"

    result = gate(
        server.url,
        EPM_REFRESH_TOKEN_OUT=str(out),
        **oauth_settings(server.url, endpoint.first_refresh_token),
    )

    assert result.code == 5
    assert out.read_text(encoding="utf-8") == "ref-R1\n"


def test_rotation_without_out_file_warns(serve: Serve, gate: Gate) -> None:
    server, endpoint = start(serve)

    result = gate(server.url, **oauth_settings(server.url, endpoint.first_refresh_token))

    assert result.code == 0
    assert "EPM_REFRESH_TOKEN_OUT is not set" in result.stderr


def test_rotated_tokens_masked_on_github(serve: Serve, gate: Gate) -> None:
    server, endpoint = start(serve, revoke_after_uses=2)

    result = gate(server.url, **oauth_settings(server.url, endpoint.first_refresh_token))

    assert result.code == 0
    masks = masked(result.stderr)
    for token in all_tokens(endpoint):
        assert token in masks


def test_confidential_client(serve: Serve, gate: Gate) -> None:
    secret = "cl+Secret/=%é"
    server, endpoint = start(serve, client_secret=secret)

    result = gate(
        server.url,
        EPM_CLIENT_SECRET=secret,
        **oauth_settings(server.url, endpoint.first_refresh_token),
    )

    assert result.code == 0
    grant_request = next(r for r in server.simulator.requests if r.path.endswith("/token"))
    assert grant_request.headers["authorization"].startswith("Basic ")
    secrets = [secret, f"{CLIENT_ID}:{secret}", *all_tokens(endpoint)]
    assert leaks(published_text(result), secrets) == []


def test_wrong_client_secret(serve: Serve, gate: Gate) -> None:
    server, endpoint = start(serve, client_secret="right-secret")

    result = gate(
        server.url,
        EPM_CLIENT_SECRET="wrong-secret",
        **oauth_settings(server.url, endpoint.first_refresh_token),
    )

    assert result.code == 6
    assert "invalid_client" in result.summary["message"]
    assert "EPM_CLIENT_SECRET" in result.summary["message"]
    assert server.simulator.count("POST", "/aif/") == 0


def test_token_endpoint_down_at_start(serve: Serve, gate: Gate) -> None:
    server, endpoint = start(serve, responses={1: ScriptedResponse(503, "")})

    result = gate(server.url, **oauth_settings(server.url, endpoint.first_refresh_token))

    assert result.code == 3
    assert result.summary["outcome"] == "infra_error"
    assert "token endpoint" in result.summary["message"]
    assert server.simulator.count("POST", "/aif/") == 0


def test_fixed_access_token_refused(serve: Serve, gate: Gate) -> None:
    server = serve(RUNNING_THEN_SUCCESS, user=None, tokens={"good-token"})

    result = gate(server.url, EPM_USERNAME="", EPM_PASSWORD="", EPM_ACCESS_TOKEN="stale-token")

    assert result.code == 6
    assert "EPM_ACCESS_TOKEN" in result.summary["message"]
    assert leaks(published_text(result), ["stale-token"]) == []


def test_token_out_missing_folder(serve: Serve, gate: Gate, tmp_path: Path) -> None:
    server, endpoint = start(serve)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("", encoding="utf-8")

    result = gate(
        server.url,
        EPM_REFRESH_TOKEN_OUT=str(blocker / "token"),
        **oauth_settings(server.url, endpoint.first_refresh_token),
    )

    assert result.code == 2
    assert "EPM_REFRESH_TOKEN_OUT" in result.summary["message"]
    assert endpoint.grants == []
