"""Collecting a finished job: its log and output files, the diagnosis, the child jobs.

Nothing here changes the job's verdict: a file that cannot be fetched is a warning.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from gate.children import find_children, has_children
from gate.epm.files import FileDownloader, local_name, normalise_path
from gate.epm.session import EpmSession
from gate.epm.status import JobState
from gate.outcome import Outcome
from gate.record import RunRecord
from gate.settings import Settings

log = logging.getLogger("gate")

# Maximum log line length read at once; the rest of a longer line is skipped, so that a log
# without line breaks cannot fill memory.
MAX_READ_LINE_BYTES = 64 * 1024
# Maximum bytes of a log read for diagnosis and child jobs. Of a longer log the end is
# read, where the failure that ended the job is written (64 MiB took about 1 s to scan
# in benchmarks/download_memory.py --status 1).
MAX_SCAN_BYTES = 64 * 1024 * 1024


def read_log_lines(path: Path | None, max_bytes: int = MAX_SCAN_BYTES) -> Iterator[str]:
    """Yield the lines of a downloaded log as text, each at most MAX_READ_LINE_BYTES long.

    Of a log longer than ``max_bytes`` only its last ``max_bytes`` are read.
    """
    if path is None:
        return
    try:
        with path.open("rb") as stream:
            size = path.stat().st_size
            if size > max_bytes:
                # NOTE: errors written only before the last max_bytes of a log are not seen.
                log.info("the job log has %d bytes; diagnosis reads its last %d", size, max_bytes)
                stream.seek(size - max_bytes)
                _skip_rest_of_line(stream)
            while True:
                line = stream.readline(MAX_READ_LINE_BYTES)
                if not line:
                    return
                if not line.endswith(b"\n") and len(line) == MAX_READ_LINE_BYTES:
                    _skip_rest_of_line(stream)
                yield line.decode("utf-8", errors="replace")
    except OSError as exc:
        log.warning("cannot read the job log %s: %s", path, exc.strerror or exc)


def _skip_rest_of_line(stream: BinaryIO) -> None:
    while True:
        part = stream.readline(MAX_READ_LINE_BYTES)
        if not part or part.endswith(b"\n"):
            return


class Collector:
    """Fetches a terminal job's files and fills the record's failure and children."""

    def __init__(
        self,
        settings: Settings,
        record: RunRecord,
        session: EpmSession,
        *,
        warn: Callable[[str], None],
        sleep: Callable[[float], None],
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self.record = record
        self.warn = warn
        self.downloader = FileDownloader(
            session,
            settings.download_dir,
            base_delay=settings.poll_interval,
            max_delay=settings.poll_max_interval,
            sleep=sleep,
            rng=rng,
        )

    def collect(self, state: JobState) -> None:
        """Download the files of a terminal job, then diagnose it and list its children."""
        log_path = self.download(state)
        record = self.record
        if record.outcome is not None and record.outcome is not Outcome.SUCCESS:
            # Imported only for a failed job, so a successful run starts faster.
            from gate.diagnose import diagnose

            texts = [state.details, state.descriptive_status, state.job_status]
            record.failure = diagnose(
                record.outcome, record.message, texts, read_log_lines(log_path)
            )
        if has_children(record.job_type, state.raw.get("processType")):
            record.children = find_children(state.details, read_log_lines(log_path))
            if record.children:
                log.info(
                    "job %s names %d child jobs or stages", record.job_id, len(record.children)
                )

    def download(self, state: JobState) -> Path | None:
        """Fetch the files that EPM_DOWNLOAD selects; return the local log, if it arrived."""
        log_path: Path | None = None
        used: set[str] = set()
        for kind in self.settings.download:
            remote = normalise_path(state.log_file if kind == "log" else state.output_file)
            if remote is None:
                continue
            name = local_name(remote, f"job_{self.record.job_id}_{kind}")
            if name in used:
                name = f"{kind}_{name}"
            used.add(name)
            result = self.downloader.fetch(kind, remote, name)
            self.record.retries += result.retries
            if result.local is None:
                assert result.warning is not None
                self.record.warnings.append(result.warning)
                self.warn(result.warning)
                continue
            saved_as = self.settings.download_dir / name
            self.record.files[kind] = str(saved_as)
            log.info("%s file %s saved as %s (%d bytes)", kind, remote, saved_as, result.size)
            if kind == "log":
                log_path = result.local
        return log_path
