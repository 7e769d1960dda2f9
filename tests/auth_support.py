"""Helpers for authentication, TLS and secret tests: certificates, OAuth settings, searches."""

from __future__ import annotations

import base64
import html
import json
import re
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, quote_plus

import trustme

from gate.simulator.oauth import TOKEN_PATH
from tests.conftest import GateResult

CLIENT_ID = "epm-gate-client"
# The default EPM_DOWNLOAD_DIR, relative to the run's working folder.
DOWNLOAD_DIR = "epm-gate-files"
# Secrets this long count as leaked when their first SECRET_START characters appear.
LONG_SECRET = 12
SECRET_START = 8


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
        "url-encoded, lower-case hex": re.sub(
            r"%[0-9A-F]{2}", lambda match: match.group().lower(), quote(secret, safe="")
        ),
        "form-encoded": quote_plus(secret),
        "JSON-escaped": json.dumps(secret)[1:-1],
        "JSON-escaped UTF-8": json.dumps(secret, ensure_ascii=False)[1:-1],
        "HTML-escaped": html.escape(secret),
    }


def published_text(result: GateResult, *, skip: Iterable[Path] = ()) -> str:
    """Return all the gate printed and wrote, minus the ``::add-mask::`` commands.

    GitHub consumes mask commands and never shows them; they must carry the secret. Files
    the run left in its working folder count by name and content, except ``skip`` and
    downloaded job files, which are saved byte for byte as EPM serves them (names only).
    """
    stderr = "\n".join(
        line for line in result.stderr.splitlines() if not line.startswith("::add-mask::")
    )
    parts = [result.stdout, stderr, json.dumps(result.summary, ensure_ascii=False)]
    parts += [result.output_text, result.step_summary]
    skipped = {path.resolve() for path in skip}
    for path in sorted(result.workdir.rglob("*")):
        parts.append(str(path.relative_to(result.workdir)))
        downloaded = DOWNLOAD_DIR in path.relative_to(result.workdir).parts
        if path.is_file() and path.resolve() not in skipped and not downloaded:
            parts.append(path.read_text(encoding="utf-8", errors="replace"))
    return "\n".join(parts)


def leaks(text: str, secrets: Iterable[str]) -> list[str]:
    """Return a description of each secret form found in ``text``.

    The start of a long secret counts too, as a preview cut short inside it shows it.
    """
    found = []
    for secret in secrets:
        for name, form in encodings(secret).items():
            if form in text:
                found.append(f"{name} form of {secret[:3]}...")
        # A "name:secret" pair starts with a public name, so only its whole forms count.
        whole_only = ":" in secret
        if not whole_only and len(secret) >= LONG_SECRET and secret[:SECRET_START] in text:
            found.append(f"first {SECRET_START} characters of {secret[:3]}...")
    return found


def masked(stderr: str) -> set[str]:
    """Return the values of every ``::add-mask::`` command, unescaped."""
    values = set()
    for line in stderr.splitlines():
        if line.startswith("::add-mask::"):
            value = line.removeprefix("::add-mask::")
            values.add(value.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%"))
    return values
