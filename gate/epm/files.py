"""Job files: normalising the paths EPM returns and streaming downloads to disk."""

from __future__ import annotations

import logging
import os
import random
import re
import tempfile
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import requests

from gate.epm.retry import backoff_delay
from gate.epm.session import Answer, EpmSession, Redirected, TransportError

log = logging.getLogger("gate")

# The Migration (interop) REST API serves every file of the environment's inbox and outbox.
INTEROP_FILES = "/interop/rest/11.1.2.3.600/applicationsnapshots"

# Bytes read from the socket and written to disk at a time. Memory use stays near this
# size whatever the file size, and EPM serves up to 1 GB per request.
CHUNK_BYTES = 1024 * 1024
# Maximum error body read into memory, because an error response is never the file.
ERROR_BODY_BYTES = 64 * 1024
# Tries per file, the first included; 429, 5xx and transport errors are retried.
DOWNLOAD_TRIES = 4
# Maximum local file name length in UTF-8 bytes; common file systems allow 255.
MAX_NAME_BYTES = 200

# Characters that Windows forbids in file names, and control characters.
_UNSAFE_CHARACTERS = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f-\x9f]')
_RESERVED_NAMES = re.compile(r"^(con|prn|aux|nul|com\d|lpt\d)(\.|$)", re.IGNORECASE)


def normalise_path(value: object) -> str | None:
    """Return EPM's file path in the form the download API finds, or None for "no file".

    Null, an empty string and the text ``"null"`` mean no file. Backslashes become
    slashes; an absolute server path keeps its part from ``outbox/`` on; otherwise
    leading slashes are dropped.
    """
    if not isinstance(value, str):
        return None
    path = value.strip().replace("\\", "/")
    if path in ("", "null"):
        return None
    outbox = re.search(r"(^|/)(outbox/.*)$", path, re.IGNORECASE)
    if outbox is not None:
        path = outbox.group(2)
    path = path.lstrip("/")
    return path or None


def encode_path(path: str) -> str:
    """Return the whole path as one URL segment: ``outbox/a b.log`` → ``outbox%2Fa%20b.log``."""
    return quote(path, safe="")


def download_path(path: str) -> str:
    """Return the API path that downloads a normalised file path."""
    return f"{INTEROP_FILES}/{encode_path(path)}/contents"


def local_name(path: str, fallback: str) -> str:
    """Return a safe local file name for a server path: its base name, made harmless.

    Server text cannot climb out of the download folder: separators, ``..``, control and
    Windows-reserved characters are replaced, and non-ASCII letters are kept.
    """
    name = unicodedata.normalize("NFC", path.replace("\\", "/").rsplit("/", 1)[-1])
    name = _UNSAFE_CHARACTERS.sub("_", name).strip(" .")
    if not name.strip("_"):
        name = fallback
    if _RESERVED_NAMES.match(name):
        name = "_" + name
    if len(name.encode()) > MAX_NAME_BYTES:
        stem, dot, suffix = name.rpartition(".")
        if not dot or len(suffix) > 16:
            stem, suffix = name, ""
        keep = MAX_NAME_BYTES - len(suffix.encode()) - 1
        stem = stem.encode()[:keep].decode(errors="ignore")
        name = f"{stem}.{suffix}" if suffix else stem
    return name


@dataclass(frozen=True)
class Download:
    """The result of fetching one job file: where it went, or why it did not arrive."""

    kind: str
    remote: str
    local: Path | None = None
    size: int = 0
    warning: str | None = None
    retries: int = 0


