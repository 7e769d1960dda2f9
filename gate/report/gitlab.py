"""GitLab CI: the ``artifacts:reports:dotenv`` file that passes the verdict to later jobs.

GitLab reads ``NAME=value`` lines with no quoting, comments, blank lines or multi-line
values. It rejects the whole upload (HTTP 400) above 5 KB or above its variable count
(20 by default on self-managed instances), and it shows the values to anyone who can
view the pipeline. So the gate writes five short ``GATE_*`` scalars and never an
``EPM_*`` name, because a later job running the gate would read that as a setting.
"""

from __future__ import annotations

import re
from pathlib import Path

from gate.atomic import write_atomic
from gate.record import RunRecord
from gate.report.redact import Redactor, strip_controls

DOTENV_LIMIT_BYTES = 5 * 1024
# Maximum length of one value, so the file stays far below the limit with every name present.
VALUE_LIMIT = 200

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def dotenv_values(record: RunRecord) -> dict[str, str]:
    """Return the dotenv variables of a finished run; a value not known is empty."""
    return {
        "GATE_JOB_ID": "" if record.job_id is None else str(record.job_id),
        "GATE_OUTCOME": record.outcome.value if record.outcome else "",
        "GATE_EXIT_CODE": "" if record.exit_code is None else str(record.exit_code),
        "GATE_STATUS": "" if record.status is None else str(record.status),
        "GATE_FAILURE_CATEGORY": record.failure_category,
    }


def render_dotenv(values: dict[str, str], redactor: Redactor) -> str:
    """Return the dotenv text: one ``NAME=value`` line per variable, single-line values.

    Raise ValueError for a name GitLab would reject or pass on as a gate setting, and
    for a file above GitLab's size limit.
    """
    lines = []
    for name, value in values.items():
        if not _NAME.match(name) or name.upper().startswith("EPM_"):
            raise ValueError(f"invalid dotenv variable name {name!r}")
        clean = redactor.scrub(strip_controls(value)).strip()[:VALUE_LIMIT]
        lines.append(f"{name}={clean}\n")
    text = "".join(lines)
    if len(text.encode()) > DOTENV_LIMIT_BYTES:
        raise ValueError(f"dotenv report exceeds GitLab's {DOTENV_LIMIT_BYTES} byte limit")
    return text


def write_dotenv(path: Path, record: RunRecord, redactor: Redactor) -> None:
    """Write the dotenv report atomically, replacing an older one."""
    write_atomic(path, render_dotenv(dotenv_values(record), redactor))
