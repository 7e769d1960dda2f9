"""The gate's settings: ``EPM_*`` environment variables and their kebab-case flags."""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BeforeValidator, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from gate.durations import parse_duration
from gate.errors import UsageError
from gate.jsontypes import json_type_name

ENV_PREFIX = "EPM_"

Duration = Annotated[float, BeforeValidator(parse_duration)]

# Secret settings: read from the environment or their *_FILE variable, never from flags.
SECRET_FIELDS = ("password", "access_token", "client_secret", "refresh_token")

INTEGRATION_JOB_TYPES = (
    "INTEGRATION",
    "DATARULE",
    "BATCH",
    "PIPELINE",
    "MAPPINGIMPORT",
    "MAPPINGEXPORT",
    "REPORT",
)
DOWNLOAD_KINDS = ("log", "output")


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not a JSON value")


def _parse_json_object(value: object) -> object:
    if value is None or isinstance(value, dict):
        return value
    if not isinstance(value, str):
        raise ValueError("expected a JSON object")
    try:
        # NaN and Infinity are not JSON: EPM would reject them, and the summary would
        # stop being valid JSON.
        parsed = json.loads(value, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno}); "
            'expected an object such as {"variables": {"STARTPERIOD": "Apr-26"}}'
        ) from None
    except RecursionError:
        raise ValueError("nested too deeply to be a job's parameters") from None
    except ValueError as exc:
        raise ValueError(f"not valid JSON: {exc}") from None
    if not isinstance(parsed, dict):
        raise ValueError(f"expected a JSON object, got a JSON {json_type_name(parsed)}")
    return parsed


def _split_list(value: object) -> object:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


JsonObject = Annotated[dict[str, Any] | None, NoDecode, BeforeValidator(_parse_json_object)]
CommaList = Annotated[list[str], NoDecode, BeforeValidator(_split_list)]


class Settings(BaseSettings):
    """Every setting of the gate; the field descriptions are the ``--help`` text."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_ignore_empty=True,
        extra="ignore",
        validate_default=True,
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Read flags and the environment only.

        The gate sets no ``env_file`` and no ``secrets_dir``, so the dotenv and secrets-dir
        sources would find nothing, yet each still inspects every field on every run.
        """
        return init_settings, env_settings

    url: str = Field(
        description="EPM environment base URL (https://...; a trailing /epmcloud is dropped)"
    )
    username: str | None = Field(None, description="Basic auth user name")
    password: SecretStr | None = Field(None, description="Basic auth password")
    identity_domain: str | None = Field(
        None, description="identity domain of Classic environments; the user is sent as DOMAIN.USER"
    )
    access_token: SecretStr | None = Field(None, description="OAuth 2.0 bearer access token")
    token_url: str | None = Field(
        None, description="OAuth 2.0 token endpoint for the refresh-token grant"
    )
    client_id: str | None = Field(None, description="OAuth 2.0 client id")
    client_secret: SecretStr | None = Field(
        None, description="OAuth 2.0 client secret (confidential clients)"
    )
    refresh_token: SecretStr | None = Field(None, description="OAuth 2.0 refresh token")
    password_file: Path | None = Field(None, description="file that contains EPM_PASSWORD")
    access_token_file: Path | None = Field(None, description="file that contains EPM_ACCESS_TOKEN")
    client_secret_file: Path | None = Field(
        None, description="file that contains EPM_CLIENT_SECRET"
    )
    refresh_token_file: Path | None = Field(
        None, description="file that contains EPM_REFRESH_TOKEN"
    )
    refresh_token_out: Path | None = Field(
        None, description="file (mode 0600) that receives a rotated refresh token"
    )

    api: Literal["integration", "planning"] = Field(
        "integration", description="job API: integration (Data Integration) or planning"
    )
    api_version: str | None = Field(
        None, description="REST version of the job API (default V1 or v3)"
    )
    application: str | None = Field(
        None, description="Planning application name (EPM_API=planning)"
    )
    job_id: str | None = Field(
        None, description="attach to this existing job instead of submitting"
    )
    job_type: str | None = Field(
        None, description="job type, e.g. INTEGRATION, DATARULE, PIPELINE; for planning RULES, ..."
    )
    job_name: str | None = Field(None, description="integration, rule, batch or pipeline name")
    period_name: str | None = Field(
        None, description="periodName, e.g. {Jan-26} or {Jan-26}{Mar-26}"
    )
    start_period: str | None = Field(None, description="DATARULE startPeriod, e.g. Jan-26")
    end_period: str | None = Field(None, description="DATARULE endPeriod, e.g. Mar-26")
    import_mode: str | None = Field(None, description="importMode as EPM spells it, e.g. Replace")
    export_mode: str | None = Field(None, description="exportMode as EPM spells it, e.g. Merge")
    file_name: str | None = Field(None, description="fileName, e.g. inbox/gl.csv")
    location_name: str | None = Field(None, description="locationName (mapping export, reports)")
    job_parameters: JsonObject = Field(
        None, description="JSON object merged into the request body last"
    )

    timeout: Duration = Field(
        7200.0, description="maximum wait for a terminal status (90, 45m, 2h)"
    )
    poll_interval: Duration = Field(5.0, description="first wait between status requests")
    poll_max_interval: Duration = Field(60.0, description="maximum wait between status requests")
    unreachable_timeout: Duration = Field(
        3600.0, description="maximum time of failed status requests in a row"
    )
    request_timeout: Duration = Field(30.0, description="connect and read timeout of one request")
    warning_policy: Literal["fail", "pass"] = Field(
        "fail", description="what a job that finished with warnings does: fail or pass"
    )

    summary_path: Path = Field(Path("epm-gate-summary.json"), description="JSON summary file")
    download_dir: Path = Field(
        Path("epm-gate-files"), description="folder for job log and output files"
    )
    download: CommaList = Field(
        ["log", "output"], description="job files to fetch: log, output, log,output or none"
    )
    ca_bundle: Path | None = Field(None, description="PEM file of extra trusted CAs")

    resubmit_on: CommaList = Field([], description="failure categories that submit the job again")
    max_resubmits: int = Field(0, ge=0, description="how many times at most to submit again")
    resubmit: Literal["never-twice", "always"] = Field(
        "never-twice", description="never-twice: a re-run attaches to its job; always: submit"
    )
    ci: Literal["github", "gitlab", "jenkins", "none"] | None = Field(
        None, description="CI platform: github, gitlab, jenkins or none (default: detected)"
    )
    junit_path: Path | None = Field(None, description="JUnit XML report file")
    dotenv_path: Path | None = Field(None, description="GitLab dotenv report file")
    state_path: Path | None = Field(None, description="folder of re-run state files")

    @field_validator("url")
    @classmethod
    def _normalise_url(cls, value: str) -> str:
        url = value.strip().rstrip("/")
        if url.lower().endswith("/epmcloud"):
            url = url[: -len("/epmcloud")].rstrip("/")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("expected an https:// URL such as https://acme.epm.example.com")
        if parts.query or parts.fragment:
            raise ValueError("expected a base URL without ? or #")
        if parts.username is not None or parts.password is not None:
            # The URL is logged, so credentials in it would be published.
            raise ValueError(
                "expected a URL without user@ or user:password@; set EPM_USERNAME and "
                "EPM_PASSWORD, or an OAuth setting, instead"
            )
        return url

    @field_validator("download")
    @classmethod
    def _check_download(cls, value: list[str]) -> list[str]:
        if value == ["none"]:
            return []
        unknown = [item for item in value if item not in DOWNLOAD_KINDS]
        if unknown:
            raise ValueError("expected log, output, log,output or none")
        return value

    @property
    def effective_api_version(self) -> str:
        """Return the REST version: the setting, else V1 (integration) or v3 (planning)."""
        if self.api_version:
            return self.api_version
        return "V1" if self.api == "integration" else "v3"

    @property
    def effective_job_type(self) -> str | None:
        """Return the job type, defaulting to INTEGRATION on the Data Integration API."""
        if self.job_type:
            return self.job_type
        return "INTEGRATION" if self.api == "integration" else None

    @property
    def attaching(self) -> bool:
        """Tell whether the run attaches to ``EPM_JOB_ID`` instead of submitting."""
        return self.job_id is not None

    def secret(self, name: str) -> str | None:
        """Return a secret's plain value, read from its ``*_FILE`` variable when set there."""
        value = getattr(self, name)
        assert value is None or isinstance(value, SecretStr)
        return None if value is None else value.get_secret_value()


