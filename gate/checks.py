"""Cross-field checks of the settings, made before anything is sent to EPM."""

from __future__ import annotations

import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import SecretStr

from gate.epm.payloads import missing_fields
from gate.epm.tls import ca_bundle_problem
from gate.errors import UsageError
from gate.resubmit import resubmit_problems
from gate.settings import INTEGRATION_JOB_TYPES, SECRET_FIELDS, Settings, env_name, is_loopback_host


def read_secret_files(settings: Settings) -> None:
    """Fill each secret from its ``*_FILE`` variable, as Jenkins and GitLab hand them over.

    Trailing line breaks are dropped, because editors and ``echo`` add them. Spaces
    are kept, since a password may end with one.
    """
    problems = []
    for field in SECRET_FIELDS:
        path = getattr(settings, f"{field}_file")
        if path is None:
            continue
        if getattr(settings, field) is not None:
            problems.append(
                f"{env_name(field)}_FILE: set together with {env_name(field)}; set only one of them"
            )
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not UTF-8 text"
            problems.append(f"{env_name(field)}_FILE: cannot read {path}: {reason}")
            continue
        text = text.rstrip("\r\n")
        if not text:
            problems.append(f"{env_name(field)}_FILE: {path} is empty")
            continue
        setattr(settings, field, SecretStr(text))
    if problems:
        raise UsageError(problems)


def check_settings(settings: Settings) -> list[str]:
    """Return every problem that stops a run, one line each, without secret values."""
    problems = _check_url(settings)
    problems += _check_credentials(settings)
    problems += _check_job(settings)
    problems += _check_timing(settings)
    problems += resubmit_problems(settings)
    problems += _check_files(settings)
    if settings.max_resubmits and not settings.resubmit_on:
        problems.append(
            "EPM_RESUBMIT_ON: missing; EPM_MAX_RESUBMITS needs the categories to resubmit"
        )
    return problems


def _check_url(settings: Settings) -> list[str]:
    parts = urlsplit(settings.url)
    if parts.scheme == "http" and not is_loopback_host(parts.hostname or ""):
        return [
            f"EPM_URL: plain http:// is allowed only for loopback hosts, not {parts.hostname}; "
            "use https://"
        ]
    if settings.token_url:
        token_parts = urlsplit(settings.token_url)
        if token_parts.scheme not in ("http", "https") or not token_parts.hostname:
            return ["EPM_TOKEN_URL: expected an https:// URL of the token endpoint"]
        if token_parts.username is not None or token_parts.password is not None:
            return [
                "EPM_TOKEN_URL: expected a URL without user@ or user:password@; set "
                "EPM_CLIENT_ID and EPM_CLIENT_SECRET instead"
            ]
        if token_parts.scheme == "http" and not is_loopback_host(token_parts.hostname):
            return ["EPM_TOKEN_URL: plain http:// is allowed only for loopback hosts; use https://"]
    return []


def _check_credentials(settings: Settings) -> list[str]:
    basic = settings.username is not None or settings.password is not None
    bearer = settings.access_token is not None
    grant = any(
        value is not None
        for value in (settings.token_url, settings.client_id, settings.refresh_token)
    )
    kinds = [
        name
        for name, used in (("Basic", basic), ("access token", bearer), ("refresh grant", grant))
        if used
    ]
    if not kinds:
        return [
            "credentials: missing; set EPM_USERNAME and EPM_PASSWORD, or EPM_ACCESS_TOKEN, "
            "or EPM_TOKEN_URL, EPM_CLIENT_ID and EPM_REFRESH_TOKEN"
        ]
    if len(kinds) > 1:
        return [f"credentials: {' and '.join(kinds)} are both set; set exactly one kind"]
    problems = []
    if basic:
        if settings.username is None:
            problems.append("EPM_USERNAME: missing; Basic auth needs a user name with EPM_PASSWORD")
        if settings.password is None:
            problems.append(
                "EPM_PASSWORD: missing; Basic auth needs a password with EPM_USERNAME "
                "(or EPM_PASSWORD_FILE)"
            )
    if grant:
        for field in ("token_url", "client_id", "refresh_token"):
            if getattr(settings, field) is None:
                problems.append(f"{env_name(field)}: missing; the OAuth refresh grant needs it")
    elif settings.client_secret is not None:
        problems.append(
            "EPM_CLIENT_SECRET: set without EPM_TOKEN_URL; it is used only by the refresh grant"
        )
    if settings.identity_domain and not basic:
        problems.append("EPM_IDENTITY_DOMAIN: applies only to Basic auth; unset it")
    return problems


def _check_job(settings: Settings) -> list[str]:
    problems = []
    if settings.api == "planning" and not settings.application:
        problems.append("EPM_APPLICATION: missing; EPM_API=planning needs the application name")
    if settings.attaching:
        assert settings.job_id is not None
        if not settings.job_id.strip().isdigit():
            problems.append("EPM_JOB_ID: expected a numeric job id such as 4412")
        return problems
    job_type = settings.effective_job_type
    if job_type is None:
        problems.append("EPM_JOB_TYPE: missing; EPM_API=planning needs a job type such as RULES")
        return problems
    if settings.api == "integration" and job_type.upper() not in INTEGRATION_JOB_TYPES:
        problems.append("EPM_JOB_TYPE: expected one of " + ", ".join(INTEGRATION_JOB_TYPES))
        return problems
    for body_field, variable in missing_fields(settings):
        problems.append(f"{variable}: missing; job type {job_type} needs {body_field}")
    return problems


def _check_timing(settings: Settings) -> list[str]:
    if settings.poll_interval > settings.poll_max_interval:
        return [
            "EPM_POLL_INTERVAL: longer than EPM_POLL_MAX_INTERVAL; lower it or raise the maximum"
        ]
    return []


def _check_files(settings: Settings) -> list[str]:
    problems = []
    if settings.ca_bundle is not None:
        problem = ca_bundle_problem(settings.ca_bundle)
        if problem:
            problems.append(problem)
    outputs = {
        "EPM_SUMMARY_PATH": settings.summary_path,
        "EPM_JUNIT_PATH": settings.junit_path,
        "EPM_DOTENV_PATH": settings.dotenv_path,
        "EPM_REFRESH_TOKEN_OUT": settings.refresh_token_out,
    }
    for variable, path in outputs.items():
        if path is not None:
            problems += _writable_file_problems(variable, path)
    if settings.download:
        problems += _writable_folder_problems("EPM_DOWNLOAD_DIR", settings.download_dir)
    return problems


def _writable_file_problems(variable: str, path: Path) -> list[str]:
    """Return a problem when the gate could not create or replace the file at ``path``."""
    if path.is_dir():
        return [f"{variable}: {path} is a folder; give a file path"]
    return _writable_folder_problems(variable, path.parent)


def _writable_folder_problems(variable: str, folder: Path) -> list[str]:
    """Return a problem unless ``folder`` exists or could be made, and would take new files.

    A temporary file is tried in the nearest folder that exists, because permission bits
    alone mislead (root, read-only mounts, /proc); nothing is left behind.
    """
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        return [f"{variable}: {existing} is not a folder; fix the path"]
    try:
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        return [f"{variable}: cannot write into {existing}: {reason}; choose a writable folder"]
    return []
