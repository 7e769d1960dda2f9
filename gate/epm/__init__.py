"""The EPM side of the gate: HTTP session, job APIs, job status parsing and payloads."""