class DownloadFailed(Exception):
    """A download response that is not the file; ``transient`` failures are tried again."""

    def __init__(self, reason: str, *, transient: bool, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.transient = transient
        self.retry_after = retry_after


class FileDownloader:
    """Streams job files from EPM into one folder, retrying failures that may pass."""

    def __init__(
        self,
        session: EpmSession,
        directory: Path,
        *,
        base_delay: float,
        max_delay: float,
        sleep: Callable[[float], None],
        rng: random.Random | None = None,
        tries: int = DOWNLOAD_TRIES,
    ) -> None:
        self.session = session
        self.directory = directory
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.sleep = sleep
        self.rng = rng or random.Random()  # noqa: S311 - jitter only
        self.tries = tries

    def fetch(self, kind: str, path: str, name: str) -> Download:
        """Download ``path`` to ``name`` in the folder; failures become a warning."""
        url = self.session.url(download_path(path))
        retries = 0
        while True:
            try:
                target, size = self._try(url, name)
            except DownloadFailed as exc:
                if not exc.transient or retries + 1 >= self.tries:
                    suffix = f" after {retries + 1} tries" if exc.transient else ""
                    warning = _warning(kind, path, exc.reason + suffix)
                    return Download(kind, path, warning=warning, retries=retries)
                retries += 1
                delay = backoff_delay(
                    retries,
                    base=self.base_delay,
                    cap=self.max_delay,
                    retry_after=exc.retry_after,
                    rng=self.rng,
                )
                log.warning(
                    "%s download of %s failed: %s; trying again in %.1fs",
                    kind,
                    path,
                    exc.reason,
                    delay,
                )
                self.sleep(delay)
                continue
            return Download(kind, path, local=target, size=size, retries=retries)

    def _try(self, url: str, name: str) -> tuple[Path, int]:
        response = self._request(url)
        try:
            _check_answer(response)
            return self._save(response, name)
        finally:
            response.close()

    def _request(self, url: str) -> requests.Response:
        """Send the GET; a 401 renews the credentials once and sends it again."""
        try:
            response = self.session.request("GET", url, stream=True)
            if response.status_code == 401 and self.session.auth.renew():
                response.close()
                response = self.session.request("GET", url, stream=True)
        except TransportError as exc:
            raise DownloadFailed(exc.reason, transient=True) from exc
        except Redirected as exc:
            raise DownloadFailed(
                f"redirected to {exc.location}, which was not followed", transient=False
            ) from exc
        return response

    def _save(self, response: requests.Response, name: str) -> tuple[Path, int]:
        """Stream the body to a temporary file in the folder, then rename it into place."""
        target = self.directory / name
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(prefix=".download.", dir=self.directory)
        except OSError as exc:
            response.close()
            raise DownloadFailed(
                f"cannot write into EPM_DOWNLOAD_DIR {self.directory}: "
                f"{exc.strerror or type(exc).__name__}; choose a writable folder",
                transient=False,
            ) from exc
        size = 0
        try:
            with os.fdopen(handle, "wb") as stream:
                for chunk in response.iter_content(CHUNK_BYTES):
                    stream.write(chunk)
                    size += len(chunk)
            os.replace(temporary, target)
        except requests.exceptions.RequestException as exc:
            Path(temporary).unlink(missing_ok=True)
            raise DownloadFailed(
                f"the response was cut off after {size} bytes", transient=True
            ) from exc
        except OSError as exc:
            Path(temporary).unlink(missing_ok=True)
            raise DownloadFailed(
                f"cannot write {target}: {exc.strerror or type(exc).__name__}", transient=False
            ) from exc
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return target, size


def _check_answer(response: requests.Response) -> None:
    """Raise DownloadFailed unless the response is the file itself."""
    code = response.status_code
    content_type = response.headers.get("content-type", "").lower()
    if code == 200 and "json" not in content_type and "html" not in content_type:
        return
    answer = _small_answer(response)
    if code == 200 and "html" in content_type and not answer.is_sign_in_page:
        # An HTML report is a legitimate file; only a sign-in page is not.
        return
    details = f": {answer.details}" if answer.details else ""
    if code == 200 and answer.is_sign_in_page:
        raise DownloadFailed(
            "EPM returned an HTML sign-in page instead of the file", transient=False
        )
    if code == 200:
        raise DownloadFailed(
            f"EPM returned a JSON error instead of the file{details}", transient=False
        )
    if code == 404:
        raise DownloadFailed(f"HTTP 404{details}", transient=False)
    if code == 429 or code >= 500:
        raise DownloadFailed(
            f"HTTP {code}{details}", transient=True, retry_after=answer.retry_after
        )
    if code in (401, 403):
        raise DownloadFailed(
            f"HTTP {code}{details}: the user may lack the Service Administrator role",
            transient=False,
        )
    raise DownloadFailed(f"HTTP {code}{details}", transient=False)


def _small_answer(response: requests.Response) -> Answer:
    """Read at most ERROR_BODY_BYTES of a response that is not the file."""
    body = b""
    try:
        for chunk in response.iter_content(ERROR_BODY_BYTES):
            body += chunk
            if len(body) >= ERROR_BODY_BYTES:
                break
    except requests.exceptions.RequestException:
        pass
    headers = {key.lower(): value for key, value in response.headers.items()}
    text = body[:ERROR_BODY_BYTES].decode(response.encoding or "utf-8", errors="replace")
    return Answer(response.status_code, headers, text, response.url or "")


def _warning(kind: str, path: str, reason: str) -> str:
    """Return the summary warning for a file that did not arrive."""
    if reason.startswith("HTTP 404"):
        return (
            f"{kind} no longer available (HTTP 404): EPM has no file {path} (it purges "
            f"process logs after seven days), so the {kind} was not retrieved"
        )
    return f"{kind} not retrieved: {reason} ({path})"
