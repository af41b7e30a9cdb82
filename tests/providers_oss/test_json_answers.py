"""The JSON operations answer the same document through serve (the real oss2 SDK) as locally.

Issue 16: ``audio/info`` of a video listed its video streams through serve but not locally (the
emulator and the local provider each picked the engine call). ``audio/info`` is the audio
operation: it reports the audio streams only, everywhere; ``video/info`` reports them all.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from providers_oss.conftest import CliResult, OssEnv


def test_audio_info_of_a_video_is_its_audio_streams_everywhere(
    bound: OssEnv, cli: Callable[..., CliResult], small_video: Path
) -> None:
    bound.put("in/clip.mp4", small_video)
    sdk = json.loads(bound.sdk_bucket().get_object("in/clip.mp4", process="audio/info").read())
    assert list(sdk["Streams"]) == ["AudioStream"]
    assert [s["CodecName"] for s in sdk["Streams"]["AudioStream"]] == ["aac"]

    oss = cli("--json", "audio", "info", bound.uri("in/clip.mp4"))
    assert oss.code == 0, oss.stderr
    local = cli("--json", "--provider", "local", "audio", "info", str(small_video))
    assert local.code == 0, local.stderr
    assert oss.json()["data"] == sdk
    assert local.json()["data"] == sdk


def test_video_info_of_a_video_lists_every_stream_everywhere(
    bound: OssEnv, cli: Callable[..., CliResult], small_video: Path
) -> None:
    bound.put("in/clip.mp4", small_video)
    sdk = json.loads(bound.sdk_bucket().get_object("in/clip.mp4", process="video/info").read())
    streams = sdk["Streams"]
    assert [s["CodecName"] for s in streams["VideoStream"]] == ["h264"]
    assert [s["CodecName"] for s in streams["AudioStream"]] == ["aac"]
    assert (streams["VideoStream"][0]["Width"], streams["VideoStream"][0]["Height"]) == ("160", "120")
    local = cli("--json", "--provider", "local", "video", "info", str(small_video))
    assert local.code == 0, local.stderr
    assert local.json()["data"] == sdk


def test_audio_info_of_a_photo_is_bad_input_everywhere(
    bound: OssEnv, cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    """The service refuses the request for this object (400): bad input, exit 2, as locally; not a service
    failure (5). The service's code, message and request id are kept."""
    from PIL import Image

    photo = tmp_path / "photo.jpg"
    Image.new("RGB", (64, 48), (10, 120, 200)).save(photo, quality=90)
    bound.put("in/photo.jpg", photo)
    oss = cli("--json", "audio", "info", bound.uri("in/photo.jpg"))
    local = cli("--json", "--provider", "local", "audio", "info", str(photo))
    assert (oss.code, local.code) == (2, 2), oss.stderr
    error = oss.json()["error"]
    assert error["code"] == "InvalidArgument" and "no audio stream" in error["message"]
    assert error["request_id"]
