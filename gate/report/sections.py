"""Foldable log sections around the run's phases, in each CI platform's own form.

GitHub Actions folds ``::group::`` … ``::endgroup::`` (no nesting), GitLab folds
``section_start`` … ``section_end`` markers and shows their duration, and the classic
Jenkins console folds nothing, so it gets a plain ``==> title`` header line.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

# GitLab section names: letters, digits and ``_`` keep every GitLab version's parser happy.
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9_]")
_ESC_ERASE = "\x1b[0K"


class Sections:
    """Opens and closes one log section at a time on stderr, where the log lines go."""

    def __init__(
        self,
        platform: Callable[[], str],
        clean: Callable[[str], str],
        stream: TextIO | None = None,
    ) -> None:
        self._platform = platform
        self._clean = clean
        self._stream = stream
        self._used_names: set[str] = set()
        self._open = False

    @contextmanager
    def section(self, title: str, name: str, *, collapsed: bool = False) -> Iterator[None]:
        """Fold the lines logged inside the ``with`` block under ``title``.

        ``name`` identifies the section on GitLab. A section opened while another is open
        adds no markers, because GitHub cannot nest groups. The end marker is written in
        a ``finally``, so an error or an interrupt still closes the section.
        """
        platform = self._platform()
        if self._open or platform not in ("github", "gitlab", "jenkins"):
            yield
            return
        title = self._clean(title)
        name = self._unique(name)
        self._open = True
        self._print(_start_line(platform, title, name, collapsed))
        try:
            yield
        finally:
            self._open = False
            end = _end_line(platform, name)
            if end is not None:
                self._print(end)

    def _unique(self, name: str) -> str:
        base = _UNSAFE_NAME.sub("_", name).strip("_") or "epm_gate"
        candidate, counter = base, 1
        while candidate in self._used_names:
            counter += 1
            candidate = f"{base}_{counter}"
        self._used_names.add(candidate)
        return candidate

    def _print(self, line: str) -> None:
        print(line, file=self._stream or sys.stderr, flush=True)


def _start_line(platform: str, title: str, name: str, collapsed: bool) -> str:
    if platform == "github":
        return f"::group::{title}"
    if platform == "gitlab":
        option = "[collapsed=true]" if collapsed else ""
        return f"{_ESC_ERASE}section_start:{int(time.time())}:{name}{option}\r{_ESC_ERASE}{title}"
    return f"==> {title}"


def _end_line(platform: str, name: str) -> str | None:
    if platform == "github":
        return "::endgroup::"
    if platform == "gitlab":
        return f"{_ESC_ERASE}section_end:{int(time.time())}:{name}\r{_ESC_ERASE}"
    return None
