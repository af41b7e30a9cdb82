"""Operations that turn video frames into images: snapshot, snapshots, sprite, animation.

Time semantics, one rule everywhere: the frame taken for time ``t`` is the frame *shown* at ``t``
(the last frame whose timestamp is at or before ``t``). A single snapshot finds that frame's exact
timestamp by reading packets (:func:`~mediaproc.engine.av.probe.locate_frame`); sampled series use
ffmpeg's ``fps`` filter with ``round=up`` anchored at the start, which picks the same frames at
``ss + k*inter``. ``m=fast`` takes the keyframe at or before ``t`` and decodes keyframes only.

Frame selection for snapshots and sprites (``m``):
- ``inter`` (default when ``inter`` is given): one frame every ``inter`` ms from ``ss``; ``num`` caps it.
- ``avg`` (default when only ``num`` is given): ``num`` frames evenly spread over ``ss``..end.
- ``key``: the keyframes from ``ss`` (at least ``inter`` ms apart when given); ``num`` caps it.
- ``dhash``: frames every ``inter`` ms (default 1000), dropping near-duplicates: a frame is kept when
  its 64-bit difference hash differs from the last kept one in more than ``thr`` % of the bits
  (default 10). With neither ``num`` nor ``inter``, ``inter``/``avg``/``dhash`` take one frame per second.

Outputs of many frames follow OSS: a target without an extension is a prefix, and frame ``n``
(1-based) is written to ``<prefix>_0_<n>.<f>`` (OSS: "the system appends a sequence number such as
_0_1.jpg"); a target that is an existing folder (or ends with ``/``) receives ``<stem>_0_<n>.<f>``
named after the source. A sprite target with an extension is used as is for a single sheet.
"""

from __future__ import annotations

import math
import os
import threading
from functools import partial
from pathlib import Path

from mediaproc import limits
from mediaproc.engine.av.common import (
    MediaOutput,
    documented,
    fmt_seconds,
    no_video,
    p_int,
    p_str,
    scale_filters,
    scaled_size,
    seconds,
)
from mediaproc.engine.av.probe import MediaInfo, locate_frame
from mediaproc.engine.av.runner import check_cancel, run_ffmpeg
from mediaproc.engine.av.staging import publish, staged_dir, staged_file
from mediaproc.errors import InvalidOperation, MediaError
from mediaproc.i18n import _
from mediaproc.ops.catalog.formats import canonical_format
from mediaproc.ops.destination import format_of_name
from mediaproc.ops.model import Op
from mediaproc.progress import ProgressCallback
from mediaproc.record import Record

IMAGE_CODEC = {"jpg": ["-c:v", "mjpeg", "-q:v", "2"], "png": ["-c:v", "png"]}
DEFAULT_INTERVAL_MS = 1000
DEFAULT_DHASH_THR = 10


def _image_format(op: Op, dst: Path | None = None) -> str:
    """``f``, else the frame format ``dst``'s name says (jpg or png, by the catalogue's extension table;
    another name says nothing here), else the operation's documented default (video/snapshot: jpg)."""
    named = format_of_name(dst.name) if dst is not None else None
    fmt = p_str(op, "f") or (named if named in IMAGE_CODEC else None)
    fmt = canonical_format(fmt or str(documented(op, "f") or "jpg"))
    if fmt not in IMAGE_CODEC:
        raise InvalidOperation(
            _("image format {f!r} is not supported here").format(f=fmt), hint=_("use f=jpg or f=png")
        )
    return fmt


def _need_video(info: MediaInfo) -> None:
    if info.v is None:
        raise no_video(info.path.name)


