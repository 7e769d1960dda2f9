"""The simulator's interop download API: job logs and output files, as EPM serves them.

``GET /interop/rest/11.1.2.3.600/applicationsnapshots/{path}/contents`` finds a file only
when the whole path is encoded as one segment (``outbox%2Flogs%2FX.log``); any other
spelling returns 404 ``{"status": 8, "details": "file not found"}``, as EPM does.

A file comes from ``FileStore.put`` or ``put_generated``, or else from a job whose
``logFileName`` or ``outputFileName`` names the path: its log text is chosen by the
job's scenario name when a log kind of that name exists, otherwise by its final status.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote

from gate.simulator.logs import log_kind, log_text
from gate.simulator.scenarios import Step

if TYPE_CHECKING:
    from gate.simulator.server import Exchange, SimulatedJob, Simulator

INTEROP_VERSION = "11.1.2.3.600"
CHUNK_BYTES = 1024 * 1024
NOT_FOUND = {"status": 8, "details": "file not found"}
OCTET_STREAM = "application/octet-stream"
FILE_FIELDS = ("logFileName", "outputFileName")


def normalise(value: object) -> str | None:
    """Return a path as the download API finds it: slashes, from ``outbox/`` on, no leading /."""
    if not isinstance(value, str) or value.strip() in ("", "null"):
        return None
    path = value.strip().replace("\\", "/")
    found = re.search(r"(^|/)(outbox/.*)$", path, re.IGNORECASE)
    return (found.group(2) if found else path).lstrip("/") or None


@dataclass
class SimulatedFile:
    """A file's bytes, given whole or generated: ``size`` bytes of ``line`` repeated."""

    content: bytes = b""
    size: int | None = None
    line: bytes = b"2026-04-30 06:00:00,000 INFO  [AIF]: generated log line\n"
    content_type: str = OCTET_STREAM

    @property
    def length(self) -> int:
        """Return the size of the file in bytes."""
        return len(self.content) if self.size is None else self.size

    def chunks(self) -> Iterator[bytes]:
        """Yield the file in chunks of at most CHUNK_BYTES, generating big files lazily."""
        if self.size is None:
            for start in range(0, len(self.content), CHUNK_BYTES):
                yield self.content[start : start + CHUNK_BYTES]
            return
        block = self.line * max(1, CHUNK_BYTES // len(self.line))
        left = self.size
        while left > 0:
            piece = block[:left]
            left -= len(piece)
            yield piece


@dataclass
class FileStore:
    """Files the simulator serves, scripted failures before them, and purged paths."""

    simulator: Simulator
    files: dict[str, SimulatedFile] = field(default_factory=dict)
    purged: set[str] = field(default_factory=set)
    scripts: dict[str, list[Step]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.simulator.add_route(
            "GET",
            r"/interop/rest/(?P<version>[^/]+)/applicationsnapshots/(?P<name>.+)/contents",
            self._download,
        )

    def put(self, path: str, content: bytes | str, content_type: str = OCTET_STREAM) -> None:
        """Serve ``content`` at ``path`` (as written in EPM, e.g. ``outbox/logs/X.log``)."""
        data = content.encode() if isinstance(content, str) else content
        self.files[path] = SimulatedFile(data, content_type=content_type)

    def put_generated(self, path: str, size: int, line: bytes | None = None) -> None:
        """Serve a file of ``size`` bytes generated while it is sent, never held whole."""
        generated = SimulatedFile(size=size)
        if line:
            generated.line = line
        self.files[path] = generated

    def purge(self, path: str) -> None:
        """Return 404 for ``path`` from now on, as EPM does once it purged an old log."""
        self.purged.add(path)

    def script(self, path: str, *steps: Step) -> None:
        """Respond to the next downloads of ``path`` with these steps, then serve the file."""
        self.scripts.setdefault(path, []).extend(steps)

    def _download(self, exchange: Exchange, match: re.Match[str]) -> None:
        encoded = match.group("name")
        path = unquote(encoded)
        if match.group("version") != INTEROP_VERSION or encoded != quote(path, safe=""):
            exchange.send_json(404, NOT_FOUND)
            return
        with self.simulator.lock:
            script = self.scripts.get(path)
            step = script.pop(0) if script else None
        if step is not None:
            exchange.play(step, None)
            return
        found = None if path in self.purged else self._find(path)
        if found is None:
            exchange.send_json(404, NOT_FOUND)
            return
        exchange.send_stream(200, found.chunks(), found.length, found.content_type)

    def _find(self, path: str) -> SimulatedFile | None:
        if path in self.files:
            return self.files[path]
        with self.simulator.lock:
            jobs = sorted(self.simulator.jobs.values(), key=lambda job: -job.job_id)
        for job in jobs:
            fields = job_file_fields(job)
            if normalise(fields.get("logFileName")) == path:
                return SimulatedFile(job_log(job, fields).encode())
            if normalise(fields.get("outputFileName")) == path:
                return SimulatedFile(
                    f"jobId,rejectedRow\n{job.job_id},E9999;Acct_9000;42\n".encode()
                )
        return None


def job_file_fields(job: SimulatedJob) -> dict[str, Any]:
    """Return the file fields and final state a job reports, as its last answer has them."""
    scenario = job.scenario
    steps = [*scenario.submit, *scenario.polls, scenario.final]
    last = scenario.final if scenario.run_seconds is not None else scenario.polls[-1]
    fields: dict[str, Any] = dict(scenario.job_fields)
    for step in steps:
        fields.update({key: step.fields[key] for key in FILE_FIELDS if key in step.fields})
    for key in FILE_FIELDS:
        if isinstance(fields.get(key), str):
            fields[key] = fields[key].replace("{jobId}", str(job.job_id))
    fields["status"] = last.status
    fields["jobStatus"] = last.job_status
    fields["details"] = last.fields.get("details")
    return fields


def job_log(job: SimulatedJob, fields: dict[str, Any]) -> str:
    """Return the log text of a simulated job."""
    kind = log_kind(job.scenario, fields["status"], fields["jobStatus"])
    return log_text(kind, {"jobId": job.job_id, "jobName": job.name})
