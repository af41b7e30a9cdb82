"""The pure-Python MP4 reader (``engine/av/mp4.py``) against PyAV, field by field.

A matrix of tiny clips made with the engine's own ffmpeg (a few frames at 64x48): every clip the
reader accepts must give exactly the :class:`MediaInfo` PyAV gives (every field), exactly the same
``video/info`` and ``audio/info`` JSON, and the same ``locate_frame`` answer at 0, between frames, on
a frame, near and past the end, with and without ``key_only`` (the reader's sample tables against
PyAV's packets). Every clip it declines is listed as declined, so the fallback is tested, not
assumed; and ``media_info`` of a declined clip is PyAV's. Hostile files (truncated, sizes past the
end, counts past their box) must give an answer or ``None``, never an exception.
"""

from __future__ import annotations

import contextlib
import struct
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from mediaproc import record
from mediaproc.engine.av.mp4 import read
from mediaproc.engine.av.probe import MediaInfo, info_json, locate_frame, media_info, media_info_pyav
from mediaproc.engine.av.runner import ffmpeg_exe
from mediaproc.errors import MediaError

V = ["-f", "lavfi", "-i", "testsrc2=size=64x48:rate=25:duration=0.4"]
A = ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100:duration=0.4"]
TONE = ["-f", "lavfi", "-i", "sine=duration=0.5"]
TONE48 = ["-f", "lavfi", "-i", "sine=duration=0.5:sample_rate=48000"]
X264 = ["-c:v", "libx264", "-preset", "ultrafast"]
X265 = ["-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=none"]