# -- video/snapshot ---------------------------------------------------------------------------------
def run_snapshot(
    op: Op,
    src: Path,
    dst: Path,
    *,
    info: MediaInfo,
    progress: ProgressCallback | None,
    cancel: threading.Event | None,
) -> MediaOutput:
    _need_video(info)
    assert info.v is not None
    fmt = _image_format(op, dst)
    t = (p_int(op, "t", 0) or 0) / 1000.0
    fast = p_str(op, "m") == "fast"
    offset = locate_frame(info, t, key_only=fast)
    check_cancel(cancel)
    mode = p_str(op, "ar", "auto")
    w, h = info.v.display_size
    filters: list[str] = []
    if mode in ("h", "w") and ((mode == "h") != (h > w)) and w != h:
        filters.append("transpose=1")  # h = portrait, w = landscape, as the operation model states
        w, h = h, w
    size = scaled_size((w, h), p_int(op, "w"), p_int(op, "h"), even_dims=False)
    scale, _out = scale_filters((w, h), size, "stretch", even_dims=False)
    filters += scale

    def args(seek: bool) -> list[str]:
        chain = list(filters)
        head = ["-skip_frame", "nokey"] if fast else []
        if seek:
            head += ["-ss", fmt_seconds(offset)]
        else:
            # Keep the file's own timestamps and pick the frame by its exact time.
            head = ["-copyts", *head]
            chain.insert(0, f"select='gte(t\\,{info.start_time + offset - 0.0005:.6f})'")
        tail = ["-map", f"0:{info.v.index}", "-frames:v", "1"]  # type: ignore[union-attr]
        if chain:
            tail += ["-vf", ",".join(chain)]
        return [*head, "-i", str(src), *tail, *IMAGE_CODEC[fmt], "-f", "image2", "-update", "1"]

    with staged_file(dst) as tmp:
        run = partial(run_ffmpeg, duration=None, progress=progress, cancel=cancel, replace={str(tmp): dst.name})
        run([*args(seek=True), str(tmp)])
        if not tmp.is_file() or tmp.stat().st_size == 0:
            # Formats without an index (MPEG-TS, raw streams) can seek past the keyframe the frame
            # needs, leaving nothing to decode: decode from the start and select the frame instead.
            run([*args(seek=False), str(tmp)])
    return MediaOutput(paths=(dst,))


# -- frame selection --------------------------------------------------------------------------------
class Selection(Record):
    """Which frames a snapshots/sprite run takes: input options, filters, a cap on their number,
    and the seconds of source that will be read (for progress)."""

    input_args: list[str]
    filters: list[str]
    limit: int | None
    expected: float | None
    planned: int | None = None  # frames ffmpeg will write, as far as the header tells (None: unknown)


def _remaining(info: MediaInfo, ss: float) -> float | None:
    if info.duration is None:
        return None
    return max(0.0, info.duration - ss)


def _check_start(op: Op, info: MediaInfo) -> float:
    ss = seconds(p_int(op, "ss")) or 0.0
    if info.duration is not None and ss >= info.duration:
        raise InvalidOperation(
            _("ss={ss} ms is past the end of the video ({duration:.3f} s)").format(
                ss=p_int(op, "ss"), duration=info.duration
            ),
            hint=_("choose a start inside the video"),
        )
    return ss


def _count(seconds: float | None, step: float | None) -> int | None:
    """Frames sampled every ``step`` s over ``seconds`` (None when either is unknown)."""
    if seconds is None or not step:
        return None
    return max(1, math.ceil(seconds / step - 1e-9))


def _capped(count: int | None, cap: int | None) -> int | None:
    if cap:
        return cap if count is None else min(count, cap)
    return count


def check_frames(op: Op, count: int | None) -> None:
    """Refuse a run that would write more than ``output_frames`` frames, from the header's duration
    and the parameters (``inter=1`` over a day of video is 86 million files), before ffmpeg starts."""
    if count is not None:
        limits.check(
            "output_frames",
            count,
            _("{op} ({n} frames)").format(op=op.name, n=count),
            _("take fewer frames: a larger inter, or num=N"),
        )


def _sampler(rate: str) -> str:
    return f"fps=fps={rate}:round=up:start_time=0"


def select_frames(op: Op, info: MediaInfo) -> Selection:
    ss = _check_start(op, info)
    num = p_int(op, "num")
    inter = p_int(op, "inter")
    mode = p_str(op, "m") or ("avg" if (num and not inter) else "inter")
    head = ["-ss", fmt_seconds(ss)] if ss else []
    remaining = _remaining(info, ss)
    if mode == "key":
        filters = []
        if inter:
            gap = inter / 1000.0
            filters.append(f"select='isnan(prev_selected_t)+gte(t-prev_selected_t\\,{gap:.6f})'")
        every = (1.0 / info.v.fps) if (info.v is not None and info.v.fps) else None
        planned = _capped(_count(remaining, max(every or 0.0, (inter or 0) / 1000.0) or None), num)
        return Selection(["-skip_frame", "nokey", *head], filters, num, remaining, planned)
    if mode == "avg":
        if not num:
            num = max(1, math.ceil(remaining or 1))
        if remaining is None or remaining <= 0:
            raise MediaError(_("the video's duration is unknown"), hint=_("use m=inter with inter=MS"))
        return Selection(head, [_sampler(f"{num}/{remaining:.6f}")], num, remaining, num)
    if mode in ("inter", "dhash"):
        step = inter or DEFAULT_INTERVAL_MS
        limit = num if mode == "inter" else None  # dhash extracts every sample, then keeps num of them
        planned = _capped(_count(remaining, step / 1000.0), limit)
        return Selection(head, [_sampler(f"1000/{step}")], limit, remaining, planned)
    raise InvalidOperation(_("unknown frame mode m={mode}").format(mode=mode), hint=_("use m=inter, key, avg or dhash"))


