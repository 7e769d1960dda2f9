"""epm-gate: submit or attach to an Oracle EPM Cloud job, wait for its verdict, report it."""

__version__ = "0.1.0"
