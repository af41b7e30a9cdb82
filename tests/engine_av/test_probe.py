"""video/info and audio/info: the OSS JSON shape (SPEC.md §4), every value a string."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mediaproc.engine.av import media_info, probe
from mediaproc.engine.av.synth import rotate
from mediaproc.errors import MediaError, NotFound


def _all_strings(d: dict) -> bool:
    return all(isinstance(v, str) for v in d.values())


def test_video_info_shape(clip: Path) -> None:
    data = probe(clip)
    assert set(data) == {"Format", "Streams"}
    fmt = data["Format"]
    assert {"Duration", "Size", "FormatName", "Bitrate"} <= set(fmt)
    assert _all_strings(fmt)
    assert float(fmt["Duration"]) == pytest.approx(3.0, abs=0.05)
    assert fmt["Size"] == str(clip.stat().st_size)
    assert "mp4" in fmt["FormatName"]
    (v,) = data["Streams"]["VideoStream"]
    (a,) = data["Streams"]["AudioStream"]
    assert _all_strings(v) and _all_strings(a)
    assert (v["CodecName"], v["Width"], v["Height"], v["FrameRate"]) == ("h264", "320", "240", "25.0")
    assert int(v["BitRate"]) > 0 and v["FrameCount"] == "75" and "Rotate" not in v
    assert (a["CodecName"], a["SampleRate"], a["Channels"]) == ("aac", "44100", "2")
    assert int(a["BitRate"]) > 0


def test_rotated_clip_reports_displayed_size_and_rotation(phone: Path) -> None:
    v = probe(phone)["Streams"]["VideoStream"][0]
    assert (v["Width"], v["Height"], v["Rotate"]) == ("240", "320", "90")
    assert media_info(phone).v.rotation == 90  # type: ignore[union-attr]


@pytest.mark.parametrize("degrees", [180, 270])
def test_every_right_angle_is_read_from_the_display_matrix(clip: Path, tmp_path: Path, degrees: int) -> None:
    turned = rotate(clip, tmp_path / f"r{degrees}.mp4", degrees)
    v = probe(turned)["Streams"]["VideoStream"][0]
    size = ("240", "320") if degrees == 270 else ("320", "240")
    assert (v["Width"], v["Height"], v["Rotate"]) == (*size, str(degrees))


def test_probing_imports_no_runner(clip: Path) -> None:
    """``video info`` pays for the probe alone: no convert, frames, concat or ffmpeg runner module."""
    code = (
        "import json, sys, pathlib; from mediaproc.engine.av import probe; probe(pathlib.Path(sys.argv[1])); "
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('mediaproc.engine.av'))))"
    )
    out = subprocess.run([sys.executable, "-c", code, str(clip)], capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == [
        "mediaproc.engine.av", "mediaproc.engine.av.common", "mediaproc.engine.av.media", "mediaproc.engine.av.mp4",
        "mediaproc.engine.av.mp4codecs", "mediaproc.engine.av.probe",
    ]


def test_audio_info_shape(tone: Path) -> None:
    data = probe(tone, kind="audio")
    assert set(data["Streams"]) == {"AudioStream"}
    (a,) = data["Streams"]["AudioStream"]
    assert (a["CodecName"], a["SampleRate"], a["Channels"]) == ("mp3", "44100", "1")
    assert float(data["Format"]["Duration"]) == pytest.approx(2.0, abs=0.06)
    assert data["Format"]["FormatName"] == "mp3"


def test_video_info_of_audio_file_has_empty_video_list(tone: Path) -> None:
    assert probe(tone)["Streams"]["VideoStream"] == []


def test_odd_dimensions(odd: Path) -> None:
    v = probe(odd)["Streams"]["VideoStream"][0]
    assert (v["Width"], v["Height"], v["PixelFormat"]) == ("321", "241", "yuv444p")


def test_missing_file_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        probe(tmp_path / "nope.mp4")


def test_corrupt_file_is_media_error(tmp_path: Path, clip: Path) -> None:
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(clip.read_bytes()[:4000])
    with pytest.raises(MediaError) as err:
        probe(bad)
    assert "bad.mp4" in err.value.message and err.value.hint
    assert err.value.exit_code == 2  # bad input
