"""End-to-end: no secret, in any encoding, leaves the gate; masks come first on GitHub."""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from gate.simulator import Scenario, Simulator, SimulatorServer, Step, builtin_scenarios, http, job
from gate.simulator.oauth import ScriptedResponse, TokenEndpoint, invalid_grant
from gate.simulator.scenarios import SIGN_IN_PAGE
from tests.auth_support import CLIENT_ID, encodings, leaks, masked, oauth_settings, published_text
from tests.conftest import GateResult

Serve = Callable[..., SimulatorServer]
Gate = Callable[..., GateResult]

USER = "ci_bot"
# Characters that every encoding changes: quote, percent, plus, slash, ampersand, non-ASCII.
PASSWORD = 'Ex4mple+p@ss/"wörd"%&'
BASIC = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
PROXY_PASSWORD = "pr0xy+Secret/="
PROXY_URL = "http://proxyuser:pr0xy%2BSecret%2F%3D@127.0.0.1:9"
CLIENT_SECRET = "cl1ent+Secret/&"

# Runs bounded so that a job that never ends still finishes its test quickly.
SWEEP = {
    "EPM_TIMEOUT": "3",
    "EPM_UNREACHABLE_TIMEOUT": "2",
    "EPM_JUNIT_PATH": "report.xml",
    "EPM_DOTENV_PATH": "gate.env",
    "HTTPS_PROXY": PROXY_URL,
    "NO_PROXY": "127.0.0.1,localhost",
    "no_proxy": "127.0.0.1,localhost",
}


def echo(*texts: str) -> str:
    """Return a text that repeats the Basic credentials in several encodings."""
    forms = [form for secret in (PASSWORD, BASIC) for form in encodings(secret).values()]
    return " | ".join([*texts, *forms, f"Authorization: Basic {BASIC}"])


def sign_in_page_echoing() -> str:
    """Return a sign-in page that shows the submitted password, HTML-escaped, near its start."""
    title = f"<title>Sign In {html.escape(PASSWORD)}</title>"
    return SIGN_IN_PAGE.replace("<title>Sign In</title>", title)


def echo_scenarios() -> list[Scenario]:
    """Return scenarios whose server text repeats the credentials back."""
    echoed = echo("the server repeats what it was sent")
    return [
        Scenario("echo-failed", polls=[job(-1), job(1, details=echoed)]),
        Scenario(
            "echo-fields",
            polls=[
                Step(
                    status=0,
                    job_status=echoed,
                    fields={"descriptiveStatus": echoed, PASSWORD: echoed},
                )
            ],
        ),
        Scenario("echo-400", submit=[http(400, json.dumps({"details": echoed}))]),
        Scenario("echo-401", submit=[http(401, f"<error>{echoed}</error>", "application/xml")]),
        Scenario(
            "echo-sign-in",
            submit=[http(200, sign_in_page_echoing(), "text/html")],
        ),
        Scenario(
            "echo-cut-preview",
            submit=[http(200, "x" * 190 + PASSWORD + " and more text after it", "text/plain")],
        ),
        Scenario("echo-500", submit=[job(-1)], polls=[http(500, echoed), job(0)]),
    ]


def basic_secrets() -> list[str]:
    """Return the Basic-auth secrets of a sweep run and the proxy password."""
    return [PASSWORD, f"{USER}:{PASSWORD}", BASIC, PROXY_PASSWORD, f"proxyuser:{PROXY_PASSWORD}"]


def assert_masks_first(result: GateResult, secrets: list[str]) -> None:
    """Check that each secret was masked before the first line that is not a mask."""
    lines = result.stderr.splitlines()
    first_other = next(
        (index for index, line in enumerate(lines) if not line.startswith("::add-mask::")),
        len(lines),
    )
    early = masked("\n".join(lines[:first_other]))
    for secret in secrets:
        assert secret in early, f"{secret[:3]}... not masked before other output"


@pytest.fixture
def hostile_server(serve: Serve) -> Callable[[Scenario], SimulatorServer]:
    """Return a starter of simulators that accept the hostile Basic password."""

    def start(scenario: Scenario) -> SimulatorServer:
        return serve(Simulator(scenario, user=USER, password=PASSWORD))

    return start


ALL_SCENARIOS = list(builtin_scenarios().values()) + echo_scenarios()


@pytest.mark.parametrize("scenario", ALL_SCENARIOS, ids=[s.name for s in ALL_SCENARIOS])
def test_basic_secrets_never_published(
    scenario: Scenario, hostile_server: Callable[[Scenario], SimulatorServer], gate: Gate
) -> None:
    server = hostile_server(scenario)

    result = gate(server.url, EPM_PASSWORD=PASSWORD, **SWEEP)

    assert result.summary["exitCode"] == result.code
    assert leaks(published_text(result), basic_secrets()) == []
    assert_masks_first(result, [PASSWORD, BASIC, PROXY_PASSWORD])


