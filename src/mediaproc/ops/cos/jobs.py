"""Media jobs: the ``<Request>`` of ``POST /jobs`` for one async media operation
(:func:`media_job_request`; its XML is :func:`mediaproc.ops.cos.job_xml.job_xml`), and the inverse
the emulator runs (:func:`parse_job_request` -> :class:`CosJobSpec`).

One table, :data:`MEDIA_JOBS`, names each operation's job: its tag, its node and the rows of
:mod:`~mediaproc.ops.cos.job_fields` it writes, which the inverse reads back the same way.
Operation -> job: video/convert, audio/convert, hls/m3u8 -> ``Transcode``; video/snapshots ->
``Snapshot``; video/sprite -> ``Snapshot`` with ``SnapshotOutMode=OnlySprite``; video/animation ->
``Animation``; video/concat, audio/concat -> ``Concat``. Times are seconds, bitrates kbit/s (OSS:
milliseconds, bits/s).

Sources (searched 2026-11-21, read in the docs' source repository tencentyun/qcloud-documents; the
SDK cos-python-sdk-v5 1.9.44 for the request shapes): CreateMediaJobs 436/54013, Snapshot jobs
436/54005 with ``Output/Object`` and ``SpriteObject`` holding ``${Number}`` (the fields themselves
are cited in :mod:`~mediaproc.ops.cos.job_fields`); the job states of CreateMediaJobs /
DescribeMediaJob (:data:`JOB_STATES`); pm3u8 436/63740 (the signed playlist of an ``hls`` output) and
cancel 436/85082 (the provider's calls on a job). Unverified and marked where used: ``${Number}``
numbering (the emulator starts at 0).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from mediaproc.errors import InvalidOperation, UnsupportedOperation
from mediaproc.i18n import _
from mediaproc.ops.catalog import get_spec
from mediaproc.ops.catalog.hls import M3U8
from mediaproc.ops.catalog.video import CONVERT
from mediaproc.ops.cos.common import (
    REGION_PLACEHOLDER,
    Refuse,
    cos_url,
    hint_for,
    key_from_url,
    refuse,
    to_ms,
    to_secs,
    wire_op,
)
from mediaproc.ops.cos.job_fields import (
    ANIMATION,
    AUDIO,
    AUDIO_CONTAINERS,
    CONTAINER,
    CONTAINERS,
    FRAME_SIZE,
    HLS_CONTAINER,
    SNAPSHOT,
    SPRITE,
    TIME,
    TRANS_CONFIG,
    VIDEO,
    JobField,
    decode_fields,
    encode_fields,
    fields_of,
    get_path,
)
from mediaproc.ops.model import Op

if TYPE_CHECKING:
    from mediaproc.location import Position

__all__ = [
    "IGNORED",
    "JOB_STATES",
    "MEDIA_JOBS",
    "ConcatRef",
    "CosJobSpec",
    "JobCodec",
    "media_job_request",
    "parse_job_request",
]

# Media job states (CreateMediaJobs / DescribeMediaJob: Submitted, Running, Success, Failed, Pause,
# Cancel) -> mediaproc.jobs.JobState values. Kept as strings: ops/ imports nothing heavy.
JOB_STATES: Mapping[str, str] = {
    "Submitted": "queued",
    "Running": "running",
    "Success": "succeeded",
    "Failed": "failed",
    "Pause": "queued",
    "Cancel": "cancelled",
}


def _numbered(key: str, fmt: str) -> str:
    """``out/frame`` -> ``out/frame-${Number}.jpg`` (CI: multiple outputs need ``${Number}``)."""
    stem = key[: -len(PurePosixPath(key).suffix)] if PurePosixPath(key).suffix else key
    return f"{stem}-${{Number}}.{fmt}"


def _one_output(op: Op, key: str) -> dict[str, str]:
    return {"Object": key}


def _frame_outputs(op: Op, key: str) -> dict[str, str]:
    return {"Object": _numbered(key, op.params.get("f", "jpg"))}


def _sprite_outputs(op: Op, key: str) -> dict[str, str]:
    """The frames CI cuts for the sheet, and the sheet itself (``SpriteObject``)."""
    fmt = op.params.get("f", "jpg")
    return {"Object": _numbered(key + "-frame", fmt), "SpriteObject": _numbered(key, fmt)}


def _first(row: JobField) -> Callable[[Op], None]:
    """Check one row's value before the other refusals (a value CI does not have names the problem
    best: ``m=dhash`` rather than a side parameter of it)."""

    def check(op: Op) -> None:
        encode_fields(op, (row,))

    return check


def _keeps_rotation(op: Op) -> None:
    if op.params.get("arotate", 1) == 0:
        raise refuse(op.name, "arotate=0", _("remove arotate (CI always honours rotation metadata)"))


@dataclass(frozen=True)
class JobCodec:
    """One media operation as a job: its ``tag``, the ``node`` under ``Operation`` that holds its
    settings, the :class:`~mediaproc.ops.cos.job_fields.JobField` rows it writes and reads back,
    values written when the op leaves them out (``defaults``), the checks run before any request
    (``checks``, in order) and where its results go (``output``)."""

    tag: str
    node: str
    fields: tuple[JobField, ...]
    checks: tuple[Callable[[Op], None], ...] = ()
    defaults: Mapping[str, Any] = field(default_factory=dict)
    output: Callable[[Op, str], dict[str, str]] = _one_output


def _codec(
    name: str,
    tag: str,
    node: str,
    *groups: Iterable[JobField],
    checks: tuple[Callable[[Op], None], ...] = (),
    defaults: Mapping[str, Any] | None = None,
    output: Callable[[Op, str], dict[str, str]] = _one_output,
) -> JobCodec:
    refused = [k for check in checks if isinstance(check, Refuse) for k in check.keys]
    return JobCodec(tag, node, fields_of(get_spec(name), *groups, refused=refused), checks, defaults or {}, output)


# CI has no equivalent of these options (OSS's "keep a lower source value" switches, subtitles,
# narrow-band HD, audio quality and depth, concat alignment, frame-similarity thresholds, sizes in
# percent): refused rather than dropped.
_TRANSCODE_CHECKS = (Refuse(("videoslim", "sn", "fpsopt", "sopt", "vbopt", "abopt", "aq", "adepth")), _keeps_rotation)
_CONCAT_CHECKS = (Refuse(("align", "scaletype", "pixfmt", "vbopt", "abopt", "aq", "adepth")),)
_TRANSCODE = ((CONTAINER,), VIDEO, AUDIO, TIME, (TRANS_CONFIG,))


def _snapshot_codec(
    name: str, rows: tuple[JobField, ...], refused: tuple[str, ...], output: Callable[[Op, str], dict[str, str]]
) -> JobCodec:
    """A ``Snapshot`` job (frames or a sprite sheet): the mode is checked first (``m=dhash`` names
    the problem best), then the similarity threshold and ``refused``."""
    checks = (_first(SNAPSHOT[0]), Refuse(("thr",)), Refuse(refused))
    return _codec(name, "Snapshot", "Snapshot", SNAPSHOT, rows, checks=checks, output=output)


MEDIA_JOBS: Mapping[str, JobCodec] = {
    "video/convert": _codec(
        "video/convert",
        "Transcode",
        "Transcode",
        *_TRANSCODE,
        checks=_TRANSCODE_CHECKS,
        defaults={"vcodec": CONVERT.default("vcodec")},  # copy: OSS remuxes when vcodec is left out
    ),
    "audio/convert": _codec("audio/convert", "Transcode", "Transcode", *_TRANSCODE, checks=_TRANSCODE_CHECKS),
    # HLS: container hls, ClipConfig/Duration = segment length; H.264 unless asked otherwise, as OSS.
    "hls/m3u8": _codec(
        "hls/m3u8",
        "Transcode",
        "Transcode",
        HLS_CONTAINER,
        *_TRANSCODE[1:],
        checks=_TRANSCODE_CHECKS,
        defaults={"vcodec": M3U8.default("vcodec")},  # h264, as OSS
    ),
    "video/snapshots": _snapshot_codec("video/snapshots", FRAME_SIZE, ("pw", "ph", "scaletype"), _frame_outputs),
    "video/sprite": _snapshot_codec("video/sprite", SPRITE, ("psw", "psh", "scaletype"), _sprite_outputs),
    "video/animation": _codec(
        "video/animation",
        "Animation",
        "Animation",
        ANIMATION,
        TIME,
        checks=(Refuse(("num", "scaletype"), _("use inter (the interval between frames) instead of num on COS")),),
    ),
    # Concat: Audio before Video in the body, as mediaproc has always written it (the dry-run shows these bytes).
    "video/concat": _codec(
        "video/concat", "Concat", "ConcatTemplate", (CONTAINER,), AUDIO, VIDEO, checks=_CONCAT_CHECKS
    ),
    "audio/concat": _codec("audio/concat", "Concat", "ConcatTemplate", (CONTAINER,), AUDIO, checks=_CONCAT_CHECKS),
}

# Parameters that only matter for OSS's transcode-while-playing: the COS job runs without them (a
# warning says so). The keys COS cannot express but does not refuse.
IGNORED: Mapping[str, tuple[str, ...]] = {"hls/m3u8": ("ta", "initd")}


def _job_body(op: Op, codec: JobCodec) -> dict[str, Any]:
    """The job's node: the codec's fields, less the video ones where the container holds audio only."""
    for check in codec.checks:
        check(op)
    fields = codec.fields
    if codec.tag == "Transcode" and CONTAINERS.get(str(op.params.get("f"))) in AUDIO_CONTAINERS:
        fields = tuple(f for f in fields if not f.path.startswith("Video"))
    return encode_fields(op, fields, _defaults(codec, op.params))


def _defaults(codec: JobCodec, params: Mapping[str, Any]) -> dict[str, Any]:
    """The codec's written defaults for these parameters: no video codec for a job without video."""
    return {k: v for k, v in codec.defaults.items() if not (k == "vcodec" and params.get("vn"))}


