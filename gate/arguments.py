"""Command-line parsing that never echoes an argument, because one may be a secret."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from gate.errors import UsageError
from gate.settings import SECRET_FIELDS, env_name, flag_name


def parse_arguments(parser: argparse.ArgumentParser, args: Sequence[str]) -> dict[str, Any]:
    """Parse the gate's flags; raise UsageError naming unknown flags but no values.

    A secret such as ``--password x`` is rejected with a pointer to its environment
    variable; the value itself appears nowhere, since only option names are reported.
    """
    namespace, extras = parser.parse_known_args(list(args))
    if extras:
        raise UsageError(describe_extras(extras))
    return vars(namespace)


def describe_extras(extras: Sequence[str]) -> list[str]:
    """Return one problem per unknown option, and one for all stray values.

    A value right after an unknown option is taken as that option's value.
    """
    secret_flags = {flag_name(field): field for field in SECRET_FIELDS}
    problems = []
    values = 0
    after_option = False
    for argument in extras:
        if not argument.startswith("-") or argument == "-":
            values += 0 if after_option else 1
            after_option = False
            continue
        option, has_value, _ = argument.partition("=")
        after_option = not has_value
        field = secret_flags.get(option)
        if field is not None:
            variable = env_name(field)
            problems.append(
                f"command line: {option} is not accepted, because secrets on a command line "
                f"show in process lists and CI logs; set {variable} or {variable}_FILE instead"
            )
        else:
            problems.append(f"command line: unrecognized option {option}; see epm-gate --help")
    if values:
        problems.append(
            f"command line: {values} unexpected argument(s), not shown because they may hold "
            "secrets; the gate takes only --option VALUE pairs; see epm-gate --help"
        )
    return problems