def _frame_size(
    op: Op, info: MediaInfo, wkey: str, hkey: str, pwkey: str, phkey: str
) -> tuple[list[str], tuple[int, int]]:
    assert info.v is not None
    src = info.v.display_size
    w, h = p_int(op, wkey), p_int(op, hkey)
    pw, ph = p_int(op, pwkey), p_int(op, phkey)
    if not w and pw:
        w = max(1, round(src[0] * pw / 100))
    if not h and ph:
        h = max(1, round(src[1] * ph / 100))
    size = scaled_size(src, w, h, even_dims=False)
    return scale_filters(src, size, p_str(op, "scaletype"), even_dims=False, both_given=bool(w and h))


def _dhash(path: Path) -> int:
    import numpy as np
    from PIL import Image

    with Image.open(path) as im:
        small = np.asarray(im.convert("L").resize((9, 8), Image.Resampling.BILINEAR), dtype=np.int16)
    bits = 0
    for b in (small[:, :-1] > small[:, 1:]).flatten():
        bits = (bits << 1) | int(b)
    return bits


def _dedup(files: list[Path], thr: int, limit: int | None) -> list[Path]:
    """Keep frames whose dHash differs from the last kept one in more than thr % of 64 bits."""
    kept: list[Path] = []
    last: int | None = None
    for f in files:
        h = _dhash(f)
        if last is None or bin(h ^ last).count("1") * 100 > thr * 64:
            kept.append(f)
            last = h
            if limit and len(kept) >= limit:
                break
    return kept


def sequence_names(dst: Path, src: Path, fmt: str, count: int) -> tuple[list[Path], str | None]:
    """The files of ``count`` outputs after target ``dst`` and a warning or None: the one naming
    rule of :mod:`mediaproc.ops.destination` (``<prefix>_0_<n>.<fmt>``, n from 1; a folder target
    takes the source's base name)."""
    from mediaproc.ops.destination import sequence_name, sequence_prefix

    target = dst.as_posix() + ("/" if dst.is_dir() or str(dst).endswith(("/", os.sep)) else "")
    prefix, warning = sequence_prefix(target, src.name)
    return [Path(sequence_name(prefix, n, fmt)) for n in range(1, count + 1)], warning


def _numbered(folder: Path, fmt: str) -> list[Path]:
    files = [p for p in folder.iterdir() if p.suffix == "." + fmt and p.stem.isdigit()]
    return sorted(files, key=lambda p: int(p.stem))


def _extract(
    op: Op,
    src: Path,
    info: MediaInfo,
    sel: Selection,
    post: list[str],
    fmt: str,
    folder: Path,
    *,
    progress: ProgressCallback | None,
    cancel: threading.Event | None,
    limit: int | None,
) -> list[Path]:
    assert info.v is not None
    args = [*sel.input_args, "-i", str(src), "-map", f"0:{info.v.index}"]
    filters = [*sel.filters, *post]
    if filters:
        args += ["-vf", ",".join(filters)]
    if limit:
        args += ["-frames:v", str(limit)]
    args += ["-fps_mode", "passthrough", *IMAGE_CODEC[fmt], "-f", "image2", "-start_number", "1"]
    args.append(str(folder / f"%d.{fmt}"))
    run_ffmpeg(args, duration=sel.expected, progress=progress, cancel=cancel, label=op.name)
    files = _numbered(folder, fmt)
    if not files:
        raise MediaError(
            _("no frame was selected from {name}").format(name=src.name),
            hint=_("check ss, inter and m against the video's length and keyframes"),
        )
    return files


# -- video/snapshots --------------------------------------------------------------------------------
def run_snapshots(
    op: Op,
    src: Path,
    dst: Path,
    *,
    info: MediaInfo,
    progress: ProgressCallback | None,
    cancel: threading.Event | None,
) -> MediaOutput:
    _need_video(info)
    fmt = _image_format(op)
    sel = select_frames(op, info)
    check_frames(op, sel.planned)
    scale, _size = _frame_size(op, info, "w", "h", "pw", "ph")
    dhash = p_str(op, "m") == "dhash"
    with staged_dir(dst.parent if not dst.is_dir() else dst) as tmp:
        files = _extract(op, src, info, sel, scale, fmt, tmp, progress=progress, cancel=cancel, limit=sel.limit)
        if dhash:
            files = _dedup(files, p_int(op, "thr", DEFAULT_DHASH_THR) or 0, p_int(op, "num"))
        names, warning = sequence_names(dst, src, fmt, len(files))
        out = publish(list(zip(files, names, strict=True)))
    return MediaOutput(paths=out, warnings=(warning,) if warning else ())


