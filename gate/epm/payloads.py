"""Request bodies of the submit call per job type, and the fields each type requires."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gate.settings import Settings

# Body field → the setting that fills it. Values are sent exactly as configured:
# EPM names and modes are case-sensitive, so nothing is trimmed or re-cased.
_BODY_FIELDS = {
    "periodName": "period_name",
    "startPeriod": "start_period",
    "endPeriod": "end_period",
    "importMode": "import_mode",
    "exportMode": "export_mode",
    "fileName": "file_name",
    "locationName": "location_name",
}

# Fields EPM requires for every use of a Data Integration job type. INTEGRATION needs
# only jobName here, because its modes and periods depend on the integration's
# definition and EPM answers status 4 when one is missing.
REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    "INTEGRATION": ("jobName",),
    "DATARULE": ("jobName", "startPeriod", "endPeriod", "importMode", "exportMode"),
    "BATCH": ("jobName",),
    "PIPELINE": ("jobName",),
    "MAPPINGIMPORT": ("jobName", "fileName"),
    "MAPPINGEXPORT": ("jobName", "fileName", "locationName"),
    "REPORT": ("jobName",),
}

_VARIABLES = {"jobName": "EPM_JOB_NAME"} | {
    body: "EPM_" + field.upper() for body, field in _BODY_FIELDS.items()
}


def integration_body(settings: Settings) -> dict[str, Any]:
    """Build the body of ``POST /aif/rest/{version}/jobs``; EPM_JOB_PARAMETERS wins on clashes."""
    body: dict[str, Any] = {"jobType": settings.effective_job_type, "jobName": settings.job_name}
    for body_field, setting in _BODY_FIELDS.items():
        value = getattr(settings, setting)
        if value is not None:
            body[body_field] = value
    body.update(settings.job_parameters or {})
    return {key: value for key, value in body.items() if value is not None}


def planning_body(settings: Settings) -> dict[str, Any]:
    """Build the body of a Planning ``POST .../applications/{app}/jobs``."""
    body: dict[str, Any] = {"jobType": settings.effective_job_type, "jobName": settings.job_name}
    if settings.job_parameters:
        body["parameters"] = settings.job_parameters
    return body


def request_body(settings: Settings) -> dict[str, Any]:
    """Build the submit body for the configured API."""
    if settings.api == "planning":
        return planning_body(settings)
    return integration_body(settings)


def missing_fields(settings: Settings) -> list[tuple[str, str]]:
    """Return ``(body field, variable)`` for each field the job type requires but lacks.

    A field counts as present when EPM_JOB_PARAMETERS supplies it.
    """
    body = request_body(settings)
    job_type = (settings.effective_job_type or "").upper()
    required = (
        REQUIRED_FIELDS.get(job_type, ("jobName",))
        if settings.api == "integration"
        else ("jobName",)
    )
    missing = []
    for body_field in required:
        value = body.get(body_field)
        if value is None or (isinstance(value, str) and value == ""):
            missing.append((body_field, _VARIABLES.get(body_field, "EPM_JOB_PARAMETERS")))
    return missing