def test_attach_secrets_never_published(
    hostile_server: Callable[[Scenario], SimulatorServer], gate: Gate
) -> None:
    server = hostile_server(Scenario("attached"))
    server.simulator.add_job(4412, Scenario("echo", polls=[job(1, details=echo("failed"))]))

    result = gate(server.url, EPM_PASSWORD=PASSWORD, EPM_JOB_ID="4412", **SWEEP)

    assert result.code == 1
    assert leaks(published_text(result), basic_secrets()) == []


def test_usage_error_secrets_never_published(gate: Gate) -> None:
    result = gate(
        "http://127.0.0.1:9", **{**SWEEP, "EPM_PASSWORD": PASSWORD, "EPM_TIMEOUT": "soon"}
    )

    assert result.code == 2
    assert leaks(published_text(result), basic_secrets()) == []
    assert_masks_first(result, [PASSWORD, PROXY_PASSWORD])


@pytest.fixture
def oauth_server(serve: Serve) -> Iterator[Callable[..., tuple[SimulatorServer, TokenEndpoint]]]:
    """Return a starter of simulators behind a token endpoint with a confidential client."""

    def start(scenario: Scenario, **options: object) -> tuple[SimulatorServer, TokenEndpoint]:
        simulator = Simulator(scenario, user=None)
        endpoint = TokenEndpoint(
            client_secret=CLIENT_SECRET,
            access_prefix="acc+Tok/",
            refresh_prefix="ref+Tok/",
            **options,  # type: ignore[arg-type]
        ).register(simulator)
        return serve(simulator), endpoint

    yield start


OAUTH_CASES: dict[str, dict[str, Any]] = {
    "renewed": {"revoke_after_uses": 2},
    "expiring": {"expires_in": 1},
    "refused-mid-wait": {"revoke_after_uses": 2, "responses": {2: invalid_grant()}},
    "refused-echoing": {
        "responses": {
            1: ScriptedResponse(
                400,
                json.dumps(
                    {
                        "error": "invalid_grant",
                        "error_description": f"ref+Tok/0 {CLIENT_SECRET} already used",
                    }
                ),
            )
        }
    },
    "endpoint-down": {
        "responses": {1: ScriptedResponse(502, "<html>ref+Tok/0</html>", "text/html")}
    },
}


@pytest.mark.parametrize("case", list(OAUTH_CASES))
def test_oauth_secrets_never_published(
    case: str,
    oauth_server: Callable[..., tuple[SimulatorServer, TokenEndpoint]],
    gate: Gate,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    scenario = Scenario("oauth", run_seconds=1.5, final=job(1, details="ref+Tok/1 acc+Tok/1"))
    server, endpoint = oauth_server(scenario, **OAUTH_CASES[case])
    out = tmp_path_factory.mktemp("state") / "refresh-token"

    result = gate(
        server.url,
        EPM_CLIENT_SECRET=CLIENT_SECRET,
        EPM_REFRESH_TOKEN_OUT=str(out),
        **SWEEP,
        **oauth_settings(server.url, endpoint.first_refresh_token),
    )

    tokens = endpoint.issued_refresh_tokens + endpoint.issued_access_tokens
    client = [CLIENT_SECRET, f"{CLIENT_ID}:{CLIENT_SECRET}"]
    assert leaks(published_text(result), [*tokens, *client, PROXY_PASSWORD]) == []
    assert_masks_first(result, [endpoint.first_refresh_token, CLIENT_SECRET])
    newest = endpoint.issued_refresh_tokens[-1]
    if newest != endpoint.first_refresh_token:
        assert out.read_text(encoding="utf-8") == newest + "\n"


def test_bearer_token_never_published(serve: Serve, gate: Gate) -> None:
    token = "fixed+Bearer/Token="
    scenario = Scenario("echo", polls=[job(1, details=f"bad token {token}")])
    server = serve(scenario, user=None, tokens={token})

    result = gate(server.url, EPM_USERNAME="", EPM_PASSWORD="", EPM_ACCESS_TOKEN=token, **SWEEP)

    assert result.code == 1
    assert leaks(published_text(result), [token]) == []
    assert_masks_first(result, [token])


@pytest.mark.parametrize(
    "flag", ["--password", "--access-token", "--client-secret", "--refresh-token"]
)
@pytest.mark.parametrize("joined", [False, True], ids=["separate", "joined"])
def test_secret_flags_rejected(flag: str, joined: bool, gate: Gate) -> None:
    value = "flag-Secret-9f2c"
    args = [f"{flag}={value}"] if joined else [flag, value]

    result = gate("http://127.0.0.1:9", args=args)

    assert result.code == 2
    assert result.summary["outcome"] == "usage_error"
    assert flag in result.summary["message"]
    assert "EPM_" in result.summary["message"]
    assert leaks(published_text(result), [value]) == []


def test_unknown_flag_value_not_echoed(gate: Gate) -> None:
    result = gate("http://127.0.0.1:9", args=["--pasword", "typo-Secret-77", "stray-Secret-78"])

    assert result.code == 2
    assert "--pasword" in result.summary["message"]
    assert leaks(published_text(result), ["typo-Secret-77", "stray-Secret-78"]) == []


def write_secret(folder: Path, name: str, text: str) -> Path:
    """Write a secret file as a CI system would hand it over."""
    path = folder / name
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)
    return path