@dataclass(frozen=True)
class ConcatRef:
    """One extra concat input as COS wants it: an object named by its full COS URL
    (``ConcatFragment/Url``), so it may live in another bucket (``bucket``; None: the source's)."""

    key: str
    position: Position = "sur"  # "pre" -> CI Mode Start, "sur" -> Mode End
    ss: int | None = None
    t: int | None = None
    bucket: str | None = None


def media_job_request(
    op: Op,
    *,
    input_key: str,
    bucket: str,
    region: str | None,
    output_key: str,
    output_bucket: str | None = None,
    inputs: Sequence[ConcatRef] = (),
) -> dict[str, Any]:
    """The ``<Request>`` of ``POST /jobs`` for one async media operation, as a nested dict.

    Tags (:data:`MEDIA_JOBS`): video/convert, audio/convert, hls/m3u8 -> ``Transcode`` (hls:
    container ``hls`` with ``ClipConfig/Duration`` = segment length); video/snapshots ->
    ``Snapshot``; video/sprite -> ``Snapshot`` with ``SnapshotOutMode=OnlySprite`` and
    ``SpriteSnapshotConfig``; video/animation -> ``Animation``; video/concat, audio/concat ->
    ``Concat`` (``ConcatTemplate/ConcatFragment`` with ``Mode`` Start for inputs before the source
    and End after it). Times are seconds, bitrates kbps.
    """
    codec = MEDIA_JOBS.get(op.name)
    if codec is None:
        raise refuse(op.name, _("the operation"), hint_for(op.name))
    body = _job_body(op, codec)
    if codec.tag == "Concat":
        body = {"ConcatFragment": _fragments(inputs, bucket, region), **body}
        if op.name == "video/concat":
            body.setdefault("Video", {})
    output = {"Region": region or REGION_PLACEHOLDER, "Bucket": output_bucket or bucket}
    output |= codec.output(op, output_key)
    return {"Tag": codec.tag, "Input": {"Object": input_key}, "Operation": {codec.node: body, "Output": output}}