# name -> (ffmpeg arguments before the output; {d} is the folder), accepted by the reader
CASES: dict[str, tuple[list[str], bool]] = {
    "baseline.mp4": ([*V, *A, *X264, "-profile:v", "baseline", "-c:a", "aac", "-shortest"], True),
    "main_b.mp4": ([*V, "-c:v", "libx264", "-profile:v", "main", "-bf", "2"], True),
    "high_b.mp4": ([*V, "-c:v", "libx264", "-profile:v", "high", "-bf", "3", "-g", "5"], True),
    "high_nob.mp4": ([*V, "-c:v", "libx264", "-bf", "0"], True),
    "yuvj420p.mp4": ([*V, "-c:v", "libx264", "-pix_fmt", "yuvj420p"], True),
    "full_range.mp4": ([*V, "-c:v", "libx264", "-color_range", "pc"], True),
    "high10.mp4": ([*V, "-c:v", "libx264", "-pix_fmt", "yuv420p10le"], True),
    "yuv422p.mp4": ([*V, "-c:v", "libx264", "-pix_fmt", "yuv422p"], True),
    "yuv444p.mp4": ([*V, "-c:v", "libx264", "-pix_fmt", "yuv444p"], True),
    "odd_444.mp4": (["-f", "lavfi", "-i", "testsrc2=size=65x49:rate=25:duration=0.2", "-vf", "scale=65:49",
                     "-c:v", "libx264", "-pix_fmt", "yuv444p"], True),
    "mpeg4.mp4": ([*V, "-c:v", "mpeg4"], True),
    "hevc.mp4": ([*V, *X265], True),
    "hevc_hvc1.mp4": ([*V, *X265, "-tag:v", "hvc1"], True),
    "hevc_full.mp4": ([*V, *X265, "-color_range", "pc"], True),
    "hevc_main10.mp4": ([*V, *X265, "-pix_fmt", "yuv420p10le"], True),
    "hevc_444.mp4": ([*V, *X265, "-pix_fmt", "yuv444p"], True),
    "hevc_odd_b.mp4": (["-f", "lavfi", "-i", "testsrc2=size=66x50:rate=25:duration=0.2", *X265, "-bf", "4"], True),
    "aac_mono.m4a": ([*TONE, "-ac", "1", "-c:a", "aac"], True),
    "aac_51.m4a": ([*TONE, "-ac", "6", "-c:a", "aac"], True),
    "aac_stereo_video.mp4": ([*V, *A, *X264, "-ac", "2", "-c:a", "aac", "-shortest"], True),
    "mp3.mp4": ([*TONE, "-ac", "2", "-c:a", "libmp3lame"], True),
    "opus.mp4": ([*TONE48, "-ac", "2", "-c:a", "libopus"], True),
    "ac3.mp4": ([*TONE48, "-ac", "2", "-c:a", "ac3"], True),
    "alac.m4a": ([*TONE, "-ac", "2", "-c:a", "alac"], True),
    "pcm_le.mov": ([*TONE, "-ac", "2", "-c:a", "pcm_s16le"], True),
    "pcm_be.mov": ([*TONE, "-ac", "1", "-c:a", "pcm_s16be"], True),
    "faststart.mp4": ([*V, *A, *X264, "-c:a", "aac", "-shortest", "-movflags", "+faststart"], True),
    "quicktime.mov": ([*V, *A, "-c:v", "libx264", "-c:a", "aac", "-shortest"], True),
    "small.3gp": ([*V, "-c:v", "libx264", "-f", "3gp"], True),
    "ntsc.mp4": (["-f", "lavfi", "-i", "testsrc2=size=64x48:rate=30000/1001:duration=0.4", "-c:v", "libx264"], True),
    "r60.mp4": (["-f", "lavfi", "-i", "testsrc2=size=64x48:rate=60:duration=0.3", "-c:v", "libx264"], True),
    "vfr.mp4": ([*V, "-vf", "select='not(eq(n\\,3)+eq(n\\,4))'", "-fps_mode", "vfr", "-c:v", "libx264"], True),
    "one_frame.mp4": (["-f", "lavfi", "-i", "testsrc2=size=64x48:rate=25", "-frames:v", "1", "-c:v", "libx264"],
                      True),
    "rot90.mp4": (["-display_rotation", "-90", "-i", "{d}/baseline.mp4", "-c", "copy"], True),
    "rot180.mp4": (["-display_rotation", "180", "-i", "{d}/baseline.mp4", "-c", "copy"], True),
    "rot270.mp4": (["-display_rotation", "90", "-i", "{d}/baseline.mp4", "-c", "copy"], True),
    # declined: PyAV answers
    "two_videos.mp4": (["-i", "{d}/baseline.mp4", "-display_rotation", "90", "-i", "{d}/baseline.mp4",
                        "-map", "0:v", "-map", "1:v", "-c", "copy"], True),  # the second one's rotation is not read
    "hflip.mp4": (["-display_hflip", "-i", "{d}/baseline.mp4", "-c", "copy"], False),  # a mirror, not a rotation
    "rot90_vflip.mp4": (["-display_rotation", "90", "-display_vflip", "-i", "{d}/baseline.mp4", "-c", "copy"], False),
    "negative_cts.mp4": ([*V, "-c:v", "libx264", "-bf", "3", "-movflags", "+negative_cts_offsets"], False),
    "no_editlist_b.mp4": ([*V, "-c:v", "libx264", "-bf", "3", "-use_editlist", "0"], False),
    "timecode.mov": ([*V, "-c:v", "libx264", "-timecode", "01:00:00:00"], False),  # a tmcd track: PyAV's stream 1
    "cover_art.m4a": ([*TONE, "-f", "lavfi", "-i", "color=red:size=32x32:duration=0.04", "-map", "0", "-map", "1",
                       "-c:a", "aac", "-c:v", "mjpeg", "-disposition:v", "attached_pic"], False),
    "gop12_2s.mp4": (["-f", "lavfi", "-i", "testsrc2=size=64x48:rate=25:duration=2", *X264, "-g", "12", "-bf", "2"],
                     True),
    "fragmented.mp4": ([*V, "-c:v", "libx264", "-movflags", "frag_keyframe+empty_moov"], False),
    "cut_copy.mp4": (["-ss", "0.1", "-i", "{d}/high_b.mp4", "-c", "copy"], False),  # the edit cuts into a frame
    "itsoffset.mp4": (["-itsoffset", "0.2", "-i", "{d}/baseline.mp4", "-c", "copy"], False),  # an empty edit
    "edit_past_media.mp4": ([*V, "-vf", "setpts='if(lt(N,5),N,N*2)/25/TB'", "-fps_mode", "vfr", "-c:v", "libx264"],
                            False),  # the edit outlasts the media: which duration FFmpeg keeps is its call
    "aac_22k.m4a": (["-f", "lavfi", "-i", "sine=duration=0.5:sample_rate=22050", "-c:a", "aac"], False),  # SBR?
    "he_aac_free.mp4": ([*TONE, "-ac", "3", "-c:a", "aac"], False),  # a channel layout not verified
}
TIMES = (0.0, 0.01, 0.04, 0.05, 0.08, 0.1, 0.12, 0.2, 0.23, 0.39, 0.4, 5.0)


