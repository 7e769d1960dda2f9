"""Planning's Retrieve Job Status Details: ERROR messages and record counts, paged and bounded."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests

from gate.epm.session import EpmSession, Redirected, TransportError
from gate.epm.status import parse_int

log = logging.getLogger("gate")

# Job types whose details Oracle documents (Retrieve Job Status Details); other types
# are requested only when their status response links a ``job-details`` resource.
DETAILS_JOB_TYPES = frozenset({"IMPORT_DATA", "EXPORT_DATA", "IMPORT_METADATA", "EXPORT_METADATA"})

# Oracle's filter for error messages; without it EPM returns ERROR, WARNING and INFO.
ERROR_FILTER = json.dumps({"messageType": "ERROR"}, separators=(",", ":"))

# Items requested per page. Oracle's default is 25 and it documents no maximum, so the
# reader advances by the number of items actually returned, not by this value.
PAGE_LIMIT = 100
# Bounds of one run's details reading, parent and child jobs together: pages requested,
# bytes of responses read, child jobs followed and message lines kept.
MAX_PAGES = 40
MAX_BYTES = 2_000_000
MAX_CHILD_JOBS = 20
MAX_MESSAGES = 500
MAX_CHILDREN_LISTED = 100
MAX_MESSAGE_CHARS = 1000

_CHILD_ID = re.compile(r"/childjobs/([^/?#]+)/details")
_RECORD_COUNTS = ("recordsRead", "recordsRejected", "recordsProcessed")


@dataclass
class JobMessages:
    """Messages and record counts from the details of a job and of its child jobs.

    ``lines`` are the ERROR messages and rejected-record counts as text, ``children``
    the child jobs (per-dimension loads) as EPM describes them, ``rejected_records``
    the sum of their ``recordsRejected`` when EPM stated any.
    """

    lines: list[str] = field(default_factory=list)
    children: list[dict[str, Any]] = field(default_factory=list)
    rejected_records: int | None = None
    warnings: list[str] = field(default_factory=list)
    truncated: bool = False


def with_page(url: str, offset: int, limit: int) -> str:
    """Return the details URL with the ERROR filter and one page's offset and limit."""
    parts = urlsplit(url)
    query = [
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if key not in ("q", "offset", "limit")
    ]
    query += [("q", ERROR_FILTER), ("offset", str(offset)), ("limit", str(limit))]
    return urlunsplit(parts._replace(query=urlencode(query)))


