"""JSON's own names for parsed values, for messages about unexpected input."""

from __future__ import annotations

_NAMES = {
    "dict": "object",
    "list": "array",
    "str": "string",
    "int": "number",
    "float": "number",
    "bool": "boolean",
    "NoneType": "null",
}


def json_type_name(value: object) -> str:
    """Return the JSON name of a parsed value's type: object, array, string, null, ..."""
    return _NAMES.get(type(value).__name__, type(value).__name__)
