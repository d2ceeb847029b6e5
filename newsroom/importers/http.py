"""Bounded reads of whatever a source serves: an http(s) URL or a local file.

Every failure becomes ``ImportFailed`` with a sentence an editor can act on; nothing
here raises a library's exception upward. Limits come from settings (README "Article
sources"): connect/read timeouts, a deadline for the whole response, and a size cap that
is checked while streaming, so a 50 MB (or endless) body costs at most the cap.
"""

import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import requests
import urllib3
from django.conf import settings

from newsroom.importers.base import ImportFailed

CHUNK = 64 * 1024
USER_AGENT = "Nashra/1.0 (newsletter article import)"


@dataclass
class Fetched:
    body: bytes = b""
    status: int = 200
    headers: dict = field(default_factory=dict)  # lower-cased names
    url: str = ""

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def is_local(location: str) -> bool:
    return location.startswith("file://") or "://" not in location


def local_path(location: str) -> Path:
    return Path(unquote(urlsplit(location).path)) if location.startswith("file://") else Path(location)


def megabytes(n: int) -> str:
    return f"{n / (1024 * 1024):g} MB"


def fetch(location: str, *, params: dict | None = None, headers: dict | None = None) -> Fetched:
    """GET ``location`` (or read the file), bounded by the import limits."""
    if is_local(location):
        return read_file(local_path(location))
    return get(location, params=params, headers=headers)


def read_file(path: Path) -> Fetched:
    limit = settings.IMPORT_MAX_BYTES
    try:
        with path.open("rb") as f:
            body = f.read(limit + 1)
    except FileNotFoundError:
        raise ImportFailed(f"no such file: {path}") from None
    except OSError as exc:
        raise ImportFailed(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(body) > limit:
        raise ImportFailed(f"{path} is larger than {megabytes(limit)}")
    return Fetched(body=body, url=str(path))


def get(url: str, *, params: dict | None = None, headers: dict | None = None) -> Fetched:
    limit = settings.IMPORT_MAX_BYTES
    timeout = (settings.IMPORT_CONNECT_TIMEOUT, settings.IMPORT_READ_TIMEOUT)
    deadline = time.monotonic() + settings.IMPORT_RESPONSE_DEADLINE
    try:
        with requests.get(
            url,
            params=params,
            headers={"User-Agent": USER_AGENT, **(headers or {})},
            timeout=timeout,
            stream=True,
        ) as response:
            where = response.url
            if response.status_code == 304:
                return Fetched(status=304, headers=lower(response.headers), url=where)
            if response.status_code >= 400:
                raise ImportFailed(
                    f"{where} answered HTTP {response.status_code} {response.reason or ''}".strip()
                )
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > limit:
                raise ImportFailed(f"{where} is larger than {megabytes(limit)} ({megabytes(int(declared))})")
            body = bytearray()
            # read1 returns as soon as some bytes arrive (a plain read waits for a whole
            # chunk), so the deadline is checked however slowly the server drips.
            while chunk := response.raw.read1(CHUNK, decode_content=True):
                body += chunk
                if len(body) > limit:
                    raise ImportFailed(f"{where} sent more than {megabytes(limit)}; stopped reading")
                if time.monotonic() > deadline:
                    raise ImportFailed(
                        f"{where} took longer than {settings.IMPORT_RESPONSE_DEADLINE}s to send its answer"
                    )
            return Fetched(
                body=bytes(body), status=response.status_code, headers=lower(response.headers), url=where
            )
    except requests.ConnectTimeout:
        raise ImportFailed(f"{url}: no connection within {settings.IMPORT_CONNECT_TIMEOUT}s") from None
    except (requests.RequestException, urllib3.exceptions.HTTPError) as exc:
        # Mid-body, urllib3's own errors surface (read1 is urllib3's); say what happened.
        if isinstance(exc, (requests.ReadTimeout, urllib3.exceptions.ReadTimeoutError)) or "timed out" in str(
            exc
        ):
            raise ImportFailed(
                f"{url}: no answer within {settings.IMPORT_READ_TIMEOUT}s (timed out)"
            ) from None
        if isinstance(exc, (requests.exceptions.ChunkedEncodingError, urllib3.exceptions.ProtocolError)):
            raise ImportFailed(f"{url}: the connection broke off mid-answer") from None
        if isinstance(exc, requests.ConnectionError):
            raise ImportFailed(f"{url}: could not connect ({reason(exc)})") from None
        raise ImportFailed(f"{url}: {reason(exc)}") from None


def lower(headers) -> dict:
    return {k.lower(): v for k, v in headers.items()}


def reason(exc: Exception) -> str:
    """The innermost cause, without the library's object reprs."""
    while exc.__cause__ or exc.__context__:
        exc = exc.__cause__ or exc.__context__
    return f"{exc.__class__.__name__}: {exc}"[:300]