def test_password_file(
    hostile_server: Callable[[Scenario], SimulatorServer],
    gate: Gate,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    server = hostile_server(Scenario("echo", polls=[job(1, details=echo("failed"))]))
    secret_file = write_secret(tmp_path_factory.mktemp("secrets"), "password", PASSWORD + "\n")

    result = gate(server.url, EPM_PASSWORD="", EPM_PASSWORD_FILE=str(secret_file), **SWEEP)

    assert result.code == 1
    assert server.simulator.authorised(server.simulator.requests[0].headers["authorization"])
    assert leaks(published_text(result), basic_secrets()) == []


def test_access_token_file(
    serve: Serve, gate: Gate, tmp_path_factory: pytest.TempPathFactory
) -> None:
    token = "file+Bearer/Token="
    server = serve(Scenario("ok", polls=[job(0)]), user=None, tokens={token})
    secret_file = write_secret(tmp_path_factory.mktemp("secrets"), "token", token + "\r\n")

    result = gate(
        server.url,
        EPM_USERNAME="",
        EPM_PASSWORD="",
        EPM_ACCESS_TOKEN_FILE=str(secret_file),
        **SWEEP,
    )

    assert result.code == 0
    assert leaks(published_text(result), [token]) == []


def test_client_secret_and_refresh_token_files(
    oauth_server: Callable[..., tuple[SimulatorServer, TokenEndpoint]],
    gate: Gate,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    server, endpoint = oauth_server(Scenario("ok", polls=[job(0)]))
    folder = tmp_path_factory.mktemp("secrets")
    client_file = write_secret(folder, "client-secret", CLIENT_SECRET)
    refresh_file = write_secret(folder, "refresh-token", endpoint.first_refresh_token + "\n")

    result = gate(
        server.url,
        EPM_CLIENT_SECRET_FILE=str(client_file),
        EPM_REFRESH_TOKEN_FILE=str(refresh_file),
        **SWEEP,
        **oauth_settings(server.url, ""),
    )

    assert result.code == 0
    secrets = [CLIENT_SECRET, *endpoint.issued_refresh_tokens, *endpoint.issued_access_tokens]
    assert leaks(published_text(result), secrets) == []


def test_secret_file_and_variable_both_set(
    gate: Gate, tmp_path_factory: pytest.TempPathFactory
) -> None:
    secret_file = write_secret(tmp_path_factory.mktemp("secrets"), "password", PASSWORD)

    result = gate("http://127.0.0.1:9", EPM_PASSWORD=PASSWORD, EPM_PASSWORD_FILE=str(secret_file))

    assert result.code == 2
    assert "EPM_PASSWORD_FILE" in result.summary["message"]
    assert "only one" in result.summary["message"]
    assert leaks(published_text(result), [PASSWORD]) == []


@pytest.mark.parametrize("problem", ["missing", "empty"])
def test_secret_file_unusable(
    problem: str, gate: Gate, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = tmp_path_factory.mktemp("secrets")
    path = folder / "password"
    if problem == "empty":
        write_secret(folder, "password", "\n")

    result = gate("http://127.0.0.1:9", EPM_PASSWORD="", EPM_PASSWORD_FILE=str(path))

    assert result.code == 2
    assert "EPM_PASSWORD_FILE" in result.summary["message"]
    assert str(path) in result.summary["message"]


@pytest.mark.parametrize("variable", ["EPM_URL", "EPM_TOKEN_URL"])
def test_credentials_in_url_rejected(variable: str, gate: Gate) -> None:
    secret = "url-Secret-31d7"
    with_credentials = f"http://ci_bot:{secret}@127.0.0.1:9"
    if variable == "EPM_URL":
        result = gate(with_credentials)
    else:
        settings = oauth_settings("http://127.0.0.1:9", "refresh-Token-5")
        settings["EPM_TOKEN_URL"] = with_credentials
        result = gate("http://127.0.0.1:9", **settings)

    assert result.code == 2
    assert variable in result.summary["message"]
    assert "user:password@" in result.summary["message"]
    assert leaks(published_text(result), [secret]) == []