def env_name(field: str) -> str:
    """Return the environment variable of a settings field: ``job_name`` → ``EPM_JOB_NAME``."""
    return ENV_PREFIX + field.upper()


def flag_name(field: str) -> str:
    """Return the command-line flag of a non-secret field: ``job_name`` → ``--job-name``."""
    return "--" + field.replace("_", "-")


def flag_fields() -> list[str]:
    """Return the fields that are also flags: every setting except the secrets."""
    return [name for name in Settings.model_fields if name not in SECRET_FIELDS]


def load_settings(overrides: dict[str, str] | None = None) -> Settings:
    """Read the settings from the environment, with flag values taking precedence.

    Raise UsageError with one problem per line; the text never contains an input value,
    because a value may be a secret.
    """
    from gate.checks import check_settings, read_secret_files

    try:
        settings = Settings(**(overrides or {}))  # type: ignore[arg-type]
    except ValidationError as exc:
        raise UsageError(_describe_validation_errors(exc)) from None
    read_secret_files(settings)
    problems = check_settings(settings)
    if problems:
        raise UsageError(problems)
    return settings


def _describe_validation_errors(exc: ValidationError) -> list[str]:
    problems = []
    # Inputs are read only for settings that are not secret, and only to quote short
    # choice-like values back; a secret never reaches this text.
    for error in exc.errors(include_url=False):
        field = str(error["loc"][0]) if error["loc"] else "settings"
        name = env_name(field) if field in Settings.model_fields else field
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "missing":
            message = "missing; " + (Settings.model_fields[field].description or "required")
        else:
            message = message.replace("Input should be", "expected")
            message += _quoted_input(field, error.get("input"))
        problems.append(f"{name}: {message}")
    return problems


# Settings whose invalid values are quoted back in messages: choices, numbers and
# durations. URLs are left out, because a URL may carry user:password@.
QUOTABLE_FIELDS = frozenset(
    {
        "api",
        "warning_policy",
        "resubmit",
        "ci",
        "download",
        "resubmit_on",
        "max_resubmits",
        "timeout",
        "poll_interval",
        "poll_max_interval",
        "unreachable_timeout",
        "request_timeout",
    }
)


def _quoted_input(field: str, value: object) -> str:
    """Return ``(got 'x')`` for a short non-secret input, else nothing."""
    if field not in QUOTABLE_FIELDS:
        return ""
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        return ""
    text = str(value)
    if len(text) > 60 or not text.isprintable():
        return ""
    return f" (got {text!r})"


def is_loopback_host(host: str) -> bool:
    """Tell whether a host name or address is the local machine (plain http allowed)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
