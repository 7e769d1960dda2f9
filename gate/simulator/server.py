"""A stand-in for Oracle EPM Cloud: jobs, credentials, scripted responses and request routing.

Built on the standard library only, so it stays an independent stand-in for Oracle: it
imports nothing from the gate.
"""

from __future__ import annotations

import base64
import json
import re
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any

from gate.simulator.files import FileStore
from gate.simulator.scenarios import (
    DESCRIPTIVE,
    JOB_STATUS_WORDS,
    Scenario,
    Step,
    builtin_scenarios,
)

if TYPE_CHECKING:
    from gate.simulator.planning import PlanningApi

Handler = Callable[["Exchange", "re.Match[str]"], None]


@dataclass
class RecordedRequest:
    """One request as the simulator received it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float

    def json(self) -> Any:
        """Return the body parsed as JSON."""
        return json.loads(self.body)


@dataclass
class SimulatedJob:
    """A job the simulator created or was given, and how far its script has run."""

    job_id: int
    name: str
    scenario: Scenario
    created: float
    body: dict[str, Any] = field(default_factory=dict)
    polls: int = 0


class Clock:
    """The simulator's time: real monotonic seconds, optionally sped up for long jobs."""

    def __init__(self, speed: float = 1.0) -> None:
        self.speed = speed
        self._origin = time.monotonic()

    def now(self) -> float:
        """Return simulated seconds since the simulator started."""
        return (time.monotonic() - self._origin) * self.speed


class Simulator:
    """The simulated EPM environment: jobs, credentials, recorded requests and routes.

    ``scenario`` fixes the behaviour of every submitted job; when None, a job named
    after a built-in scenario (``error``, ``warning``, ...) plays it, others succeed.
    """

    def __init__(
        self,
        scenario: Scenario | None = None,
        *,
        user: str | None = "ci_bot",
        password: str = "example-pass",  # noqa: S107 - the simulator's test account
        tokens: set[str] | None = None,
        first_job_id: int = 4412,
        clock: Clock | None = None,
    ) -> None:
        self.scenario = scenario
        self.user = user
        self.password = password
        self.tokens = tokens if tokens is not None else set()
        self.next_job_id = first_job_id
        self.clock = clock or Clock()
        self.jobs: dict[int, SimulatedJob] = {}
        self.requests: list[RecordedRequest] = []
        self.submits = 0
        # Accepts bearer tokens beyond ``tokens``, such as those a token endpoint issued.
        self.bearer_check: Callable[[str], bool] | None = None
        # The response to a request without valid credentials: body and content type.
        self.unauthorised_answer = ("", "text/plain")
        self.lock = threading.Lock()
        self.routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self.add_route("POST", r"/aif/rest/(?P<version>[^/]+)/jobs", _submit)
        self.add_route("GET", r"/aif/rest/(?P<version>[^/]+)/jobs/(?P<job_id>[^/]+)", _status)
        self.add_route("GET", r"/aif/rest/?", _versions)
        self.files = FileStore(self)
        # Imported here because the Planning module builds on this one's classes.
        from gate.simulator.planning import PlanningApi

        self.planning: PlanningApi = PlanningApi(self)

    def add_route(self, method: str, pattern: str, handler: Handler) -> None:
        """Serve ``method`` on paths that fully match ``pattern`` with ``handler``."""
        self.routes.append((method, re.compile(pattern + r"/?"), handler))

    def add_job(self, job_id: int, scenario: Scenario, name: str = "GL_ACTUALS") -> SimulatedJob:
        """Create a job as if submitted earlier, for gates that attach to it."""
        with self.lock:
            created = SimulatedJob(job_id, name, scenario, self.clock.now())
            self.jobs[job_id] = created
            return created

    def scenario_for(self, job_name: str) -> Scenario:
        """Return the scenario a newly submitted job plays."""
        if self.scenario is not None:
            return self.scenario
        return builtin_scenarios().get(job_name.lower(), builtin_scenarios()["success"])

    def authorised(self, header: str | None) -> bool:
        """Check an Authorization header against the configured user or tokens."""
        if self.user is None and not self.tokens and self.bearer_check is None:
            return True
        if not header:
            return False
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer":
            if value in self.tokens:
                return True
            return self.bearer_check is not None and self.bearer_check(value)
        if scheme.lower() == "basic" and self.user is not None:
            expected = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
            return value == expected
        return False

    def count(self, method: str, path_prefix: str = "") -> int:
        """Return how many requests of a method (and path prefix) arrived."""
        return sum(
            1 for r in self.requests if r.method == method and r.path.startswith(path_prefix)
        )