def _fragments(inputs: Sequence[ConcatRef], bucket: str, region: str | None) -> list[dict[str, str]]:
    fragments = []
    for ref in inputs:
        frag: dict[str, str] = {
            "Url": cos_url(ref.bucket or bucket, region, ref.key),
            "Mode": "Start" if ref.position == "pre" else "End",
        }
        if ref.ss:
            frag["StartTime"] = to_secs(ref.ss)
        if ref.t:
            frag["EndTime"] = to_secs((ref.ss or 0) + ref.t)
        fragments.append(frag)
    return fragments


# -- inverse ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CosJobSpec:
    """What the emulator needs to run a submitted job."""

    tag: str
    op: Op
    input_key: str
    output_bucket: str
    output_region: str
    output_key: str  # may hold ${Number}
    sprite_key: str | None = None
    inputs: tuple[ConcatRef, ...] = ()


def parse_job_request(req: Mapping[str, Any]) -> CosJobSpec:
    """The inverse of :func:`media_job_request` (the emulator): the request dict -> an Op, read by
    the same :data:`MEDIA_JOBS` rows that wrote it."""
    tag = str(req.get("Tag", ""))
    input_key = get_path(req, "Input.Object")
    output = get_path(req, "Operation.Output") or {}
    if not input_key or not isinstance(output, Mapping) or not output.get("Object"):
        raise InvalidOperation(
            _("the job needs Input/Object and Operation/Output/Object"), hint=_("see CreateMediaJobs")
        )
    name = _job_operation(tag, get_path(req, f"Operation.{_NODES.get(tag, tag)}"))
    codec = MEDIA_JOBS[name]
    node = _mapping(get_path(req, f"Operation.{codec.node}"))
    params = decode_fields(node, codec.fields, get_spec(name))
    params |= {k: v for k, v in _defaults(codec, params).items() if params.get(k) is None}
    inputs = _fragments_back(node.get("ConcatFragment")) if codec.tag == "Concat" else ()
    return CosJobSpec(
        tag=tag,
        op=wire_op(name, **params),
        input_key=str(input_key),
        output_bucket=str(output.get("Bucket", "")),
        output_region=str(output.get("Region", "")),
        output_key=str(output["Object"]),
        sprite_key=str(output["SpriteObject"]) if output.get("SpriteObject") else None,
        inputs=inputs,
    )


