"""video/concat, audio/concat and hls/m3u8."""

from __future__ import annotations

import re
from pathlib import Path

import av
import pytest

from mediaproc.engine.av import ConcatPart, check_concat_inputs, run_media, segment_durations
from mediaproc.errors import InvalidOperation, NotFound

from .helpers import (
    audio_seconds,
    count_frames,
    decode_frames,
    duration,
    ffmpeg_decodes,
    info,
    leftovers,
    nearest,
    op,
    stream_durations,
    video_stream,
)

FRAME = 1 / 25
VCONCAT = {"f": "mp4", "vcodec": "h264", "acodec": "aac"}


def test_video_concat_duration_is_the_sum(clip: Path, tmp_path: Path) -> None:
    parts = [ConcatPart(clip, "pre", ss=500, t=1000), ConcatPart(clip, "sur")]
    out = run_media(op("video/concat", **VCONCAT), clip, tmp_path / "c.mp4", inputs=parts)
    p = out.paths[0]
    expected = 1.0 + 3.0 + 3.0
    streams = stream_durations(p)
    assert streams["video"] == pytest.approx(expected, abs=FRAME)
    assert streams["audio"] == pytest.approx(expected, abs=FRAME)
    assert duration(p) == pytest.approx(expected, abs=FRAME)
    assert count_frames(p) == 175
    src = decode_frames(clip)
    got = decode_frames(p)
    assert nearest(got[0][1], src)[0] == 13  # the prepended part: first frame at or after 0.5 s
    assert nearest(got[25][1], src)[0] == 0  # then the source from its start
    assert out.warnings == ()
    assert leftovers(tmp_path) == []


def test_resolution_mismatch_is_an_error_unless_s_given(clip: Path, big: Path, tmp_path: Path) -> None:
    problems = check_concat_inputs(op("video/concat", **VCONCAT), clip, [ConcatPart(big)])
    assert [p.warning for p in problems] == [False]
    assert "320x240" in problems[0].message and "640x480" in problems[0].message
    with pytest.raises(InvalidOperation):
        run_media(op("video/concat", **VCONCAT), clip, tmp_path / "x.mp4", inputs=[ConcatPart(big)])
    assert not (tmp_path / "x.mp4").exists()
    out = run_media(op("video/concat", s="320x240", **VCONCAT), clip, tmp_path / "c.mp4", inputs=[ConcatPart(big)])
    v = video_stream(out.paths[0])
    assert (v["Width"], v["Height"]) == ("320", "240")
    assert stream_durations(out.paths[0])["video"] == pytest.approx(5.0, abs=FRAME)


def test_rate_differences_are_warnings(clip: Path, clip30: Path, tmp_path: Path) -> None:
    problems = check_concat_inputs(op("video/concat", **VCONCAT), clip, [ConcatPart(clip30)])
    assert problems and all(p.warning for p in problems)
    text = " ".join(p.message for p in problems)
    assert "frame rate" in text and "sample rate" in text
    out = run_media(op("video/concat", **VCONCAT), clip, tmp_path / "c.mp4", inputs=[ConcatPart(clip30)])
    assert len(out.warnings) == 2
    assert video_stream(out.paths[0])["FrameRate"] == "25.0"  # the align input's (the source's) rate
    assert stream_durations(out.paths[0])["video"] == pytest.approx(5.0, abs=FRAME)


def test_input_without_sound_contributes_silence(clip: Path, odd: Path, tmp_path: Path) -> None:
    out = run_media(
        op("video/concat", s="320x240", **VCONCAT), clip, tmp_path / "c.mp4", inputs=[ConcatPart(odd, "pre")]
    )
    streams = stream_durations(out.paths[0])
    assert streams["audio"] == pytest.approx(5.0, abs=FRAME)
    assert streams["video"] == pytest.approx(5.0, abs=FRAME)


def test_concat_input_problems(clip: Path, tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        check_concat_inputs(op("video/concat", **VCONCAT), clip, [ConcatPart(tmp_path / "missing.mp4")])
    many = [ConcatPart(clip)] * 11
    problems = check_concat_inputs(op("video/concat", **VCONCAT), clip, many)
    assert any("at most 11" in p.message and not p.warning for p in problems)


def test_audio_concat(tone: Path, tone48: Path, tmp_path: Path) -> None:
    out = run_media(op("audio/concat", f="mp3", ar=44100), tone, tmp_path / "a.mp3", inputs=[ConcatPart(tone48)])
    a = info(out.paths[0], kind="audio")["Streams"]["AudioStream"][0]
    assert (a["CodecName"], a["SampleRate"]) == ("mp3", "44100")
    assert audio_seconds(out.paths[0]) == pytest.approx(2.0 + 1.5, abs=0.06)
    assert any("audio codec" in w for w in out.warnings)
    assert not any("sample rate" in w for w in out.warnings)  # ar= settles the rate
    problems = check_concat_inputs(op("audio/concat", f="mp3"), tone, [ConcatPart(tone48)])
    assert any("sample rate" in p.message and p.warning for p in problems)


def test_audio_concat_needs_sound(tone: Path, odd: Path, tmp_path: Path) -> None:
    with pytest.raises(InvalidOperation):
        run_media(op("audio/concat", f="mp3"), tone, tmp_path / "a.mp3", inputs=[ConcatPart(odd)])


@pytest.mark.parametrize(("st", "expected"), [(1000, [1.0, 1.0, 1.0]), (2000, [2.0, 1.0])])
def test_hls_segments_are_exact(clip: Path, tmp_path: Path, st: int, expected: list[float]) -> None:
    out = run_media(op("hls/m3u8", st=st), clip, tmp_path / "hls" / "play.m3u8")
    playlist, *segments = out.paths
    assert playlist == tmp_path / "hls" / "play.m3u8"
    assert [s.name for s in segments] == [f"play-{i}.ts" for i in range(len(expected))]
    text = playlist.read_text()
    assert "#EXT-X-PLAYLIST-TYPE:VOD" in text and "#EXT-X-ENDLIST" in text
    assert segment_durations(playlist) == pytest.approx(expected, abs=FRAME / 2)
    for seg, want in zip(segments, expected, strict=True):
        assert stream_durations(seg)["video"] == pytest.approx(want, abs=FRAME)
    assert ffmpeg_decodes(playlist).returncode == 0
    with av.open(str(playlist)) as c:
        assert sum(1 for _ in c.decode(video=0)) == 75
    assert leftovers(tmp_path) == []


def test_hls_options(phone: Path, tmp_path: Path) -> None:
    out = run_media(op("hls/m3u8", st=1200, s="360x640", vb=300000, an=1, ss=500), phone, tmp_path / "v")
    playlist = out.paths[0]
    assert playlist.name == "v.m3u8"
    # 62 frames remain after 0.5 s (0.52 .. 2.96): 30 + 30 + 2
    assert segment_durations(playlist) == pytest.approx([1.2, 1.2, 0.08], abs=FRAME / 2)
    with av.open(str(out.paths[1])) as c:
        assert not c.streams.audio
        f = next(c.decode(video=0))
        assert (f.width, f.height) == (360, 640)
    assert re.findall(r"^v-\d\.ts$", playlist.read_text(), re.M) == ["v-0.ts", "v-1.ts", "v-2.ts"]
