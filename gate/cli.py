"""The ``epm-gate`` command: the one place that turns a verdict or an error into an exit code."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import FrameType
from typing import NoReturn

from gate import __version__
from gate.errors import GateError, Interrupted, UsageError
from gate.outcome import Outcome, interrupted_exit_code
from gate.record import RunRecord
from gate.report.console import line_buffered, setup_logging
from gate.report.redact import Redactor
from gate.report.reporter import Reporter

SUBCOMMANDS = ("demo", "simulate")

# Environment variables whose values are secrets, read before the settings so that even
# a run with invalid settings can mask and scrub them.
SECRET_VARIABLES = ("EPM_PASSWORD", "EPM_ACCESS_TOKEN", "EPM_CLIENT_SECRET", "EPM_REFRESH_TOKEN")
PROXY_VARIABLES = (
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
)


class _ArgumentParser(argparse.ArgumentParser):
    """Raises UsageError instead of exiting, so a bad flag still writes every report.

    Unknown arguments never reach this method: ``gate.arguments`` reports them by
    option name only. The messages left here (a flag without its value) hold no values.
    """

    def error(self, message: str) -> NoReturn:
        raise UsageError([f"command line: {message}; see epm-gate --help"])


def build_parser() -> argparse.ArgumentParser:
    """Return the gate's parser: one kebab-case flag per non-secret setting."""
    from gate.settings import Settings, env_name, flag_fields, flag_name

    parser = _ArgumentParser(
        prog="epm-gate",
        # Without this, "--password x" would be read as an abbreviation of --password-file.
        allow_abbrev=False,
        description="Submit an Oracle EPM Cloud job (or attach to one), wait for its "
        "verdict, write a JSON summary and CI outputs, and exit with a code per outcome. "
        "Every flag is also an EPM_* environment variable; secrets are read from the "
        "environment only.",
        epilog="subcommands: 'epm-gate demo' runs a gate against the bundled simulator; "
        "'epm-gate simulate' serves the simulator. Exit codes: 0 success, 1 failed, "
        "2 usage_error, 3 infra_error, 4 cancelled, 5 rejected, 6 auth_error, 7 warning, "
        "8 unknown, 9 submit_unknown, 124 timeout, 130/143 interrupted.",
    )
    parser.add_argument("--version", action="version", version=f"epm-gate {__version__}")
    for field in flag_fields():
        info = Settings.model_fields[field]
        parser.add_argument(
            flag_name(field),
            dest=field,
            metavar="VALUE",
            help=f"{info.description} [{env_name(field)}]",
        )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args == ["--version"]:
        # Handled before the parser is built, because building it loads the settings
        # model (pydantic-settings), which costs more than the rest of this path.
        print(f"epm-gate {__version__}")
        return 0
    line_buffered()
    if args and args[0] in SUBCOMMANDS:
        from gate.simulator.demo import run_demo, run_simulator

        return run_demo(args[1:]) if args[0] == "demo" else run_simulator(args[1:])
    return run_gate(args, os.environ)


def run_gate(args: list[str], env: Mapping[str, str]) -> int:
    """Read the settings, run the gate and write every report; return the exit code."""
    redactor = Redactor()
    reporter = Reporter(env, redactor)
    _register_environment_secrets(env, redactor)
    setup_logging(redactor, debug=env.get("RUNNER_DEBUG") == "1")
    record = RunRecord()
    reporter.targets.summary_path = Path(env.get("EPM_SUMMARY_PATH") or "epm-gate-summary.json")
    # Read before the settings too, so that invalid settings still reach these reports.
    reporter.targets.junit_path = _optional_path(env.get("EPM_JUNIT_PATH"))
    reporter.targets.dotenv_path = _optional_path(env.get("EPM_DOTENV_PATH"))
    previous = _install_signal_handlers()
    try:
        _run(args, env, record, reporter)
    except Interrupted as exc:
        record.finish(
            Outcome.INTERRUPTED,
            _interrupted_message(exc, record),
            interrupted_exit_code(exc.signum),
        )
    except GateError as exc:
        if isinstance(exc, UsageError):
            _log_problems(exc)
            record.problems = exc.problems
        record.finish(exc.outcome, _with_job_context(exc, record))
    finally:
        _block_signals()
    if record.failure is None and record.outcome not in (None, Outcome.SUCCESS):
        # A success has no failure to diagnose, so it skips loading the diagnosis rules.
        from gate.diagnose import diagnose

        assert record.outcome is not None

        job = record.job or {}
        texts = [job.get(key) for key in ("details", "descriptiveStatus", "jobStatus")]
        record.failure = diagnose(
            record.outcome, record.message, [t for t in texts if isinstance(t, str)]
        )
    try:
        return reporter.finish(record)
    finally:
        _restore_signal_handlers(previous)


