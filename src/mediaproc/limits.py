"""Every bound on what one request may ask for: the one place the checks read, and docs/limits.md lists.

A hostile input is cheap to send and dear to serve: a 69-byte PNG claiming 100000 x 100000 px, a GIF of
10,000 one-pixel frames, a watermark text of 4,000 characters at 1000 px (it once took a server to 22 GB),
a pad to 16384 x 16384, a sprite of 100 x 100 tiles of 4096 px. Each is refused here, from what a header
or the request says, before a pixel is decoded or a frame is read, with exit 2 locally and the service's
own error code through ``mediaproc serve``, in one line that names the limit and its value.

There are two kinds of limit (:class:`Limit`):

* **documented**: a fact of a service's documentation (the page is in ``source``): OSS image processing
  takes sources of at most 20 MB, 30,000 px a side and 250 MP (frames counted), watermark texts of 64
  bytes; COS/CI takes 32 MB, 300 frames and results of at most 9,999 px a side. A documented limit is
  not configurable: the service will refuse the request whatever this machine allows.
* **ceiling**: where the services say nothing (or nothing this machine can afford), a stated value of
  ours, raised through its environment variable (``MEDIAPROC_MAX_...``, a positive whole number) by a
  user whose machine has the memory and time for more.

Which limits apply is a *profile*: ``local`` (the CLI's local provider and engine: the ceilings and the
limits every service shares), ``oss`` and ``cos`` (what ``mediaproc serve`` applies on each front: the
ceilings, tightened by that service's documented limits, so that a request the service would refuse is
refused with the service's code). The active profile lives in a context variable (:func:`profile`),
so the engine reads it without every function between the front and the check passing it along.

This is a core module: it imports only ``errors``, ``i18n`` and ``hygiene``, so ``ops`` (the catalogue's
ranges), the engines, the providers and the emulator all read the same values.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from types import MappingProxyType

from mediaproc.errors import ConfigError, MediaError
from mediaproc.hygiene import human_size
from mediaproc.i18n import _
from mediaproc.record import Record, replace

ENV_PREFIX = "MEDIAPROC_MAX_"

OSS_LIMITS_PAGE = "https://www.alibabacloud.com/help/en/oss/user-guide/resize-images-4"
OSS_SPRITE_PAGE = "https://www.alibabacloud.com/help/en/oss/user-guide/video-cut-sprite"
COS_LIMITS_PAGE = "https://cloud.tencent.com/document/product/460/36620"
COS_LIMITS_PAGE_OLD = "https://www.tencentcloud.com/zh/document/api/436/42704"
# OSS CopyObject: "CopyObject can be used to copy only objects smaller than 1 GB ... larger than 1 GB ...
# UploadPartCopy" (the API reference, AlibabaCloudDocs/oss CopyObject.md; UploadPartCopy's page, 2025, still
# says "You must use UploadPartCopy to copy a file larger than 1 GB"); the versioning guide says "up to 1 GB",
# so exactly 1 GiB is copied. The current CopyObject page (Limits, "Object size limits"; zh: 使用限制) sets
# three tiers, and being the operation's own page it decides (copy_object_limit): within one bucket, keeping
# the storage class and the encryption, "the object can be larger than 5 GB"; to another bucket, keeping
# them, "cannot be larger than 5 GB" (copy_between_buckets_bytes); changing the storage class, not larger
# than 1 GB (copy_object_bytes, also the providers' switch to UploadPartCopy, correct in every case). The
# refusal is 400 EntityTooLarge "Source object Length exceeds the maximum allowed size." (OSS error center,
# HTTP 400: help.aliyun.com/document_detail/185228.htm).
OSS_COPY_PAGE = "https://www.alibabacloud.com/help/en/oss/developer-reference/copyobject"
# COS PUT Object - Copy: objects up to 5 GB, larger ones with Upload Part - Copy (the API page below; the
# multipart-copy guide tencentcloud.com/document/product/436/14118). qcloud_cos's own CosS3Client.copy
# (1.9.44) sends any size as one PUT Object - Copy within a region when the storage class stays, and
# past 5 GB otherwise uses Upload Part - Copy (copy_object_limit). The refusal's code is EntityTooLarge
# (cloud.tencent.com/document/product/436/139742 for the same API on COS's rapid buckets).
COS_COPY_PAGE = "https://cloud.tencent.com/document/product/436/10881"


class Limit(Record):
    """One bound. ``env`` names the variable that raises a ceiling (None: a documented limit, fixed);
    ``code`` is the error code a refusal carries (the OSS image-processing table's ``ImageTooLarge`` or
    ``InvalidArgument``), ``ec`` the OSS error detail code where the documentation gives one."""

    name: str
    value: int
    unit: str  # "px", "pixels", "bytes", "frames", "seconds", "operations", "characters", "inputs"
    what: str  # what is counted, for docs/limits.md
    source: str = ""  # the documentation page of a documented limit
    env: str | None = None
    code: str = "ImageTooLarge"
    ec: str | None = None

    @property
    def documented(self) -> bool:
        return self.env is None

    def show(self, amount: int | None = None) -> str:
        """``250,000,000 pixels``, ``20 MB``: the limit's value in its unit, or ``amount`` (exactly:
        ``20,000,001 bytes`` is over ``20 MB``, where a rounded size would read like the limit)."""
        if amount is not None:
            return f"{amount:,} {self.unit}"
        if self.unit == "bytes":
            return human_size(self.value)
        return f"{self.value:,} {self.unit}"


def _ceiling(name: str, value: int, unit: str, what: str, *, code: str = "ImageTooLarge") -> Limit:
    return Limit(name, value, unit, what, env=ENV_PREFIX + name.upper(), code=code)


def _by_name(*limits: Limit) -> Mapping[str, Limit]:
    """A read-only table of limits by name (each profile and the ceilings are one)."""
    return MappingProxyType({limit.name: limit for limit in limits})


# -- our ceilings (configurable) ---------------------------------------------------------------------
CEILINGS: Mapping[str, Limit] = _by_name(
    _ceiling("source_side", 30_000, "px", "a side of a source image (the documented OSS/COS value)"),
    _ceiling(
        "source_pixels",
        250_000_000,
        "pixels",
        "pixels of a source image, width x height x frames (the documented OSS/COS value)",
    ),
    _ceiling("source_frames", 1_000, "frames", "frames of an animated source image (GIF, WebP)"),
    _ceiling(
        "output_pixels",
        250_000_000,
        "pixels",
        "pixels of any image an operation makes (resize, pad, rotate, watermark canvas, sprite "
        "sheet, animation: width x height x frames)",
    ),
    _ceiling(
        "text_pixels",
        4096 * 4096,
        "pixels",
        "pixels of a rendered watermark text (after its rotation)",
        code="InvalidArgument",
    ),
    _ceiling("chain_ops", 32, "operations", "operations in one chain", code="InvalidArgument"),
    _ceiling(
        "process_chars",
        16_384,
        "characters",
        "characters of one process string or rule (x-oss-process, imageMogr2, the CLI's chain)",
        code="InvalidArgument",
    ),
    _ceiling(
        "media_seconds", 12 * 3600, "seconds", "duration of a video or audio source", code="InvalidArgument"
    ),
    _ceiling(
        "output_frames",
        10_000,
        "frames",
        "frames one media operation writes (snapshots, sprite frames, animation frames)",
        code="InvalidArgument",
    ),
)  # fmt: skip

# -- documented by every service mediaproc speaks (fixed, applied in every profile) ------------------
SHARED: Mapping[str, Limit] = _by_name(
    Limit(
        "tiff_side", 16_384, "px", "a side of a TIFF source (OSS 0040-00000018)",
        "https://help.aliyun.com/en/oss/user-guide/0040-00000018", ec="0040-00000018",
    ),
    Limit(
        "rotate_side", 4_096, "px", "a side of the image rotate turns (OSS)",
        "https://help.aliyun.com/zh/oss/support/0040-00000006", ec="0040-00000006",
    ),
    Limit(
        "text_bytes", 64, "bytes", "a watermark text, base64-decoded (OSS 0040-00000259)",
        "https://help.aliyun.com/zh/oss/support/0040-00000259", code="InvalidArgument", ec="0040-00000259",
    ),
    Limit(
        "text_size", 1_000, "px", "the font size of a watermark text, (0, 1000] (OSS 0040-00000256)",
        "https://help.aliyun.com/en/oss/user-guide/0040-00000256", code="InvalidArgument", ec="0040-00000256",
    ),
    Limit(
        "webp_side", 16_383, "px", "a side of a WebP result (the format stores 14 bits)",
        "https://alibabacloud.com/help/en/oss/the-maximum-width-and-height-allowed-is-16383-pixels-for-"
        "converting-webp-error-message-appears-when-you-convert-the-image-format",
        code="InvalidArgument",
    ),
    Limit(
        "sprite_side", 16_384, "px", "a side of a video sprite sheet (OSS video/sprite)",
        OSS_SPRITE_PAGE, code="InvalidArgument",
    ),
    Limit(
        "blindwatermark_side", 10_000, "px", "a side of a blind-watermarked image (IMM)",
        "reference/alibaba-skill/limitations.md (IMM: maximum image dimension 10,000 px)",
    ),
    Limit(
        "concat_inputs", 11, "inputs", "videos or audio files one concat joins (OSS)",
        "reference/alibaba-skill/limitations.md (video/concat: at most 11 videos)", code="InvalidArgument",
    ),
)  # fmt: skip

# -- documented per service (the serve fronts apply them; the source-size ones also gate uploads) ------
OSS: Mapping[str, Limit] = _by_name(
    Limit("image_source_bytes", 20_000_000, "bytes", "an image-processing source (OSS)", OSS_LIMITS_PAGE),
    Limit(
        "source_side", 30_000, "px", "a side of an image-processing source (OSS 0040-00000019)",
        "https://help.aliyun.com/en/oss/user-guide/0040-00000019", ec="0040-00000019",
    ),
    Limit(
        "source_pixels", 250_000_000, "pixels",
        "pixels of an image-processing source, frames counted (OSS 0040-00000012)",
        "https://help.aliyun.com/en/oss/user-guide/0040-00000012", ec="0040-00000012",
    ),
    Limit(
        "image_watermarks", 3, "watermarks", "image watermarks in one request (OSS 0040-00000026)",
        "https://help.aliyun.com/en/oss/user-guide/0040-00000026", code="InvalidArgument", ec="0040-00000026",
    ),
    Limit(
        "copy_object_bytes", 1024**3, "bytes",
        "a CopyObject source that changes its storage class or encryption; larger ones are copied with "
        "UploadPartCopy (OSS)", OSS_COPY_PAGE, code="EntityTooLarge",
    ),
    Limit(
        "copy_between_buckets_bytes", 5 * 1024**3, "bytes",
        "a CopyObject source copied to another bucket with its storage class and encryption (OSS)", OSS_COPY_PAGE,
        code="EntityTooLarge",
    ),
)  # fmt: skip

COS: Mapping[str, Limit] = _by_name(
    Limit("image_source_bytes", 32_000_000, "bytes", "an image-processing source (CI)", COS_LIMITS_PAGE),
    Limit("source_side", 30_000, "px", "a side of an image-processing source (CI)", COS_LIMITS_PAGE_OLD),
    Limit(
        "source_pixels", 250_000_000, "pixels", "pixels of an image-processing source, frames counted (CI)",
        COS_LIMITS_PAGE,
    ),
    Limit("source_frames", 300, "frames", "frames of an animated source (CI)", COS_LIMITS_PAGE),
    Limit("output_side", 9_999, "px", "a side of a result image (CI)", COS_LIMITS_PAGE_OLD),
    Limit(
        "copy_object_bytes", 5 * 1024**3, "bytes",
        "a PUT Object - Copy source; larger ones are copied with Upload Part - Copy (COS)", COS_COPY_PAGE,
        code="EntityTooLarge",
    ),
)  # fmt: skip

PROFILES: Mapping[str, Mapping[str, Limit]] = MappingProxyType({"local": MappingProxyType({}), "oss": OSS, "cos": COS})
_PROFILE: ContextVar[str] = ContextVar("mediaproc_limits_profile", default="local")


def _env_value(limit: Limit) -> Limit:
    raw = os.environ.get(limit.env or "", "").strip().replace("_", "")
    if not raw:
        return limit
    if not raw.isdigit() or int(raw) < 1:
        raise ConfigError(
            _("{env}={raw!r} is not a positive whole number").format(env=limit.env, raw=raw),
            hint=_("e.g. {env}={value} (the default)").format(env=limit.env, value=limit.value),
        )
    return replace(limit, value=int(raw))


def active() -> Mapping[str, Limit]:
    """The limits of the active profile: the ceilings (with their environment overrides), the shared
    documented limits, and the profile's own documented limits wherever they are tighter."""
    found: dict[str, Limit] = {name: _env_value(limit) for name, limit in CEILINGS.items()}
    found.update(SHARED)
    for name, limit in PROFILES[_PROFILE.get()].items():
        current = found.get(name)
        if current is None or limit.value <= current.value:
            found[name] = limit
    return found


