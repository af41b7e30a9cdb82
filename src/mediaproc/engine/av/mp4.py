"""A pure-Python reader of ISO-BMFF headers (MP4, MOV, M4A, 3GP) for ``video info`` and ``video snapshot``.

:func:`read` walks the top-level boxes (``mdat`` skipped by its size, 64-bit sizes honoured), reads
``moov`` wherever it is, and builds the :class:`~mediaproc.engine.av.probe.MediaInfo` PyAV would
report, field for field, with the video's sample tables (:class:`Timeline`) so that
:func:`~mediaproc.engine.av.probe.locate_frame` finds a frame without opening the file again. It
answers ``None`` ("not sure": the caller asks PyAV) for whatever it does not verify: fragmented files
(``mvex``/``moof``), edit lists other than one plain shift, tracks that are neither sound nor
picture, cover art, encrypted or unknown sample entries (:mod:`mediaproc.engine.av.mp4codecs`), sample tables
FFmpeg's index would read otherwise (chunks that do not hold every sample once or lie past the file's end,
empty samples, an unsorted sync table, an AVC/HEVC track without one, a media header shorter than its samples,
pictures all of one size), data in another file (``dref``),
and any malformed, truncated or implausibly large structure. It never raises on hostile input: every
loop and allocation is bounded by the box that holds it and by the caps below.

The values follow FFmpeg, which PyAV wraps: ``libavformat/mov.c`` (``mov_read_mvhd``: the file's
duration is the movie header's, vouched for only when the tracks end there too; ``mov_read_stts``:
``duration_for_fps``/``nb_frames_for_fps`` give the average frame rate; ``mov_read_header``: a
stream's bit rate is ``data_size * 8 * time_scale / duration_for_fps``; ``mov_fix_index``: an edit
shortens a stream to its length) and ``libavformat/demux.c`` (``update_stream_timings``: the file's
bit rate is its size over its duration).
The parity test (``tests/engine_av/test_mp4_parity.py``) checks every field against PyAV on a matrix
of clips made with the engine's ffmpeg.

Why hand-written: PyPI's MP4 parsers (pymp4 on construct, hachoir) take longer to import than this
whole probe takes to run and do not read the codec configuration (the H.264 SPS) the pixel format
and profile come from; this reader exists to spare a one-shot ``video info`` an import of that size (PyAV's
is ~70 ms).
"""

from __future__ import annotations

import operator
import struct
from itertools import pairwise
from pathlib import Path

from mediaproc import TYPE_CHECKING
from mediaproc.engine.av.media import AudioStreamInfo, MediaInfo, Timeline, VideoStreamInfo
from mediaproc.engine.av.mp4codecs import Codec, describe, mp3_header_matches
from mediaproc.record import Record

if TYPE_CHECKING:  # typing for type checkers only: not imported on a one-shot run (mediaproc.TYPE_CHECKING)
    from typing import BinaryIO