# -- video/sprite -----------------------------------------------------------------------------------
def run_sprite(
    op: Op,
    src: Path,
    dst: Path,
    *,
    info: MediaInfo,
    progress: ProgressCallback | None,
    cancel: threading.Event | None,
) -> MediaOutput:
    """Sheets of tw x th cells of sw x sh; size = tw*sw + (tw-1)*pad + 2*margin (and so for h)."""
    _need_video(info)
    fmt = _image_format(op, dst)
    sel = select_frames(op, info)
    check_frames(op, sel.planned)
    scale, cell = _frame_size(op, info, "sw", "sh", "psw", "psh")
    tw, th = (p_int(op, key) or int(documented(op, key)) for key in ("tw", "th"))
    pad, margin = (p_int(op, key, documented(op, key)) or 0 for key in ("pad", "margin"))
    check_sheet(cell, tw, th, pad, margin)
    dhash = p_str(op, "m") == "dhash"
    tile = f"tile=layout={tw}x{th}:padding={pad}:margin={margin}:color=black"
    with staged_dir(dst.parent if not dst.is_dir() else dst) as tmp:
        if dhash:
            frames_dir = tmp / "frames"
            frames_dir.mkdir()
            files = _extract(
                op,
                src,
                info,
                sel,
                scale,
                "png",
                frames_dir,
                progress=_span(progress, 0, 80),
                cancel=cancel,
                limit=None,
            )
            files = _dedup(files, p_int(op, "thr", DEFAULT_DHASH_THR) or 0, p_int(op, "num"))
            listing = tmp / "frames.txt"
            listing.write_text("".join(f"file '{f.resolve()}'\n" for f in files), encoding="utf-8")
            args = ["-f", "concat", "-safe", "0", "-i", str(listing), "-vf", tile]
            args += ["-fps_mode", "passthrough", *IMAGE_CODEC[fmt], "-f", "image2", "-start_number", "1"]
            args.append(str(tmp / f"%d.{fmt}"))
            run_ffmpeg(args, duration=None, progress=_span(progress, 80, 100), cancel=cancel)
            sheets = _numbered(tmp, fmt)
        else:
            # Cap the frames before they are tiled (-frames:v counts sheets, not frames).
            cap = [f"select='lt(n\\,{sel.limit})'"] if sel.limit else []
            sheets = _extract(
                op,
                src,
                info,
                sel,
                [*cap, *scale, tile],
                fmt,
                tmp,
                progress=progress,
                cancel=cancel,
                limit=None if sel.limit is None else math.ceil(sel.limit / (tw * th)),
            )
        if len(sheets) == 1 and dst.suffix.lower() in (".jpg", ".jpeg", ".png"):
            names = [dst]
        else:
            names, _warning = sequence_names(dst, src, fmt, len(sheets))
        out = publish(list(zip(sheets, names, strict=True)))
    return MediaOutput(paths=out)


def check_sheet(cell: tuple[int, int], tw: int, th: int, pad: int, margin: int) -> None:
    """A sheet is tw x th cells: refuse one over ``sprite_side`` (OSS: 16384 px) or ``output_pixels``
    before a frame is decoded (100 x 100 cells of 4096 px would be 409,600 px a side)."""
    width = tw * cell[0] + (tw - 1) * pad + 2 * margin
    height = th * cell[1] + (th - 1) * pad + 2 * margin
    subject = _("the sprite sheet ({tw}x{th} cells of {w}x{h} px: {sw}x{sh} px)").format(
        tw=tw, th=th, w=cell[0], h=cell[1], sw=width, sh=height
    )
    hint = _("use smaller cells (sw, sh, psw, psh) or fewer of them (tw, th)")
    limits.check("sprite_side", max(width, height), subject, hint)
    limits.check("output_pixels", width * height, subject, hint)


def _span(progress: ProgressCallback | None, lo: float, hi: float) -> ProgressCallback | None:
    if progress is None:
        return None
    from mediaproc.progress import ProgressEvent

    def report(event: ProgressEvent) -> None:
        frac = event.fraction or 0.0
        progress(ProgressEvent(completed=round(lo + (hi - lo) * frac, 1), total=100.0, unit="%", label=event.label))

    return report


