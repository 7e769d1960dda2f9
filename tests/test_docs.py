"""Docs and the action cannot drift from the settings model and the outputs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

from gate.diagnose import categorise
from gate.settings import SECRET_FIELDS, Settings, env_name, flag_name
from tests.conftest import OUTPUT_NAMES

ROOT = Path(__file__).resolve().parent.parent


def readme_settings() -> dict[str, str]:
    rows = re.findall(
        r"^\| `(EPM_[A-Z_]+)` \| ([^|]+) \|",
        (ROOT / "README.md").read_text(encoding="utf-8"),
        re.MULTILINE,
    )
    return {name: flag.strip() for name, flag in rows}


def test_readme_lists_every_setting_with_its_flag() -> None:
    expected = {
        env_name(field): "(environment only)" if field in SECRET_FIELDS else f"`{flag_name(field)}`"
        for field in Settings.model_fields
    }
    assert readme_settings() == expected


def test_help_lists_every_non_secret_setting() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "gate", "--help"], capture_output=True, text=True, check=True
    )
    for field in Settings.model_fields:
        if field in SECRET_FIELDS:
            assert f"{flag_name(field)} " not in completed.stdout
        else:
            assert flag_name(field) in completed.stdout
            assert f"[{env_name(field)}]" in completed.stdout


def test_version() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "gate", "--version"], capture_output=True, text=True, check=True
    )
    assert re.fullmatch(r"epm-gate \d+\.\d+\.\d+\n", completed.stdout)


def test_action_maps_inputs_to_settings() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    gate_step = next(step for step in action["runs"]["steps"] if step.get("id") == "gate")
    env = gate_step["env"]

    assert gate_step["run"].startswith("exec ")
    assert "${{" not in gate_step["run"]
    for name in action["inputs"]:
        if name == "python-version":
            continue
        variable = "EPM_" + name.replace("-", "_").upper()
        assert env[variable] == f"${{{{ inputs.{name} }}}}"
        assert name.replace("-", "_") in Settings.model_fields


def test_action_has_an_input_per_setting() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    inputs = {name.replace("-", "_") for name in action["inputs"]} - {"python_version"}
    assert inputs == set(Settings.model_fields)


def test_action_declares_every_output() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    assert list(action["outputs"]) == list(OUTPUT_NAMES)
    for name in OUTPUT_NAMES:
        assert action["outputs"][name]["value"] == f"${{{{ steps.gate.outputs.{name} }}}}"


def test_workflows_pin_actions_by_commit() -> None:
    for path in [ROOT / "action.yml", *(ROOT / ".github" / "workflows").glob("*.yml")]:
        for reference in re.findall(r"uses:\s*([^\s#]+)", path.read_text(encoding="utf-8")):
            if reference.startswith("./"):
                continue
            assert re.search(r"@[0-9a-f]{40}$", reference), f"{path.name}: {reference}"


def readme_category_samples() -> list[tuple[str, str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Failure categories", 1)[1].split("\n## ", 1)[0]
    samples = []
    for category, _, typical in re.findall(
        r"^\| `(\w+)` \| (yes|no) \| (.+) \|$", section, re.MULTILINE
    ):
        for sample in re.findall(r"`([^`]+)`", typical):
            samples.append((category, sample.replace("...", "X")))
    return samples


def test_readme_category_samples_match_patterns() -> None:
    samples = readme_category_samples()

    assert len(samples) >= 20
    for category, sample in samples:
        found = categorise([sample])
        assert found is not None, sample
        assert found.category == category, sample
