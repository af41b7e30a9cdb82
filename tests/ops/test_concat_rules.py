"""Concat input compatibility from video/info JSON (SPEC.md §2)."""

from __future__ import annotations

from typing import Any

from mediaproc.ops import parse_chain
from mediaproc.ops.concat import check_infos


def info(
    w: int | None = 640, h: int = 360, fps: str = "25/1", vcodec: str = "h264", rate: str = "44100", acodec: str = "aac"
) -> dict[str, Any]:
    streams: dict[str, Any] = {"AudioStream": [{"CodecName": acodec, "SampleRate": rate, "Channels": "2"}]}
    if w is not None:
        streams["VideoStream"] = [{"CodecName": vcodec, "Width": str(w), "Height": str(h), "FrameRate": fps}]
    return {"Format": {"Duration": "2.0"}, "Streams": streams}


def op(word: str = "video/concat:f=mp4,vcodec=h264,acodec=aac"):  # type: ignore[no-untyped-def]
    return parse_chain([word])[0]


def test_matching_inputs_pass() -> None:
    assert check_infos(op(), {"a.mp4": info(), "b.mp4": info(fps="25.0")}) == []


def test_resolution_mismatch_is_an_error_unless_s_is_given() -> None:
    problems = check_infos(op(), {"a.mp4": info(), "pre.mp4": info(w=1280, h=720)})
    assert not problems[0].warning
    assert "a.mp4: 640x360" in problems[0].message and "pre.mp4: 1280x720" in problems[0].message
    assert "s=640x360" in (problems[0].hint or "")
    scaled = check_infos(
        op("video/concat:f=mp4,vcodec=h264,acodec=aac,s=640x360"), {"a.mp4": info(), "b.mp4": info(w=1280, h=720)}
    )
    assert scaled and all(p.warning for p in scaled)


def test_fps_codec_and_sample_rate_differences_are_warnings() -> None:
    problems = check_infos(op(), {"a": info(), "b": info(fps="30000/1001", vcodec="hevc", rate="48000")})
    assert problems and all(p.warning for p in problems)
    text = " ".join(p.message for p in problems)
    assert "frame rate" in text and "29.97" in text and "video codec" in text and "sample rate" in text


def test_missing_streams_and_unreadable_info() -> None:
    problems = check_infos(op(), {"a": info(), "song.mp3": info(w=None), "gone": {}})
    errors = [p for p in problems if not p.warning]
    assert errors[0].message == "song.mp3 has no video stream"
    assert any("gone: no media info" in p.message for p in problems if p.warning)


def test_audio_concat() -> None:
    audio = op("audio/concat:f=mp3")
    assert check_infos(audio, {"a.mp3": info(w=None), "b.mp3": info(w=None)}) == []
    warned = check_infos(audio, {"a.mp3": info(w=None), "b.wav": info(w=None, rate="48000", acodec="pcm_s16le")})
    assert warned and all(p.warning for p in warned)
    assert (
        check_infos(
            parse_chain(["audio/concat:f=mp3,ar=44100"])[0], {"a": info(w=None), "b": info(w=None, rate="48000")}
        )
        == []
    )
