"""Scripted job behaviours for the EPM simulator.

A scenario sets how the simulator responds to the submit and each later status request of
one job. Built-in scenarios cover every outcome of the gate; tests build their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

UNKNOWN_STATUS = 2147483647

# Statuses and the jobStatus words Data Integration pairs with them.
JOB_STATUS_WORDS = {
    -1: "RUNNING",
    0: "SUCCESS",
    1: "FAILED",
    2: "CANCEL PENDING",
    3: "CANCELLED",
    4: "FAILED",
    UNKNOWN_STATUS: "UNKNOWN",
}
DESCRIPTIVE = {
    -1: "In Progress",
    0: "Completed",
    1: "Error",
    2: "Cancel Pending",
    3: "Cancelled",
    4: "Invalid Parameter",
}

MAINTENANCE_PAGE = (
    "<html><head><title>Service Unavailable</title></head><body><h1>Maintenance</h1>"
    "<p>Oracle EPM Cloud is undergoing daily maintenance.</p></body></html>"
)
SIGN_IN_PAGE = (
    "<!DOCTYPE html><html><head><title>Sign In</title></head><body>"
    '<form action="/oauth2/v1/authorize" method="post"><input name="username">'
    '<input type="password" name="password"></form></body></html>'
)


@dataclass
class Step:
    """One response of the simulator.

    With ``status`` set it is a job object (``fields`` added, ``job_status`` overriding
    the usual word); with ``body`` set it is that raw body. ``delay`` holds the response
    back in seconds; ``reset`` closes the connection without any answer; ``repeat``
    serves the step that many times.
    """

    status: int | None = None
    job_status: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    http: int = 200
    body: str | None = None
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    reset: bool = False
    repeat: int = 1


def job(status: int, job_status: str | None = None, repeat: int = 1, **fields: Any) -> Step:
    """Return a job-object step, e.g. ``job(1, details="Stage 2 failed")``."""
    return Step(status=status, job_status=job_status, fields=dict(fields), repeat=repeat)


def http(
    code: int,
    body: str = "",
    content_type: str = "application/json",
    repeat: int = 1,
    **headers: str,
) -> Step:
    """Return a raw HTTP response step; keyword headers use ``_`` for ``-``."""
    named = {key.replace("_", "-"): value for key, value in headers.items()}
    return Step(http=code, body=body, content_type=content_type, headers=named, repeat=repeat)


@dataclass
class Scenario:
    """The behaviour of one job: the submit response, then the status responses.

    ``polls`` is consumed in order and its last step repeats. With ``run_seconds`` set
    the job instead returns status -1 until that many seconds after the submit (on the
    simulator's clock), then ``final``.
    """

    name: str
    description: str = ""
    submit: list[Step] = field(default_factory=lambda: [job(-1)])
    polls: list[Step] = field(default_factory=lambda: [job(0)])
    job_fields: dict[str, Any] = field(default_factory=dict)
    run_seconds: float | None = None
    final: Step = field(default_factory=lambda: job(0))

    def expanded(self, steps: list[Step]) -> list[Step]:
        """Return the steps with each one repeated ``repeat`` times."""
        return [step for step in steps for _ in range(max(step.repeat, 1))]


def _log_fields(name: str) -> dict[str, Any]:
    # "{jobId}" is replaced per job, so every job has a log of its own, as in EPM.
    return {
        "logFileName": f"outbox/logs/{name}_{{jobId}}.log",
        "processType": "COMM_LOAD_BALANCES",
        "executedBy": "ci_bot",
    }


def builtin_scenarios() -> dict[str, Scenario]:
    """Return the named scenarios that ``epm-gate simulate`` selects by job name."""
    scenarios = [
        Scenario(
            "success",
            "runs for three status requests, then succeeds",
            polls=[job(-1, repeat=2), job(0)],
            job_fields=_log_fields("GL_ACTUALS"),
        ),
        Scenario(
            "error",
            "fails with status 1 and a Java-style error text",
            polls=[job(-1), job(1, details="Error: ORA-20001 Data load failed for POV {Apr-26}")],
            job_fields=_log_fields("GL_ACTUALS"),
        ),
        Scenario(
            "warning",
            "ends with status 0 and jobStatus WARNING: 42 rows rejected",
            polls=[job(-1), job(0, "WARNING", details="Rows rejected: 42")],
            job_fields=_log_fields("GL_ACTUALS") | {"outputFileName": "outbox/errors_{jobId}.zip"},
        ),
        Scenario(
            "cancel",
            "cancelled from the EPM interface: status 2 twice, then 3",
            polls=[job(-1), job(2, repeat=2), job(3)],
        ),
        Scenario(
            "invalid",
            "the submit answer is already status 4 (Invalid Parameter)",
            submit=[job(4, details="Invalid period or import mode")],
        ),
        Scenario(
            "unknown", "ends with status Integer.MAX_VALUE", polls=[job(-1), job(UNKNOWN_STATUS)]
        ),
        Scenario("running", "stays in status -1 for ever", polls=[job(-1)]),
        Scenario(
            "maintenance",
            "503 pages and HTML maintenance pages while polling, then success",
            polls=[
                job(-1),
                http(503, MAINTENANCE_PAGE, "text/html", repeat=3),
                http(200, MAINTENANCE_PAGE, "text/html", repeat=2),
                job(0),
            ],
        ),
        Scenario(
            "throttle",
            "status requests answered 429 with Retry-After 1 between running answers",
            polls=[job(-1), http(429, Retry_After="1"), job(-1), http(429), job(0)],
        ),
        Scenario(
            "maintenance-submit",
            "the submit gets a 503 maintenance page",
            submit=[http(503, MAINTENANCE_PAGE, "text/html")],
        ),
        Scenario(
            "sign-in",
            "the submit gets an HTML sign-in page",
            submit=[http(200, SIGN_IN_PAGE, "text/html")],
        ),
        Scenario(
            "slow",
            "every status answer takes two seconds",
            polls=[Step(status=-1, delay=2.0), Step(status=0, delay=2.0)],
        ),
    ]
    from gate.simulator.logs import failure_scenarios

    scenarios += failure_scenarios()
    return {scenario.name: scenario for scenario in scenarios}