class Exchange:
    """One request and its response; handlers call its ``send_*`` methods once."""

    def __init__(
        self, handler: BaseHTTPRequestHandler, simulator: Simulator, recorded: RecordedRequest
    ) -> None:
        self.handler = handler
        self.simulator = simulator
        self.request = recorded

    @property
    def base_url(self) -> str:
        """Return the base URL the client used, from the Host header."""
        host = self.request.headers.get("host", "127.0.0.1")
        scheme = "https" if getattr(self.handler.server, "tls", False) else "http"
        return f"{scheme}://{host}"

    def send(
        self, code: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        """Send a complete response with a Content-Length."""
        self.handler.send_response(code)
        self.handler.send_header("Content-Type", content_type)
        self.handler.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.handler.send_header(name, value)
        self.handler.end_headers()
        if self.request.method != "HEAD":
            self.handler.wfile.write(body)

    def send_stream(
        self, code: int, chunks: Iterable[bytes], length: int, content_type: str
    ) -> None:
        """Send an answer of ``length`` bytes chunk by chunk, never holding it whole."""
        self.handler.send_response(code)
        self.handler.send_header("Content-Type", content_type)
        self.handler.send_header("Content-Length", str(length))
        self.handler.end_headers()
        if self.request.method == "HEAD":
            return
        for chunk in chunks:
            self.handler.wfile.write(chunk)

    def send_json(self, code: int, document: Any, headers: dict[str, str] | None = None) -> None:
        """Send a JSON answer."""
        self.send(code, json.dumps(document).encode(), "application/json", headers)

    def reset(self) -> None:
        """Drop the connection with a TCP reset and no answer."""
        connection = self.handler.connection
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.handler.close_connection = True
        connection.close()

    def play(self, step: Step, job: SimulatedJob | None) -> None:
        """Answer with a scripted step: a job object, a raw body, a delay or a reset."""
        if step.delay:
            time.sleep(step.delay)
        if step.reset:
            self.reset()
            return
        if step.body is not None or (step.status is None and job is None):
            self.send(step.http, (step.body or "").encode(), step.content_type, step.headers)
            return
        assert job is not None
        self.send_json(step.http, job_object(job, step, self.base_url), step.headers)


def job_object(job: SimulatedJob, step: Step, base_url: str) -> dict[str, Any]:
    """Return the Data Integration job object for a job at a scripted step."""
    status = -1 if step.status is None else step.status
    document: dict[str, Any] = {
        "jobId": job.job_id,
        "jobName": job.name,
        "status": status,
        "jobStatus": step.job_status or JOB_STATUS_WORDS.get(status, "UNKNOWN"),
        "descriptiveStatus": DESCRIPTIVE.get(status, "Unknown"),
        "details": None,
        "logFileName": None,
        "outputFileName": None,
        "processType": "COMM_LOAD_BALANCES",
        "executedBy": "ci_bot",
    }
    document.update(job.scenario.job_fields)
    document.update(step.fields)
    for key in ("logFileName", "outputFileName"):
        if isinstance(document[key], str):
            document[key] = document[key].replace("{jobId}", str(job.job_id))
    document["links"] = [
        {"rel": "self", "href": f"{base_url}/aif/rest/V1/jobs/{job.job_id}", "action": "GET"}
    ]
    return document


def _versions(exchange: Exchange, match: re.Match[str]) -> None:
    exchange.send_json(
        200,
        {"items": [{"version": "V1", "isLatest": "true", "lifecycle": "active", "links": []}]},
    )


def _submit(exchange: Exchange, match: re.Match[str]) -> None:
    simulator = exchange.simulator
    if match.group("version") != "V1":
        exchange.send_json(404, {"status": 8, "details": "Invalid URL"})
        return
    try:
        body = exchange.request.json()
    except ValueError:
        exchange.send_json(400, {"status": 4, "details": "request body is not JSON"})
        return
    name = str(body.get("jobName", ""))
    scenario = simulator.scenario_for(name)
    with simulator.lock:
        submit_steps = scenario.expanded(scenario.submit)
        step = submit_steps[min(simulator.submits, len(submit_steps) - 1)]
        simulator.submits += 1
        job = None
        if (step.body is None and step.status is not None) or step.reset or step.delay:
            # A reset or a held answer still creates the job, as a lost answer does in EPM.
            job = SimulatedJob(simulator.next_job_id, name, scenario, simulator.clock.now(), body)
            simulator.jobs[job.job_id] = job
            simulator.next_job_id += 1
    exchange.play(step, job)


def _status(exchange: Exchange, match: re.Match[str]) -> None:
    simulator = exchange.simulator
    job_id = match.group("job_id")
    job = simulator.jobs.get(int(job_id)) if job_id.isdigit() else None
    if match.group("version") != "V1" or job is None:
        exchange.send_json(404, {"status": 8, "details": f"job {job_id} not found"})
        return
    with simulator.lock:
        step = next_status_step(job, simulator.clock.now())
    exchange.play(step, job)


def next_status_step(job: SimulatedJob, now: float) -> Step:
    """Return the step that answers the job's next status request, and count the request."""
    scenario = job.scenario
    job.polls += 1
    if scenario.run_seconds is not None:
        return scenario.final if now - job.created >= scenario.run_seconds else Step(status=-1)
    steps = scenario.expanded(scenario.polls)
    return steps[min(job.polls - 1, len(steps) - 1)]
