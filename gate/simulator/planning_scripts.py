"""Scripted Planning job behaviours: status scenarios, details messages and child jobs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gate.simulator.scenarios import Scenario, job


def message(kind: str, text: str, category: str = "Data Import") -> dict[str, Any]:
    """Return one details message item as Planning sends it."""
    return {"msgType": kind, "msgCategory": category, "msgText": text}


@dataclass
class ChildJob:
    """A per-dimension child job of a metadata import, with its record counts and messages."""

    child_id: int
    dimension: str
    records_read: int
    records_rejected: int
    messages: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class PlanningScript:
    """The behaviour of one Planning job: its status scenario, details and child jobs."""

    scenario: Scenario
    messages: list[dict[str, Any]] = field(default_factory=list)
    children: list[ChildJob] = field(default_factory=list)


def rejected_rows(count: int) -> list[dict[str, Any]]:
    """Return the details of a data import that rejected ``count`` rows, with noise around."""
    items = [message("INFO", "Import of inbox/sales.csv started")]
    for row in range(1, count + 1):
        items.append(
            message("ERROR", f"Row {row}: unknown member 'Acct {4700 + row}' in dimension Account")
        )
        if row % 10 == 0:
            items.append(message("WARNING", f"Row {row}: value rounded to 2 decimals"))
    items.append(message("INFO", f"{count} rows rejected, 958 rows loaded"))
    return items


def builtin_planning_scripts() -> dict[str, PlanningScript]:
    """Return the scripted behaviour of each Planning job type the simulator plays."""
    return {
        "RULES": PlanningScript(
            Scenario(
                "rules",
                "a business rule: runs twice, then completes",
                [job(-1)],
                [job(-1, repeat=2), job(0, details="Rule executed successfully")],
            )
        ),
        "RULESET": PlanningScript(
            Scenario(
                "ruleset",
                "a ruleset: runs three times, then completes",
                [job(-1)],
                [job(-1, repeat=3), job(0)],
            )
        ),
        "CUBE_REFRESH": PlanningScript(
            Scenario(
                "cube-refresh",
                "a cube refresh: runs, then completes",
                [job(-1)],
                [job(-1), job(0, details="Cube refresh completed")],
            )
        ),
        "IMPORT_DATA": PlanningScript(
            Scenario(
                "import-data",
                "an import of data that completes with errors: 42 rows rejected",
                [job(-1)],
                [
                    job(-1),
                    job(0, descriptiveStatus="Completed with Errors", details="42 rows rejected"),
                ],
            ),
            messages=rejected_rows(42),
        ),
        "IMPORT_METADATA": PlanningScript(
            Scenario(
                "import-metadata",
                "an import of metadata whose Account child job rejects two members",
                [job(-1)],
                [job(-1), job(1, details="One or more child jobs have failed")],
            ),
            children=[
                ChildJob(
                    1, "Entity", 8, 0, [message("INFO", "8 members loaded", "Metadata Import")]
                ),
                ChildJob(
                    2,
                    "Account",
                    120,
                    2,
                    [
                        message(
                            "ERROR",
                            "Invalid parent member 'Revenue X' for member 'Acct 5000'",
                            "Metadata Import",
                        ),
                        message(
                            "ERROR",
                            "Invalid parent member 'Revenue X' for member 'Acct 5001'",
                            "Metadata Import",
                        ),
                        message("INFO", "118 members loaded", "Metadata Import"),
                    ],
                ),
            ],
        ),
    }