# -- video/animation --------------------------------------------------------------------------------
def animation_plan(op: Op, info: MediaInfo) -> tuple[list[str], list[str], float, int | None, float | None]:
    """(input args, sampling filters, playback rate, frame limit, seconds read) for an animation.

    Sampling: every ``inter`` ms if given, else at ``fps`` if given (> 0), else every source frame.
    Playback: ``fps`` if given (> 0), else real time (1000/``inter``), else the source's rate.
    ``num`` caps the frame count, ``t`` the stretch of video read. So the frame count is
    ``min(num, ceil(length / step))`` where ``length = min(t, duration - ss)``.
    """
    assert info.v is not None
    ss = _check_start(op, info)
    t = seconds(p_int(op, "t")) or None
    inter = p_int(op, "inter")
    fps = p_int(op, "fps") or None
    num = p_int(op, "num")
    args = ["-ss", fmt_seconds(ss)] if ss else []
    if t:
        args += ["-t", fmt_seconds(t)]
    sampling: list[str] = []
    if inter:
        sampling.append(_sampler(f"1000/{inter}"))
    elif fps:
        sampling.append(_sampler(str(fps)))
    rate = float(fps) if fps else (1000.0 / inter if inter else (info.v.fps or 25.0))
    remaining = _remaining(info, ss)
    length = min(t, remaining) if (t and remaining is not None) else (t or remaining)
    return args, sampling, rate, num, length


def check_animation(op: Op, size: tuple[int, int], frames: int | None) -> None:
    """An animation is encoded from all its frames at once (a GIF's palette is computed over every
    frame before the first is written, so ffmpeg holds them all): refuse more than ``output_frames``
    frames, or ``output_pixels`` of width x height x frames, before ffmpeg starts."""
    check_frames(op, frames)
    if frames is not None:
        limits.check(
            "output_pixels",
            size[0] * size[1] * frames,
            _("{op} ({w}x{h} px, {n} frames)").format(op=op.name, w=size[0], h=size[1], n=frames),
            _("take fewer frames (t, inter, num) or make them smaller (w, h)"),
        )


def run_animation(
    op: Op,
    src: Path,
    dst: Path,
    *,
    info: MediaInfo,
    progress: ProgressCallback | None,
    cancel: threading.Event | None,
) -> MediaOutput:
    _need_video(info)
    fmt = p_str(op, "f") or {".gif": "gif", ".webp": "webp"}.get(dst.suffix.lower(), "gif")
    if fmt not in ("gif", "webp"):
        raise InvalidOperation(_("animations are gif or webp"), hint=_("use f=gif or f=webp"))
    assert info.v is not None
    in_args, sampling, rate, num, length = animation_plan(op, info)
    inter, fps = p_int(op, "inter"), p_int(op, "fps") or None
    src_size = info.v.display_size
    w, h = p_int(op, "w"), p_int(op, "h")
    size = scaled_size(src_size, w, h, even_dims=False)
    scale, out_size = scale_filters(src_size, size, p_str(op, "scaletype"), even_dims=False, both_given=bool(w and h))
    # Re-time the sampled frames for playback at ``rate``: a fine time base first so N/rate is exact,
    # then fps=rate (an identity on these timestamps) so every frame, the last too, lasts 1/rate.
    chain = [*sampling, *scale, "settb=AVTB", f"setpts=N/({rate:.6f}*TB)", f"fps=fps={rate:.6f}"]
    args = [*in_args, "-i", str(src)]
    if fmt == "gif":
        # One palette for the whole animation: far better colours than the default 256-colour cube.
        graph = ",".join(chain) + ",split[a][b];[a]palettegen=stats_mode=diff[p];[b][p]paletteuse=dither=bayer"
        args += ["-filter_complex", f"[0:{info.v.index}]{graph}[out]", "-map", "[out]"]
        codec = ["-c:v", "gif", "-loop", "0", "-f", "gif"]
    else:
        args += ["-map", f"0:{info.v.index}", "-vf", ",".join(chain)]
        codec = ["-c:v", "libwebp_anim", "-loop", "0", "-quality", "75", "-pix_fmt", "yuva420p", "-f", "webp"]
    if num:
        args += ["-frames:v", str(num)]
    args += ["-fps_mode", "passthrough", *codec]
    step = (inter / 1000.0) if inter else (1.0 / fps if fps else 1.0 / (info.v.fps or 25.0))
    frames = math.ceil((length or 0) / step - 1e-9) if length else None
    if frames is not None and num:
        frames = min(frames, num)
    check_animation(op, out_size, frames or num or None)
    expected = frames / rate if frames else None
    with staged_file(dst) as tmp:
        args.append(str(tmp))
        run_ffmpeg(
            args, duration=expected, progress=progress, cancel=cancel, replace={str(tmp): dst.name}, label=op.name
        )
    return MediaOutput(paths=(dst,))
