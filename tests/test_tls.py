"""End-to-end: certificate verification, EPM_CA_BUNDLE, proxies and plain-http limits."""

from __future__ import annotations

import ssl
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests.utils

from gate.epm.tls import trust_context
from gate.simulator import Scenario, Simulator, SimulatorServer, job
from gate.simulator.oauth import TokenEndpoint
from gate.simulator.proxy import ForwardProxy
from tests.auth_support import (
    Certificates,
    leaks,
    make_certificates,
    oauth_settings,
    published_text,
)
from tests.conftest import GateResult

Gate = Callable[..., GateResult]

PROXY_USER = "user"
PROXY_PASSWORD = "example-proxy-pass"
NO_PROXY = {"NO_PROXY": "", "no_proxy": ""}


@pytest.fixture
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    """A fresh test CA and a server certificate for 127.0.0.1."""
    return make_certificates(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def https_server(certificates: Certificates) -> Iterator[SimulatorServer]:
    """The simulator over HTTPS, playing job 108: running, then success."""
    simulator = Simulator(Scenario("tls", polls=[job(-1), job(0)]), first_job_id=108)
    with SimulatorServer(simulator, ssl_context=certificates.server_context) as server:
        yield server


@pytest.fixture
def proxy() -> Iterator[ForwardProxy]:
    """A forward proxy on 127.0.0.1 that requires Proxy-Authorization."""
    with ForwardProxy(PROXY_USER, PROXY_PASSWORD) as running:
        yield running


def test_private_ca_without_bundle(https_server: SimulatorServer, gate: Gate) -> None:
    result = gate(https_server.url, **NO_PROXY)

    assert result.code == 3
    assert result.summary["outcome"] == "infra_error"
    assert result.summary["jobId"] is None
    assert "TLS verification failed" in result.summary["message"]
    assert "EPM_CA_BUNDLE" in result.summary["message"]
    assert https_server.simulator.requests == []
    assert "Traceback" not in result.stderr


def test_private_ca_with_bundle(
    https_server: SimulatorServer, certificates: Certificates, gate: Gate
) -> None:
    result = gate(https_server.url, EPM_CA_BUNDLE=str(certificates.ca_pem), **NO_PROXY)

    assert result.code == 0
    assert result.summary["outcome"] == "success"
    assert result.summary["jobId"] == 108


def test_bundle_adds_to_default_cas(
    https_server: SimulatorServer, certificates: Certificates, gate: Gate, tmp_path: Path
) -> None:
    # REQUESTS_CA_BUNDLE pointing at an unrelated CA must neither replace the setting
    # nor break it: the bundle is added to whatever requests trusts by default.
    unrelated = make_certificates(tmp_path.parent / "unrelated")

    result = gate(
        https_server.url,
        EPM_CA_BUNDLE=str(certificates.ca_pem),
        REQUESTS_CA_BUNDLE=str(unrelated.ca_pem),
        **NO_PROXY,
    )

    assert result.code == 0


def test_attach_tls_failure_not_retried(https_server: SimulatorServer, gate: Gate) -> None:
    result = gate(https_server.url, EPM_JOB_ID="108", EPM_UNREACHABLE_TIMEOUT="30", **NO_PROXY)

    assert result.code == 3
    assert result.summary["outcome"] == "infra_error"
    assert "EPM_CA_BUNDLE" in result.summary["message"]
    assert result.summary["polls"] == 1


def test_missing_ca_bundle_is_usage_error(
    https_server: SimulatorServer, gate: Gate, tmp_path: Path
) -> None:
    missing = tmp_path / "no-such-ca.pem"

    result = gate(https_server.url, EPM_CA_BUNDLE=str(missing))

    assert result.code == 2
    assert result.summary["outcome"] == "usage_error"
    assert "EPM_CA_BUNDLE" in result.summary["message"]
    assert str(missing) in result.summary["message"]
    assert https_server.simulator.requests == []


def test_ca_bundle_without_certificates(
    https_server: SimulatorServer, gate: Gate, tmp_path_factory: pytest.TempPathFactory
) -> None:
    not_pem = tmp_path_factory.mktemp("bad") / "ca.pem"
    not_pem.write_text("this is not a certificate\n", encoding="utf-8")

    result = gate(https_server.url, EPM_CA_BUNDLE=str(not_pem))

    assert result.code == 2
    assert "PEM" in result.summary["message"]


def test_plain_http_only_for_loopback(gate: Gate) -> None:
    result = gate("http://epm.example.com")

    assert result.code == 2
    assert "http://" in result.summary["message"]
    assert "loopback" in result.summary["message"]


def test_through_authenticating_proxy(
    https_server: SimulatorServer,
    certificates: Certificates,
    proxy: ForwardProxy,
    gate: Gate,
) -> None:
    result = gate(
        https_server.url,
        EPM_CA_BUNDLE=str(certificates.ca_pem),
        HTTPS_PROXY=proxy.url(PROXY_USER, PROXY_PASSWORD),
        **NO_PROXY,
    )

    assert result.code == 0
    assert result.summary["outcome"] == "success"
    port = https_server.url.rsplit(":", 1)[1]
    tunnels = [request for request in proxy.requests if request.method == "CONNECT"]
    assert tunnels
    assert all(request.target == f"127.0.0.1:{port}" for request in tunnels)
    assert all(request.status == 200 for request in tunnels)
    assert https_server.simulator.count("POST") == 1
    assert leaks(published_text(result), [PROXY_PASSWORD, "user:example-proxy-pass"]) == []


def test_proxy_rejecting_credentials(
    https_server: SimulatorServer,
    certificates: Certificates,
    proxy: ForwardProxy,
    gate: Gate,
) -> None:
    wrong = "wrong-proxy-secret"

    result = gate(
        https_server.url,
        EPM_CA_BUNDLE=str(certificates.ca_pem),
        HTTPS_PROXY=proxy.url(PROXY_USER, wrong),
        **NO_PROXY,
    )

    assert result.code == 3
    assert result.summary["outcome"] == "infra_error"
    assert "HTTP 407" in result.summary["message"]
    assert "HTTPS_PROXY" in result.summary["message"]
    assert [request.status for request in proxy.requests] == [407]
    assert https_server.simulator.requests == []
    assert leaks(published_text(result), [wrong]) == []


def test_no_proxy_bypasses_proxy(
    https_server: SimulatorServer,
    certificates: Certificates,
    proxy: ForwardProxy,
    gate: Gate,
) -> None:
    result = gate(
        https_server.url,
        EPM_CA_BUNDLE=str(certificates.ca_pem),
        HTTPS_PROXY=proxy.url(PROXY_USER, PROXY_PASSWORD),
        NO_PROXY="127.0.0.1",
        no_proxy="127.0.0.1",
    )

    assert result.code == 0
    assert proxy.requests == []


def test_token_endpoint_over_tls_and_proxy(
    certificates: Certificates, proxy: ForwardProxy, gate: Gate
) -> None:
    simulator = Simulator(Scenario("tls", polls=[job(0)]), user=None)
    endpoint = TokenEndpoint().register(simulator)
    with SimulatorServer(simulator, ssl_context=certificates.server_context) as server:
        result = gate(
            server.url,
            EPM_CA_BUNDLE=str(certificates.ca_pem),
            HTTPS_PROXY=proxy.url(PROXY_USER, PROXY_PASSWORD),
            **NO_PROXY,
            **oauth_settings(server.url, endpoint.first_refresh_token),
        )

    assert result.code == 0
    assert len(endpoint.grants) == 1


def test_token_endpoint_private_ca_without_bundle(certificates: Certificates, gate: Gate) -> None:
    simulator = Simulator(Scenario("tls", polls=[job(0)]), user=None)
    endpoint = TokenEndpoint().register(simulator)
    with SimulatorServer(simulator, ssl_context=certificates.server_context) as server:
        result = gate(
            server.url, **NO_PROXY, **oauth_settings(server.url, endpoint.first_refresh_token)
        )

    assert result.code == 3
    assert result.summary["outcome"] == "infra_error"
    assert "token endpoint" in result.summary["message"]
    assert "EPM_CA_BUNDLE" in result.summary["message"]
    assert simulator.requests == []


def test_simulate_command_serves_https(
    certificates: Certificates, gate: Gate, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = tmp_path_factory.mktemp("server-cert")
    certificate = certificates.ca.issue_cert("127.0.0.1")
    certfile, keyfile = folder / "cert.pem", folder / "key.pem"
    certificate.cert_chain_pems[0].write_to_path(str(certfile))
    certificate.private_key_pem.write_to_path(str(keyfile))
    command = [sys.executable, "-m", "gate", "simulate", "--certfile", str(certfile)]
    command += ["--keyfile", str(keyfile)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        result = gate(url, EPM_CA_BUNDLE=str(certificates.ca_pem), **NO_PROXY)
    finally:
        process.terminate()
        process.wait(timeout=10)

    assert url.startswith("https://127.0.0.1:")
    assert result.code == 0


def test_simulate_command_rejects_bad_certfile(tmp_path: Path) -> None:
    missing = tmp_path / "missing.pem"

    completed = subprocess.run(
        [sys.executable, "-m", "gate", "simulate", "--certfile", str(missing)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )

    assert completed.returncode == 2
    assert "--certfile" in completed.stderr


def test_trust_context_keeps_default_cas(certificates: Certificates) -> None:
    bundle_only = ssl.create_default_context(cafile=str(certificates.ca_pem))
    defaults = ssl.create_default_context(cafile=requests.utils.DEFAULT_CA_BUNDLE_PATH)

    context = trust_context(certificates.ca_pem)

    subjects = {str(ca["subject"]) for ca in context.get_ca_certs()}
    for ca in bundle_only.get_ca_certs() + defaults.get_ca_certs():
        assert str(ca["subject"]) in subjects
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname
