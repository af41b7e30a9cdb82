"""video/convert and audio/convert: every output is probed/decoded, never trusted."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from mediaproc.engine.av import run_media
from mediaproc.errors import InvalidOperation, MediaError

from .helpers import (
    audio_seconds,
    audio_stream,
    count_frames,
    decode_frames,
    diff,
    duration,
    info,
    leftovers,
    nearest,
    op,
    stream_durations,
    video_stream,
)

FRAME = 1 / 25


def test_h264_resize(clip: Path, tmp_path: Path) -> None:
    out = run_media(op("video/convert", f="mp4", vcodec="h264", s="160x120"), clip, tmp_path / "o.mp4")
    assert out.paths == (tmp_path / "o.mp4",)
    v = video_stream(out.paths[0])
    assert (v["CodecName"], v["Width"], v["Height"], v["PixelFormat"]) == ("h264", "160", "120", "yuv420p")
    assert audio_stream(out.paths[0])["CodecName"] == "aac"  # acodec omitted: copied
    assert duration(out.paths[0]) == pytest.approx(3.0, abs=FRAME)
    assert count_frames(out.paths[0]) == 75
    assert leftovers(tmp_path) == []


def test_omitting_vcodec_remuxes_bit_exact(clip: Path, tmp_path: Path) -> None:
    out = run_media(op("video/convert", f="mkv"), clip, tmp_path / "o.mkv").paths[0]
    assert info(out)["Format"]["FormatName"] == "matroska,webm"
    with av.open(str(clip)) as a, av.open(str(out)) as b:
        src = [bytes(p) for p in a.demux(video=0) if p.size]
        dst = [bytes(p) for p in b.demux(video=0) if p.size]
    assert src == dst  # stream copy: the very same packets


def test_remux_into_incompatible_container_is_refused(clip: Path, tmp_path: Path) -> None:
    with pytest.raises(InvalidOperation) as err:
        run_media(op("video/convert", f="webm"), clip, tmp_path / "o.webm")
    assert "vcodec=vp9" in (err.value.hint or "")
    assert not (tmp_path / "o.webm").exists() and leftovers(tmp_path) == []


def test_webm_vp9_opus(clip: Path, tmp_path: Path) -> None:
    out = run_media(op("video/convert", f="webm", vcodec="vp9", acodec="opus", crf=40), clip, tmp_path / "o.webm")
    p = out.paths[0]
    assert video_stream(p)["CodecName"] == "vp9"
    a = audio_stream(p)
    assert (a["CodecName"], a["SampleRate"]) == ("opus", "48000")  # opus has no 44.1 kHz
    assert duration(p) == pytest.approx(3.0, abs=FRAME)


@pytest.mark.parametrize(
    ("f", "container", "codec"),
    [
        ("mov", "mov", "h264"),
        ("ts", "mpegts", "h264"),
        ("flv", "flv", "h264"),
        ("avi", "avi", "h264"),
        ("mxf", "mxf", "h264"),
        ("asf", "asf", "h264"),
    ],
)
def test_video_containers(clip: Path, tmp_path: Path, f: str, container: str, codec: str) -> None:
    p = run_media(op("video/convert", f=f, vcodec="h264"), clip, tmp_path / f"o.{f}").paths[0]
    data = info(p)
    assert container in data["Format"]["FormatName"]
    assert data["Streams"]["VideoStream"][0]["CodecName"] == codec
    assert data["Streams"]["AudioStream"], "sound kept"
    assert count_frames(p) == 75


@pytest.mark.parametrize(
    ("f", "codec", "rate", "channels"),
    [
        ("mp3", "mp3", "44100", "2"),
        ("aac", "aac", "44100", "2"),
        ("flac", "flac", "44100", "2"),
        ("oga", "vorbis", "44100", "2"),
        ("ac3", "ac3", "44100", "2"),
        ("opus", "opus", "48000", "2"),
        ("amr", "amr_nb", "8000", "1"),
    ],
)
def test_audio_only_formats_from_video(
    clip: Path, tmp_path: Path, f: str, codec: str, rate: str, channels: str
) -> None:
    p = run_media(op("video/convert", f=f), clip, tmp_path / f"o.{f}").paths[0]
    data = info(p)
    assert data["Streams"]["VideoStream"] == []
    a = data["Streams"]["AudioStream"][0]
    assert (a["CodecName"], a["SampleRate"], a["Channels"]) == (codec, rate, channels)
    assert audio_seconds(p) == pytest.approx(3.0, abs=0.07)


def test_rotated_source_is_upright_and_fit(phone: Path, tmp_path: Path) -> None:
    p = run_media(op("video/convert", f="mp4", vcodec="h265", s="640x480", scaletype="fit"), phone, tmp_path / "o.mp4")
    v = video_stream(p.paths[0])
    # displayed 240x320 fits 640x480 at k=1.5 -> 360x480; rotation applied, so no Rotate left
    assert (v["CodecName"], v["Width"], v["Height"]) == ("hevc", "360", "480")
    assert "Rotate" not in v


def test_arotate_0_keeps_the_coded_picture(phone: Path, tmp_path: Path) -> None:
    p = run_media(op("video/convert", f="mp4", vcodec="h264", arotate=0), phone, tmp_path / "o.mp4").paths[0]
    with av.open(str(p)) as c:
        frame = next(c.decode(video=0))
    assert (frame.width, frame.height) == (320, 240)


@pytest.mark.parametrize(
    ("scaletype", "size"), [("stretch", (200, 200)), ("crop", (200, 200)), ("fill", (200, 200)), ("fit", (200, 150))]
)
def test_scaletypes(clip: Path, tmp_path: Path, scaletype: str, size: tuple[int, int]) -> None:
    p = run_media(
        op("video/convert", f="mp4", vcodec="h264", s="200x200", scaletype=scaletype), clip, tmp_path / "o.mp4"
    )
    (_t, first), *_ = decode_frames(p.paths[0])
    assert (first.shape[1], first.shape[0]) == size
    bar = first[:20].mean()  # fill pads 320x240 -> 200x150 into 200x200: 25 px black bars
    if scaletype == "fill":
        assert bar < 25 and first[100].mean() > 40
    else:
        assert bar > 40


def test_trim_is_frame_accurate(clip: Path, tmp_path: Path) -> None:
    p = run_media(op("video/convert", f="mp4", vcodec="h264", crf=10, ss=1000, t=1000), clip, tmp_path / "o.mp4").paths[
        0
    ]
    assert stream_durations(p)["video"] == pytest.approx(1.0, abs=FRAME)
    src = decode_frames(clip)
    out = decode_frames(p)
    assert len(out) == 25
    assert nearest(out[0][1], src)[0] == 25  # the frame shown at 1.000 s
    assert nearest(out[-1][1], src)[0] == 49


def test_fps(clip: Path, tmp_path: Path) -> None:
    p = run_media(op("video/convert", f="mp4", vcodec="h264", fps=10), clip, tmp_path / "o.mp4").paths[0]
    assert video_stream(p)["FrameRate"] == "10.0"
    assert count_frames(p) == 30


def test_fpsopt(clip: Path, tmp_path: Path) -> None:
    p = run_media(op("video/convert", f="mp4", vcodec="h264", fps=50, fpsopt=1), clip, tmp_path / "o.mp4").paths[0]
    assert video_stream(p)["FrameRate"] == "25.0"  # 1 = keep the lower source rate
    with pytest.raises(MediaError) as err:
        run_media(op("video/convert", f="mp4", vcodec="h264", fps=50, fpsopt=2), clip, tmp_path / "x.mp4")
    assert err.value.code == "SourceBelowTarget"
    assert not (tmp_path / "x.mp4").exists()


def test_odd_source_becomes_even(odd: Path, tmp_path: Path) -> None:
    p = run_media(op("video/convert", f="mp4", vcodec="h264"), odd, tmp_path / "o.mp4").paths[0]
    v = video_stream(p)
    assert (v["Width"], v["Height"], v["PixelFormat"]) == ("320", "240", "yuv420p")
    assert "AudioStream" in info(p)["Streams"] and info(p)["Streams"]["AudioStream"] == []


def test_vn_an(clip: Path, tmp_path: Path) -> None:
    a = run_media(op("video/convert", f="mp4", vcodec="h264", an=1), clip, tmp_path / "a.mp4").paths[0]
    assert info(a)["Streams"]["AudioStream"] == []
    v = run_media(op("video/convert", f="mp4", acodec="aac", vn=1), clip, tmp_path / "v.mp4").paths[0]
    assert info(v)["Streams"]["VideoStream"] == []


def test_audio_convert(tone48: Path, tmp_path: Path) -> None:
    p = run_media(op("audio/convert", f="mp3", ab=64000, ar=22050, ac=1), tone48, tmp_path / "o.mp3").paths[0]
    a = audio_stream(p)
    assert (a["CodecName"], a["SampleRate"], a["Channels"]) == ("mp3", "22050", "1")
    assert abs(int(a["BitRate"]) - 64000) < 4000
    assert duration(p) == pytest.approx(1.5, abs=0.06)


def test_audio_convert_trim_and_flac_depth(tone48: Path, tmp_path: Path) -> None:
    p = run_media(op("audio/convert", f="flac", adepth=24, ss=500, t=500), tone48, tmp_path / "o.flac").paths[0]
    with av.open(str(p)) as c:
        s = c.streams.audio[0]
        assert s.codec_context.format.name == "s32"  # 24-bit samples travel in 32-bit words
        samples = sum(f.samples for f in c.decode(s))
    assert samples == 24000  # exactly 0.5 s at 48 kHz


def test_audio_convert_of_video_drops_the_picture(clip: Path, tmp_path: Path) -> None:
    p = run_media(op("audio/convert", f="aac", ab=96000), clip, tmp_path / "o.aac").paths[0]
    assert info(p)["Streams"]["VideoStream"] == []


def test_corrupt_input_fails_cleanly(clip: Path, tmp_path: Path) -> None:
    bad = tmp_path / "in" / "bad.mp4"
    bad.parent.mkdir()
    bad.write_bytes(clip.read_bytes()[:20000])
    with pytest.raises(MediaError) as err:
        run_media(op("video/convert", f="mp4", vcodec="h264"), bad, tmp_path / "o.mp4")
    assert len(err.value.message) < 200 and "bad.mp4" in err.value.message
    assert not (tmp_path / "o.mp4").exists() and leftovers(tmp_path) == []


def test_output_is_decodable_everywhere(clip: Path, tmp_path: Path) -> None:
    p = run_media(op("video/convert", f="mp4", vcodec="h264", vb=300000), clip, tmp_path / "o.mp4").paths[0]
    frames = decode_frames(p)
    assert len(frames) == 75
    assert diff(frames[10][1], decode_frames(clip)[10][1]) < 12
    assert np.isfinite(frames[-1][1]).all()