_NODES: Mapping[str, str] = {codec.tag: codec.node for codec in MEDIA_JOBS.values()}


def _mapping(value: Any) -> Mapping[str, Any]:
    """A node that should hold children: itself when it does, else empty (a text node, or absent)."""
    return value if isinstance(value, Mapping) else {}


def _job_operation(tag: str, node: Any) -> str:
    """Which operation a job body is: the tag, then the body's shape (an audio container without a
    ``Video`` node is the audio operation; ``OnlySprite`` is a sprite)."""
    node = _mapping(node)
    audio_only = str(get_path(node, "Container.Format") or "").lower() in AUDIO_CONTAINERS and not _mapping(
        node.get("Video")
    )
    if tag == "Transcode":
        if str(get_path(node, "Container.Format") or "").lower() == "hls":
            return "hls/m3u8"
        return "audio/convert" if audio_only else "video/convert"
    if tag == "Snapshot":
        return "video/sprite" if str(node.get("SnapshotOutMode", "")) == "OnlySprite" else "video/snapshots"
    if tag == "Animation":
        return "video/animation"
    if tag == "Concat":
        return "audio/concat" if audio_only else "video/concat"
    raise UnsupportedOperation(
        _("job tag {tag!r} is not supported by the emulator").format(tag=tag),
        hint=_("Transcode, Snapshot, Animation or Concat"),
    )


def _fragments_back(frags: Any) -> tuple[ConcatRef, ...]:
    if isinstance(frags, Mapping):
        frags = [frags]
    refs = []
    for frag in frags or []:
        frag_bucket, key = key_from_url(str(frag.get("Url", "")))
        start, end = to_ms(frag.get("StartTime")), to_ms(frag.get("EndTime"))
        refs.append(
            ConcatRef(
                key=key,
                bucket=frag_bucket,
                position="pre" if str(frag.get("Mode", "End")) == "Start" else "sur",
                ss=start,
                t=(end - (start or 0)) if end is not None else None,
            )
        )
    return tuple(refs)
