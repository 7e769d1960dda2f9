"""Helpers for authentication, TLS and secret tests: certificates, OAuth settings, searches."""

from __future__ import annotations

import base64
import json
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, quote_plus

import trustme
from conftest import GateResult

from gate.simulator.oauth import TOKEN_PATH

CLIENT_ID = "epm-gate-client"


@dataclass
class Certificates:
    """A disposable CA, a server context with a certificate it issued, and the CA's PEM."""

    ca: trustme.CA
    server_context: ssl.SSLContext
    ca_pem: Path


def make_certificates(folder: Path) -> Certificates:
    """Issue a certificate for 127.0.0.1 and localhost from a fresh test CA."""
    ca = trustme.CA()
    certificate = ca.issue_cert("127.0.0.1", "localhost")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    certificate.configure_cert(context)
    folder.mkdir(parents=True, exist_ok=True)
    ca_pem = folder / "test-ca.pem"
    ca.cert_pem.write_to_path(str(ca_pem))
    return Certificates(ca, context, ca_pem)


def oauth_settings(url: str, refresh_token: str, **extra: str) -> dict[str, str]:
    """Return settings for the refresh grant against the simulator's token endpoint."""
    settings = {
        "EPM_USERNAME": "",
        "EPM_PASSWORD": "",
        "EPM_TOKEN_URL": url + TOKEN_PATH,
        "EPM_CLIENT_ID": CLIENT_ID,
        "EPM_REFRESH_TOKEN": refresh_token,
    }
    settings.update(extra)
    return settings


def encodings(secret: str) -> dict[str, str]:
    """Return a secret in every form a leak could take, by name."""
    return {
        "raw": secret,
        "base64": base64.b64encode(secret.encode()).decode(),
        "url-encoded": quote(secret, safe=""),
        "form-encoded": quote_plus(secret),
        "JSON-escaped": json.dumps(secret)[1:-1],
    }


def published_text(result: GateResult, *, skip: Iterable[Path] = ()) -> str:
    """Return all the gate printed and wrote, minus the ``::add-mask::`` commands.

    GitHub consumes mask commands and never shows them; they must carry the secret. Files
    the run left in its working folder count by name and content, except ``skip``.
    """
    stderr = "\n".join(
        line for line in result.stderr.splitlines() if not line.startswith("::add-mask::")
    )
    parts = [result.stdout, stderr, json.dumps(result.summary, ensure_ascii=False)]
    parts += [result.output_text, result.step_summary]
    skipped = {path.resolve() for path in skip}
    for path in sorted(result.workdir.rglob("*")):
        parts.append(str(path.relative_to(result.workdir)))
        if path.is_file() and path.resolve() not in skipped:
            parts.append(path.read_text(encoding="utf-8", errors="replace"))
    return "\n".join(parts)


def leaks(text: str, secrets: Iterable[str]) -> list[str]:
    """Return a description of each secret form found in ``text``."""
    found = []
    for secret in secrets:
        for name, form in encodings(secret).items():
            if form in text:
                found.append(f"{name} form of {secret[:3]}...")
    return found


def masked(stderr: str) -> set[str]:
    """Return the values of every ``::add-mask::`` command, unescaped."""
    values = set()
    for line in stderr.splitlines():
        if line.startswith("::add-mask::"):
            value = line.removeprefix("::add-mask::")
            values.add(value.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%"))
    return values
