"""``--verify``: read the saved result back and compare its real properties with the request.

The reference skill's rule, kept here: a property is "verified" only when it was read from the
persisted result itself after processing — a local file through the local engines, an object in the
bucket through the provider's own read-only ``info`` / ``video/info`` / ``audio/info`` — never
copied from the request or from what the processing step reported. When a verified value differs
from what was asked, the verified value is what is reported.

What was asked is derived from the chain by :func:`expectations`, from what the catalogue says of
each operation (``OpSpec.sets``: the property each parameter asks for; ``size_effect``: what the
operation does to the size; ``result_info``: the operation that reads its result back). The sizes
follow small rules here because they interact (a later resize replaces an earlier crop, a right
angle swaps them). Operations whose effect on the size cannot be predicted without the source
(``p``, ``indexcrop``, arbitrary rotation) drop the size expectation rather than guess.

Comparison relations: ``eq`` (exact; formats and codecs are compared by canonical name);
``fit`` / ``cover`` (a box: both sides within / beyond it, one side on it, ±1 px); ``le``;
``approx`` (bit rates within 25 %, frame rate within 1 %, durations within 0.5 s — encoders aim
at a target, they do not hit it exactly); ``container`` (the requested container is one of the
names the demuxer reports, e.g. mp4 in ``mov,mp4,m4a,3gp,3g2,mj2``); ``absent`` (no such stream).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mediaproc.errors import MediaprocError, VerifyMismatch
from mediaproc.i18n import N_, _, join
from mediaproc.ops.catalog.formats import AUDIO_CONTAINERS, FORMAT_ALIASES
from mediaproc.ops.destination import format_of_name
from mediaproc.ops.model import Chain, Op, Produces, ResultProperty, SizeEffect
from mediaproc.ops.values import reported_float, reported_int
from mediaproc.record import replace
from mediaproc.results import ProcessResult

if TYPE_CHECKING:
    from mediaproc.location import Location
    from mediaproc.providers.base import Provider


@dataclass(frozen=True)
class Expectation:
    """One requested property: ``value`` under ``relation``, asked for by ``origin`` (``resize w``)."""

    prop: str
    value: Any
    relation: str = "eq"
    origin: str = ""
    tolerance: float = 0.0


# Human names of the properties (JSON keeps the English keys).
LABELS: dict[str, str] = {
    "format": N_("format"),
    "width": N_("width"),
    "height": N_("height"),
    "size": N_("file size"),
    "long_side": N_("long side"),
    "short_side": N_("short side"),
    "fit": N_("size (fit inside)"),
    "cover": N_("size (cover)"),
    "duration": N_("duration"),
    "bitrate": N_("bit rate"),
    "video_codec": N_("video codec"),
    "frame_rate": N_("frame rate"),
    "video_bitrate": N_("video bit rate"),
    "audio_codec": N_("audio codec"),
    "sample_rate": N_("sample rate"),
    "channels": N_("channels"),
    "audio_bitrate": N_("audio bit rate"),
    "video": N_("video stream"),
    "audio": N_("audio stream"),
}

# How near an ``approx`` property must come: a share of the value asked, or seconds for durations.
TOLERANCES: dict[str, float] = {"frame_rate": 0.01, "video_bitrate": 0.25, "audio_bitrate": 0.25, "duration": 0.5}

# Names the demuxer, the encoder and the user spell differently for one thing.
CODEC_NAMES = {**FORMAT_ALIASES, "h265": "hevc", "x265": "hevc", "x264": "h264", "avc": "h264",
               "mp3float": "mp3", "vorbis": "vorbis", "amr": "amr_nb"}
CONTAINER_NAMES = {"mkv": "matroska", "ts": "mpegts", "m3u8": "hls", "opus": "ogg", "oga": "ogg",
                   "m4a": "mp4", "jpg": "image2"}


def _canon(value: Any) -> str:
    text = str(value).strip().lower()
    return CODEC_NAMES.get(text, text)


def _size_rules(op: Op, dims: dict[str, Expectation]) -> dict[str, Expectation]:
    """The size expectations after ``op``, given those before it (later size changes replace earlier)."""
    effect = op.spec.size_effect
    if effect is SizeEffect.KEEPS:
        return dims
    if effect is SizeEffect.RESIZE:
        return _resize(op)
    if effect is SizeEffect.SIDES:
        return {prop: Expectation(prop, op.get(key), "eq", f"{op.name} {key}")
                for key, prop in (("w", "width"), ("h", "height")) if op.get(key)}
    if effect is SizeEffect.ROTATE:
        return _rotate(op, dims)
    if effect is SizeEffect.FRAME and op.get("s") is not None:
        w, h = op.get("s")
        if op.get("scaletype") == "fit":
            return {"fit": Expectation("fit", [w, h], "fit", f"{op.name} s (scaletype=fit)")}
        return {"width": Expectation("width", w, "eq", f"{op.name} s"),
                "height": Expectation("height", h, "eq", f"{op.name} s")}
    return {}  # indexcrop, circle, auto-orient, frames under a prefix...: not predictable from the chain


def _resize(op: Op) -> dict[str, Expectation]:
    w, h, long_, short = op.get("w"), op.get("h"), op.get("l"), op.get("s")
    mode = op.get("mode") or op.spec.default("mode")
    if w is None and h is None:
        if mode in ("lfit", "mfit") and (long_ is not None or short is not None):
            if long_ is not None and short is None:
                return {"long_side": Expectation("long_side", long_, "eq", "resize l")}
            if short is not None and long_ is None:
                return {"short_side": Expectation("short_side", short, "eq", "resize s")}
        return {}  # p, or l and s together: relative to a source we do not know here
    out: dict[str, Expectation] = {}
    if w is not None and h is not None and mode in ("lfit", "mfit"):
        rel = "fit" if mode == "lfit" else "cover"
        return {rel: Expectation(rel, [w, h], rel, f"resize w,h ({mode})")}
    if w is not None:
        out["width"] = Expectation("width", w, "eq", "resize w")
    if h is not None:
        out["height"] = Expectation("height", h, "eq", "resize h")
    return out


def _rotate(op: Op, dims: dict[str, Expectation]) -> dict[str, Expectation]:
    angle = (op.get("angle") or 0) % 360
    if angle in (0, 180):
        return dims
    if angle not in (90, 270):
        return {}  # the canvas grows to hold the turned image
    swapped = {"width": "height", "height": "width"}
    out: dict[str, Expectation] = {}
    for key, exp in dims.items():
        if key in swapped:
            out[swapped[key]] = dataclasses.replace(exp, prop=swapped[key])
        elif key in ("fit", "cover"):
            out[key] = dataclasses.replace(exp, value=list(reversed(exp.value)))
        else:
            out[key] = exp
    return out


def _asked(op: Op, key: str, rule: ResultProperty) -> Expectation | None:
    """What parameter ``key`` of ``op`` asks of the result (None: nothing to verify)."""
    value = op.get(key)
    if rule.relation == "absent":
        return Expectation(rule.prop, False, "absent", f"{op.name} {key}") if value == 1 else None
    if rule.unit != 1:
        value = value / rule.unit
    if rule.zero_keeps and not value:
        return None
    tolerance = TOLERANCES.get(rule.prop, 0.0) if rule.relation == "approx" else 0.0
    return Expectation(rule.prop, value, rule.relation, f"{op.name} {key}", tolerance)


def expectations(chain: Chain) -> dict[str, Expectation]:
    """What the chain asks of its result, keyed by property."""
    out: dict[str, Expectation] = {}
    dims: dict[str, Expectation] = {}
    for op in chain:
        dims = _size_rules(op, dims)
        # the values in the order they were given, then the dropped streams in catalogue order
        given = [key for key in op.params if key in op.spec.sets and op.spec.sets[key].relation != "absent"]
        dropped = [key for key, rule in op.spec.sets.items() if rule.relation == "absent"]
        for key in (*given, *dropped):
            exp = _asked(op, key, op.spec.sets[key])
            if exp is not None:
                out[exp.prop] = exp
    out.update(dims)
    return out


# -- what was found --------------------------------------------------------------------------------------
def _value(data: Mapping[str, Any], *names: str) -> Any:
    for name in names:
        if name in data:
            v = data[name]
            return v.get("value") if isinstance(v, Mapping) else v
    return None




def found_image(info: Mapping[str, Any]) -> dict[str, Any]:
    """From an ``info`` document: OSS shape (``{"ImageWidth": {"value": "400"}}``) or COS (``{"width": "400"}``)."""
    fmt = _value(info, "Format", "format")
    return {k: v for k, v in {
        "format": _canon(fmt) if fmt else None,
        "width": reported_int(_value(info, "ImageWidth", "width")),
        "height": reported_int(_value(info, "ImageHeight", "height")),
        "size": reported_int(_value(info, "FileSize", "size")),
    }.items() if v is not None}


def found_media(info: Mapping[str, Any]) -> dict[str, Any]:
    """From a ``video/info`` / ``audio/info`` document (OSS shape, SPEC.md §4)."""
    fmt = info.get("Format") or {}
    streams = info.get("Streams") or {}
    videos = streams.get("VideoStream") or []
    audios = streams.get("AudioStream") or []
    out: dict[str, Any] = {
        "format": fmt.get("FormatName"),
        "duration": reported_float(fmt.get("Duration")),
        "size": reported_int(fmt.get("Size")),
        "bitrate": reported_int(fmt.get("Bitrate")),
        "video": bool(videos),
        "audio": bool(audios),
    }
    if videos:
        v = videos[0]
        out.update(video_codec=v.get("CodecName"), width=reported_int(v.get("Width")),
                   height=reported_int(v.get("Height")), frame_rate=reported_float(v.get("FrameRate")),
                   video_bitrate=reported_int(v.get("BitRate")))
    if audios:
        a = audios[0]
        out.update(audio_codec=a.get("CodecName"), sample_rate=reported_int(a.get("SampleRate")),
                   channels=reported_int(a.get("Channels")), audio_bitrate=reported_int(a.get("BitRate")))
    return {k: v for k, v in out.items() if v not in (None, "")}


# -- comparing --------------------------------------------------------------------------------------------
def _matches(exp: Expectation, found: Mapping[str, Any]) -> tuple[bool, Any]:
    """(matches, the found value shown for it)."""
    rel = exp.relation
    if rel in ("fit", "cover"):
        w, h = found.get("width"), found.get("height")
        if w is None or h is None:
            return True, None
        bw, bh = exp.value
        on_edge = abs(w - bw) <= 1 or abs(h - bh) <= 1
        inside = w <= bw + 1 and h <= bh + 1 if rel == "fit" else w >= bw - 1 and h >= bh - 1
        return inside and on_edge, [w, h]
    if exp.prop in ("long_side", "short_side"):
        w, h = found.get("width"), found.get("height")
        if w is None or h is None:
            return True, None
        side = max(w, h) if exp.prop == "long_side" else min(w, h)
        return side == exp.value, side
    value = found.get(exp.prop)
    if rel == "absent":
        return value is False, value
    if value is None:
        return True, None  # not reported: nothing to compare (the property is left out of "found")
    if rel == "container":
        names = {n.strip() for n in str(value).lower().split(",")}
        want = _canon(exp.value)
        return want in names or CONTAINER_NAMES.get(want, want) in names, value
    if rel == "approx":
        wanted = float(exp.value)
        if exp.prop == "duration":
            return abs(float(value) - wanted) <= exp.tolerance, value
        return abs(float(value) - wanted) <= exp.tolerance * wanted, value
    if isinstance(exp.value, str) or isinstance(value, str):
        return _canon(value) == _canon(exp.value), value
    return value == exp.value, value


def compare(expect: Mapping[str, Expectation], found: Mapping[str, Any]) -> list[dict[str, Any]]:
    diffs = []
    for prop, exp in expect.items():
        ok, shown = _matches(exp, found)
        if not ok:
            diffs.append({"property": prop, "requested": exp.value, "found": shown, "relation": exp.relation,
                          "origin": exp.origin})
    return diffs


def describe(prop: str, value: Any) -> str:
    """A property value for people: ``400x267`` boxes, ``2.04 s``, ``128000 bit/s``."""
    if isinstance(value, list) and len(value) == 2:
        return f"{value[0]}x{value[1]}"
    if value is True:
        return _("present")
    if value is False:
        return _("none")
    if prop == "duration" and isinstance(value, (int, float)):
        return f"{value:g} s"
    if prop in ("bitrate", "video_bitrate", "audio_bitrate") and isinstance(value, (int, float)):
        return f"{int(value)} bit/s"
    if prop == "sample_rate":
        return f"{value} Hz"
    if prop == "size" and isinstance(value, int):
        return f"{value} B"
    return str(value)


def difference_message(diff: Mapping[str, Any]) -> str:
    prop = diff["property"]
    label = _(LABELS.get(prop, prop))
    requested = describe(prop, diff["requested"])
    found = describe(prop, diff["found"])
    return _("verified {property} is {found}, not the requested {requested}").format(
        property=label, found=found, requested=requested)


# -- reading the result back ------------------------------------------------------------------------------
def info_operation(chain: Chain) -> str:
    """The read-only operation that describes this chain's result: the catalogue's, except that a
    video operation told to drop the picture (``vn=1``, an audio container) makes audio."""
    op = chain[-1]
    if op.spec.result_info == "video/info" and (op.get("vn") == 1 or op.get("f") in AUDIO_CONTAINERS):
        return "audio/info"
    return op.spec.result_info


def read_local(path: Path, operation: str) -> dict[str, Any]:
    from mediaproc.engine import analyze

    return analyze(operation, path)


def read_object(provider: Provider, location: Location, operation: str) -> dict[str, Any]:
    from mediaproc.ops.parse import parse_chain
    from mediaproc.providers.base import ProcessRequest

    res = provider.process(ProcessRequest(source=location, chain=parse_chain([operation])))
    if not isinstance(res.data, dict):
        raise VerifyMismatch(_("{operation} returned no document").format(operation=operation))
    return res.data


def _target(result: ProcessResult, destination: Location | None) -> tuple[str, Location | Path] | None:
    """What to read back: the first written file or saved object."""
    from mediaproc.location import Location

    if destination is not None and destination.is_object:
        key = result.generated_keys[0] if result.generated_keys else None
        if key and "://" in key:
            # a full URI names the bucket it was saved in; the cloud is the destination's
            _scheme, _sep, rest = key.partition("://")
            bucket, _sep, obj = rest.partition("/")
            loc = Location(scheme=destination.scheme, bucket=bucket, key=obj)
        elif key:
            loc = Location(scheme=destination.scheme, bucket=destination.bucket, key=key)
        else:
            loc = destination
        return str(loc), loc
    first = result.generated_keys[0] if result.generated_keys and result.path is None else result.path
    if first:
        return str(first), Path(first)
    return None


def verify(
    chain: Chain,
    result: ProcessResult,
    destination: Location | None,
    provider: Provider | None = None,
    *,
    reader: Callable[[Location | Path, str], dict[str, Any]] | None = None,
) -> ProcessResult:
    """``result`` with ``verified`` filled in (and a warning per difference, or when reading failed)."""
    expect = expectations(chain)
    implied = format_of_name(destination.key if destination is not None and destination.is_object
                             else (destination.path.name if destination is not None and destination.path else None))
    if "format" not in expect and implied and chain.produces is Produces.IMAGE:
        # the destination's extension is a request too: out.jpg must hold JPEG bytes
        expect["format"] = Expectation("format", implied, "eq", "destination extension")
    operation = info_operation(chain)
    requested = {k: e.value for k, e in expect.items()}
    target = _target(result, destination)
    if target is None or chain.produces is Produces.PLAYLIST:
        verified: dict[str, Any] = {"object": None, "requested": requested, "found": {}, "differences": [],
                    "error": {"code": "NotVerifiable", "message": _("there is no saved result to read back")}}
        return replace(result, verified=verified,
                       warnings=(*result.warnings, _("not verified: there is no saved result to read back")))
    shown, where = target

    def default_reader(loc: Location | Path, op: str) -> dict[str, Any]:
        if isinstance(loc, Path):
            return read_local(loc, op)
        assert provider is not None
        return read_object(provider, loc, op)

    try:
        data = (reader or default_reader)(where, operation)
    except MediaprocError as exc:
        verified = {"object": shown, "method": operation, "requested": requested, "found": {}, "differences": [],
                    "error": {"code": exc.code, "message": exc.message}}
        warning = _("not verified: reading {object} back failed: {error}").format(object=shown, error=exc.message)
        return replace(result, verified=verified, warnings=(*result.warnings, warning))
    found = found_image(data) if operation == "info" else found_media(data)
    diffs = compare(expect, found)
    verified = {"object": shown, "method": operation, "requested": requested, "found": found, "differences": diffs}
    warnings = [difference_message(d) for d in diffs]
    if any(d["origin"].startswith("resize") and _smaller(d) for d in diffs) and _limited(chain):
        warnings.append(_("resize does not enlarge a smaller source unless limit=0 is given"))
    return replace(result, verified=verified, warnings=(*result.warnings, *warnings))


def _smaller(diff: Mapping[str, Any]) -> bool:
    req, got = diff["requested"], diff["found"]
    if isinstance(req, list) and isinstance(got, list):
        return got[0] < req[0] and got[1] < req[1]
    return isinstance(req, int) and isinstance(got, int) and got < req


def _limited(chain: Chain) -> bool:
    return any(op.name == "resize" and op.get("limit", op.spec.default("limit")) != 0 for op in chain)


def mismatch(result: ProcessResult) -> VerifyMismatch | None:
    """The ``--strict`` failure for a verified result, or None when it matched the request."""
    v = result.verified
    if not v:
        return None
    if v.get("error"):
        return VerifyMismatch(
            _("the result could not be verified: {reason}").format(reason=v["error"].get("message")),
            hint=_("check that the saved result can be read, or drop --strict"),
        )
    diffs = v.get("differences") or []
    if not diffs:
        return None
    names = join(", ", [_(LABELS.get(d["property"], d["property"])) for d in diffs])
    return VerifyMismatch(
        _("the result differs from the request: {properties}").format(properties=names),
        hint=_("the verified values are listed above; adjust the operation, or drop --strict to accept them"),
    )
