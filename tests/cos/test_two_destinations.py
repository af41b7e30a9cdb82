"""Two destinations on COS, and locally: ``--to cos://...`` saves in the bucket (Pic-Operations, media
jobs) and ``--download-to`` downloads every object saved, snapshots included; with the local provider
the saved file is copied. Through qcloud_cos against ``mediaproc serve``, the results decoded."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PIL import Image

from cos.conftest import BUCKET, DATA, CliResult, put


def get_bytes(sdk: Any, key: str) -> bytes:
    return bytes(sdk.get_object(Bucket=BUCKET, Key=key)["Body"].get_raw_stream().read())


def test_rule_saved_in_bucket_and_downloaded(
    cli: Callable[..., CliResult], sdk: Any, prefix: str, tmp_path: Path
) -> None:
    src = put(sdk, f"{prefix}in/rocket.jpg", DATA / "rocket.jpg")
    local = tmp_path / "small.png"
    res = cli("process", src, "resize:w=90", "format:target=png", "--to", f"cos://{BUCKET}/{prefix}out/small.png",
              "--download-to", str(local), "--json")
    assert res.code == 0, res.stderr
    doc = res.json()
    assert doc["mode"] == "save" and doc["downloaded"] == [str(local.resolve())]
    assert local.read_bytes() == get_bytes(sdk, f"{prefix}out/small.png")
    with Image.open(local) as im:
        assert im.format == "PNG" and im.width == 90


def test_snapshots_job_saved_and_downloaded(
    cli: Callable[..., CliResult], sdk: Any, clip: Path, prefix: str, tmp_path: Path
) -> None:
    src = put(sdk, f"{prefix}v/clip.mp4", clip)
    frames = tmp_path / "frames"
    res = cli("process", src, "video/snapshots:f=jpg,inter=500,num=3,w=80,h=60",
              "--to", f"cos://{BUCKET}/{prefix}snaps/frame", "--download-to", str(frames), "--json")
    assert res.code == 0, res.stderr
    doc = res.json()
    keys = doc["generated_keys"]
    assert len(keys) == 3
    assert doc["downloaded"] == [str((frames / Path(k).name).resolve()) for k in keys]
    for key in keys:
        local = frames / Path(key).name
        assert local.read_bytes() == get_bytes(sdk, key)
        with Image.open(local) as im:
            assert im.format == "JPEG" and im.size == (80, 60)


def test_local_provider_copies_what_it_wrote(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    out, copy = tmp_path / "out.webp", tmp_path / "copy.webp"
    res = cli("--provider", "local", "process", str(DATA / "rocket.jpg"), "resize:w=70", "--to", str(out),
              "--download-to", str(copy), "--json")
    assert res.code == 0, res.stderr
    assert res.json()["downloaded"] == [str(copy.resolve())]
    assert copy.read_bytes() == out.read_bytes()
    with Image.open(copy) as im:
        assert im.format == "WEBP" and im.width == 70
