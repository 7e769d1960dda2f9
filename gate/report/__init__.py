"""Report writers: the JSON summary, CI step outputs, step summaries and console lines."""
