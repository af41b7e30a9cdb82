"""Cloud Infinite's intelligent image rules through the real qcloud_cos client and CLI against
``mediaproc serve``: smart crop (``ci-process=AIImageCrop``), face crop (``imageMogr2/scrop``) and the
text blind watermark (``watermark/3`` embed, ``watermark/4`` extract through Pic-Operations).

Outputs are decoded and compared with the local provider's output for the same operation, with the
tolerance of the cross-provider test (mean absolute difference per channel below 1.0). PNG sources
keep encoder noise out, so the pixels are expected to match exactly.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
from PIL import Image

from cos.conftest import BUCKET, DATA, REGION, CliResult, mean_abs_diff, put

MARK = "mediaproc-2026 盲水印"


def _local(cli: Callable[..., CliResult], src: Path, chain: list[str], out: Path) -> None:
    r = cli("--provider", "local", "image", "process", str(src), *chain, "--to", str(out))
    assert r.code == 0, r.stderr


def _object_bytes(sdk: Any, key: str) -> bytes:
    return bytes(sdk.get_object(Bucket=BUCKET, Key=key)["Body"].get_raw_stream().read())


def _no_temporaries(sdk: Any) -> None:
    assert not sdk.list_objects(Bucket=BUCKET, Prefix=".mediaproc-tmp/").get("Contents")


def test_smart_crop_matches_local(
    cli: Callable[..., CliResult], sdk: Any, emu: Any, prefix: str, tmp_path: Path
) -> None:
    src = DATA / "chelsea.png"
    chain = ["crop:g=auto,w=200,h=160"]
    uri = put(sdk, f"{prefix}chelsea.png", src)
    _local(cli, src, chain, tmp_path / "local.png")

    # download (GET with the AIImageCrop query parameters)
    r = cli("--json", "image", "process", uri, *chain, "--to", str(tmp_path / "cos.png"))
    assert r.code == 0, r.stderr
    res = r.json()
    assert res["operations"] == "ci-process=AIImageCrop&width=200&height=160&fixed=1"
    assert any("AIImageCrop" in w for w in res["warnings"])
    # save in the bucket (Pic-Operations rule)
    r = cli("--json", "image", "process", uri, *chain, "--to", f"cos://{BUCKET}/{prefix}out/smart.png")
    assert r.code == 0, r.stderr
    assert (r.json()["width"], r.json()["height"]) == (200, 160)
    (tmp_path / "saved.png").write_bytes(_object_bytes(sdk, f"{prefix}out/smart.png"))
    # signed URL, fetched by a plain HTTP client
    r = cli("--json", "image", "process", uri, *chain, "--url", url=True)
    assert r.code == 0, r.stderr
    got = requests.get(r.json()["url"], headers={"Host": f"{BUCKET}.cos.{REGION}.myqcloud.com"}, timeout=30)
    assert got.status_code == 200, got.text
    (tmp_path / "url.png").write_bytes(got.content)

    for name in ("cos.png", "saved.png", "url.png"):
        with Image.open(tmp_path / name) as im:
            assert im.size == (200, 160), name
        diff = mean_abs_diff(tmp_path / name, tmp_path / "local.png")
        print(f"smart crop {name} vs local: mean abs diff {diff:.4f}")
        assert diff < 1.0, name
    # the window really moved off the top-left corner (not a plain nw crop)
    _local(cli, src, ["crop:w=200,h=160"], tmp_path / "nw.png")
    assert mean_abs_diff(tmp_path / "cos.png", tmp_path / "nw.png") > 5.0


def test_smart_crop_on_upload_and_by_rule(cli: Callable[..., CliResult], sdk: Any, prefix: str, tmp_path: Path) -> None:
    src = DATA / "coffee.png"
    _local(cli, src, ["crop:g=auto,w=300,h=300"], tmp_path / "local.png")
    r = cli(
        "--json", "--provider", "cos", "image", "process", str(src), "crop:g=auto,w=300,h=300",
        "--to", f"cos://{BUCKET}/{prefix}up.png",
    )  # fmt: skip
    assert r.code == 0, r.stderr
    (tmp_path / "up.png").write_bytes(_object_bytes(sdk, f"{prefix}up.png"))
    assert mean_abs_diff(tmp_path / "up.png", tmp_path / "local.png") < 1.0
    # `cos process --rule` takes the operation, and CI's own spelling passes through
    uri = put(sdk, f"{prefix}coffee.png", src)
    r = cli(
        "--json", "cos", "process", uri,
        "--rule", "crop:g=auto,w=300,h=300", "--to", f"cos://{BUCKET}/{prefix}r1.png",
        "--rule", "ci-process=AIImageCrop&width=300&height=300&fixed=1", "--to", f"cos://{BUCKET}/{prefix}r2.png",
    )  # fmt: skip
    assert r.code == 0, r.stderr
    for name in ("r1.png", "r2.png"):
        (tmp_path / name).write_bytes(_object_bytes(sdk, f"{prefix}{name}"))
        assert mean_abs_diff(tmp_path / name, tmp_path / "local.png") < 1.0
    _no_temporaries(sdk)


def test_smart_crop_larger_than_the_image_is_refused_by_ci(
    cli: Callable[..., CliResult], sdk: Any, prefix: str, tmp_path: Path
) -> None:
    """AIImageCrop's width/height must be below the image's sides (the docs' 取值范围)."""
    uri = put(sdk, f"{prefix}chelsea.png", DATA / "chelsea.png")
    r = cli("image", "process", uri, "crop:g=auto,w=451,h=100", "--to", str(tmp_path / "x.png"))
    assert r.code == 2, r.stderr  # a parameter the service refuses for this image: bad input, as locally
    assert "AIImageCrop" in r.stderr
    assert not (tmp_path / "x.png").exists()


def test_face_crop_matches_local(cli: Callable[..., CliResult], sdk: Any, prefix: str, tmp_path: Path) -> None:
    src = DATA / "astronaut.png"
    chain = ["crop:g=face,w=180,h=200"]
    uri = put(sdk, f"{prefix}astronaut.png", src)
    r = cli("--json", "image", "process", uri, *chain, "--to", str(tmp_path / "cos.png"))
    assert r.code == 0, r.stderr
    assert r.json()["operations"] == "imageMogr2/scrop/180x200"
    _local(cli, src, chain, tmp_path / "local.png")
    with Image.open(tmp_path / "cos.png") as im:
        assert im.size == (180, 200)
    assert mean_abs_diff(tmp_path / "cos.png", tmp_path / "local.png") < 1.0
    # scrop chains with other imageMogr2 operations in one processor
    chain = ["crop:g=face,w=180,h=200", "rotate:angle=90", "format:target=jpg"]
    r = cli("--json", "image", "process", uri, *chain, "--to", str(tmp_path / "cos.jpg"))
    assert r.code == 0, r.stderr
    assert r.json()["operations"] == "imageMogr2/scrop/180x200/rotate/90/format/jpg"
    _local(cli, src, chain, tmp_path / "local.jpg")
    with Image.open(tmp_path / "cos.jpg") as im:
        assert im.size == (200, 180)
    assert mean_abs_diff(tmp_path / "cos.jpg", tmp_path / "local.jpg") < 1.0


@pytest.mark.parametrize(("strength", "level"), [("low", "1"), ("high", "3")])
def test_blind_watermark_round_trip(
    cli: Callable[..., CliResult], sdk: Any, prefix: str, tmp_path: Path, strength: str, level: str
) -> None:
    """Embed through COS (saved with Pic-Operations), extract through COS: the exact text, also after
    the marked image is re-encoded as JPEG q80 (every strength survives q80 on tests/data)."""
    uri = put(sdk, f"{prefix}coffee.png", DATA / "coffee.png")
    marked = f"cos://{BUCKET}/{prefix}marked.png"
    r = cli(
        "--json", "image", "process", uri, "resize:w=480", f"blindwatermark-embed:content={MARK},s={strength}",
        "--to", marked,
    )  # fmt: skip
    assert r.code == 0, r.stderr
    rule = r.json()["operations"]
    assert rule.startswith("imageMogr2/thumbnail/480x>|watermark/3/type/3/text/")
    assert rule.endswith(f"/level/{level}/version/3.0")
    # the marked image is the resized source, visually unchanged
    (tmp_path / "marked.png").write_bytes(_object_bytes(sdk, f"{prefix}marked.png"))
    _local(cli, DATA / "coffee.png", ["resize:w=480"], tmp_path / "plain.png")
    with Image.open(tmp_path / "marked.png") as im:
        assert im.size == (480, 320)
    assert 0.0 < mean_abs_diff(tmp_path / "marked.png", tmp_path / "plain.png") < 3.0

    r = cli("--json", "process", marked, "blindwatermark-extract")
    assert r.code == 0, r.stderr
    assert r.json()["data"] == {"Content": MARK}
    assert r.json()["provider"] == "cos"

    with Image.open(tmp_path / "marked.png") as im:
        buf = io.BytesIO()
        im.convert("RGB").save(buf, "JPEG", quality=80)
    sdk.put_object(Bucket=BUCKET, Body=buf.getvalue(), Key=f"{prefix}marked-q80.jpg")
    r = cli("--json", "process", f"cos://{BUCKET}/{prefix}marked-q80.jpg", "blindwatermark-extract")
    assert r.code == 0, r.stderr
    assert r.json()["data"]["Content"] == MARK
    # the local provider reads the COS-embedded mark too (one engine behind both)
    local_jpg = tmp_path / "q80.jpg"
    local_jpg.write_bytes(buf.getvalue())
    r = cli("--json", "--provider", "local", "process", str(local_jpg), "blindwatermark-extract")
    assert r.code == 0, r.stderr
    assert r.json()["data"]["Content"] == MARK
    _no_temporaries(sdk)


def test_blind_watermark_local_files_and_rules(
    cli: Callable[..., CliResult], sdk: Any, prefix: str, tmp_path: Path
) -> None:
    """A local file (temporary object, deleted), a download of the marked image, and `cos process
    --rule blindwatermark-extract`, which leaves the extracted text at its --to."""
    src = DATA / "rocket.jpg"
    r = cli(
        "--json", "--bucket", BUCKET, "--provider", "cos", "image", "process", str(src),
        "blindwatermark-embed:content=id-42,s=medium", "--to", str(tmp_path / "marked.jpg"),
    )  # fmt: skip
    assert r.code == 0, r.stderr
    with Image.open(tmp_path / "marked.jpg") as im:
        assert (im.format, im.size) == ("JPEG", (640, 427))
    r = cli("--json", "--bucket", BUCKET, "--provider", "cos", "process", str(tmp_path / "marked.jpg"),
            "blindwatermark-extract", "--to", str(tmp_path / "wm.json"))  # fmt: skip
    assert r.code == 0, r.stderr
    assert '"Content": "id-42"' in (tmp_path / "wm.json").read_text(encoding="utf-8")

    uri = put(sdk, f"{prefix}marked.jpg", tmp_path / "marked.jpg")
    r = cli(
        "--json", "cos", "process", uri, "--rule", "blindwatermark-extract", "--to", f"cos://{BUCKET}/{prefix}wm.txt"
    )
    assert r.code == 0, r.stderr
    assert r.json()["operations"] == "watermark/4/type/3/version/3.0"
    assert _object_bytes(sdk, f"{prefix}wm.txt").decode("utf-8") == "id-42"
    _no_temporaries(sdk)


def test_no_watermark_is_a_service_error(cli: Callable[..., CliResult], sdk: Any, front: Any, prefix: str) -> None:
    uri = put(sdk, f"{prefix}plain.png", DATA / "chelsea.png")
    before = front.requests.get("ImageProcess", 0)
    r = cli("process", uri, "blindwatermark-extract")
    assert r.code == 5, r.stderr
    assert "WatermarkNotFound" in r.stderr and "Hint:" in r.stderr
    assert front.requests.get("ImageProcess", 0) == before + 1  # a 4xx answer: not retried
    _no_temporaries(sdk)


def test_dry_run_shows_the_rules(cli: Callable[..., CliResult], sdk: Any, front: Any, prefix: str) -> None:
    uri = f"cos://{BUCKET}/{prefix}a.png"
    before = sum(front.requests.values())
    r = cli("--json", "image", "process", uri, "crop:g=auto,w=64,h=48", "--to", "out.png", "--dry-run")
    assert r.code == 0, r.stderr
    data = r.json()["data"]
    assert data["request_line"] == f"GET /{prefix}a.png?ci-process=AIImageCrop&width=64&height=48&fixed=1"
    assert data["query"] == {"ci-process": "AIImageCrop", "width": "64", "height": "48", "fixed": "1"}

    r = cli("--json", "image", "process", uri, "crop:g=face,w=64,h=48", "--to", "out.png", "--dry-run")
    assert r.json()["data"]["request_line"] == f"GET /{prefix}a.png?imageMogr2/scrop/64x48"

    r = cli(
        "--json", "image", "process", uri, "blindwatermark-embed:content=Hi,s=medium",
        "--to", f"cos://{BUCKET}/{prefix}m.png", "--dry-run",
    )  # fmt: skip
    data = r.json()["data"]
    assert data["request_line"] == f"POST /{prefix}a.png?image_process"
    assert data["pic_operations"]["rules"] == [
        {"fileid": f"/{prefix}m.png", "rule": "watermark/3/type/3/text/SGk/level/2/version/3.0"}
    ]

    r = cli("--json", "process", uri, "blindwatermark-extract", "--dry-run")
    assert r.code == 0, r.stderr
    data = r.json()["data"]
    assert data["request_line"] == f"POST /{prefix}a.png?image_process"
    assert data["pic_operations"]["rules"][0]["rule"] == "watermark/4/type/3/version/3.0"
    assert "blindwatermark.txt" in data["then"]
    # plain text output shows the rule too
    r = cli("image", "process", uri, "crop:g=face,w=64,h=48", "--to", "out.png", "--dry-run")
    assert "imageMogr2/scrop/64x48" in r.stdout
    assert sum(front.requests.values()) == before


@pytest.mark.parametrize(
    ("chain", "message"),
    [
        (["crop:g=auto,w=50,h=50", "format:target=png"], "crop: g=auto together with other operations"),
        (["crop:g=auto,w=50"], "crop: g=auto without both w and h"),
        (["crop:g=face,w=50,h=50,p=120"], "crop: p=120"),
        (["blur:r=5,s=5,g=faces"], "blur: g=faces (face blur)"),
        (["blindwatermark-embed:content=x,q=80"], "blindwatermark-embed: q=80"),
        (["blindwatermark-extract:s=high"], "blindwatermark-extract: s=high"),
        (["blindwatermark-extract:model=fft"], "blindwatermark-extract: model=fft"),
    ],
)
def test_refused_parameters(
    cli: Callable[..., CliResult], sdk: Any, front: Any, prefix: str, tmp_path: Path, chain: list[str], message: str
) -> None:
    uri = put(sdk, f"{prefix}a.png", DATA / "chelsea.png")
    before = sum(front.requests.values())
    name = "x.json" if chain[0].startswith("blindwatermark-extract") else "x.png"  # named as what it writes
    r = cli("process", uri, *chain, "--to", str(tmp_path / name))
    assert r.code == 2, r.stderr
    assert r.first_stderr_line == f"Error: {message} has no Cloud Infinite equivalent"
    assert "Hint:" in r.stderr
    assert sum(front.requests.values()) == before
    assert not list(tmp_path.iterdir())