def _run(args: list[str], env: Mapping[str, str], record: RunRecord, reporter: Reporter) -> None:
    from gate.arguments import parse_arguments
    from gate.run import GateRun
    from gate.settings import load_settings

    options = parse_arguments(build_parser(), args)
    overrides = {key: value for key, value in options.items() if value not in (None, "")}
    settings = load_settings(overrides)
    for name in ("password", "access_token", "client_secret", "refresh_token"):
        redactor_value = settings.secret(name)
        reporter.redactor.add(redactor_value)
    reporter.targets.summary_path = settings.summary_path
    reporter.targets.junit_path = settings.junit_path
    reporter.targets.dotenv_path = settings.dotenv_path
    if settings.ci:
        reporter.platform = settings.ci
    record.api = settings.api
    record.job_type = settings.effective_job_type
    record.job_name = settings.job_name
    GateRun(settings, record, reporter).execute()


def _optional_path(value: str | None) -> Path | None:
    return Path(value) if value else None


def _register_environment_secrets(env: Mapping[str, str], redactor: Redactor) -> None:
    for name in SECRET_VARIABLES:
        redactor.add(env.get(name))
    for name in PROXY_VARIABLES:
        value = env.get(name)
        if not value or "@" not in value:
            continue
        from urllib.parse import unquote, urlsplit

        parts = urlsplit(value if "://" in value else "http://" + value)
        if parts.password:
            redactor.add(parts.password)
            redactor.add(unquote(parts.password))
            redactor.add(f"{unquote(parts.username or '')}:{unquote(parts.password)}")


def _log_problems(exc: UsageError) -> None:
    import logging

    log = logging.getLogger("gate")
    for problem in exc.problems:
        log.error("%s", problem)


def _with_job_context(exc: GateError, record: RunRecord) -> str:
    """Add what a pipeline needs to know when a job exists: it may still be running."""
    message = exc.message
    if record.job_id is None or record.outcome is not None:
        return message
    if (
        exc.outcome in (Outcome.AUTH_ERROR, Outcome.INFRA_ERROR)
        and "may still be running" not in message
    ):
        message += (
            f"; job {record.job_id} may still be running in EPM "
            f"(attach with EPM_JOB_ID={record.job_id})"
        )
    return message


def _interrupted_message(exc: Interrupted, record: RunRecord) -> str:
    if record.job_id is not None:
        rerun = "; a re-run of this CI job attaches to it" if record.state_file else ""
        if record.api == "planning":
            kind, page = "Planning jobs", "the Jobs console"
        else:
            kind, page = "Data Integration jobs", "the Process Details page"
        return (
            f"{exc.message}: job {record.job_id} left running in EPM; no REST cancel exists "
            f"for {kind}. Attach to it with EPM_JOB_ID={record.job_id}{rerun}, "
            f"or cancel it from {page}"
        )
    if record.request is not None:
        return (
            f"{exc.message} while the submit was in flight: a job may have been created; "
            "check Process Details in EPM before running again"
        )
    return f"{exc.message} before anything was submitted"


def _on_signal(signum: int, frame: FrameType | None) -> None:
    # Later signals are ignored, so the reports of the first one are written whole and
    # its exit code is kept.
    _block_signals()
    raise Interrupted(signum, signal.Signals(signum).name)


def _install_signal_handlers() -> dict[int, object]:
    previous: dict[int, object] = {}
    for signum in (signal.SIGINT, signal.SIGTERM):
        previous[signum] = signal.signal(signum, _on_signal)
    return previous


def _block_signals() -> None:
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_IGN)


def _restore_signal_handlers(previous: dict[int, object]) -> None:
    for signum, handler in previous.items():
        signal.signal(signum, handler)  # type: ignore[arg-type]
