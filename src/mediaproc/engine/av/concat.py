"""video/concat and audio/concat: the source plus inputs before (``pre``) and after (``sur``) it.

Every input is probed before anything runs (SPEC.md §2): a missing or unreadable input fails
first, differing resolutions are an error unless ``s`` is given (otherwise the output size would be
a guess), differing frame rates, codecs and sample rates are warnings (the output is normalised to
one rate anyway). The join is ffmpeg's concat *filter* after normalising every segment to one size,
frame rate, pixel format, sample rate and channel layout, so inputs of different codecs and
containers join cleanly; an input without sound contributes silence of its own length. The output
lasts the sum of the (trimmed) inputs.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mediaproc.engine.av.common import (
    ConcatPart,
    MediaOutput,
    fmt_seconds,
    p_int,
    p_size,
    p_str,
    scale_filters,
)
from mediaproc.engine.av.convert import mux_args, output_format
from mediaproc.engine.av.encode import audio_codec, audio_encoder_args, target_fps, video_encoder_args
from mediaproc.engine.av.probe import MediaInfo, fmt_number, info_json, media_info
from mediaproc.engine.av.runner import run_ffmpeg
from mediaproc.engine.av.staging import staged_file
from mediaproc.errors import InvalidOperation
from mediaproc.i18n import _
from mediaproc.limits import SHARED
from mediaproc.ops.model import Op, Problem
from mediaproc.progress import ProgressCallback

MAX_INPUTS = SHARED["concat_inputs"].value  # OSS video/concat: at most 11 videos (mediaproc.limits)
LAYOUTS = {1: "mono", 2: "stereo", 3: "2.1", 4: "quad", 5: "5.0", 6: "5.1", 7: "6.1", 8: "7.1"}


@dataclass(frozen=True)
class Segment:
    path: Path
    info: MediaInfo
    ss: float
    duration: float  # seconds this segment contributes


def _ordered(src: Path, inputs: Sequence[ConcatPart]) -> list[ConcatPart]:
    pre = [p for p in inputs if p.position == "pre"]
    sur = [p for p in inputs if p.position != "pre"]
    return [*pre, ConcatPart(path=src, position="main"), *sur]


def _segments(
    src: Path, inputs: Sequence[ConcatPart], problems: list[Problem], infos: Mapping[Path, MediaInfo]
) -> list[Segment]:
    segments: list[Segment] = []
    for part in _ordered(src, inputs):
        if part.position not in ("pre", "sur", "main"):
            problems.append(
                Problem(
                    _("input {name}: position must be pre or sur, not {pos!r}").format(
                        name=part.path.name, pos=part.position
                    ),
                    hint=_("use --input PATH with prepend or append"),
                )
            )
            continue
        info = infos.get(part.path) or media_info(part.path)  # raises NotFound / MediaError naming the file
        ss = (part.ss or 0) / 1000.0
        total = info.duration or 0.0
        if ss and ss >= total:
            problems.append(
                Problem(
                    _("input {name}: ss={ss} ms is past its end ({duration} s)").format(
                        name=part.path.name, ss=part.ss, duration=fmt_number(total)
                    ),
                    hint=_("choose a start inside that input"),
                )
            )
            continue
        length = total - ss
        if part.t:
            length = min(length, part.t / 1000.0)
        segments.append(Segment(part.path, info, ss, length))
    return segments


def check_concat_inputs(
    op: Op, src: Path, inputs: Sequence[ConcatPart], infos: Mapping[Path, MediaInfo] | None = None
) -> list[Problem]:
    """Probe every input (unless ``infos`` has its probe); errors (``warning=False``) must stop the
    request, warnings may not.

    The compatibility rules and their wording are the operation model's
    (:func:`mediaproc.ops.concat.check_infos`, shared with the OSS provider); this adds what only
    local files can break: count, position, a start past an input's end, and unreadable files
    (raised: NotFound / MediaError naming the file).
    """
    return _check(op, src, inputs, infos or {})[0]


def _check(
    op: Op, src: Path, inputs: Sequence[ConcatPart], infos: Mapping[Path, MediaInfo]
) -> tuple[list[Problem], list[Segment]]:
    """:func:`check_concat_inputs`, and the segments it planned (a run uses them: one probe per input)."""
    from mediaproc.ops.concat import check_infos

    problems: list[Problem] = []
    if 1 + len(inputs) > MAX_INPUTS:
        problems.append(
            Problem(
                _("concat takes at most {max} inputs in all, not {n}").format(max=MAX_INPUTS, n=1 + len(inputs)),
                hint=_("join in several steps"),
            )
        )
    segments = _segments(src, inputs, problems, infos)
    names = [s.path.name for s in segments]
    shapes: dict[str, dict[str, Any]] = {}
    for seg in segments:
        key = seg.path.name if names.count(seg.path.name) == 1 or seg.path == src else str(seg.path)
        shapes.setdefault(key, info_json(seg.info, kind="video" if op.name == "video/concat" else "audio"))
    problems.extend(check_infos(op, shapes))
    problems.sort(key=lambda p: p.warning)
    return problems, segments


def run_concat(
    op: Op,
    src: Path,
    dst: Path,
    inputs: Sequence[ConcatPart],
    *,
    progress: ProgressCallback | None,
    cancel: threading.Event | None,
    infos: Mapping[Path, MediaInfo] | None = None,
) -> MediaOutput:
    """Join ``src`` and ``inputs``; ``infos`` holds the probes :func:`~mediaproc.engine.av.run_media`
    made already (each input is probed once per run)."""
    problems, segments = _check(op, src, inputs, infos or {})
    errors = [p for p in problems if not p.warning]
    if errors:
        raise InvalidOperation(errors[0].message, hint=errors[0].hint)
    warnings = tuple(p.message for p in problems if p.warning)
    video = op.name == "video/concat"
    fmt = output_format(op, dst)
    align = min(max(p_int(op, "align", 0) or 0, 0), len(segments) - 1)
    ref = segments[align]
    with_audio = not p_int(op, "an", 0) and any(s.info.a is not None for s in segments)

    args: list[str] = []
    for seg in segments:
        if seg.ss:
            args += ["-ss", fmt_seconds(seg.ss)]
        args += ["-t", fmt_seconds(seg.duration), "-i", str(seg.path)]

    ref_a = ref.info.a or next((s.info.a for s in segments if s.info.a is not None), None)
    rate = p_int(op, "ar") or (ref_a.sample_rate if ref_a else None) or 44_100
    channels = p_int(op, "ac") or (ref_a.channels if ref_a else None) or 2
    layout = LAYOUTS.get(channels, "stereo")
    graph: list[str] = []
    vlabels: list[str] = []
    alabels: list[str] = []
    vref = ref.info.v
    if video:
        assert vref is not None
        size = p_size(op, "s")
        fps = target_fps(op, vref) or vref.fps or 25.0
    for i, seg in enumerate(segments):
        if video:
            v = seg.info.v
            assert v is not None and vref is not None
            scale, _out = scale_filters(
                v.display_size,
                size or vref.display_size,
                p_str(op, "scaletype"),
                even_dims=True,
            )
            # Each segment starts at 0 (a trimmed input's first frame is a little after its ss).
            chain = ["setpts=PTS-STARTPTS", *scale, f"fps={fps:.6f}", "format=yuv420p", "setsar=1"]
            graph.append(f"[{i}:{v.index}]{','.join(chain)}[v{i}]")
            vlabels.append(f"[v{i}]")
        if with_audio:
            fmt_a = f"aformat=sample_fmts=fltp:sample_rates={rate}:channel_layouts={layout}"
            # Exactly the segment's length: pad short sound, cut long sound (priming, sloppy ends).
            exact = f"apad=whole_dur={seg.duration:.6f},atrim=duration={seg.duration:.6f}"
            if seg.info.a is not None:
                graph.append(f"[{i}:{seg.info.a.index}]asetpts=PTS-STARTPTS,{fmt_a},{exact}[a{i}]")
            else:
                graph.append(f"anullsrc=r={rate}:cl={layout},{exact}[a{i}]")
            alabels.append(f"[a{i}]")
    n = len(segments)
    # Two joins, not one: a joint concat pads every segment's sound to its video's rounded end.
    if video:
        graph.append(f"{''.join(vlabels)}concat=n={n}:v=1:a=0[v]")
    if with_audio:
        graph.append(f"{''.join(alabels)}concat=n={n}:v=0:a=1[a]")
    args += ["-filter_complex", ";".join(graph)]
    if video:
        assert vref is not None
        args += ["-map", "[v]", *video_encoder_args(op, fmt, p_str(op, "vcodec") or "h264", vref)]
    if with_audio:
        assert ref_a is not None
        acodec = audio_codec(op, fmt, encode=True)
        if acodec == "copy":
            acodec = "aac"
        args += ["-map", "[a]", *audio_encoder_args(op, fmt, acodec, ref_a)]
    args += mux_args(fmt)
    with staged_file(dst) as tmp:
        args.append(str(tmp))
        run_ffmpeg(
            args,
            duration=sum(s.duration for s in segments),
            progress=progress,
            cancel=cancel,
            replace={str(tmp): dst.name},
            label=op.name,
        )
    return MediaOutput(paths=(dst,), warnings=warnings)
