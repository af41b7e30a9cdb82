"""``http(s)://`` sources: fetched once, here, for every provider.

A URL source is streamed to a temporary local file and the provider is handed a ``file`` Location:
the local provider processes it, the cloud providers upload it to their unique temporary key and
clean that up as they do for any local file. Doing it in the service layer means one size cap, one
timeout policy and one error mapping for all three backends.

Limits, and why:

* Size cap (``--max-source-size``). Images: 20 MB, the OSS image-processing source limit
  (reference ``limitations.md``); a larger image would be refused by the service anyway, after a
  pointless download. Video/audio: 5 GB, the largest object OSS accepts in one ``PutObject``
  (``limitations.md`` gives no media limit: "depends on operation timeout"). The cap is enforced
  twice: a ``Content-Length`` over it is refused before any body byte is read, and without one the
  body is read in bounded pieces and reading stops at cap + 1 bytes, so the body is never read past
  the cap (nor written to disk past it). ``Accept-Encoding: identity`` keeps bytes on the wire equal
  to bytes on disk, so a compressed response cannot inflate past the cap.
* Connect timeout 10 s, read timeout 60 s (per socket read, so a slow but live transfer continues).
* At most 5 redirects.

Errors: 404 and 410 are :class:`NotFound` (exit 4); other HTTP errors, connection failures, timeouts
and redirect loops are :class:`ServiceError` (exit 5) with the HTTP status in the message; an
oversized source is :class:`MediaError` (exit 2: bad input, like any source over the limits). The URL
in every message, and in the result's ``source``, has its query string redacted (it often carries a
signature: :func:`mediaproc.hygiene.redact_url`). The temporary file is removed on success, error and Ctrl-C.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from mediaproc import limits
from mediaproc.errors import MediaError, NotFound, ServiceError, UsageError
from mediaproc.hygiene import human_size, redact, redact_url
from mediaproc.i18n import _
from mediaproc.progress import ProgressCallback, ProgressEvent

if TYPE_CHECKING:
    from mediaproc.ops.model import Chain

MB = 1000 * 1000
GB = 1000 * MB
DEFAULT_MAX_IMAGE = limits.OSS["image_source_bytes"].value  # 20 MB, the OSS image-processing source limit
DEFAULT_MAX_MEDIA = 5 * GB
CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 60.0
MAX_REDIRECTS = 5
CHUNK = 64 * 1024
USER_AGENT = "mediaproc"

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?i?b?)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "k": 1000, "m": MB, "g": GB, "t": 1000 * GB,
          "ki": 1024, "mi": 1024**2, "gi": 1024**3, "ti": 1024**4}


def parse_size(text: str | int | None) -> int | None:
    """``"20MB"``, ``"500k"``, ``"1.5GiB"``, ``"1048576"`` -> bytes (k/M/G are powers of 1000, Ki/Mi/Gi of 1024)."""
    if text is None or isinstance(text, int):
        return text
    m = _SIZE.match(text)
    if not m:
        raise UsageError(
            _("{value!r} is not a size").format(value=text),
            hint=_("write a number of bytes with an optional unit, e.g. 20MB, 500k or 2GiB"),
        )
    unit = (m.group(2) or "").lower().removesuffix("b")
    size = int(float(m.group(1)) * _UNITS[unit])
    if size < 1:
        raise UsageError(_("the size must be at least one byte"), hint=_("e.g. --max-source-size 20MB"))
    return size


def default_max_size(chain: Chain) -> int:
    """The cap for a chain's source: the image limit for image chains, the media limit otherwise."""
    return DEFAULT_MAX_MEDIA if chain.family.is_media else DEFAULT_MAX_IMAGE


def file_name(url: str) -> str:
    """A safe local file name for a URL (its last path segment; the extension matters to engines)."""
    name = PurePosixPath(unquote(urlsplit(url).path)).name
    name = re.sub(r"[^\w.\-]+", "_", name).strip("._")
    return name[:120] or "source"


@dataclass(frozen=True)
class Fetched:
    """A URL source downloaded to a temporary file."""

    path: Path
    size: int
    content_type: str | None
    url: str  # redacted


def _http_error(status: int, shown: str) -> Exception:
    if status in (404, 410):
        return NotFound(
            _("{url} answered HTTP {status}").format(url=shown, status=status),
            hint=_("check the URL; the file is not there (any more)"),
            code=f"HTTP{status}",
            status=status,
        )
    if status in (401, 403):
        hint = _("the server refused access; use a URL that is public or carries its own authorization")
    elif status >= 500:
        hint = _("the server failed; try again later")
    else:
        hint = _("check the URL")
    return ServiceError(
        _("{url} answered HTTP {status}").format(url=shown, status=status),
        hint=hint, code=f"HTTP{status}", status=status,
    )


def _too_large(shown: str, limit: int, size: int | None) -> MediaError:
    if size is not None:
        message = _("{url} is {size}, over the {limit} source limit").format(
            url=shown, size=human_size(size), limit=human_size(limit))
    else:
        message = _("{url} is larger than the {limit} source limit").format(url=shown, limit=human_size(limit))
    return MediaError(
        message,
        hint=_("raise the limit with --max-source-size (e.g. --max-source-size 100MB) if the service accepts it"),
        code="SourceTooLarge",
    )


