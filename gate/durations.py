"""Parse the duration settings: plain seconds (``90``, ``0.5``) or ``90s``, ``45m``, ``2h``."""

from __future__ import annotations

import math
import re

_DURATION = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*([smh]?)\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0}

DURATION_HINT = "expected seconds such as 90 or 0.5, or a number with s, m or h such as 45m or 2h"


def parse_duration(value: object) -> float:
    """Return the duration in seconds; raise ValueError naming the accepted forms."""
    if isinstance(value, bool):
        raise ValueError(DURATION_HINT)
    if isinstance(value, (int, float)):
        seconds = float(value)
    elif isinstance(value, str):
        match = _DURATION.match(value)
        if match is None:
            raise ValueError(DURATION_HINT)
        seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()]
    else:
        raise ValueError(DURATION_HINT)
    if not math.isfinite(seconds) or seconds <= 0:
        raise ValueError("expected a duration greater than zero")
    return seconds


def format_duration(seconds: float) -> str:
    """Render seconds for people: ``4.2s``, ``12m05s``, ``2h00m``."""
    if seconds < 60:
        return f"{seconds:.1f}s" if seconds < 10 else f"{seconds:.0f}s"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{secs:02d}s"