def _ffmpeg(args: list[str]) -> None:
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *args], check=True,
                   stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def matrix(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("mp4_matrix")
    for name, (args, _accepted) in CASES.items():  # in order: the copies come after their sources
        try:
            _ffmpeg([*(a.format(d=d) for a in args), str(d / name)])
        except subprocess.CalledProcessError:
            if "libx265" not in args:
                raise  # HEVC only where the ffmpeg build has libx265: its cases skip
    return d


def _without_timeline(info: MediaInfo) -> MediaInfo:
    return record.replace(info, timeline=None)


@pytest.mark.parametrize("name", list(CASES))
def test_the_reader_answers_as_pyav_or_declines(name: str, matrix: Path) -> None:
    path = matrix / name
    if not path.exists():
        pytest.skip("this ffmpeg build has no libx265")
    expected = media_info_pyav(path)
    got = read(path)
    if not CASES[name][1]:
        assert got is None, f"{name}: the reader should decline it"
        assert media_info(path) == expected  # the fallback is PyAV's answer
        return
    assert got is not None, f"{name}: the reader declined it"
    assert got == expected
    for a, b in zip((*got.video, *got.audio), (*expected.video, *expected.audio), strict=True):
        assert record.asdict(a) == record.asdict(b)
    for kind in ("video", "audio"):
        assert info_json(got, kind=kind) == info_json(expected, kind=kind)
    if got.v is None:
        assert got.timeline is None
        return
    assert got.timeline is not None
    for t in (*TIMES, (got.duration or 0) * 0.999):
        for key_only in (False, True):
            mine = locate_frame(got, t, key_only=key_only)
            pyav = locate_frame(_without_timeline(got), t, key_only=key_only)
            assert mine == pyav, (name, t, key_only)


def test_an_mp4_is_probed_without_pyav(matrix: Path) -> None:
    """``media_info`` of an accepted file goes through the reader: its sample tables come back."""
    info = media_info(matrix / "high_b.mp4")
    assert info.timeline is not None and info.v is not None and info.v.frames == 10


def _large_mdat(data: bytes) -> bytes:
    """``data`` with its ``mdat`` header rewritten in the 64-bit form (size 1 + largesize), the chunk
    offsets moved by the 8 bytes it adds: the file FFmpeg writes for a media past 4 GB, in small."""
    at = 0
    while at < len(data):
        size, kind = struct.unpack_from(">I4s", data, at)
        if kind == b"mdat":
            break
        at += size
    assert kind == b"mdat"
    out = bytearray(data[:at] + struct.pack(">I4sQ", 1, b"mdat", size + 8) + data[at + 8 :])
    moov = out.find(b"moov")
    assert moov > at, "the sample file must have its movie header after the media"
    pos = moov
    while (pos := out.find(b"stco", pos + 1)) > 0:
        (count,) = struct.unpack_from(">I", out, pos + 8)
        for i in range(count):
            (offset,) = struct.unpack_from(">I", out, pos + 12 + 4 * i)
            struct.pack_into(">I", out, pos + 12 + 4 * i, offset + 8)
    return bytes(out)


def test_a_64_bit_mdat_size_is_honoured(matrix: Path, tmp_path: Path) -> None:
    path = tmp_path / "large.mp4"
    path.write_bytes(_large_mdat((matrix / "mp3.mp4").read_bytes()))
    got = read(path)
    assert got is not None and got == media_info_pyav(path)


def _hostile(data: bytes) -> list[bytes]:
    """Truncations, sizes past the end, counts past their box, a zero-size box inside the movie."""
    moov = data.find(b"moov")
    stsz, stts = data.find(b"stsz"), data.find(b"stts")
    cases = [data[:n] for n in (0, 7, 8, 16, moov - 2, moov + 40, moov + 400, len(data) - 1)]
    for at, value in ((moov - 4, 0xFFFFFFF0), (stsz + 12, 0xFFFFFFFF), (stts + 8, 0xFFFFFFFF),
                      (stts + 12, 0xFFFFFFFF), (stts + 16, 0), (moov + 4, 0), (moov + 4, 1), (stsz - 4, 4)):
        b = bytearray(data)
        struct.pack_into(">I", b, at, value)
        cases.append(bytes(b))
    return cases


@pytest.mark.parametrize("name", ["high_b.mp4", "faststart.mp4", "mp3.mp4"])
def test_hostile_headers_never_raise(name: str, matrix: Path, tmp_path: Path) -> None:
    for i, data in enumerate(_hostile((matrix / name).read_bytes())):
        path = tmp_path / f"h{i}.mp4"
        path.write_bytes(data)
        got = read(path)  # an answer or None; an exception fails the test
        if got is not None and got.timeline is not None:
            got.timeline.frame_at(0.1, key_only=False)


def _claiming_days(data: bytes, seconds: int) -> bytes:
    """A one-track file whose movie header, media header, edit and sample durations all claim ``seconds``
    (a consistent lie: the reader believes it, as FFmpeg does)."""
    out = bytearray(data)
    mvhd, mdhd, elst, stts = (out.find(k) for k in (b"mvhd", b"mdhd", b"elst", b"stts"))
    movie_scale = struct.unpack_from(">I", out, mvhd + 16)[0]
    media_scale = struct.unpack_from(">I", out, mdhd + 16)[0]
    struct.pack_into(">I", out, mvhd + 20, seconds * movie_scale)
    struct.pack_into(">I", out, mdhd + 20, seconds * media_scale)
    struct.pack_into(">I", out, elst + 12, seconds * movie_scale)
    assert struct.unpack_from(">I", out, stts + 8)[0] == 1  # one run of equal durations
    (count,) = struct.unpack_from(">I", out, stts + 12)
    struct.pack_into(">II", out, stts + 12, count, seconds * media_scale // count)
    return bytes(out)


def test_a_header_claiming_days_is_refused_before_ffmpeg_runs(matrix: Path, tmp_path: Path) -> None:
    from mediaproc.engine.av.probe import check_media
    from mediaproc.limits import LimitExceeded

    path = tmp_path / "days.m4a"
    path.write_bytes(_claiming_days((matrix / "pcm_be.mov").read_bytes(), 50_000))
    info = media_info(path)
    assert read(path) is not None and info.duration == pytest.approx(50_000)
    with pytest.raises(LimitExceeded) as refused:
        check_media(info)
    assert refused.value.details["limit"] == "media_seconds"


def _trimmed_by_edit(data: bytes, fraction: float) -> bytes:
    """A one-track file whose edit (and movie and track headers) show only the first ``fraction`` of its
    media: a trim kept as an edit list (an editor's "trim" without re-encoding), frames past it cut off."""
    out = bytearray(data)
    moov = out.find(b"moov")
    mvhd, tkhd, elst = (out.find(k, moov) for k in (b"mvhd", b"tkhd", b"elst"))
    assert out[mvhd + 4] == out[tkhd + 4] == out[elst + 4] == 0  # version 0 boxes: 32-bit fields
    (movie_duration,) = struct.unpack_from(">I", out, mvhd + 20)
    shown = int(movie_duration * fraction)
    struct.pack_into(">I", out, mvhd + 20, shown)
    struct.pack_into(">I", out, tkhd + 24, shown)
    assert struct.unpack_from(">I", out, elst + 8)[0] == 1
    struct.pack_into(">I", out, elst + 12, shown)
    return bytes(out)


@pytest.mark.parametrize("fraction", [0.3, 0.7])
def test_frames_a_trimming_edit_cuts_off_are_located_by_pyav(fraction: float, matrix: Path, tmp_path: Path) -> None:
    """Past a trimming edit, which packets FFmpeg still returns is ``mov_fix_index``'s call: the
    reader's sample tables do not answer there, PyAV's packets do (a B-frame clip trimmed to 0.6 s:
    at 1.5 s the tables gave the frame at 1.48 s, PyAV the keyframe at 1.44 s)."""
    path = tmp_path / "trimmed.mp4"
    path.write_bytes(_trimmed_by_edit((matrix / "gop12_2s.mp4").read_bytes(), fraction))
    got = read(path)
    assert got is not None and got == media_info_pyav(path)
    for t in (i / 20 for i in range(50)):
        for key_only in (False, True):
            assert locate_frame(got, t, key_only=key_only) == locate_frame(_without_timeline(got), t,
                                                                           key_only=key_only), (t, key_only)


def _with_co64(data: bytes) -> bytes:
    """``data`` with every ``stco`` rewritten as ``co64`` (64-bit chunk offsets, as FFmpeg writes them past
    4 GB) and the boxes holding it resized; the movie header must follow the media, so no offset moves."""
    moov = data.find(b"moov") - 4
    assert data.find(b"mdat") < moov

    def walk(buf: bytes) -> bytes:
        out, at = b"", 0
        while at < len(buf):
            size, kind = struct.unpack_from(">I4s", buf, at)
            body = buf[at + 8 : at + size]
            if kind in (b"moov", b"trak", b"mdia", b"minf", b"stbl"):
                body = walk(body)
            elif kind == b"stco":
                (count,) = struct.unpack_from(">I", body, 4)
                body, kind = body[:8] + struct.pack(f">{count}Q", *struct.unpack_from(f">{count}I", body, 8)), b"co64"
            out += struct.pack(">I4s", len(body) + 8, kind) + body
            at += size
        return out

    return data[:moov] + walk(data[moov:])


@pytest.mark.parametrize("name", ["baseline.mp4", "mp3.mp4", "gop12_2s.mp4"])
def test_64_bit_chunk_offsets_are_read_as_pyav_reads_them(name: str, matrix: Path, tmp_path: Path) -> None:
    path = tmp_path / name
    path.write_bytes(_with_co64((matrix / name).read_bytes()))
    assert b"co64" in path.read_bytes()
    got = read(path)
    assert got is not None and got == media_info_pyav(path)


def _media_headers(data: bytes) -> list[int]:
    at, found = data.find(b"moov"), []
    while (at := data.find(b"mdhd", at + 1)) > 0:
        found.append(at)
    return found


@pytest.mark.parametrize("fraction", [0.0, 0.5, 0.99, 1.01, 2.0])
def test_a_media_header_disagreeing_with_the_sample_durations_gets_pyavs_answer(
    fraction: float, matrix: Path, tmp_path: Path
) -> None:
    """``mdhd`` shorter than the samples' durations: FFmpeg keeps the smaller as the stream's duration
    (``mov_read_stts``) and its bit rate follows (the reader gave the samples' rate: 27632 where PyAV
    gave 55264 at half, and a rate where PyAV has none at 0). The reader answers as PyAV or declines."""
    data = (matrix / "aac_stereo_video.mp4").read_bytes()
    for track, at in enumerate(_media_headers(data)):
        out = bytearray(data)
        assert out[at + 4] == 0  # version 0: a 32-bit duration
        (duration,) = struct.unpack_from(">I", out, at + 20)
        struct.pack_into(">I", out, at + 20, int(duration * fraction))
        path = tmp_path / f"mdhd{track}.mp4"
        path.write_bytes(bytes(out))
        got = read(path)
        assert got is None or got == media_info_pyav(path), (track, fraction)


def _edited(data: bytes, kind: bytes, edit: Callable[[bytearray, int], None], nth: int = 0) -> bytes:
    """``data`` with ``edit(buffer, at)`` applied at the ``nth`` box ``kind`` of its movie header (``at``:
    the offset of the type's first byte, as ``bytes.find`` gives it)."""
    out = bytearray(data)
    at = out.find(b"moov")
    for _ in range(nth + 1):
        at = out.find(kind, at + 1)
    assert at > 0
    edit(out, at)
    return bytes(out)


def _swap_first_sync_entries(b: bytearray, at: int) -> None:
    assert struct.unpack_from(">I", b, at + 8)[0] >= 2
    first, second = struct.unpack_from(">II", b, at + 12)
    struct.pack_into(">II", b, at + 12, second, first)


TABLE_EDITS: dict[str, tuple[str, bytes, Callable[[bytearray, int], None], int]] = {
    # no sync table in an AVC stream that has one: FFmpeg finds the keyframes itself (the tables said all)
    "no_stss": ("gop12_2s.mp4", b"stss", lambda b, at: b.__setitem__(slice(at, at + 4), b"free"), 0),
    "unsorted_stss": ("gop12_2s.mp4", b"stss", _swap_first_sync_entries, 0),
    "empty_sample": ("gop12_2s.mp4", b"stsz", lambda b, at: struct.pack_into(">I", b, at + 20 + 4 * 5, 0), 0),
    "sample_past_the_end": ("gop12_2s.mp4", b"stsz",
                            lambda b, at: struct.pack_into(">I", b, at + 20 + 4 * 5, 1 << 24), 0),
    # the samples last half the media header's length: FFmpeg's stream is as long as they are
    "stts_short": ("gop12_2s.mp4", b"stts",
                   lambda b, at: struct.pack_into(">I", b, at + 16, struct.unpack_from(">I", b, at + 16)[0] // 2), 0),
    # one size for every picture (1 byte): FFmpeg's probe of those packets finds no pixel format
    "one_size_pictures": ("gop12_2s.mp4", b"stsz", lambda b, at: struct.pack_into(">I", b, at + 8, 1), 0),
    # a data reference running past its box: FFmpeg's stream has no decoder context (PyAV's probe raised
    # AttributeError on it), the reader had not looked
    "broken_dref": ("aac_mono.m4a", b"url ", lambda b, at: struct.pack_into(">I", b, at - 4, 0x200C), 0),
    # the audio's first chunks claim half their samples: FFmpeg indexes fewer than the size table lists
    "stsc_short": ("aac_stereo_video.mp4", b"stsc",
                   lambda b, at: struct.pack_into(">I", b, at + 16, struct.unpack_from(">I", b, at + 16)[0] // 2), 1),
}


@pytest.mark.parametrize("case", list(TABLE_EDITS))
def test_sample_tables_ffmpeg_reads_differently_are_declined_or_agree(case: str, matrix: Path, tmp_path: Path) -> None:
    """Tables FFmpeg's index (``mov_build_index``) would not take as the reader does: the reader declines,
    or its answer, frame positions included, is PyAV's."""
    name, kind, edit, nth = TABLE_EDITS[case]
    path = tmp_path / f"{case}.mp4"
    path.write_bytes(_edited((matrix / name).read_bytes(), kind, edit, nth))
    got = read(path)
    if got is None:
        with contextlib.suppress(MediaError):  # PyAV's answer, or a clear error: nothing else
            media_info_pyav(path)
        return
    assert got == media_info_pyav(path)
    if got.timeline is not None:
        for t in (i / 10 for i in range(25)):
            for key_only in (False, True):
                assert locate_frame(got, t, key_only=key_only) == locate_frame(_without_timeline(got), t,
                                                                               key_only=key_only), (t, key_only)
