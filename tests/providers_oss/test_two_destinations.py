"""Two destinations on OSS: ``--to oss://...`` saves in the bucket and ``--download-to`` downloads what
was saved (the skill's "save, then download" recipes, snapshots included); a second ``--to`` is a
usage error instead of silently replacing the first. Through oss2 and IMM against ``mediaproc serve``,
the results decoded."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import av
from PIL import Image

from providers_oss.conftest import DATA, CliResult, OssEnv


def test_image_saved_in_bucket_and_downloaded(
    oss_env: OssEnv, cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    oss_env.put("in/rocket.jpg", DATA / "rocket.jpg")
    local = tmp_path / "small.jpg"
    res = cli("process", oss_env.uri("in/rocket.jpg"), "resize:w=120", "--to", oss_env.uri("out/small.jpg"),
              "--download-to", str(local), "--json")
    assert res.code == 0, res.stderr
    doc = res.json()
    assert doc["mode"] == "save" and doc["target"] == oss_env.uri("out/small.jpg")
    assert doc["path"] == str(local.resolve()) and doc["downloaded"] == [str(local.resolve())]
    assert local.read_bytes() == oss_env.get_bytes("out/small.jpg")  # the copy is what the bucket holds
    with Image.open(local) as im:
        assert im.format == "JPEG" and im.width == 120


def test_image_download_into_a_folder_keeps_the_key_name(
    oss_env: OssEnv, cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    oss_env.put("in/rocket.jpg", DATA / "rocket.jpg")
    folder = tmp_path / "got"
    folder.mkdir()
    res = cli("process", oss_env.uri("in/rocket.jpg"), "resize:w=64", "--to", oss_env.uri("out/r64.jpg"),
              "--download-to", str(folder), "--json")
    assert res.code == 0, res.stderr
    with Image.open(folder / "r64.jpg") as im:
        assert im.width == 64


def test_snapshots_saved_in_bucket_and_downloaded(
    bound: OssEnv, cli: Callable[..., CliResult], small_video: Path, tmp_path: Path
) -> None:
    bound.put("in/v.mp4", small_video)
    frames = tmp_path / "frames"
    res = cli("process", bound.uri("in/v.mp4"), "video/snapshots:f=jpg,inter=500,num=3",
              "--to", bound.uri("snaps/frame"), "--download-to", f"{frames}/", "--json")
    assert res.code == 0, res.stderr
    doc = res.json()
    keys = doc["generated_keys"]
    assert len(keys) >= 2 and all(bound.exists(k) for k in keys)  # saved in the bucket ...
    got = sorted(frames.iterdir())
    assert [p.name for p in got] == sorted(Path(k).name for k in keys)  # ... and every one downloaded
    assert doc["downloaded"] == [str((frames / Path(k).name).resolve()) for k in keys]
    for key in keys:
        assert (frames / Path(key).name).read_bytes() == bound.get_bytes(key)
        with Image.open(frames / Path(key).name) as im:
            assert im.format == "JPEG" and im.size == (160, 120)


def test_video_convert_saved_and_downloaded(
    bound: OssEnv, cli: Callable[..., CliResult], small_video: Path, tmp_path: Path
) -> None:
    bound.put("in/v.mp4", small_video)
    local = tmp_path / "v.mp4"
    res = cli("process", bound.uri("in/v.mp4"), "video/convert:f=mp4,vcodec=h264,s=96x64",
              "--to", bound.uri("out/v.mp4"), "--download-to", str(local), "--json")
    assert res.code == 0, res.stderr
    assert bound.exists("out/v.mp4")
    with av.open(str(local)) as c:
        s = c.streams.video[0]
        assert (s.codec_context.name, s.width, s.height) == ("h264", 96, 64)


def test_second_to_and_misplaced_download_to_are_usage_errors(
    oss_env: OssEnv, cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    oss_env.put("in/rocket.jpg", DATA / "rocket.jpg")
    src = oss_env.uri("in/rocket.jpg")
    tmp_path = tmp_path / "here"
    tmp_path.mkdir()
    cases = [
        (["--to", oss_env.uri("out/a.jpg"), "--to", str(tmp_path / "a.jpg")], "--to was given 2 times"),
        (["--download-to", str(tmp_path / "a.jpg")], "no --to was given"),
        (["--to", str(tmp_path / "b.jpg"), "--download-to", str(tmp_path / "a.jpg")], "already writes a local file"),
        (["--url", "--download-to", str(tmp_path / "a.jpg")], "cannot be used together"),
        (["--to", oss_env.uri("out/a.jpg"), "--download-to", str(tmp_path / "nope" / "a.jpg")], "does not exist"),
    ]
    for extra, words in cases:
        res = cli("process", src, "resize:w=50", *extra)
        assert res.code == 2, (extra, res.stderr)
        assert "Traceback" not in res.stderr
        assert words in res.first_stderr_line, (extra, res.stderr)
    assert oss_env.object_keys("out/") == []  # nothing was sent
    assert list(tmp_path.iterdir()) == []


def test_audio_and_hls_saved_and_downloaded(
    bound: OssEnv, cli: Callable[..., CliResult], small_video: Path, tmp_path: Path
) -> None:
    bound.put("in/v.mp4", small_video)
    local = tmp_path / "a.mp3"
    res = cli("audio", "convert", bound.uri("in/v.mp4"), "f=mp3", "ab=64000", "--to", bound.uri("out/a.mp3"),
              "--download-to", str(local), "--json")
    assert res.code == 0, res.stderr
    with av.open(str(local)) as c:
        assert c.streams.audio[0].codec_context.name.startswith("mp3")
    hls = tmp_path / "hls"
    res = cli("hls", "m3u8", bound.uri("in/v.mp4"), "st=1000", "vcodec=h264", "--to", bound.uri("hls/index.m3u8"),
              "--download-to", f"{hls}/", "--json")
    assert res.code == 0, res.stderr
    doc = res.json()
    names = sorted(p.name for p in hls.iterdir())
    assert "index.m3u8" in names and len(names) == len(doc["downloaded"]) >= 2
    playlist = (hls / "index.m3u8").read_text()
    segments = [line for line in playlist.splitlines() if line and not line.startswith("#")]
    assert segments and all((hls / s).is_file() for s in segments)  # the playlist plays from the folder
