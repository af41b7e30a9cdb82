"""``audio/info`` through the COS front (``ci-process=videoinfo`` read by the real qcloud_cos client)
reports the audio streams only, the same document the local provider gives (issue 16)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from cos.conftest import CliResult, put


def test_audio_info_of_a_video_is_its_audio_streams(
    cli: Callable[..., CliResult], sdk: Any, prefix: str, clip: Path
) -> None:
    uri = put(sdk, f"{prefix}clip.mp4", clip)
    r = cli("--json", "audio", "info", uri)
    assert r.code == 0, r.stderr
    cos_streams = r.json()["data"]["Streams"]
    assert list(cos_streams) == ["AudioStream"]
    assert [(s["CodecName"], s["SampleRate"]) for s in cos_streams["AudioStream"]] == [("aac", "44100")]
    r = cli("--json", "--provider", "local", "audio", "info", str(clip))
    assert r.code == 0, r.stderr
    assert r.json()["data"]["Streams"] == cos_streams


def test_audio_info_of_a_photo_is_bad_input_everywhere(
    cli: Callable[..., CliResult], sdk: Any, prefix: str, tmp_path: Path
) -> None:
    from PIL import Image

    photo = tmp_path / "photo.jpg"
    Image.new("RGB", (64, 48), (10, 120, 200)).save(photo, quality=90)
    uri = put(sdk, f"{prefix}photo.jpg", photo)
    r = cli("--json", "audio", "info", uri)
    local = cli("--json", "--provider", "local", "audio", "info", str(photo))
    assert (r.code, local.code) == (2, 2), r.stderr + r.stdout