def _read_capped(resp: Any, fh: Any, limit: int, shown: str, progress: ProgressCallback | None,
                 total: int | None) -> int:
    """Copy the body into ``fh``; never ask the connection for more than ``limit + 1`` bytes in all."""
    done = 0
    label = _("fetch")
    while True:
        want = min(CHUNK, limit + 1 - done)
        try:
            chunk = resp.raw.read(want, decode_content=True)
        except Exception as exc:  # urllib3/http.client read errors: timeouts, resets, bad chunking
            raise ServiceError(
                _("reading {url} failed: {reason}").format(url=shown, reason=_reason(exc)),
                hint=_("check the URL and the network"), code="FetchFailed",
            ) from None
        if not chunk:
            return done
        done += len(chunk)
        if done > limit:
            raise _too_large(shown, limit, None)
        fh.write(chunk)
        if progress is not None:
            progress(ProgressEvent(done, total, "bytes", label))


def fetch(
    url: str,
    dest_dir: Path,
    *,
    max_size: int,
    connect_timeout: float = CONNECT_TIMEOUT,
    read_timeout: float = READ_TIMEOUT,
    max_redirects: int = MAX_REDIRECTS,
    progress: ProgressCallback | None = None,
) -> Fetched:
    """Stream ``url`` into a new file in ``dest_dir`` (see the module docstring for limits and errors)."""
    import requests

    shown = redact_url(url)
    dest = dest_dir / file_name(url)
    session = requests.Session()
    session.max_redirects = max_redirects
    session.trust_env = True  # proxies from the environment, as any HTTP client would
    try:
        try:
            resp = session.get(
                url,
                stream=True,
                timeout=(connect_timeout, read_timeout),
                headers={"Accept-Encoding": "identity", "User-Agent": USER_AGENT},
                allow_redirects=True,
            )
        except requests.TooManyRedirects:
            raise ServiceError(
                _("{url} redirected more than {n} times").format(url=shown, n=max_redirects),
                hint=_("check the URL; it may redirect in a loop"), code="TooManyRedirects",
            ) from None
        except requests.Timeout:
            raise ServiceError(
                _("{url} did not answer within {seconds} s").format(url=shown, seconds=round(connect_timeout)),
                hint=_("check the URL and the network"), code="FetchTimeout",
            ) from None
        except (requests.ConnectionError, requests.RequestException) as exc:
            raise ServiceError(
                _("cannot connect to {url}: {reason}").format(url=shown, reason=_reason(exc)),
                hint=_("check the URL and the network"), code="FetchFailed",
            ) from None
        with resp:
            if resp.status_code >= 400:
                raise _http_error(resp.status_code, shown)
            if resp.status_code >= 300:  # a redirect without a usable Location
                raise ServiceError(
                    _("{url} answered HTTP {status} without a usable redirect").format(
                        url=shown, status=resp.status_code),
                    hint=_("check the URL"), code=f"HTTP{resp.status_code}", status=resp.status_code,
                )
            total = _content_length(resp)
            if total is not None and total > max_size:
                raise _too_large(shown, max_size, total)
            encoded = resp.headers.get("Content-Encoding", "identity").strip().lower() not in ("", "identity")
            with dest.open("wb") as fh:
                size = _read_capped(resp, fh, max_size, shown, progress, None if encoded else total)
            if total is not None and not encoded and size != total:
                raise ServiceError(
                    _("{url} ended after {done} of {total} bytes").format(url=shown, done=size, total=total),
                    hint=_("the transfer was cut short; try again"), code="FetchTruncated",
                )
            return Fetched(dest, size, resp.headers.get("Content-Type"), shown)
    finally:
        session.close()


def _content_length(resp: Any) -> int | None:
    value = resp.headers.get("Content-Length")
    if value is None or resp.headers.get("Transfer-Encoding"):
        return None
    try:
        n = int(value)
    except ValueError:
        return None
    return n if n >= 0 else None


def _reason(exc: BaseException) -> str:
    """A short, secret-free reason: the innermost cause's class and message, without URLs."""
    inner: BaseException = exc
    while inner.__context__ is not None and inner.__context__ is not inner:
        inner = inner.__context__
    text = str(inner) or type(inner).__name__
    return redact(text)[:200]


@contextmanager
def temporary_fetch(
    url: str,
    *,
    max_size: int,
    progress: ProgressCallback | None = None,
    connect_timeout: float = CONNECT_TIMEOUT,
    read_timeout: float = READ_TIMEOUT,
) -> Iterator[Fetched]:
    """Fetch ``url`` into a private temporary folder; the folder is gone when the block exits,
    however it exits (error, Ctrl-C)."""
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="mediaproc-url-"))
    try:
        os.chmod(folder, 0o700)
        yield fetch(url, folder, max_size=max_size, progress=progress,
                    connect_timeout=connect_timeout, read_timeout=read_timeout)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
