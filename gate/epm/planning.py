"""Planning platform jobs: ``/HyperionPlanning/rest/{version}/applications/{app}/jobs``."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit

from gate.epm.job_details import DETAILS_JOB_TYPES, MAX_CHILD_JOBS, DetailsReader, JobMessages
from gate.epm.jobs import read_status, submit_job
from gate.epm.session import EpmSession
from gate.epm.status import JobState
from gate.errors import AuthError, EpmError, RejectedError

# Oracle's required roles: Service Administrator for every Planning job resource; a
# Power User may also launch business rules once granted Rule Launch access.
PLANNING_ROLES_ADVICE = (
    "the user lacks the Service Administrator role needed for Planning jobs (a Power User "
    "can run business rules only with Rule Launch access)"
)


class PlanningJobs:
    """Execute a Job, Retrieve Job Status and Retrieve Job Status Details on Planning."""

    def __init__(self, session: EpmSession, version: str, application: str) -> None:
        self.session = session
        self.application = application
        self.jobs_path = (
            f"/HyperionPlanning/rest/{quote(version, safe='')}/applications/"
            f"{quote(application, safe='')}/jobs"
        )
        # The ``self`` link of each job, from its latest status response that had a usable one.
        self.self_links: dict[int, str] = {}

    def submit(self, body: dict[str, Any]) -> JobState:
        """Execute a job; the body contains jobType, jobName and parameters."""
        try:
            state = submit_job(self.session, self.session.url(self.jobs_path), body)
        except (AuthError, RejectedError) as exc:
            replacement = self._explain_refusal(exc, what="submit")
            if replacement is None:
                raise
            raise replacement from exc
        if state.job_id is not None:
            self._remember_self_link(state.job_id, state)
        return state

    def status(self, job_id: int) -> JobState:
        """Retrieve a job's status, through its ``self`` link when EPM gave a usable one."""
        url = self.self_links.get(job_id) or self.session.url(f"{self.jobs_path}/{job_id}")
        try:
            state = read_status(self.session, url, job_id)
        except (AuthError, RejectedError) as exc:
            replacement = self._explain_refusal(exc, what="status request", job_id=job_id)
            if replacement is None:
                raise
            raise replacement from exc
        self._remember_self_link(job_id, state)
        return state

    def error_messages(self, job_id: int, state: JobState, job_type: str | None) -> JobMessages:
        """Read the ERROR messages of a finished job and of the child jobs its details link.

        The ``job-details`` link of the status response is used when it is on EPM_URL's
        origin. Otherwise the documented path is built, but only for the job types that
        Oracle documents details for, or for an attached job of unknown type.
        """
        link = usable_link(state.link("job-details"), self.session.base_url, f"/{job_id}/details")
        normalised = (job_type or "").strip().upper().replace(" ", "_")
        if link is None and job_type is not None and normalised not in DETAILS_JOB_TYPES:
            return JobMessages()
        reader = DetailsReader(self.session)
        reader.read(link or self.session.url(f"{self.jobs_path}/{job_id}/details"))

        followed = 0
        for href, name in reader.child_links:
            child_url = usable_link(href, self.session.base_url, "/details")
            if child_url is None:
                reader.warn(f"child job details at {href} were not read: the link leaves EPM_URL")
                continue
            if followed >= MAX_CHILD_JOBS:
                reader.warn(f"read the details of the first {MAX_CHILD_JOBS} child jobs only")
                break
            followed += 1
            reader.read(child_url, label=name)
        return reader.messages

    def _remember_self_link(self, job_id: int, state: JobState) -> None:
        link = usable_link(state.link("self"), self.session.base_url, f"/jobs/{job_id}")
        if link is not None:
            self.self_links[job_id] = link

    def _explain_refusal(
        self, exc: EpmError, *, what: str, job_id: int | None = None
    ) -> EpmError | None:
        """Return the Planning wording of a 403 or 404, or None to keep the error as it is."""
        quoted = f": {exc.details}" if exc.details else ""
        if exc.http_status == 403:
            return AuthError(
                f"{what} refused with HTTP 403{quoted}: {PLANNING_ROLES_ADVICE}",
                http_status=403,
                details=exc.details,
            )
        if exc.http_status != 404:
            return None
        if job_id is not None:
            return RejectedError(
                f"job {job_id} not found in application {self.application!r} (HTTP 404"
                f"{quoted}); check EPM_JOB_ID, EPM_APPLICATION, EPM_URL and EPM_API_VERSION",
                http_status=404,
                details=exc.details,
            )
        return RejectedError(
            f"{what} returned HTTP 404{quoted}: application or URL not found; check that "
            f"EPM_APPLICATION ({self.application!r}) names an application of this "
            "environment exactly (names are case-sensitive), and check EPM_URL and "
            "EPM_API_VERSION",
            http_status=404,
            details=exc.details,
        )


def usable_link(href: str | None, base_url: str, suffix: str) -> str | None:
    """Return a link EPM sent if it stays on EPM_URL's origin and path and ends as expected.

    Credentials go only to EPM_URL, so a link to another scheme, host or port, or
    outside EPM_URL's path, is not followed. ``suffix`` (such as ``/jobs/4412``) makes
    sure that the link names the resource the gate means to read.
    """
    if not href:
        return None
    link, base = urlsplit(href), urlsplit(base_url)
    try:
        same_origin = (link.scheme, link.hostname, link.port) == (
            base.scheme,
            base.hostname,
            base.port,
        )
    except ValueError:  # a port that is not a number
        return None
    if not same_origin or link.username or link.password:
        return None
    if not link.path.startswith(base.path.rstrip("/") + "/"):
        return None
    if not link.path.rstrip("/").endswith(suffix):
        return None
    return href