# The first bytes of an ISO-BMFF file: its first box's type.
FIRST_BOXES = (b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip")
MAX_MOOV_BYTES = 64 << 20  # a movie header past this is left to FFmpeg (a 2 h film's is a few MB)
MAX_TOP_BOXES = 4096
MAX_CHILDREN = 4096
MAX_SAMPLES = 2_000_000  # per track (11 h of 48 kHz AAC, 9 h of 60 fps video): more is left to FFmpeg
CONTAINERS = (b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts")
FORMAT_NAME = "mov,mp4,m4a,3gp,3g2,mj2"
FORMAT_LONG = "QuickTime / MOV"


class Unsure(Exception):
    """The reader does not vouch for this file (caught in :func:`read`)."""


class _Track(Record):
    codec: Codec
    time_scale: int
    duration: int  # in time_scale units, after the edit
    start: int  # first presentation time, in time_scale units
    frames: int
    fps: float  # exactly FFmpeg's avg_frame_rate as a float (int / int is correctly rounded)
    bit_rate: int | None
    rotation: int
    timeline: Timeline


def _boxes(data: bytes, start: int, end: int) -> list[tuple[bytes, int, int]]:
    """(type, payload start, payload end) of the boxes in ``data[start:end]``; Unsure if they do not tile it."""
    found: list[tuple[bytes, int, int]] = []
    at = start
    while at < end:
        if len(found) >= MAX_CHILDREN or at + 8 > end:
            raise Unsure
        size, kind = struct.unpack_from(">I4s", data, at)
        header = 8
        if size == 1:
            if at + 16 > end:
                raise Unsure
            (size,) = struct.unpack_from(">Q", data, at + 8)
            header = 16
        elif size == 0:
            size = end - at
        if size < header or at + size > end:
            raise Unsure
        found.append((kind, at + header, at + size))
        at += size
    return found


def _only(children: list[tuple[bytes, int, int]], kind: bytes, data: bytes, *, required: bool = True) -> bytes | None:
    hits = [data[s:e] for k, s, e in children if k == kind]
    if len(hits) > 1 or (required and not hits):
        raise Unsure
    return hits[0] if hits else None


def _table(payload: bytes, fmt: str, *, head: int = 8) -> list[tuple[int, ...]]:
    """A full box's entry table: a 32-bit count after version/flags, then ``count`` entries of ``fmt``."""
    if len(payload) < head:
        raise Unsure
    (count,) = struct.unpack_from(">I", payload, head - 4)
    size = struct.calcsize(fmt)
    if count > MAX_SAMPLES or head + count * size > len(payload):
        raise Unsure
    return list(struct.iter_unpack(fmt, payload[head : head + count * size]))


def _rescale(value: int, num: int, den: int) -> int:
    """``av_rescale(value, num, den)``: value * num / den rounded to nearest, halves away from zero."""
    if den <= 0 or value < 0 or num < 0:
        raise Unsure
    return (value * num * 2 + den) // (2 * den)


def _rotation(matrix: tuple[int, ...]) -> int:
    """Clockwise degrees from a ``tkhd`` matrix (a, b, u, c, d, v, x, y, w; 16.16 fixed point), as
    ``round(-av_display_rotation_get())`` gives them; only right angles without a flip are vouched for."""
    a, b, _u, c, d, _v, _x, _y, _w = matrix
    one = 0x10000
    table = {(one, 0, 0, one): 0, (0, one, -one, 0): 90, (-one, 0, 0, -one): 180, (0, -one, one, 0): 270}
    found = table.get((a, b, c, d))
    if found is None:
        raise Unsure
    return found


def _track(data: bytes, start: int, end: int, movie_scale: int, size_of: int, read_at: ReadAt) -> _Track:
    trak = _boxes(data, start, end)
    tkhd = _need(trak, b"tkhd", data)
    version = tkhd[0] if tkhd else 0
    matrix_at = 40 if version == 0 else 52
    if len(tkhd) < matrix_at + 36:
        raise Unsure
    rotation = _rotation(struct.unpack_from(">9i", tkhd, matrix_at))
    edts = _only(trak, b"edts", data, required=False)
    edit: tuple[int, int] | None = None
    if edts is not None:
        (kind, s, e), *rest = _boxes(edts, 0, len(edts)) or [(b"", 0, 0)]
        if kind != b"elst" or rest:
            raise Unsure
        elst = edts[s:e]
        fmt = ">IiHH" if elst[:1] == b"\x00" else ">QqHH"
        entries = _table(elst, fmt)
        if len(entries) != 1:
            raise Unsure  # an empty edit (a delayed start) or several segments: FFmpeg's mov_fix_index
        seg, media_time, rate, frac = entries[0]
        if media_time < 0 or rate != 1 or frac != 0 or seg <= 0:
            raise Unsure
        edit = (seg, media_time)
    mdia_box = [(s, e) for k, s, e in trak if k == b"mdia"]
    if len(mdia_box) != 1:
        raise Unsure
    mdia = _boxes(data, *mdia_box[0])
    mdhd, hdlr = _need(mdia, b"mdhd", data), _need(mdia, b"hdlr", data)
    if mdhd[0] == 0 and len(mdhd) >= 20:
        time_scale, media_duration = struct.unpack_from(">II", mdhd, 12)
    elif mdhd[0] == 1 and len(mdhd) >= 32:
        time_scale, media_duration = struct.unpack_from(">IQ", mdhd, 20)
    else:
        raise Unsure
    if len(hdlr) < 12 or time_scale <= 0:
        raise Unsure
    handler = hdlr[8:12]
    if handler not in (b"vide", b"soun"):
        raise Unsure  # timecode, text, chapters, hint tracks: FFmpeg makes streams of them too
    minf_box = [(s, e) for k, s, e in mdia if k == b"minf"]
    if len(minf_box) != 1:
        raise Unsure
    minf = _boxes(data, *minf_box[0])
    _check_self_contained(minf, data)
    stbl_box = [(s, e) for k, s, e in minf if k == b"stbl"]
    if len(stbl_box) != 1:
        raise Unsure
    stbl = _boxes(data, *stbl_box[0])
    stsd = _need(stbl, b"stsd", data)
    entries_in = _boxes(stsd, 8, len(stsd))
    if len(stsd) < 8 or struct.unpack_from(">I", stsd, 4)[0] != 1 or len(entries_in) != 1:
        raise Unsure
    kind, s, e = entries_in[0]
    codec = describe(handler, kind, stsd[s:e])
    if codec is None:
        raise Unsure
    stts = [(c, d) for c, d in _table(_need(stbl, b"stts", data), ">II")]
    ctts_box = _only(stbl, b"ctts", data, required=False)
    ctts = [(c, o) for c, o in _table(ctts_box, ">Ii")] if ctts_box is not None else []
    if any(o < 0 for _, o in ctts):
        raise Unsure  # negative composition offsets: FFmpeg shifts the dts (mov_read_ctts)
    stss_box = _only(stbl, b"stss", data, required=False)
    keyframes = tuple(n - 1 for (n,) in _table(stss_box, ">I")) if stss_box is not None else None
    if keyframes == ():
        raise Unsure  # an empty sync table: FFmpeg parses the stream for keyframes (mov_read_stss)
    stsz = _need(stbl, b"stsz", data)
    if len(stsz) < 12:
        raise Unsure
    sample_size, count = struct.unpack_from(">II", stsz, 4)
    if count > MAX_SAMPLES:
        raise Unsure
    if keyframes is not None and (keyframes[0] < 0 or keyframes[-1] >= count
                                  or any(a >= b for a, b in pairwise(keyframes))):
        raise Unsure  # FFmpeg walks the sync table in order (mov_build_index): unsorted or out of range differs
    if keyframes is None and codec.codec in ("h264", "hevc") and count > 1:
        raise Unsure  # no sync table ("every sample is one"): FFmpeg finds an AVC/HEVC stream's keyframes itself
    if sample_size and handler == b"vide" and count > 1:
        raise Unsure  # one size for every picture: FFmpeg's probe of the first packets decides what it reports
    if not sample_size and 12 + 4 * count > len(stsz):
        raise Unsure
    sizes = None if sample_size else struct.unpack_from(f">{count}I", stsz, 12)  # one C call, not a tuple a sample
    if sizes is not None and 0 in sizes:
        raise Unsure  # a sample of no bytes: FFmpeg's index and demuxer skip it (its packets would differ)
    data_size = sample_size * count if sizes is None else sum(sizes)
    stco = _only(stbl, b"stco", data, required=False)
    co64 = _only(stbl, b"co64", data, required=False)
    if (stco is None) == (co64 is None):
        raise Unsure
    chunks = _table(stco, ">I") if stco is not None else _table(co64 or b"", ">Q")
    _check_chunks(_need(stbl, b"stsc", data), len(chunks), count, data_size, size_of,
                  max(chunks)[0] if chunks else 0)
    frames_for_fps = sum(c for c, _ in stts)
    duration_for_fps = sum(c * d for c, d in stts)
    if frames_for_fps != count or count == 0 or duration_for_fps <= 0 or sum(c for c, _ in ctts) > count:
        raise Unsure
    if any(d == 0 for c, d in stts if c):
        raise Unsure
    if media_duration < duration_for_fps:
        raise Unsure  # mov_read_stts keeps the smaller as the stream's duration, and its bit rate follows it
    media_duration = duration_for_fps  # a longer media header: mov_read_stts keeps the samples' duration
    if codec.mp3_probe and (
        not chunks or chunks[0][0] + 4 > size_of or not mp3_header_matches(read_at(chunks[0][0], 4), codec)
    ):
        raise Unsure
    # composition times of the first samples (B-frames reorder within a few frames)
    first = _first_cts(stts, ctts, 64)
    duration = media_duration
    if edit is not None:
        seg, media_time = edit
        if (handler == b"vide" or ctts) and media_time != min(first):
            raise Unsure  # the edit cuts into a frame (``-ss`` stream copy): FFmpeg's mov_fix_index decides
        # audio: an edit may start inside a packet (AAC priming, Opus pre-skip); FFmpeg's mov_fix_index
        # keeps that packet and skips the samples before the edit, so the stream starts at 0 all the same
        duration = min(media_duration, _rescale(seg, time_scale, movie_scale) if movie_scale else media_duration)
        start = 0
        shift = media_time
    else:
        if ctts and min(first) != 0:
            raise Unsure
        start = min(first)
        shift = 0
    fps = time_scale * frames_for_fps / duration_for_fps
    bit_rate = codec.bit_rate or data_size * time_scale * 8 // duration_for_fps  # floored, as PyAV reports it
    timeline = Timeline(time_scale, tuple(stts), tuple(ctts), keyframes, shift, count, end=duration)
    return _Track(codec, time_scale, duration, start, count, fps, bit_rate or None, rotation, timeline)


def _check_chunks(stsc: bytes, chunks: int, count: int, data_size: int, size_of: int, last_chunk: int) -> None:
    """Unsure unless the sample-to-chunk table (``stsc``) puts every sample in exactly one chunk, and the
    chunks and the samples' bytes fit in the file: FFmpeg builds its index from these tables
    (``mov_build_index``), so when they disagree its sample count, data size and bit rate are not the
    sample-size table's. Whole columns at a time (``map`` over ``operator``): ffmpeg writes a run per
    change of chunk size, ~16 000 runs in a 10-minute clip, which a loop would spend milliseconds on."""
    if len(stsc) < 8:
        raise Unsure
    (n,) = struct.unpack_from(">I", stsc, 4)
    if n == 0 or n > MAX_SAMPLES or 8 + 12 * n > len(stsc):
        raise Unsure
    table = struct.unpack_from(f">{3 * n}I", stsc, 8)
    firsts, per, descriptions = table[0::3], table[1::3], table[2::3]
    if (firsts[0] != 1 or firsts[-1] > chunks or min(per) == 0 or descriptions.count(1) != n
            or not all(map(operator.lt, firsts, firsts[1:]))):
        raise Unsure
    lasts = (*firsts[1:], chunks + 1)
    if sum(map(operator.mul, map(operator.sub, lasts, firsts), per)) != count:
        raise Unsure
    if data_size > size_of or last_chunk >= size_of:
        raise Unsure


def _check_self_contained(minf: list[tuple[bytes, int, int]], data: bytes) -> None:
    """Unsure unless every data reference (``dinf``/``dref``) says "in this file" (flag 1): a reference
    movie's samples live in another file, which FFmpeg tries to open (``mov_open_dref``)."""
    dinf = _only(minf, b"dinf", data, required=False)
    if dinf is None:
        return
    dref = _only(_boxes(dinf, 0, len(dinf)), b"dref", dinf, required=False)
    if dref is None:
        return
    for _kind, s, e in _boxes(dref, 8, len(dref)):
        if e - s < 4 or not dref[s + 3] & 1:
            raise Unsure


def _need(children: list[tuple[bytes, int, int]], kind: bytes, data: bytes) -> bytes:
    """The one child box ``kind`` (Unsure when it is missing or repeated)."""
    box = _only(children, kind, data)
    if box is None:
        raise Unsure
    return box


def _first_cts(stts: list[tuple[int, int]], ctts: list[tuple[int, int]], n: int) -> list[int]:
    dts: list[int] = []
    t = 0
    for count, delta in stts:
        for _ in range(min(count, n - len(dts))):
            dts.append(t)
            t += delta
        if len(dts) >= n:
            break
    i = 0
    for count, offset in ctts:
        for _ in range(min(count, len(dts) - i)):
            dts[i] += offset
            i += 1
        if i >= len(dts):
            break
    return dts or [0]


class ReadAt:
    """Reads ``size`` bytes at an offset of an open file."""

    def __init__(self, handle: BinaryIO) -> None:
        self.handle = handle

    def __call__(self, offset: int, size: int) -> bytes:
        self.handle.seek(offset)
        return self.handle.read(size)


def _find_moov(handle: BinaryIO, size_of: int) -> bytes:
    """The ``moov`` box's payload, wherever it is; Unsure for fragments, two movie headers or a broken walk."""
    at, moov = 0, None
    for _ in range(MAX_TOP_BOXES):
        if at >= size_of:
            break
        handle.seek(at)
        head = handle.read(16)
        if len(head) < 8:
            raise Unsure
        size, kind = struct.unpack_from(">I4s", head)
        header = 8
        if size == 1:
            if len(head) < 16:
                raise Unsure
            (size,) = struct.unpack_from(">Q", head, 8)
            header = 16
        elif size == 0:
            size = size_of - at
        if size < header or at + size > size_of:
            raise Unsure
        if kind in (b"moof", b"mfra", b"sidx"):
            raise Unsure
        if kind == b"moov":
            if moov is not None or size - header > MAX_MOOV_BYTES:
                raise Unsure
            moov = handle.read(size - header) if header == 16 else head[8:16] + handle.read(size - 16)
            if len(moov) != size - header:
                raise Unsure
        at += size
    else:
        raise Unsure
    if moov is None:
        raise Unsure
    return moov


def read(src: Path) -> MediaInfo | None:
    """The :class:`MediaInfo` PyAV would give for ``src``, or None when the reader is not sure."""
    try:
        with open(src, "rb") as handle:
            size_of = handle.seek(0, 2)
            handle.seek(0)
            if handle.read(8)[4:8] not in FIRST_BOXES:
                return None
            return _read(handle, src, size_of)
    except Exception:  # Unsure, or bytes no check foresaw: either way PyAV decides (the parity test
        return None  # asserts which files are declined, so a bug here shows as a decline there)


def _read(handle: BinaryIO, src: Path, size_of: int) -> MediaInfo:
    moov = _find_moov(handle, size_of)
    children = _boxes(moov, 0, len(moov))
    kinds = [k for k, _, _ in children]
    if b"mvex" in kinds or b"covr" in moov or b"encv" in moov or b"enca" in moov:
        raise Unsure  # fragments, cover art (an attached picture stream), encryption
    mvhd = _need(children, b"mvhd", moov)
    if mvhd[0] == 0 and len(mvhd) >= 100:
        movie_scale, movie_duration = struct.unpack_from(">II", mvhd, 12)
        matrix_at = 36
    elif mvhd[0] == 1 and len(mvhd) >= 112:
        movie_scale, movie_duration = struct.unpack_from(">IQ", mvhd, 20)
        matrix_at = 48
    else:
        raise Unsure
    if movie_scale <= 0 or movie_duration <= 0:
        raise Unsure
    if _rotation(struct.unpack_from(">9i", mvhd, matrix_at)) != 0:
        raise Unsure  # FFmpeg multiplies the movie's matrix into every track's
    read_at = ReadAt(handle)
    tracks = [_track(moov, s, e, movie_scale, size_of, read_at) for k, s, e in children if k == b"trak"]
    if not tracks or len(tracks) > 64:
        raise Unsure
    video: list[VideoStreamInfo] = []
    audio: list[AudioStreamInfo] = []
    timeline = None
    for index, t in enumerate(tracks):
        c = t.codec
        seconds = t.duration / t.time_scale
        if c.kind == "video":
            video.append(VideoStreamInfo(
                index=index, codec=c.codec, codec_long=c.codec_long, width=c.width, height=c.height,
                fps=t.fps, rotation=t.rotation if not video else 0,
                bit_rate=t.bit_rate, pix_fmt=c.pix_fmt, profile=c.profile, frames=t.frames, duration=seconds,
            ))
            timeline = timeline or t.timeline
        else:
            audio.append(AudioStreamInfo(
                index=index, codec=c.codec, codec_long=c.codec_long, sample_rate=c.sample_rate,
                channels=c.channels, layout=c.layout, sample_fmt=c.sample_fmt, bit_rate=t.bit_rate,
                duration=seconds,
            ))
    duration_us = _rescale(movie_duration, 1_000_000, movie_scale)
    start_us = min(_rescale(t.start, 1_000_000, t.time_scale) for t in tracks)
    end_us = max(_rescale(t.start + t.duration, 1_000_000, t.time_scale) for t in tracks)
    if end_us != duration_us:
        raise Unsure  # the movie header and the tracks disagree: which one FFmpeg believes is its call
    # demux.c update_stream_timings: a double, truncated
    bit_rate = int(size_of * 8.0 * 1_000_000 / duration_us) if duration_us > 0 else 0
    return MediaInfo(
        path=src, format_name=FORMAT_NAME, format_long=FORMAT_LONG, duration=duration_us / 1_000_000,
        start_time=start_us / 1_000_000, size=size_of, bit_rate=bit_rate or None, video=tuple(video),
        audio=tuple(audio), timeline=timeline,
    )
