"""The single secret scrubber that every piece of outgoing text passes through."""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, quote_plus

MASK = "***"
# Forms shorter than this many characters are masked as whole words only.
SHORT_SECRET = 8
# Previews and excerpts end with this when they cut text short.
ELLIPSIS = "..."
# Shortest start of a secret masked when a preview cuts the secret short.
MIN_CUT = 3

# C0 and C1 control characters, DEL and ANSI escape sequences. Console lines, step
# summaries and JUnit text drop them, so server text cannot start a new line that a CI
# runner would read as a workflow command, nor recolour or rewrite the log.
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-_]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_PERCENT_HEX = re.compile(r"%[0-9A-F]{2}")


def derived_forms(secret: str) -> set[str]:
    """Return the secret and the encodings in which it may reappear in text.

    Besides the raw value: base64 (a Basic header), percent-encoding as in URLs and forms
    (with upper- and lower-case hex), JSON string escaping (ASCII-only or not), and HTML
    escaping, as in a sign-in page that echoes a submitted value.
    """
    url_forms = {quote(secret, safe=""), quote_plus(secret)}
    url_forms |= {_PERCENT_HEX.sub(lambda match: match.group().lower(), form) for form in url_forms}
    forms = {secret, *url_forms}
    forms |= {json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]}
    forms |= {html.escape(secret), html.escape(secret, quote=False)}
    forms.add(base64.b64encode(secret.encode()).decode())
    # UTF-8 bytes read as Latin-1, as a client that assumes HTTP's old default shows them.
    forms.add(secret.encode().decode("latin-1"))
    return {form for form in forms if form}


class Redactor:
    """Knows every secret of the run and removes each, in all its forms, from text.

    ``on_new`` is called once per new form, so that GitHub can mask it before any
    other output could contain it.
    """

    def __init__(self, on_new: Callable[[str], None] | None = None) -> None:
        self._forms: set[str] = set()
        self._ordered: list[str] = []
        self.on_new = on_new

    def add(self, secret: str | None) -> None:
        """Register a secret (password, token, header value) and its derived forms."""
        if not secret:
            return
        new = derived_forms(secret) - self._forms
        if not new:
            return
        self._forms |= new
        # Longest first, so that "Basic <base64>" is replaced before its parts.
        self._ordered = sorted(self._forms, key=len, reverse=True)
        if self.on_new is not None:
            for form in sorted(new, key=len, reverse=True):
                self.on_new(form)

    @property
    def secrets(self) -> list[str]:
        """Return every registered form, longest first."""
        return list(self._ordered)

    def scrub(self, text: str) -> str:
        """Return the text with every secret form replaced by ``***``.

        A form cut short right before ``...`` (a body preview that ends inside a secret)
        is masked too.
        """
        for form in self._ordered:
            if form not in text:
                continue
            if len(form) < SHORT_SECRET:
                # A short secret is masked only as a whole word, so that a password
                # such as "job" leaves "jobId" and the gate's own words readable.
                pattern = rf"(?<![A-Za-z0-9]){re.escape(form)}(?![A-Za-z0-9])"
                text = re.sub(pattern, MASK, text)
            else:
                text = text.replace(form, MASK)
        if ELLIPSIS in text:
            text = self._scrub_cut(text)
        return text

    def _scrub_cut(self, text: str) -> str:
        for form in self._ordered:
            for length in range(len(form) - 1, MIN_CUT - 1, -1):
                cut = form[:length] + ELLIPSIS
                if cut in text:
                    text = text.replace(cut, MASK + ELLIPSIS)
        return text

    def scrub_data(self, value: Any) -> Any:
        """Return a copy of JSON-like data with secrets removed from keys and strings."""
        if isinstance(value, str):
            return self.scrub(value)
        if isinstance(value, dict):
            return {self.scrub(str(k)): self.scrub_data(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.scrub_data(item) for item in value]
        return value

    def line(self, text: str) -> str:
        """Return a single console line: scrubbed, without ANSI or control characters."""
        return strip_controls(self.scrub(text))


def strip_controls(text: str, *, keep_newlines: bool = False) -> str:
    """Remove ANSI sequences and control characters; optionally keep line breaks."""
    text = _ANSI.sub("", text)
    if keep_newlines:
        text = text.replace("\r\n", "\n")
        return "\n".join(_CONTROL.sub(" ", part).rstrip() for part in text.split("\n"))
    return _CONTROL.sub(" ", text)
