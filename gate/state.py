"""Re-run safety: remember the submitted job, so a re-run of the CI job attaches to it.

Right after a submit succeeds, the job id goes into a small JSON file in the state
folder (``EPM_STATE_PATH``, by default ``.epm-gate/`` in the CI workspace). The file is
named by a SHA-256 hash of everything that makes two gate runs "the same": the CI run,
the CI job and step, the EPM environment, the job API, the application and the request
body. A later attempt with the same inputs finds the file and attaches to that job
instead of loading the data a second time. Any other gate, such as a different step,
matrix leg or request, computes another name and never reads the file.

The CI run is what ties attempts together, so outside a CI run (no run id in the
environment) no state is kept and every run submits.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gate.atomic import write_atomic
from gate.record import iso, utc_now
from gate.settings import Settings

log = logging.getLogger("gate")

STATE_VERSION = 1
DEFAULT_FOLDER = ".epm-gate"

# Variables naming the CI run: GitHub keeps GITHUB_RUN_ID across re-run attempts,
# GitLab keeps CI_PIPELINE_ID across job retries, and Jenkins numbers each build.
RUN_VARIABLES = ("GITHUB_RUN_ID", "CI_PIPELINE_ID", "BUILD_NUMBER")
# Variables that tell apart the gates of one run: the CI job, its parallel copies
# (GitLab ``parallel:``, Jenkins parallel stages) and the step within the job.
KEY_VARIABLES = (
    *RUN_VARIABLES,
    "JOB_NAME",
    "GITHUB_JOB",
    "CI_JOB_NAME",
    "CI_NODE_INDEX",
    "STAGE_NAME",
    "GITHUB_ACTION",
)
# CI workspaces, in the order the platforms are detected; the first one set is used.
WORKSPACE_VARIABLES = ("GITHUB_WORKSPACE", "CI_PROJECT_DIR", "WORKSPACE")


@dataclass(frozen=True)
class JobTarget:
    """The submit target: the settings that, together with the request body, identify a submit."""

    url: str
    api: str
    application: str | None


def state_folder(configured: Path | None, env: Mapping[str, str]) -> Path:
    """Return the state folder: ``EPM_STATE_PATH``, else ``.epm-gate`` in the CI workspace."""
    if configured is not None:
        return configured
    for name in WORKSPACE_VARIABLES:
        workspace = env.get(name)
        if workspace:
            return Path(workspace) / DEFAULT_FOLDER
    return Path(DEFAULT_FOLDER)


def has_ci_run(env: Mapping[str, str]) -> bool:
    """Tell whether the environment names a CI run that a re-run would share."""
    return any(env.get(name) for name in RUN_VARIABLES)


def state_key(env: Mapping[str, str], target: JobTarget, body: dict[str, Any]) -> str:
    """Return the hex SHA-256 of the CI identity, the job target and the request body."""
    identity = {
        "ci": {name: env.get(name, "") for name in KEY_VARIABLES},
        "url": target.url,
        "api": target.api,
        "application": target.application or "",
        "body": body,
    }
    canonical = json.dumps(identity, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


class RerunState:
    """The state file of one gate: read once before the first submit, written after each.

    Problems with the file are never fatal. A file that cannot be read or parsed causes
    a warning, and the gate submits. A file that cannot be written causes a warning,
    and the run goes on without re-run protection.
    """

    def __init__(
        self, path: Path | None, scrub: Callable[[str], str], warn: Callable[[str], None]
    ) -> None:
        self.path = path
        self._scrub = scrub
        self._warn = warn

    @classmethod
    def for_submit(
        cls,
        settings: Settings,
        env: Mapping[str, str],
        body: dict[str, Any],
        *,
        scrub: Callable[[str], str],
        warn: Callable[[str], None],
    ) -> RerunState:
        """Return the state of this gate; without a CI run its path is None (nothing kept)."""
        if not has_ci_run(env):
            log.debug("no CI run id (%s): re-run state is not kept", ", ".join(RUN_VARIABLES))
            return cls(None, scrub, warn)
        target = JobTarget(settings.url, settings.api, settings.application)
        name = state_key(env, target, body)[:40] + ".json"
        return cls(state_folder(settings.state_path, env) / name, scrub, warn)

    def recorded_job(self) -> int | None:
        """Return the job id an earlier attempt recorded, or None to submit."""
        if self.path is None:
            return None
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            self._warn(f"cannot read the re-run state file {self.path} ({exc}); submitting")
            return None
        try:
            document = json.loads(text)
            job_id = document["jobId"]
        except (ValueError, KeyError, TypeError):
            document, job_id = None, None
        if not isinstance(job_id, int) or isinstance(job_id, bool) or job_id < 0:
            self._warn(
                f"the re-run state file {self.path} is not a state file of this gate (no "
                "numeric jobId); ignoring it and submitting. If an earlier attempt already "
                "submitted this job, check Process Details in EPM"
            )
            return None
        return job_id

    def record_job(self, job_id: int, body: dict[str, Any]) -> bool:
        """Write the submitted job's id atomically; return False (and warn) when that fails."""
        if self.path is None:
            return False
        document = {
            "schemaVersion": STATE_VERSION,
            "jobId": job_id,
            "submittedAt": iso(utc_now()),
            "request": body,
        }
        text = self._scrub(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
        try:
            write_atomic(self.path, text)
        except OSError as exc:
            self._warn(
                f"cannot write the re-run state file {self.path} ({exc}); a re-run of this "
                f"CI job would submit job {job_id}'s request again"
            )
            return False
        return True
