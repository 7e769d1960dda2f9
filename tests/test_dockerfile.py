"""The container image definition keeps the properties CI cancellation and safety rely on."""

from __future__ import annotations

import json
import re
from pathlib import Path

DOCKERFILE = Path(__file__).resolve().parent.parent / "Dockerfile"


def instructions() -> list[tuple[str, str]]:
    """Return the Dockerfile's instructions as (keyword, arguments), continuations joined."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    lines = [line.strip() for line in text.splitlines()]
    pairs = [line.split(None, 1) for line in lines if line and not line.startswith("#")]
    return [(pair[0].upper(), pair[1] if len(pair) > 1 else "") for pair in pairs]


def final_stage() -> list[tuple[str, str]]:
    steps = instructions()
    last_from = max(index for index, (keyword, _) in enumerate(steps) if keyword == "FROM")
    return steps[last_from:]


def test_entrypoint_exec_form() -> None:
    entrypoints = [args for keyword, args in final_stage() if keyword == "ENTRYPOINT"]
    assert len(entrypoints) == 1
    assert json.loads(entrypoints[0]) == ["epm-gate"]


def test_runs_as_non_root() -> None:
    users = [args for keyword, args in final_stage() if keyword == "USER"]
    assert users
    assert users[-1].split(":")[0] not in ("0", "root")


def test_slim_python_base() -> None:
    default = next(args for keyword, args in instructions() if keyword == "ARG")
    assert re.fullmatch(r"PYTHON_IMAGE=python:3\.\d+-slim(-\w+)?", default)
    assert [args for keyword, args in instructions() if keyword == "FROM"] == [
        "${PYTHON_IMAGE} AS build",
        "${PYTHON_IMAGE}",
    ]


def test_runtime_stage_installs_nothing() -> None:
    runs = " ".join(args for keyword, args in final_stage() if keyword == "RUN")
    for tool in ("pip", "apt-get", "gcc", "build-essential"):
        assert tool not in runs
    copies = [args for keyword, args in final_stage() if keyword == "COPY"]
    assert copies == ["--from=build /opt/epm-gate /opt/epm-gate"]
