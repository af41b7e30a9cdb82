"""More async media on OSS: concat with extra inputs, multi-file snapshots, blind watermark via IMM."""

from __future__ import annotations

import io
import subprocess
from collections.abc import Callable
from pathlib import Path

import av
import pytest
from PIL import Image

from providers_oss.conftest import DATA, CliResult, OssEnv


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    import imageio_ffmpeg

    out = []
    for i, color in enumerate(("red", "blue")):
        path = tmp_path_factory.mktemp("clips") / f"c{i}.mp4"
        subprocess.run(
            [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi",
             "-i", f"color={color}:size=160x120:rate=15:duration=1", "-f", "lavfi", "-i", "sine=duration=1",
             "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(path)],
            check=True,
        )
        out.append(path)
    return out


def test_concat_with_object_and_local_inputs(
    bound: OssEnv, cli: Callable[..., CliResult], clips: list[Path], tmp_path: Path
) -> None:
    bound.put("c0.mp4", clips[0])
    bound.put("c1.mp4", clips[1])
    res = cli("process", bound.uri("c0.mp4"), "video/concat:f=mp4,vcodec=h264,acodec=aac",
              "--input", bound.uri("c1.mp4"), "--pre-input", str(clips[1]), "--to", bound.uri("cat.mp4"), "--json")
    assert res.code == 0, res.stderr
    assert res.json()["status"] == "succeeded"
    out = tmp_path / "cat.mp4"
    out.write_bytes(bound.get_bytes("cat.mp4"))
    with av.open(str(out)) as container:
        assert abs(container.duration / 1_000_000 - 3.0) < 0.3
        first = next(container.decode(video=0)).to_image().getpixel((80, 60))
    assert first[2] > 150 and first[0] < 100  # the prepended local clip (blue) plays first
    assert sorted(bound.object_keys()) == ["c0.mp4", "c1.mp4", "cat.mp4"]  # its temporary upload is gone


def test_snapshots_saved_as_several_objects(
    bound: OssEnv, cli: Callable[..., CliResult], small_video: Path
) -> None:
    bound.put("v.mp4", small_video)
    res = cli("process", bound.uri("v.mp4"), "video/snapshots:f=jpg,num=3,inter=500", "--to", bound.uri("frames/f"),
              "--json")
    assert res.code == 0, res.stderr
    keys = res.json()["generated_keys"]
    assert len(keys) == 3 and all(k.startswith("frames/f") for k in keys)
    for key in keys:
        assert Image.open(io.BytesIO(bound.get_bytes(key))).size == (160, 120)


def test_blind_watermark_extract_through_imm(bound: OssEnv, cli: Callable[..., CliResult], tmp_path: Path) -> None:
    marked = tmp_path / "marked.png"
    local = cli("--provider", "local", "process", str(DATA / "coffee.png"), "blindwatermark-embed:content=hello",
                "--to", str(marked))
    assert local.code == 0, local.stderr
    bound.put("marked.png", marked)
    res = cli("process", bound.uri("marked.png"), "blindwatermark-extract", "--json")
    assert res.code == 0, res.stderr
    doc = res.json()
    assert doc["data"] == {"Content": "hello"}
    assert doc["task_id"].startswith("DecodeBlindWatermark-")
    assert bound.stats()["requests"].get("GetTask", 0) >= 1


def test_hls_to_a_local_file_writes_the_segments_beside_the_playlist(
    bound: OssEnv, cli: Callable[..., CliResult], small_video: Path, tmp_path: Path
) -> None:
    """``hls m3u8 oss://... --to out/index.m3u8`` wrote only the GET answer: a playlist whose segment
    lines are URLs relative to the source's folder on the service, which play nothing from this
    machine (the local provider and COS write the segments beside it)."""
    bound.put("in/v.mp4", small_video)
    out = tmp_path / "out"
    out.mkdir()
    res = cli("hls", "m3u8", bound.uri("in/v.mp4"), "st=1000", "vcodec=h264", "--to", str(out / "index.m3u8"),
              "--json")
    assert res.code == 0, res.stderr
    playlist = (out / "index.m3u8").read_text()
    segments = [line for line in playlist.splitlines() if line and not line.startswith("#")]
    assert len(segments) == 2 and not any("?" in s or "://" in s for s in segments), playlist
    total = 0.0
    for name in segments:
        with av.open(str(out / name)) as container:
            assert container.streams.video[0].codec_context.name == "h264"
            total += float(container.duration or 0) / 1_000_000
    assert abs(total - 2.0) < 0.3
    doc = res.json()
    assert doc["mode"] == "file" and doc["path"] == str((out / "index.m3u8").resolve())
    assert doc["generated_keys"] == [str((out / n).resolve()) for n in ["index.m3u8", *segments]]
    assert doc["size"] == sum((out / n).stat().st_size for n in ["index.m3u8", *segments])
    assert sorted(p.name for p in out.iterdir()) == sorted(["index.m3u8", *segments])
    assert bound.object_keys(".mediaproc-tmp/") == []  # the temporary playlist and segments are gone


def test_a_sync_imm_operation_on_an_unbound_bucket_says_to_bind_it(
    oss_env: OssEnv, cli: Callable[..., CliResult], small_video: Path, tmp_path: Path
) -> None:
    """An async operation on a bucket with no IMM project is exit 3 with ``imm setup``; a sync one
    (HLS, detection) was the service's 400 as "check the operation's parameters and that the source
    is the kind of media it works on", exit 2 or 5."""
    oss_env.put("in/v.mp4", small_video)
    oss_env.put("in/a.jpg", DATA / "rocket.jpg")
    runs = [
        ("hls", "m3u8", oss_env.uri("in/v.mp4"), "st=1000", "--to", str(tmp_path / "h") + "/"),
        ("image", "detect", oss_env.uri("in/a.jpg"), "--kind", "faces"),
        ("video", "convert", oss_env.uri("in/v.mp4"), "f=mp4", "--to", oss_env.uri("out/v.mp4")),
    ]
    for args in runs:
        res = cli(*args)
        assert res.code == 3, (args, res.stderr)
        assert res.first_stderr_line == f"Error: bucket '{oss_env.bucket}' is not bound to an IMM project", args
        assert f"mediaproc imm setup --bucket {oss_env.bucket}" in res.stderr
    assert oss_env.object_keys() == ["in/a.jpg", "in/v.mp4"]
    # an image chain that IMM does not run keeps the service's own answer
    res = cli("process", oss_env.uri("in/v.mp4"), "resize:w=10", "--to", str(tmp_path / "x.jpg"))
    assert res.code == 2 and "not bound" not in res.stderr, res.stderr


def test_quiet_snapshots_print_each_frame_object_also_when_there_is_one(
    bound: OssEnv, cli: Callable[..., CliResult], small_video: Path
) -> None:
    """``-q`` printed every frame's object for two frames, but the destination prefix (``frames1/f``, no such
    object) for one."""
    bound.put("v.mp4", small_video)
    printed = {}
    for num in (1, 2):
        res = cli("process", bound.uri("v.mp4"), f"video/snapshots:f=jpg,num={num},inter=500", "--to",
                  bound.uri(f"frames{num}/f"), "-q")
        assert res.code == 0, res.stderr
        printed[num] = res.stdout.splitlines()
    assert printed == {1: [bound.uri("frames1/f_0_1.jpg")],
                       2: [bound.uri("frames2/f_0_1.jpg"), bound.uri("frames2/f_0_2.jpg")]}