def get(name: str) -> Limit | None:
    """One limit of the active profile (None: nothing bounds it here)."""
    return active().get(name)


def value(name: str) -> int:
    """The value of a limit every profile has (a ceiling or a shared documented limit)."""
    limit = active()[name]
    return limit.value


def current_profile() -> str:
    """The name of the active profile (a worker process re-enters it: :mod:`mediaproc.emulator.engine_pool`)."""
    return _PROFILE.get()


@contextlib.contextmanager
def profile(name: str) -> Iterator[None]:
    """Apply ``name``'s limits (``local``, ``oss``, ``cos``) in this context (and threads it starts
    with a copy of it)."""
    if name not in PROFILES:
        raise ValueError(f"unknown limits profile {name!r}")
    token = _PROFILE.set(name)
    try:
        yield
    finally:
        _PROFILE.reset(token)


def copy_object_limit(service: str, *, same_place: bool, changes_storage: bool) -> Limit | None:
    """What bounds one single-request copy on ``service`` (``oss``, ``cos``): None when nothing does.

    Both services copy an object of any size in one request when the copy stays where it is and keeps
    its storage (OSS: the same bucket, the same storage class and encryption; COS: the same region and
    storage class, the case qcloud_cos's ``copy`` sends as one request whatever the size); OSS copies to
    another bucket with the same storage up to ``copy_between_buckets_bytes`` (5 GB); any other copy is
    bounded by ``copy_object_bytes`` (pages: ``OSS_COPY_PAGE``, ``COS_COPY_PAGE``). serve refuses past
    these, and the providers switch to a multipart copy past ``copy_object_bytes`` (for every copy: one
    rule is simpler than guessing the service's exception, and a multipart copy is correct in every case)."""
    if same_place and not changes_storage:
        return None
    table = PROFILES[service]
    if not changes_storage and "copy_between_buckets_bytes" in table:
        return table["copy_between_buckets_bytes"]
    return table["copy_object_bytes"]


