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
