"""Back-off delays and Retry-After parsing for requests that may be repeated."""

from __future__ import annotations

import email.utils
import random
import time

# Longest Retry-After the gate honours as given; a larger value is capped, so that a
# misconfigured proxy cannot stall a run for hours.
MAX_RETRY_AFTER = 600.0


def backoff_delay(
    failures: int,
    *,
    base: float,
    cap: float,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> float:
    """Return the wait in seconds before the next try after ``failures`` failures in a row.

    Exponential from ``base``, capped at ``cap``, with "equal jitter" (half fixed, half
    random) so that parallel gates do not retry in step. A server's Retry-After is a
    lower bound, itself capped at MAX_RETRY_AFTER.
    """
    rng = rng or random.Random()  # noqa: S311 - jitter, not security material
    exponent = min(max(failures - 1, 0), 30)
    ceiling = min(cap, base * (2**exponent))
    delay = ceiling / 2 + rng.uniform(0, ceiling / 2)
    if retry_after is not None:
        delay = max(delay, min(retry_after, MAX_RETRY_AFTER))
    return float(delay)


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Return a Retry-After header (delta seconds or an HTTP date) as seconds from now."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)
