"""Image chains on cos:// objects, decoded and compared with the local provider's output for the same
chain: download (GET ?rule), save (POST ?image_process), process on upload (PUT + Pic-Operations),
signed URLs, metadata JSON, and `mediaproc cos process` with several rules."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
from PIL import Image

from cos.conftest import BUCKET, DATA, REGION, CliResult, assert_no_leak, mean_abs_diff, put

CHAINS = [
    ["resize:w=300"],
    ["resize:w=200,h=200,mode=fill", "format:target=png"],
    ["resize:w=300,h=100,mode=pad,color=FF0000"],
    ["resize:p=50", "rotate:angle=90"],
    ["crop:w=200,h=150,g=center", "flip:v=1"],
    ["crop:w=120,h=80,x=30,y=40"],
    ["blur:r=5,s=3", "bright:v=20", "contrast:v=-10"],
    ["circle:r=100", "format:target=png"],
    ["rounded-corners:r=40", "format:target=webp"],
    ["watermark:text=mediaproc,size=30,color=FF00FF,g=sw", "quality:Q=80"],
    ["resize:l=256", "watermark:text=tile,fill=1,rotate=30,t=50", "format:target=png"],
]


def _local(cli: Callable[..., CliResult], src: Path, chain: list[str], out: Path) -> None:
    r = cli("--provider", "local", "image", "process", str(src), *chain, "--to", str(out))
    assert r.code == 0, r.stderr


@pytest.mark.parametrize("chain", CHAINS, ids=[" ".join(c) for c in CHAINS])
def test_chain_matches_local(
    cli: Callable[..., CliResult], sdk: Any, emu: Any, prefix: str, tmp_path: Path, chain: list[str]
) -> None:
    src = DATA / "rocket.jpg"
    uri = put(sdk, f"{prefix}rocket.jpg", src)
    ext = next((c.split("=")[1] for c in chain if c.startswith("format:")), "jpg")
    cos_out, local_out = tmp_path / f"cos.{ext}", tmp_path / f"local.{ext}"
    r = cli("--json", "image", "process", uri, *chain, "--to", str(cos_out))
    assert r.code == 0, r.stderr
    assert_no_leak(r, emu)
    assert r.json()["operations"].startswith(("imageMogr2/", "watermark/"))
    _local(cli, src, chain, local_out)
    with Image.open(cos_out) as a, Image.open(local_out) as b:
        assert a.size == b.size
        assert a.format == b.format
    # Same engine behind both: identical geometry; pixels within JPEG re-encoding noise.
    diff = mean_abs_diff(cos_out, local_out)
    print(f"{' '.join(chain)}: mean abs diff {diff:.4f}")
    assert diff < 1.0


def test_save_in_bucket_and_process_on_upload(
    cli: Callable[..., CliResult], sdk: Any, front: Any, prefix: str, tmp_path: Path
) -> None:
    uri = put(sdk, f"{prefix}a/chelsea.png", DATA / "chelsea.png")
    r = cli(
        "--json",
        "image",
        "process",
        uri,
        "resize:w=100",
        "format:target=jpg",
        "--to",
        f"cos://{BUCKET}/{prefix}out/small.jpg",
    )
    assert r.code == 0, r.stderr
    res = r.json()
    assert (res["mode"], res["width"], res["height"], res["format"]) == ("save", 100, 67, "jpg")
    got = tmp_path / "small.jpg"
    got.write_bytes(sdk.get_object(Bucket=BUCKET, Key=f"{prefix}out/small.jpg")["Body"].get_raw_stream().read())
    with Image.open(got) as im:
        assert (im.format, im.size) == ("JPEG", (100, 67))

    before = dict(front.requests)
    r = cli(
        "--json",
        "image",
        "process",
        str(DATA / "coffee.png"),
        "resize:w=60",
        "--to",
        f"cos://{BUCKET}/{prefix}out/coffee.png",
    )
    assert r.code == 0, r.stderr
    assert front.requests.get("PutObject", 0) - before.get("PutObject", 0) == 1  # one PUT with Pic-Operations
    assert front.requests.get("ImageProcess", 0) == before.get("ImageProcess", 0)
    keys = [o["Key"] for o in sdk.list_objects(Bucket=BUCKET, Prefix="")["Contents"]]
    assert f"{prefix}out/coffee.png" in keys
    assert not [k for k in keys if k.startswith(".mediaproc-tmp/")]  # the temporary original is gone


def test_signed_url_with_rule(cli: Callable[..., CliResult], sdk: Any, emu: Any, prefix: str, tmp_path: Path) -> None:
    uri = put(sdk, f"{prefix}r.jpg", DATA / "rocket.jpg")
    r = cli("image", "process", uri, "resize:w=64", "format:target=png", "--url", url=True)
    assert r.code == 0, r.stderr
    url = r.stdout.strip()
    assert_no_leak(r, emu, url_ok=True)
    assert "?<redacted>" in r.stderr
    got = requests.get(url, headers={"Host": f"{BUCKET}.cos.{REGION}.myqcloud.com"}, timeout=30)
    assert got.status_code == 200
    (tmp_path / "u.png").write_bytes(got.content)
    with Image.open(tmp_path / "u.png") as im:
        assert (im.format, im.width) == ("PNG", 64)


@pytest.mark.parametrize("name", ["rocket.jpg", "chelsea.png"])
def test_info_and_hue_match_local(cli: Callable[..., CliResult], sdk: Any, prefix: str, name: str) -> None:
    uri = put(sdk, f"{prefix}{name}", DATA / name)
    r = cli("--json", "image", "info", uri)
    assert r.code == 0, r.stderr
    cos_info = r.json()["data"]
    r = cli("--json", "--provider", "local", "image", "info", str(DATA / name))
    local_info = r.json()["data"]
    assert cos_info == local_info
    r = cli("image", "hue", uri)
    assert r.code == 0
    r2 = cli("--provider", "local", "image", "hue", str(DATA / name))
    assert json.loads(r.stdout) == json.loads(r2.stdout)
    assert json.loads(r.stdout)["RGB"].startswith("0x")


def test_cos_process_five_rules(cli: Callable[..., CliResult], sdk: Any, prefix: str, tmp_path: Path) -> None:
    uri = put(sdk, f"{prefix}p/rocket.jpg", DATA / "rocket.jpg")
    args = ["--rule", "imageMogr2/thumbnail/100x>", "--to", "t100.jpg"]  # a fileid beside the source
    args += ["--rule", "resize:w=50 format:target=png", "--to", f"cos://{BUCKET}/{prefix}t50.png"]
    args += ["--rule", 'watermark:text="a, b",size=20', "--to", f"/{prefix}wm.jpg"]
    args += ["--rule", "imageMogr2/rotate/90/format/webp", "--to", f"cos://{BUCKET}/{prefix}r.webp"]
    args += ["--rule", "crop:w=10,h=10", "--to", f"cos://{BUCKET}/{prefix}c.jpg"]
    r = cli("--json", "cos", "process", uri, *args)
    assert r.code == 0, r.stderr
    res = r.json()
    assert res["mode"] == "save"
    assert len(res["results"]) == 5
    want = {
        f"{prefix}p/t100.jpg": ("JPEG", (100, 67)),
        f"{prefix}t50.png": ("PNG", (50, 33)),
        f"{prefix}wm.jpg": ("JPEG", (640, 427)),
        f"{prefix}r.webp": ("WEBP", (427, 640)),
        f"{prefix}c.jpg": ("JPEG", (10, 10)),
    }
    for key, (fmt, size) in want.items():
        path = tmp_path / key.replace("/", "_")
        path.write_bytes(sdk.get_object(Bucket=BUCKET, Key=key)["Body"].get_raw_stream().read())
        with Image.open(path) as im:
            assert (im.format, im.size) == (fmt, size), key
    r = cli("cos", "process", uri, *args, "--rule", "resize:w=5", "--to", "x.jpg")
    assert (r.code, r.first_stderr_line) == (2, "Error: 6 rules given; Pic-Operations takes at most 5")


def test_cos_process_on_upload_keeps_the_original(cli: Callable[..., CliResult], sdk: Any, prefix: str) -> None:
    r = cli("--json", "cos", "process", str(DATA / "chelsea.png"), "--on-upload",
            "--upload-to", f"cos://{BUCKET}/{prefix}orig/chelsea.png",
            "--rule", "resize:w=80", "--to", "thumb.png")  # fmt: skip
    assert r.code == 0, r.stderr
    keys = sorted(o["Key"] for o in sdk.list_objects(Bucket=BUCKET, Prefix=prefix)["Contents"])
    assert keys == [f"{prefix}orig/chelsea.png", f"{prefix}orig/thumb.png"]
    r = cli(
        "cos",
        "process",
        str(DATA / "chelsea.png"),
        "--rule",
        "resize:w=80",
        "--to",
        f"cos://{BUCKET}/{prefix}two.png",
        "--dry-run",
    )
    assert r.code == 0
    assert "Pic-Operations" in r.stdout and "two.png" in r.stdout


def test_refused_before_any_request(
    cli: Callable[..., CliResult], front: Any, sdk: Any, prefix: str, tmp_path: Path
) -> None:
    uri = put(sdk, f"{prefix}a.jpg", DATA / "rocket.jpg")
    before = sum(front.requests.values())
    no_equivalent = "has no Cloud Infinite equivalent"
    for chain, message in (
        (["indexcrop:x=100,i=1"], "indexcrop is not available on the cos provider"),
        (["crop:w=10,h=10,g=auto", "resize:w=5"], f"crop: g=auto together with other operations {no_equivalent}"),
        (["resize:w=10", "blindwatermark-embed:content=x,q=80"], f"blindwatermark-embed: q=80 {no_equivalent}"),
        (["watermark:text=a,voffset=5,g=east"], f"watermark: voffset=5 {no_equivalent}"),
    ):
        r = cli("image", "process", uri, *chain, "--to", str(tmp_path / "x.jpg"))
        assert (r.code, r.first_stderr_line) == (2, f"Error: {message}"), (chain, r.stderr)
        assert "Hint:" in r.stderr
    assert sum(front.requests.values()) == before
    assert not list(tmp_path.iterdir())


def test_local_source_leaves_no_temporary_object(
    cli: Callable[..., CliResult], sdk: Any, prefix: str, tmp_path: Path
) -> None:
    src = tmp_path / "in.jpg"
    shutil.copy(DATA / "rocket.jpg", src)
    r = cli(
        "--bucket",
        BUCKET,
        "--provider",
        "cos",
        "image",
        "process",
        str(src),
        "resize:w=32",
        "--to",
        str(tmp_path / "out.jpg"),
    )
    assert r.code == 0, r.stderr
    with Image.open(tmp_path / "out.jpg") as im:
        assert im.width == 32
    contents = sdk.list_objects(Bucket=BUCKET, Prefix=".mediaproc-tmp/").get("Contents")
    assert not contents
    r = cli("--provider", "cos", "image", "process", str(src), "resize:w=32", "--to", str(tmp_path / "o2.jpg"))
    assert r.code == 3 and "--bucket" in r.stderr


def test_image_watermark_matches_local(cli: Callable[..., CliResult], sdk: Any, prefix: str, tmp_path: Path) -> None:
    """The watermark image travels as its full http://<bucket>.cos.<region>.myqcloud.com URL; the front
    reads it from the same bucket."""
    folder = tmp_path / prefix.strip("/")
    folder.mkdir()
    shutil.copy(DATA / "rocket.jpg", folder / "base.jpg")
    shutil.copy(DATA / "chelsea.png", folder / "logo.png")
    chain = [f"watermark:image={prefix}logo.png,P=20,g=ne,x=15,y=5,t=70", "format:target=png"]
    uri = put(sdk, f"{prefix}base.jpg", folder / "base.jpg")
    put(sdk, f"{prefix}logo.png", folder / "logo.png")
    r = cli("--json", "image", "process", uri, *chain, "--to", str(tmp_path / "cos.png"))
    assert r.code == 0, r.stderr
    assert r.json()["operations"].startswith("watermark/1/image/")
    r = cli(
        "--provider",
        "local",
        "--bucket",
        str(tmp_path),
        "image",
        "process",
        str(folder / "base.jpg"),
        *chain,
        "--to",
        str(tmp_path / "local.png"),
    )
    assert r.code == 0, r.stderr
    assert mean_abs_diff(tmp_path / "cos.png", tmp_path / "local.png") < 1.0
    assert mean_abs_diff(tmp_path / "cos.png", folder / "base.jpg") > 1.0  # something was drawn


def test_a_source_that_is_not_an_image_is_exit_2_as_locally(
    cli: Callable[..., CliResult], sdk: Any, prefix: str, tmp_path: Path
) -> None:
    """The same broken JPEG was exit 2 locally (README: 2 is bad source media) but exit 5, "the
    service refused the request", on COS, whatever the destination."""
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not an image")
    src = put(sdk, f"{prefix}broken.jpg", broken)
    local = cli("--provider", "local", "process", str(broken), "resize:w=10", "--to", str(tmp_path / "l.jpg"))
    assert local.code == 2, local.stderr
    for dest in (str(tmp_path / "c.jpg"), f"cos://{BUCKET}/{prefix}c.jpg"):
        r = cli("process", src, "resize:w=10", "--to", dest)
        assert r.code == 2, r.stderr
        assert "not a readable image" in r.first_stderr_line
        assert "the kind of media it works on" in r.stderr
    r = cli("image", "info", src)
    assert r.code == 2, r.stderr
    # a local file is staged at a temporary key: the message names the file, not that key
    for dest in (str(tmp_path / "c.jpg"), f"cos://{BUCKET}/{prefix}c.jpg"):
        r = cli("--provider", "cos", "--bucket", BUCKET, "process", str(broken), "resize:w=10", "--to", dest)
        assert r.code == 2, r.stderr
        assert "Error: COS refused to" in r.stderr and ".mediaproc-tmp" not in r.stderr, r.stderr
        assert f"{broken} is not a readable image" in r.stderr
    assert not [p for p in tmp_path.iterdir() if p.name not in ("broken.jpg", "emulator-root")]  # no partial file


def test_a_signed_url_of_a_local_files_result_is_refused_as_on_oss(
    cli: Callable[..., CliResult], sdk: Any, front: Any, tmp_path: Path
) -> None:
    """``process photo.jpg resize:w=10 --url`` printed, exit 0, a URL of the temporary copy, which was
    deleted as the run ended: the URL answered 404. OSS refuses it before the upload."""
    before = front.requests.get("PutObject", 0)
    r = cli("--provider", "cos", "--bucket", BUCKET, "process", str(DATA / "rocket.jpg"), "resize:w=10", "--url",
            url=True)
    assert (r.code, r.stdout) == (2, ""), r.stderr
    assert r.first_stderr_line == "Error: a signed URL of a local file's result would point at a temporary object"
    assert "mediaproc upload FILE cos://BUCKET/KEY" in r.stderr
    assert front.requests.get("PutObject", 0) == before  # nothing was uploaded
