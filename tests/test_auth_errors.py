"""End-to-end: refused credentials, sign-in pages and redirects explain themselves, unretried."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from gate.simulator import Scenario, SimulatorServer, http, job
from gate.simulator.proxy import ForwardProxy
from gate.simulator.scenarios import SIGN_IN_PAGE
from tests.auth_support import leaks, published_text
from tests.conftest import PASSWORD, GateResult

Serve = Callable[..., SimulatorServer]
Gate = Callable[..., GateResult]

DOMAIN = "exampledomain"
SUCCESS = Scenario("success", polls=[job(-1), job(0)])


@pytest.fixture
def trap() -> Iterator[ForwardProxy]:
    """A proxy that every request to a non-loopback host would reach, and be refused by."""
    with ForwardProxy("trap", "trap-pass") as proxy:
        yield proxy


def trap_settings(proxy: ForwardProxy) -> dict[str, str]:
    """Route everything but loopback through the trap, so no other host is ever resolved."""
    url = proxy.url("trap", "trap-pass")
    return {
        "HTTPS_PROXY": url,
        "HTTP_PROXY": url,
        "https_proxy": url,
        "http_proxy": url,
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    }


def test_basic_without_identity_domain(serve: Serve, gate: Gate) -> None:
    server = serve(SUCCESS, user=f"{DOMAIN}.ci_bot")

    result = gate(server.url)

    assert result.code == 6
    assert result.summary["outcome"] == "auth_error"
    assert result.summary["jobId"] is None
    assert len(server.simulator.requests) == 1
    message = result.summary["message"]
    assert "HTTP 401" in message
    assert "user 'ci_bot'" in message
    assert "EPM_IDENTITY_DOMAIN" in message
    assert leaks(published_text(result), [PASSWORD]) == []
    assert result.outputs["failure-category"] == "auth"


def test_basic_with_identity_domain(serve: Serve, gate: Gate) -> None:
    server = serve(SUCCESS, user=f"{DOMAIN}.ci_bot")

    result = gate(server.url, EPM_IDENTITY_DOMAIN=DOMAIN)

    assert result.code == 0
    assert result.summary["outcome"] == "success"
    sent = server.simulator.requests[0].headers["authorization"]
    assert server.simulator.authorised(sent)


def test_wrong_domain_names_the_user_sent(serve: Serve, gate: Gate) -> None:
    server = serve(SUCCESS, user=f"{DOMAIN}.ci_bot")

    result = gate(server.url, EPM_IDENTITY_DOMAIN="otherdomain")

    assert result.code == 6
    assert "user 'otherdomain.ci_bot'" in result.summary["message"]
    assert "EPM_IDENTITY_DOMAIN" in result.summary["message"]


def test_html_sign_in_page_on_submit(serve: Serve, gate: Gate) -> None:
    server = serve(Scenario("sign-in", submit=[http(200, SIGN_IN_PAGE, "text/html")]))

    result = gate(server.url)

    assert result.code == 6
    assert result.summary["outcome"] == "auth_error"
    assert result.summary["jobId"] is None
    message = result.summary["message"]
    assert "sign-in page" in message
    assert "SSO and MFA" in message
    assert "service account" in message
    assert "OAuth" in message
    assert "<title>Sign In</title>" in message
    assert server.simulator.count("POST") == 1
    assert "JSONDecodeError" not in result.stderr
    assert "Traceback" not in result.stderr


def test_sign_in_page_while_polling_not_retried(serve: Serve, gate: Gate) -> None:
    scenario = Scenario("sso", polls=[job(-1), http(200, SIGN_IN_PAGE, "text/html"), job(0)])
    server = serve(scenario)

    result = gate(server.url)

    assert result.code == 6
    assert result.summary["jobId"] == 4412
    assert "may still be running" in result.summary["message"]
    assert server.simulator.count("GET") == 2


def test_redirect_to_identity_provider_not_followed(
    serve: Serve, gate: Gate, trap: ForwardProxy
) -> None:
    login = "https://login.example.com/sso/start"
    server = serve(Scenario("redirect", submit=[http(302, "", Location=login)]))

    result = gate(server.url, **trap_settings(trap))

    assert result.code == 6
    assert result.summary["outcome"] == "auth_error"
    assert result.summary["jobId"] is None
    assert "login.example.com" in result.summary["message"]
    assert "did not follow" in result.summary["message"]
    assert "SSO and MFA" in result.summary["message"]
    assert len(server.simulator.requests) == 1
    assert trap.requests == []


def test_redirect_to_other_port_carries_no_credentials(
    serve: Serve, gate: Gate, trap: ForwardProxy
) -> None:
    other = serve(SUCCESS)
    server = serve(Scenario("redirect", submit=[http(307, "", Location=other.url + "/x")]))

    result = gate(server.url, **trap_settings(trap))

    assert result.code == 6
    assert other.simulator.requests == []
    assert trap.requests == []


def test_same_origin_redirect_is_followed(serve: Serve, gate: Gate) -> None:
    moved = http(301, "", Location="/aif/rest/V1/jobs/4412/")
    server = serve(Scenario("moved", polls=[job(-1), moved, job(0)]))

    result = gate(server.url)

    assert result.code == 0
    followed = server.simulator.requests[-1]
    assert followed.path == "/aif/rest/V1/jobs/4412/"
    assert server.simulator.authorised(followed.headers.get("authorization"))


def test_forbidden_names_roles(serve: Serve, gate: Gate) -> None:
    body = '{"details":"insufficient privileges"}'
    server = serve(Scenario("forbidden", submit=[http(403, body)]))

    result = gate(server.url)

    assert result.code == 6
    assert result.summary["outcome"] == "auth_error"
    assert "Service Administrator or Power User" in result.summary["message"]
    assert "insufficient privileges" in result.summary["message"]
    assert len(server.simulator.requests) == 1


def test_xml_401_is_auth_failure(serve: Serve, gate: Gate) -> None:
    xml = "<?xml version='1.0'?><error>token expired</error>"
    server = serve(Scenario("xml", submit=[http(401, xml, "application/xml")]), user=None)

    result = gate(server.url)

    assert result.code == 6
    assert result.summary["outcome"] == "auth_error"
    assert "token expired" in result.summary["message"]
    assert len(server.simulator.requests) == 1


def test_basic_401_while_polling_keeps_job(serve: Serve, gate: Gate) -> None:
    scenario = Scenario("expired", polls=[job(-1), http(401, ""), job(0)])
    server = serve(scenario)

    result = gate(server.url)

    assert result.code == 6
    assert result.summary["jobId"] == 4412
    assert "job 4412 may still be running" in result.summary["message"]
    assert "EPM_JOB_ID=4412" in result.summary["message"]
    assert server.simulator.count("GET") == 2
