"""Planning platform jobs: ``/HyperionPlanning/rest/{version}/applications/{app}/jobs``."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from gate.epm.jobs import read_status, submit_job
from gate.epm.session import EpmSession
from gate.epm.status import JobState


class PlanningJobs:
    """Execute a Job and Retrieve Job Status on the Planning jobs resource."""

    def __init__(self, session: EpmSession, version: str, application: str) -> None:
        self.session = session
        self.jobs_path = (
            f"/HyperionPlanning/rest/{quote(version, safe='')}/applications/"
            f"{quote(application, safe='')}/jobs"
        )

    def submit(self, body: dict[str, Any]) -> JobState:
        """Execute a job; the body holds jobType, jobName and parameters."""
        return submit_job(self.session, self.session.url(self.jobs_path), body)

    def status(self, job_id: int) -> JobState:
        """Retrieve a job's status."""
        return read_status(self.session, self.session.url(f"{self.jobs_path}/{job_id}"), job_id)
