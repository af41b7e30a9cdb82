"""One `mediaproc image process` chain (resize, crop, rotate, watermark, format) with the local, oss and
cos providers: the same image size, and pixels within a stated tolerance.

Tolerance: the mean absolute difference per channel (0-255) between any two outputs is below 1.0,
and no more than 0.5 % of the values differ by more than 8. The three runs share one engine (the
emulator processes OSS and COS requests locally), so what is compared is the path through each
cloud's encoding and back: a wrong gravity, offset, rotation or watermark position moves whole
regions and fails both bounds by far; PNG output keeps encoder noise out of the comparison.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from cos.conftest import BUCKET, DATA, CliResult, pixels, put

CHAIN = [
    "resize:w=480",
    "crop:w=360,h=240,g=center",
    "rotate:angle=90",
    "watermark:text=mediaproc,size=28,color=FFFFFF,g=se,x=12,y=8,t=80",
    "format:target=png",
]
OSS_REGION = "cn-hangzhou"


def _compare(a: Path, b: Path) -> tuple[float, float]:
    pa, pb = pixels(a), pixels(b)
    assert pa.shape == pb.shape
    diff = abs(pa - pb)
    return float(diff.mean()), float((diff > 8).mean())


def test_same_chain_on_local_oss_and_cos(
    cli: Callable[..., CliResult], emu: Any, sdk: Any, prefix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = DATA / "rocket.jpg"
    outs = {name: tmp_path / f"{name}.png" for name in ("local", "oss", "cos")}

    r = cli("--provider", "local", "image", "process", str(src), *CHAIN, "--to", str(outs["local"]))
    assert r.code == 0, r.stderr

    cos_uri = put(sdk, f"{prefix}rocket.jpg", src)
    r = cli("--json", "image", "process", cos_uri, *CHAIN, "--to", str(outs["cos"]))
    assert r.code == 0, r.stderr
    assert r.json()["provider"] == "cos"

    # OSS: the same server answers the OSS protocol (path-style, V4-signed by oss2)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", emu.access_key_id)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", emu.access_key_secret)
    monkeypatch.setenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
    monkeypatch.setenv("ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "true")
    oss_bucket = emu.oss_bucket(f"xp-{prefix.strip('/')}")
    oss_bucket.put_object_from_file(f"{prefix}rocket.jpg", str(src))
    r = cli(
        "--json",
        "--region",
        OSS_REGION,
        "image",
        "process",
        f"oss://{oss_bucket.bucket_name}/{prefix}rocket.jpg",
        *CHAIN,
        "--to",
        str(outs["oss"]),
    )
    assert r.code == 0, r.stderr
    assert r.json()["provider"] == "oss"

    sizes = {}
    for name, path in outs.items():
        with Image.open(path) as im:
            assert im.format == "PNG", name
            sizes[name] = im.size
    assert sizes["local"] == sizes["oss"] == sizes["cos"] == (240, 360)
    for a, b in (("local", "cos"), ("local", "oss"), ("oss", "cos")):
        mean, share = _compare(outs[a], outs[b])
        print(f"{a} vs {b}: mean abs diff {mean:.4f}, share > 8: {share:.5f}")
        assert mean < 1.0, (a, b, mean)
        assert share < 0.005, (a, b, share)
    assert BUCKET in cos_uri
