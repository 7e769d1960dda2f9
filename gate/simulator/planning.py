"""The simulator's Planning jobs API: Execute a Job, Retrieve Job Status and its details.

Plays ``/HyperionPlanning/rest/{version}/applications/{application}/jobs`` on a
Simulator, with scripted behaviours per job type (rules, rulesets, cube refresh, an
import of data with rejected records, an import of metadata whose child jobs fail) and
the paged details resources with their ERROR filter.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

from gate.simulator.planning_scripts import ChildJob, PlanningScript, builtin_planning_scripts
from gate.simulator.scenarios import Scenario, Step, builtin_scenarios

if TYPE_CHECKING:
    from gate.simulator.server import Exchange, SimulatedJob, Simulator

PLANNING_VERSIONS = ("v3",)
# Oracle's default page size of the details resources, also used here as the largest.
# NOTE: Oracle documents no largest page; capping it makes clients advance by the
# number of items returned rather than by the limit they requested.
DEFAULT_PAGE = 25
# Planning's readable statuses. Planning responses carry no jobStatus word.
PLANNING_DESCRIPTIVE = {
    -1: "Processing",
    0: "Completed",
    1: "Error",
    2: "Cancel Pending",
    3: "Cancelled",
    4: "Invalid Parameter",
}
# Job types whose details Oracle documents. Only their status responses link them.
DETAILED_TYPES = frozenset({"IMPORT_DATA", "EXPORT_DATA", "IMPORT_METADATA", "EXPORT_METADATA"})

_BASE = r"/HyperionPlanning/rest/(?P<version>[^/]+)/applications/(?P<app>[^/]+)/jobs"


@dataclass
class PlanningJob:
    """A Planning job of the simulator: its application, its job type and its script."""

    application: str
    job_type: str
    script: PlanningScript


class PlanningApi:
    """Planning routes on a Simulator, and the switches tests use to script them.

    ``script`` plays for every submitted job when set; otherwise the simulator's
    scenario, a built-in scenario named like the job, or the job type's behaviour.
    ``page_max`` caps the items of one details page, ``id_key`` spells the job id
    (``jobId`` as in Oracle's samples, or ``jobID`` as in its reference table), and
    ``link_base`` replaces the base URL of the links EPM sends.
    """

    def __init__(self, simulator: Simulator) -> None:
        self.simulator = simulator
        self.applications = {"Vision"}
        self.script: PlanningScript | None = None
        self.page_max = DEFAULT_PAGE
        self.id_key = "jobId"
        self.link_base: str | None = None
        self.jobs: dict[int, PlanningJob] = {}
        simulator.add_route("POST", _BASE, self._submit)
        simulator.add_route("GET", _BASE + r"/(?P<job_id>[^/]+)", self._status)
        simulator.add_route("GET", _BASE + r"/(?P<job_id>[^/]+)/details", self._details)
        simulator.add_route(
            "GET", _BASE + r"/(?P<job_id>[^/]+)/childjobs/(?P<child_id>[^/]+)/details", self._child
        )

    def add_job(
        self,
        job_id: int,
        script: PlanningScript | Scenario,
        name: str = "Allocate",
        job_type: str = "RULES",
        application: str = "Vision",
    ) -> SimulatedJob:
        """Create a Planning job as if submitted earlier, for gates that attach to it."""
        if isinstance(script, Scenario):
            script = PlanningScript(script)
        created = self.simulator.add_job(job_id, script.scenario, name)
        created.body = {"jobType": job_type, "jobName": name}
        self.jobs[job_id] = PlanningJob(application, job_type, script)
        return created

    def script_for(self, job_type: str, job_name: str) -> PlanningScript:
        """Return what a newly submitted job plays."""
        if self.script is not None:
            return self.script
        if self.simulator.scenario is not None:
            return PlanningScript(self.simulator.scenario)
        named = builtin_scenarios().get(job_name.lower())
        if named is not None:
            return PlanningScript(named)
        scripts = builtin_planning_scripts()
        return scripts.get(_normalise(job_type), scripts["RULES"])

    def _submit(self, exchange: Exchange, match: re.Match[str]) -> None:
        from gate.simulator.server import SimulatedJob

        if not self._known(exchange, match):
            return
        try:
            body = exchange.request.json()
        except ValueError:
            exchange.send_json(400, {"status": 4, "details": "request body is not JSON"})
            return
        if not isinstance(body, dict) or not isinstance(body.get("jobType"), str):
            exchange.send_json(400, {"status": 4, "details": "jobType is required"})
            return
        job_type, name = body["jobType"], str(body.get("jobName", ""))
        script = self.script_for(job_type, name)
        simulator = self.simulator
        with simulator.lock:
            steps = script.scenario.expanded(script.scenario.submit)
            step = steps[min(simulator.submits, len(steps) - 1)]
            simulator.submits += 1
            created = None
            if (step.body is None and step.status is not None) or step.reset or step.delay:
                created = SimulatedJob(
                    simulator.next_job_id, name, script.scenario, simulator.clock.now(), body
                )
                simulator.jobs[created.job_id] = created
                self.jobs[created.job_id] = PlanningJob(_app(match), job_type, script)
                simulator.next_job_id += 1
        self._play(exchange, step, created, match)

    def _status(self, exchange: Exchange, match: re.Match[str]) -> None:
        from gate.simulator.server import next_status_step

        found = self._find(exchange, match)
        if found is None:
            return
        with self.simulator.lock:
            step = next_status_step(found, self.simulator.clock.now())
        self._play(exchange, step, found, match)

    def _details(self, exchange: Exchange, match: re.Match[str]) -> None:
        found = self._find(exchange, match)
        if found is None:
            return
        planning = self.jobs[found.job_id]
        items: list[dict[str, Any]] = list(planning.script.messages)
        for child in planning.script.children:
            items.append(self._child_summary(exchange, match, child))
        self._send_page(exchange, items)

    def _child(self, exchange: Exchange, match: re.Match[str]) -> None:
        found = self._find(exchange, match)
        if found is None:
            return
        children = {str(child.child_id): child for child in self.jobs[found.job_id].script.children}
        child = children.get(match.group("child_id"))
        if child is None:
            exchange.send_json(404, {"status": 8, "details": "child job not found"})
            return
        self._send_page(exchange, child.messages)

    def _send_page(self, exchange: Exchange, items: list[dict[str, Any]]) -> None:
        """Send one page of details, filtered by ``q`` and cut by ``offset`` and ``limit``."""
        query = parse_qs(urlsplit(exchange.request.path).query)
        try:
            filters = json.loads(query.get("q", ["{}"])[0])
            offset = int(query.get("offset", ["0"])[0])
            limit = int(query.get("limit", [str(DEFAULT_PAGE)])[0])
        except ValueError:
            exchange.send_json(400, {"status": 4, "details": "invalid q, offset or limit"})
            return
        kind = (
            filters.get("messageType", filters.get("msgType"))
            if isinstance(filters, dict)
            else None
        )
        if kind:
            # Record-count items of a metadata import are no messages and are never filtered.
            items = [item for item in items if item.get("msgType", kind) == kind]
        limit = self.page_max if limit <= 0 else min(limit, self.page_max)
        page = items[offset : offset + limit]
        exchange.send_json(
            200,
            {
                "items": page,
                "offset": offset,
                "limit": limit,
                "count": len(page),
                "totalResults": len(items),
                "hasMore": offset + len(page) < len(items),
                "links": [
                    {
                        "rel": "self",
                        "href": self._base(exchange) + exchange.request.path,
                        "action": "GET",
                    }
                ],
            },
        )

    def _child_summary(
        self, exchange: Exchange, match: re.Match[str], child: ChildJob
    ) -> dict[str, Any]:
        href = f"{self._jobs_url(exchange, match)}/{match.group('job_id')}/childjobs/{child.child_id}/details"
        return {
            "dimensionName": child.dimension,
            "loadType": "Metadata Import",
            "recordsRead": child.records_read,
            "recordsRejected": child.records_rejected,
            "recordsProcessed": child.records_read - child.records_rejected,
            "links": [{"rel": "child-job-details", "href": href, "action": "GET"}],
        }

    def _play(
        self, exchange: Exchange, step: Step, found: SimulatedJob | None, match: re.Match[str]
    ) -> None:
        """Send a scripted step, with a job object in Planning's shape."""
        if step.delay:
            time.sleep(step.delay)
        if step.reset:
            exchange.reset()
            return
        if step.body is not None or step.status is None or found is None:
            exchange.send(step.http, (step.body or "").encode(), step.content_type, step.headers)
            return
        exchange.send_json(step.http, self._job_object(exchange, match, found, step), step.headers)

    def _job_object(
        self, exchange: Exchange, match: re.Match[str], found: SimulatedJob, step: Step
    ) -> dict[str, Any]:
        status = -1 if step.status is None else step.status
        descriptive = PLANNING_DESCRIPTIVE.get(status, "Unknown")
        if status == 0 and (step.job_status or "").upper() == "WARNING":
            descriptive = "Completed with Errors"
        document: dict[str, Any] = {
            "status": status,
            "details": None,
            self.id_key: found.job_id,
            "jobName": found.name,
            "descriptiveStatus": descriptive,
        }
        # The built-in scenarios were written for Data Integration; their log and output
        # file fields do not exist on Planning jobs, which report no files.
        document.update(
            {
                key: value
                for key, value in found.scenario.job_fields.items()
                if key not in ("logFileName", "outputFileName", "processType")
            }
        )
        document.update(step.fields)
        job_url = f"{self._jobs_url(exchange, match)}/{found.job_id}"
        links = [{"rel": "self", "href": job_url, "action": "GET"}]
        if _normalise(self.jobs[found.job_id].job_type) in DETAILED_TYPES:
            links.append({"rel": "job-details", "href": job_url + "/details", "action": "GET"})
        document.setdefault("links", links)
        return document

    def _known(self, exchange: Exchange, match: re.Match[str]) -> bool:
        if match.group("version") not in PLANNING_VERSIONS:
            exchange.send_json(404, {"status": 8, "details": "Invalid URL"})
            return False
        if _app(match) not in self.applications:
            exchange.send_json(
                404, {"status": 8, "details": f"Application {_app(match)} does not exist"}
            )
            return False
        return True

    def _find(self, exchange: Exchange, match: re.Match[str]) -> SimulatedJob | None:
        if not self._known(exchange, match):
            return None
        job_id = match.group("job_id")
        found = self.simulator.jobs.get(int(job_id)) if job_id.isdigit() else None
        planning = self.jobs.get(found.job_id) if found is not None else None
        if found is None or planning is None or planning.application != _app(match):
            exchange.send_json(404, {"status": 8, "details": f"job {job_id} not found"})
            return None
        return found

    def _base(self, exchange: Exchange) -> str:
        return self.link_base or exchange.base_url

    def _jobs_url(self, exchange: Exchange, match: re.Match[str]) -> str:
        version, app = match.group("version"), match.group("app")
        return f"{self._base(exchange)}/HyperionPlanning/rest/{version}/applications/{app}/jobs"


def _app(match: re.Match[str]) -> str:
    return unquote(match.group("app"))


def _normalise(job_type: str) -> str:
    """Return a job type as one word: Oracle accepts both ``Import Data`` and ``IMPORT_DATA``."""
    return job_type.strip().upper().replace(" ", "_")
