"""The provider interface: one small core, three backends (local, oss, cos).

A provider turns a :class:`ProcessRequest` (a validated chain, a source and a destination) into a
:class:`~mediaproc.results.ProcessResult`, and offers the object operations the CLI needs. It never
prints and never returns SDK objects. Cloud SDKs are imported inside the provider's methods or its
module, and the module is only imported through :func:`mediaproc.providers.get_provider` (a lazy
registry keyed by dotted path), so ``--help`` and completion import no SDK.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from pathlib import Path

from mediaproc import TYPE_CHECKING
from mediaproc.errors import MediaprocError, UnsupportedOperation, UsageError
from mediaproc.i18n import _
from mediaproc.location import Location
from mediaproc.progress import ProgressCallback
from mediaproc.record import Record

if TYPE_CHECKING:  # types only: a one-shot run needs no object options or stored styles
    from typing import ClassVar, TypeVar

    from mediaproc.config import Settings
    from mediaproc.jobs import Job
    from mediaproc.location import Position
    from mediaproc.objectopts import ObjectOptions
    from mediaproc.ops.model import Chain
    from mediaproc.providers.local.styles import StoredStyle
    from mediaproc.results import ObjectInfo, ProcessResult

    P = TypeVar("P", bound="Provider")


def written_format(path: Path) -> str | None:
    """The image format of a file just written, read from its bytes (never from its name); None for
    a destination that is not a regular file (``/dev/null``, a named pipe: reading it back would
    block or read nothing)."""
    from mediaproc.ops.destination import sniff_format

    try:
        if not path.is_file():
            return None
        with path.open("rb") as fh:
            return sniff_format(fh.read(32))
    except OSError:
        return None


class WrittenImage(Record):
    """What a result file is, read back from its bytes: its image format and stored size (all None
    for a file that is not an image, e.g. a playlist or a video)."""

    format: str | None
    width: int | None
    height: int | None


def written_image(path: Path) -> WrittenImage:
    """:class:`WrittenImage` of a file just written, so every provider reports a saved image alike
    (the local engine knows the size it wrote; a cloud's bytes are read back). JPEG and PNG from a
    plain-Python header read; other image formats from libvips' header (no pixels decoded)."""
    fmt = written_format(path)
    if fmt is None:
        return WrittenImage(None, None, None)
    from mediaproc.engine.image.header import read_header

    head = read_header(path)
    if head is not None:
        return WrittenImage(fmt, head.width, head.height)
    try:
        import pyvips

        img = pyvips.Image.new_from_file(str(path))
        return WrittenImage(fmt, int(img.width), int(img.height))
    except Exception:  # a result libvips cannot read still has a format
        return WrittenImage(fmt, None, None)


def copy_ranges(size: int, part_size: int) -> list[tuple[int, int]]:
    """The inclusive byte ranges of a multipart copy (UploadPartCopy on OSS, Upload Part - Copy on
    COS): parts of ``part_size`` bytes, the last one shorter; both clouds allow 10,000 parts, so the
    part grows when the object needs more."""
    part = max(part_size, -(-size // MAX_PARTS))
    return [(start, min(start + part, size) - 1) for start in range(0, size, part)]


# Wire facts both clouds share, read by both providers, the local store serve runs on, and the services:
MAX_PARTS = 10_000  # parts of one multipart upload, OSS and COS alike (part numbers 1-10,000)
# keys one batched delete takes: OSS DeleteMultipleObjects (help.aliyun.com/document_detail/31983.html),
# COS DELETE Multiple Objects (cloud.tencent.com/document/product/436/8289): at most 1,000 each
MAX_DELETE_KEYS = 1_000
# keys one listing page holds at most: OSS ListObjects(V2) max-keys and COS GET Bucket max-keys, 1-1,000
MAX_LIST_KEYS = 1_000
# the largest object one PUT takes: OSS PutObject and COS PUT Object, 5 GiB; larger ones go in parts
MAX_PUT_BYTES = 5 * 1024**3


def no_destination(chain: Chain) -> UsageError:
    """The refusal of a chain that writes a result with nowhere to write it: the services refuse it
    before any work, and a provider called directly refuses it the same way."""
    return UsageError(
        _("{name} writes a result, but no destination was given").format(name=chain[-1].name),
        hint=_("add --to FILE (or --to oss://BUCKET/KEY to save in the bucket, or --url)"),
    )


def at_key(prefix: Location, key: str) -> Location:
    """The object (or, locally, the file) ``key`` beside ``prefix``: listings name keys, calls take
    locations."""
    if prefix.is_object:
        return Location(scheme=prefix.scheme, bucket=prefix.bucket, key=key)
    return Location(scheme="file", path=Path(key))


class ConcatInput(Record):
    """One extra input of video/audio concat: before (``pre``) or after (``sur``) the source."""

    location: Location
    position: Position = "sur"
    ss: int | None = None  # start, ms
    t: int | None = None  # duration, ms


class ProcessRequest(Record):
    """One processing request to a provider: source, chain, destination and how to run it."""

    source: Location
    chain: Chain
    destination: Location | None = None  # None: JSON result only (info, detection, ...)
    inputs: tuple[ConcatInput, ...] = ()
    wait: bool = True
    timeout: float | None = None
    expires: int = 3600  # signed URL lifetime, seconds
    notify_topic: str | None = None
    # --url of a result the cloud must save first (OSS blind watermark): the object it is kept as
    # (None: the provider's default beside the source)
    save_as: Location | None = None
    overwrite: bool = True
    # Set by batch mode on Ctrl-C: local work in progress stops (a cloud job is never cancelled by it).
    cancel: threading.Event | None = None


class Provider(ABC):
    """Base class. Subclasses set ``name`` and implement what their backend can do."""

    name: ClassVar[str] = "base"
    cancels_jobs: ClassVar[bool] = True  # whether `mediaproc job cancel` can stop this backend's jobs

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    # -- processing -------------------------------------------------------------------------
    @abstractmethod
    def process(self, request: ProcessRequest, progress: ProgressCallback | None = None) -> ProcessResult:
        """Run a chain; waits for async jobs when ``request.wait`` (raises TimedOut / JobFailed)."""

    def job(self, task_id: str) -> Job:
        raise UnsupportedOperation(
            _("the {provider} provider has no job queue to look up {task_id!r}").format(
                provider=self.name, task_id=task_id))

    # -- objects ----------------------------------------------------------------------------
    def upload(
        self, local: Path, dest: Location, progress: ProgressCallback | None = None,
        options: ObjectOptions | None = None,
    ) -> ObjectInfo:
        """Store ``local`` at ``dest``; ``options`` (ACL, storage class, metadata, headers, Content-MD5,
        traffic limit) were checked for this provider by ``ObjectOptions.check``."""
        raise UnsupportedOperation(_("upload is not available on the {provider} provider").format(provider=self.name))

    def download(self, src: Location, local: Path, progress: ProgressCallback | None = None) -> ObjectInfo:
        raise UnsupportedOperation(_("download is not available on the {provider} provider").format(provider=self.name))

    def head(self, loc: Location) -> ObjectInfo:
        raise UnsupportedOperation(_("head is not available on the {provider} provider").format(provider=self.name))

    def list_objects(self, prefix: Location, *, recursive: bool = True) -> Iterator[ObjectInfo]:
        raise UnsupportedOperation(_("listing is not available on the {provider} provider").format(provider=self.name))

    def delete(self, loc: Location) -> None:
        raise UnsupportedOperation(_("delete is not available on the {provider} provider").format(provider=self.name))

    def delete_many(self, prefix: Location, keys: Sequence[str]) -> dict[str, MediaprocError]:
        """Delete ``keys`` (as ``list_objects`` named them) and return the ones that failed, with
        why. The clouds override this with their batched call (1,000 keys a request); this
        fallback deletes one at a time."""
        failed: dict[str, MediaprocError] = {}
        for key in keys:
            try:
                self.delete(at_key(prefix, key))
            except MediaprocError as exc:
                failed[key] = exc
        return failed

    def copy(self, src: Location, dst: Location) -> ObjectInfo:
        """Server-side copy of one object within this provider (no byte passes through here);
        objects past the cloud's single-copy limit are copied part by part."""
        raise UnsupportedOperation(_("copy is not available on the {provider} provider").format(provider=self.name))

    def sign(self, loc: Location, *, expires: int = 3600, process: str | None = None) -> str:
        raise UnsupportedOperation(
            _("signed URLs are not available on the {provider} provider").format(provider=self.name))

    # -- styles (OSS bucket styles, COS image styles, the local style book) --------------------------
    # ``content`` is the provider's stored form (mediaproc.ops.stylebook); a missing style is
    # mediaproc.ops.styles.missing (NotFound, exit 4).
    def put_style(self, bucket: str, name: str, content: str) -> None:
        raise UnsupportedOperation(_("styles are not available on the {provider} provider").format(provider=self.name))

    def get_style(self, bucket: str, name: str) -> StoredStyle:
        raise UnsupportedOperation(_("styles are not available on the {provider} provider").format(provider=self.name))

    def list_styles(self, bucket: str) -> list[StoredStyle]:
        raise UnsupportedOperation(_("styles are not available on the {provider} provider").format(provider=self.name))

    def delete_style(self, bucket: str, name: str) -> None:
        raise UnsupportedOperation(_("styles are not available on the {provider} provider").format(provider=self.name))

    def close(self) -> None:
        """Release clients/pools. Idempotent."""

    # A provider holds connection pools and SDK clients: ``with get_provider(...) as p:`` releases
    # them on every way out, Ctrl-C included, without a ``try/finally`` at each call site.
    def __enter__(self: P) -> P:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