class DetailsReader:
    """Reader of details resources, page by page until EPM reports no more, within bounds."""

    def __init__(
        self,
        session: EpmSession,
        *,
        max_pages: int = MAX_PAGES,
        max_bytes: int = MAX_BYTES,
        page_limit: int = PAGE_LIMIT,
    ) -> None:
        self.session = session
        self.max_pages = max_pages
        self.max_bytes = max_bytes
        self.pages_left = max_pages
        self.bytes_left = max_bytes
        self.page_limit = page_limit
        self.messages = JobMessages()
        self.child_links: list[tuple[str, str | None]] = []

    def read(self, url: str, label: str | None = None) -> None:
        """Read every page of one details resource; ``label`` names a child job's dimension."""
        offset = 0
        while not self.messages.truncated:
            if len(self.messages.lines) >= MAX_MESSAGES:
                self._cut(f"kept the first {MAX_MESSAGES} messages")
                return
            if self.pages_left <= 0 or self.bytes_left <= 0:
                self._cut(
                    f"read the limit of {self.max_pages} pages or {self.max_bytes} bytes of details"
                )
                return
            body = self._get_page(with_page(url, offset, self.page_limit))
            if body is None:
                return
            items = body.get("items")
            items = items if isinstance(items, list) else []
            for item in items:
                if isinstance(item, dict):
                    self._take(item, label)
            if not items or not _has_more(body, offset, len(items), self.page_limit):
                return
            offset += len(items)

    def _get_page(self, url: str) -> dict[str, Any] | None:
        """GET one page; a failure becomes a warning, since details never change the verdict."""
        self.pages_left -= 1
        try:
            response = self.session.request("GET", url, stream=True)
            if response.status_code == 401 and self.session.auth.renew():
                response.close()
                response = self.session.request("GET", url, stream=True)
            code = response.status_code
            text, cut = self._read_bounded(response)
        except TransportError as exc:
            self.warn(f"job details could not be read: {exc.reason}")
            return None
        except Redirected as exc:
            self.warn(f"job details could not be read: redirected to {exc.location}, not followed")
            return None
        if cut:
            self._cut(f"read the limit of {self.max_bytes} bytes of details")
            return None
        if code != 200:
            preview = " ".join(text.split())[:200]
            self.warn(f"job details could not be read: HTTP {code} {preview}".rstrip())
            return None
        try:
            body = json.loads(text)
        except ValueError:
            self.warn("job details could not be read: the response is not JSON")
            return None
        if not isinstance(body, dict):
            self.warn("job details could not be read: the response is not a JSON object")
            return None
        return body

    def _read_bounded(self, response: requests.Response) -> tuple[str, bool]:
        """Return the body as text and whether it passed the remaining byte budget."""
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in response.iter_content(chunk_size=65536):
                chunks.append(chunk)
                size += len(chunk)
                if size > self.bytes_left:
                    self.bytes_left = 0
                    return "", True
        except requests.exceptions.RequestException as exc:
            raise TransportError(f"response cut off: {exc}", sent=True) from exc
        finally:
            response.close()
        self.bytes_left -= size
        return b"".join(chunks).decode(response.encoding or "utf-8", errors="replace"), False

    def _take(self, item: dict[str, Any], label: str | None) -> None:
        """Keep one item: an ERROR message, or a child job's record counts and link."""
        text = _message_text(item)
        if text is not None:
            kind = item.get("msgType", item.get("messageType"))
            if isinstance(kind, str) and kind.strip().upper() != "ERROR":
                return  # EPM ignored the filter; only errors explain a failure
            category = item.get("msgCategory")
            where = f"{label}: " if label else ""
            head = f"ERROR [{category}]" if isinstance(category, str) and category else "ERROR"
            self._add_line(f"{head} {where}{text}")
            return
        if not any(key in item for key in _RECORD_COUNTS) and _child_link(item) is None:
            return
        self._take_child(item)

    def _take_child(self, item: dict[str, Any]) -> None:
        if len(self.messages.children) >= MAX_CHILDREN_LISTED:
            self._cut(f"listed the first {MAX_CHILDREN_LISTED} child jobs")
            return
        child = {key: value for key, value in item.items() if key != "links"}
        link = _child_link(item)
        match = _CHILD_ID.search(link or "")
        if match:
            child.setdefault("childJobId", match.group(1))
        self.messages.children.append(child)

        name = _name_of(item)
        rejected = parse_int(item.get("recordsRejected"))
        if rejected is not None:
            self.messages.rejected_records = (self.messages.rejected_records or 0) + rejected
        if rejected:
            counts = ", ".join(
                f"{key.removeprefix('records').lower()} {item[key]}"
                for key in ("recordsRead", "recordsProcessed")
                if key in item
            )
            self._add_line(
                f"ERROR {name + ': ' if name else ''}records rejected: {rejected}"
                + (f" ({counts})" if counts else "")
            )
        # A child without rejected records has nothing to explain, but one without counts may.
        if link is not None and rejected != 0:
            self.child_links.append((link, name))

    def _add_line(self, line: str) -> None:
        if len(self.messages.lines) >= MAX_MESSAGES:
            self._cut(f"kept the first {MAX_MESSAGES} messages")
            return
        flat = " ".join(line.split())
        if len(flat) > MAX_MESSAGE_CHARS:
            flat = flat[:MAX_MESSAGE_CHARS] + "..."
        self.messages.lines.append(flat)

    def _cut(self, reason: str) -> None:
        if not self.messages.truncated:
            self.messages.truncated = True
            self.warn(f"job details were cut short: {reason}")

    def warn(self, text: str) -> None:
        """Log a problem with the details and keep it for the summary's warnings."""
        log.warning("%s", text)
        self.messages.warnings.append(text)


def _has_more(body: dict[str, Any], offset: int, count: int, limit: int) -> bool:
    """Tell whether another page follows: ``hasMore``, else ``totalResults``, else a full page."""
    has_more = body.get("hasMore")
    if isinstance(has_more, str):
        has_more = {"true": True, "false": False}.get(has_more.strip().lower())
    if isinstance(has_more, bool):
        return has_more
    total = parse_int(body.get("totalResults"))
    if total is not None:
        return offset + count < total
    return count >= limit


def _message_text(item: dict[str, Any]) -> str | None:
    for key in ("msgText", "messageText", "message"):
        value = item.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _name_of(item: dict[str, Any]) -> str | None:
    for key in ("dimensionName", "loadType"):
        value = item.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _child_link(item: dict[str, Any]) -> str | None:
    links = item.get("links")
    if not isinstance(links, list):
        return None
    for entry in links:
        if isinstance(entry, dict) and entry.get("rel") == "child-job-details":
            href = entry.get("href")
            if isinstance(href, str) and href.strip():
                return href.strip()
    return None
