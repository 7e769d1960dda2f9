"""Job log text for the simulator, one kind per scripted failure, in Data Integration's style.

The lines imitate the process logs that Data Integration writes (timestamp, level,
``[AIF]`` tag); the wording of each failure is typical of what EPM reports for it.
"""

from __future__ import annotations

from typing import Any

from gate.simulator.scenarios import Scenario, job

_HEAD = [
    "INFO  [AIF]: FDMEE Process Start, Process ID: {jobId}",
    "INFO  [AIF]: FDMEE Logging Level: 4",
    "INFO  [AIF]: User:ci_bot",
    "INFO  [AIF]: Location     : LOC_GL (Partitionkey:4)",
    "INFO  [AIF]: Period Name  : Apr-26 (Period Key:4/30/26 12:00 AM)",
    "INFO  [AIF]: Category Name: Actual (Category key:1)",
    "INFO  [AIF]: Rule Name    : {jobName} (Rule ID:12)",
    "INFO  [AIF]: Import Data from Source for Period 'Apr-26'",
]
_TAIL_OK = [
    "INFO  [AIF]: Total Data Rows Imported: 1250",
    "INFO  [AIF]: Export Data to Target Application for Period 'Apr-26'",
    "INFO  [AIF]: Number of rows loaded: 1250",
    "INFO  [AIF]: FDMEE Process End, Process ID: {jobId}",
]
_TAIL_FAILED = ["INFO  [AIF]: FDMEE Process End, Process ID: {jobId} (with errors)"]

# The lines that differ per kind; each kind's name is also a simulator scenario.
_BODIES: dict[str, list[str]] = {
    "success": [],
    "error": [
        "ERROR [AIF]: Error: ORA-20001 Data load failed for POV {{Apr-26}}",
        "ERROR [AIF]: java.lang.RuntimeException: process ended with errors",
    ],
    "warning": [
        "WARN  [AIF]: Warning: Data rows with unmapped dimensions exist for Period 'Apr-26'",
        "INFO  [AIF]: Rows rejected: 42 (written to outbox/errors_{jobId}.zip)",
    ],
    "mapping": [
        "INFO  [AIF]: Processing Mappings for Column 'ENTITY'",
        "ERROR [AIF]: Error: Data rows with unmapped dimensions exist for Period 'Apr-26'",
        "ERROR [AIF]: Unmapped member 'E9999' in dimension Entity (17 rows)",
        "INFO  [AIF]: Total Data Rows Imported: 1250, 17 rows rejected",
    ],
    "locked": [
        "ERROR [AIF]: Error: The POV is locked: Location LOC_GL, Period Apr-26, Category Actual",
        "ERROR [AIF]: Another process for this POV is being processed by another user",
    ],
    "source_connection": [
        "INFO  [AIF]: Connecting to source system ERP_CLOUD",
        "ERROR [AIF]: Error: Cannot connect to source system ERP_CLOUD",
        "ERROR [AIF]: java.net.ConnectException: Connection refused (Connection refused)",
    ],
    "target_load": [
        "INFO  [AIF]: Export Data to Target Application for Period 'Apr-26'",
        "ERROR [AIF]: Error: Load data to target application Vision failed",
        "ERROR [AIF]: Essbase Error(1003007): Data Value [1250.00] Encountered Before All "
        "Dimensions Selected",
    ],
    "validation": [
        "INFO  [AIF]: Validate Data for Period 'Apr-26'",
        "ERROR [AIF]: Error: Data validation failed: invalid member 'Acct_9000' for "
        "dimension Account",
    ],
    "invalid_parameter": [
        "ERROR [AIF]: Error: Invalid period 'Apr 26': period is not defined in period mapping",
    ],
    "timeout": [
        "ERROR [AIF]: Error: The process timed out after 7200 seconds waiting for the "
        "target application",
    ],
    "pipeline": [
        "INFO  [AIF]: Pipeline DAILYLOAD started, Process ID: {jobId}",
        "INFO  [AIF]: Stage 1 job LOAD_AP (4501) completed",
        "ERROR [AIF]: Stage 2 job LOAD_GL (4502) failed",
        "ERROR [AIF]: Error: Data rows with unmapped dimensions exist for Period 'Apr-26'",
    ],
    "batch": [
        "INFO  [AIF]: Batch BATCH1 started, Process ID: {jobId}",
        "INFO  [AIF]: Member job LOAD_AP (4601) submitted",
        "INFO  [AIF]: Member job LOAD_GL (4602) submitted",
        "INFO  [AIF]: Member job LOAD_AP (4601) completed",
        "INFO  [AIF]: Member job LOAD_GL (4602) completed",
    ],
}

# A failed job's details per kind, as EPM puts the first error into the job object.
FAILURE_DETAILS = {
    "mapping": "Error: Data rows with unmapped dimensions exist for Period 'Apr-26'",
    "locked": "The POV is locked by another process",
    "source_connection": "Cannot connect to source system ERP_CLOUD",
    "target_load": "Load data to target application Vision failed",
    "validation": "Data validation failed for Period 'Apr-26'",
    "timeout": "The process timed out",
    "pipeline": "Stage 2 job LOAD_GL failed",
}
LOG_KINDS = tuple(_BODIES)


def log_kind(scenario: Scenario, status: int | None, job_status: str | None) -> str:
    """Return the log kind of a job: its scenario's name when that is a kind, else by status."""
    if scenario.name in _BODIES:
        return scenario.name
    if status == 0:
        return "warning" if (job_status or "").upper() == "WARNING" else "success"
    return {1: "error", 4: "invalid_parameter"}.get(status or 0, "success")


def log_text(kind: str, fields: dict[str, Any]) -> str:
    """Return a whole job log of a kind; ``fields`` fill ``{jobId}`` and ``{jobName}``."""
    body = _BODIES[kind]
    tail = _TAIL_OK if kind in ("success", "batch") else _TAIL_FAILED
    lines = [*_HEAD, *body, *tail]
    stamped = [
        f"2026-04-30 06:00:{index:02d},{index * 37 % 1000:03d} {line.format(**fields)}"
        for index, line in enumerate(lines)
    ]
    return "\n".join(stamped) + "\n"


def failure_scenarios() -> list[Scenario]:
    """Return one scenario per failure kind: a job that fails with that kind's log."""
    scenarios = []
    for kind, details in FAILURE_DETAILS.items():
        job_type = "PIPELINE" if kind == "pipeline" else None
        fields = {"logFileName": f"outbox/logs/{{jobId}}_{kind}.log"}
        if job_type:
            fields["processType"] = "PIPELINE"
        scenarios.append(
            Scenario(
                kind,
                f"fails with status 1; the job log shows a {kind.replace('_', ' ')} failure",
                polls=[job(-1), job(1, details=details)],
                job_fields=fields,
            )
        )
    return scenarios
