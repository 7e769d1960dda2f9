"""Writes every configured report for a run; the same path serves every exit."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from gate.outcome import Outcome
from gate.record import RunRecord
from gate.report.failure import print_excerpt, verdict_line
from gate.report.platform import detect_platform, run_url
from gate.report.redact import Redactor
from gate.report.sections import Sections
from gate.report.summary import build_summary, write_summary

log = logging.getLogger("gate")

DEFAULT_SUMMARY_PATH = Path("epm-gate-summary.json")

# gate.report.github is imported inside the methods that write to GitHub, so that runs on
# other platforms do not pay for loading it.


@dataclass
class ReportTargets:
    """The report paths: from the settings, or from the environment when the settings failed."""

    summary_path: Path = DEFAULT_SUMMARY_PATH
    junit_path: Path | None = None
    dotenv_path: Path | None = None


class Reporter:
    """Turns the run record into files, step outputs and console lines."""

    def __init__(
        self, env: Mapping[str, str], redactor: Redactor, platform: str | None = None
    ) -> None:
        self.env = env
        self.redactor = redactor
        self.platform = platform or detect_platform(env, env.get("EPM_CI") or None)
        self.targets = ReportTargets()
        self.annotated_warnings = 0
        self.summary_written = False
        self.sections = Sections(lambda: self.platform, redactor.line)
        if self.platform == "github":
            from gate.report import github

            redactor.on_new = github.add_mask

    @property
    def github_output(self) -> Path | None:
        """Return ``$GITHUB_OUTPUT`` when running on GitHub Actions."""
        path = self.env.get("GITHUB_OUTPUT")
        return Path(path) if path and self.platform == "github" else None

    def ci_info(self) -> dict[str, str | None]:
        """Return the summary's ``ci`` object."""
        return {"platform": self.platform, "runUrl": run_url(self.platform, self.env)}

    def warn(self, message: str, *, annotate: bool = False) -> None:
        """Log a warning; on GitHub, also raise one annotation (at most one per run)."""
        log.warning("%s", message)
        if annotate and self.platform == "github" and self.annotated_warnings == 0:
            from gate.report import github

            self.annotated_warnings += 1
            github.command("warning", self.redactor.line(message), title=github.ANNOTATION_TITLE)

    def job_started(self, record: RunRecord) -> None:
        """Publish the job id as soon as the submit returns, before any waiting."""
        if self.github_output is not None and record.job_id is not None:
            from gate.report import github

            self._safely(
                "GitHub step outputs",
                lambda: github.append_outputs(
                    self._github_output_path(), {"job-id": str(record.job_id)}
                ),
            )

    def outputs(self, record: RunRecord) -> dict[str, str]:
        """Return the nine step outputs; a value not known is the empty string."""
        from gate.report import github

        values = {
            "job-id": record.job_id,
            "status": record.status,
            "job-status": record.job_status,
            "outcome": record.outcome.value if record.outcome else "",
            "exit-code": record.exit_code,
            "log-file": record.files.get("log"),
            "output-file": record.files.get("output"),
            "summary-path": str(self.targets.summary_path),
            "failure-category": record.failure_category,
        }
        return {
            name: self.redactor.scrub(github.output_value(value)) for name, value in values.items()
        }

    def finish(self, record: RunRecord) -> int:
        """Write every report, print the verdict and return the exit code."""
        assert record.outcome is not None and record.exit_code is not None
        record.ci = self.ci_info()
        self._write_summary(record)
        if self.github_output is not None:
            from gate.report import github

            outputs = self.outputs(record)
            self._safely(
                "GitHub step outputs",
                lambda: github.append_outputs(self._github_output_path(), outputs),
            )
        self._write_reports(record)
        step_summary = self.env.get("GITHUB_STEP_SUMMARY")
        if step_summary and self.platform == "github":
            from gate.report import github

            text = github.step_summary(record, self.redactor, self.targets.summary_path)
            self._safely("the GitHub step summary", lambda: _append(Path(step_summary), text))
        self._print_verdict(record)
        return record.exit_code

    def _write_summary(self, record: RunRecord) -> None:
        """Write the JSON summary; when its path is unusable, write it to the default path."""
        path = self.targets.summary_path
        document = build_summary(record, self.redactor, path)
        self.summary_written = self._safely(
            f"the JSON summary to {path}", lambda: write_summary(path, document)
        )
        fallback = DEFAULT_SUMMARY_PATH
        if self.summary_written or path.resolve() == fallback.resolve():
            return
        document = build_summary(record, self.redactor, fallback)
        self.summary_written = self._safely(
            f"the JSON summary to {fallback}", lambda: write_summary(fallback, document)
        )
        if self.summary_written:
            log.warning("wrote the JSON summary to %s instead of %s", fallback, path)
            self.targets.summary_path = fallback

    def _write_reports(self, record: RunRecord) -> None:
        """Write the JUnit and GitLab dotenv reports that the settings ask for."""
        junit_path, dotenv_path = self.targets.junit_path, self.targets.dotenv_path
        # Imported only when asked for, so a run without these reports starts faster.
        if junit_path is not None:
            from gate.report import junit

            summary_path = self.targets.summary_path
            self._safely(
                "the JUnit report",
                lambda: junit.write_junit(junit_path, record, self.redactor, summary_path),
            )
        if dotenv_path is not None:
            from gate.report import gitlab

            self._safely(
                "the dotenv report",
                lambda: gitlab.write_dotenv(dotenv_path, record, self.redactor),
            )

    def _print_verdict(self, record: RunRecord) -> None:
        assert record.outcome is not None
        message = self.redactor.line(verdict_line(record))
        if record.problems and self.platform != "github":
            # Each problem was logged on its own line already; the annotation on GitHub
            # still carries them all, because it is what the run page shows.
            count = len(record.problems)
            message = (
                f"invalid settings ({count} problem{'s' if count > 1 else ''} above); "
                "nothing was sent to EPM"
            )
        if self.platform == "github":
            from gate.report import github

            kind = "notice" if record.outcome is Outcome.SUCCESS else "error"
            github.command(kind, message, title=github.ANNOTATION_TITLE)
        elif record.outcome is Outcome.SUCCESS:
            log.info("%s", message)
        else:
            log.error("%s", message)
        print_excerpt(record, self.redactor, self.platform)
        log.info(
            "outcome %s, exit %s; %s",
            record.outcome.value,
            record.exit_code,
            f"summary in {self.targets.summary_path}"
            if self.summary_written
            else "no summary could be written",
        )

    def _github_output_path(self) -> Path:
        path = self.github_output
        assert path is not None
        return path

    def _safely(self, what: str, write: Callable[[], None]) -> bool:
        """Run a writer and return True; a report that cannot be written is logged, never fatal."""
        try:
            write()
        except OSError as exc:
            # strerror leaves out the temporary file's name that str(exc) would show.
            log.error("cannot write %s: %s", what, exc.strerror or type(exc).__name__)
            return False
        except ValueError as exc:
            log.error("cannot write %s: %s", what, exc)
            return False
        return True


def _append(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8", newline="\n") as stream:
        stream.write(text)