class LimitExceeded(MediaError):
    """A request over a limit: bad input, so exit 2 like any other, with the limit's code; ``details``
    name the limit, its value and its OSS error detail code (the serve fronts answer with them)."""

    default_code = "ImageTooLarge"

    def __init__(self, limit: Limit, message: str, hint: str) -> None:
        super().__init__(
            message,
            hint=hint,
            code=limit.code,
            details={"limit": limit.name, "value": limit.value, "ec": limit.ec},
        )
        self.limit = limit


def how_to_raise(limit: Limit) -> str:
    """The second half of every refusal's hint: how to raise a ceiling, or who documents a limit."""
    if limit.env is not None:
        return _("raise it with {env}=N if this machine has the memory (docs/limits.md)").format(env=limit.env)
    return _("the service documents this limit: {source}").format(source=limit.source)


def exceeded(limit: Limit, subject: str, amount: int, hint: str | None = None) -> LimitExceeded:
    """The refusal of ``subject`` at ``amount``: one line naming the limit and its value."""
    message = _("{subject}: {amount} is over the limit {name} = {value}").format(
        subject=subject, amount=limit.show(amount), name=limit.name, value=limit.show()
    )
    tail = how_to_raise(limit)
    return LimitExceeded(limit, message, f"{hint}; {tail}" if hint else tail)


def check(name: str, amount: int, subject: str, hint: str | None = None) -> None:
    """Refuse ``subject`` when ``amount`` is over the active profile's limit ``name`` (if it has one)."""
    limit = get(name)
    if limit is not None and amount > limit.value:
        raise exceeded(limit, subject, amount, hint)


__all__ = [
    "CEILINGS",
    "COS",
    "OSS",
    "PROFILES",
    "SHARED",
    "Limit",
    "LimitExceeded",
    "active",
    "check",
    "copy_object_limit",
    "exceeded",
    "get",
    "how_to_raise",
    "profile",
    "value",
]
