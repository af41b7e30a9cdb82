"""COS requests as the documentation spells them, and results that match their destination, through
qcloud_cos and the real CLI against ``mediaproc serve``'s COS front (outputs decoded)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from cos.conftest import BUCKET, CliResult, probe, put

OTHER = "other-1250000000"


def test_concat_input_in_another_bucket_keeps_its_bucket(
    cli: Callable[..., CliResult], sdk: Any, clip: Path, prefix: str, tmp_path: Path
) -> None:
    # CI names each fragment by its full COS URL (ConcatFragment/Url), so the bucket travels with it
    sdk.create_bucket(Bucket=OTHER)
    source = put(sdk, f"{prefix}a.mp4", clip)
    with clip.open("rb") as fh:
        sdk.put_object(Bucket=OTHER, Key=f"{prefix}b.mp4", Body=fh)
    dry = cli("--json", "process", source, "video/concat:f=mp4,vcodec=h264,acodec=aac",
              "--input", f"cos://{OTHER}/{prefix}b.mp4,t=1000", "--to", f"cos://{BUCKET}/{prefix}cat.mp4", "--dry-run")
    assert dry.code == 0, dry.stderr
    assert f"{OTHER}.cos." in dry.json()["data"]["body"]
    res = cli("process", source, "video/concat:f=mp4,vcodec=h264,acodec=aac",
              "--input", f"cos://{OTHER}/{prefix}b.mp4,t=1000", "--to", f"cos://{BUCKET}/{prefix}cat.mp4")
    assert res.code == 0, res.stderr
    out = tmp_path / "cat.mp4"
    sdk.download_file(Bucket=BUCKET, Key=f"{prefix}cat.mp4", DestFilePath=str(out))
    assert abs(probe(out)["duration"] - 3.0) < 0.25  # 2 s of source, then 1 s of the other bucket's clip


def test_destination_extension_asks_cos_for_the_format(
    cli: Callable[..., CliResult], sdk: Any, prefix: str, tmp_path: Path
) -> None:
    from PIL import Image

    from cos.conftest import DATA

    source = put(sdk, f"{prefix}a.png", DATA / "chelsea.png")
    out = tmp_path / "out.jpg"
    dry = cli("process", source, "resize:w=100", "--to", str(out), "--dry-run")
    assert dry.stdout.startswith(f"GET /{prefix}a.png?imageMogr2/thumbnail/100x>/format/jpg"), dry.stdout
    res = cli("--json", "process", source, "resize:w=100", "--to", str(out), "--verify", "--strict")
    assert res.code == 0, res.stderr
    assert Image.open(out).format == "JPEG" and res.json()["format"] == "jpg"
    # the size is read back from the bytes, as every provider reports a written image (chelsea is 451x300)
    assert (res.json()["width"], res.json()["height"]) == Image.open(out).size == (100, 67)
    saved = cli("--json", "process", source, "resize:w=100", "--to", f"cos://{BUCKET}/{prefix}o.webp")
    assert saved.code == 0, saved.stderr
    body = sdk.get_object(Bucket=BUCKET, Key=f"{prefix}o.webp")["Body"].get_raw_stream().read()
    assert body[:4] == b"RIFF" and body[8:12] == b"WEBP"


def test_snapshots_follow_the_one_naming_rule_on_cos(
    cli: Callable[..., CliResult], sdk: Any, clip: Path, prefix: str, tmp_path: Path
) -> None:
    from PIL import Image

    source = put(sdk, f"{prefix}v/clip.mp4", clip)
    for target, named in ((f"{prefix}snaps/", f"{prefix}snaps/clip"), (f"{prefix}out/frame", f"{prefix}out/frame"),
                          (f"{prefix}shots/frame.jpg", f"{prefix}shots/frame")):
        res = cli("--json", "process", source, "video/snapshots:f=jpg,inter=500,num=3",
                  "--to", f"cos://{BUCKET}/{target}")
        assert res.code == 0, res.stderr
        keys = res.json()["generated_keys"]
        assert keys == [f"{named}_0_{n}.jpg" for n in range(1, len(keys) + 1)] and len(keys) >= 2, keys
        listed = sdk.list_objects(Bucket=BUCKET, Prefix=named.rsplit("/", 1)[0] + "/").get("Contents") or []
        assert sorted(o["Key"] for o in listed) == sorted(keys)  # only the frames, nothing bare
        body = sdk.get_object(Bucket=BUCKET, Key=keys[0])["Body"].get_raw_stream().read()
        assert body[:3] == b"\xff\xd8\xff"
    local = cli("--json", "process", source, "video/snapshots:f=jpg,inter=500,num=3",
                "--to", str(tmp_path / "nd") + "/")
    assert local.code == 0, local.stderr
    paths = local.json()["generated_keys"]
    assert paths == [str(tmp_path / "nd" / f"clip_0_{n}.jpg") for n in range(1, len(paths) + 1)]
    assert all(Image.open(p).format == "JPEG" for p in paths)
    assert not sdk.list_objects(Bucket=BUCKET, Prefix=".mediaproc-tmp/").get("Contents")


def test_missing_watermark_image_is_named_on_cos(
    cli: Callable[..., CliResult], sdk: Any, prefix: str, tmp_path: Path
) -> None:
    from cos.conftest import DATA

    source = put(sdk, f"{prefix}a.png", DATA / "chelsea.png")
    out = tmp_path / "o.png"
    res = cli("--json", "process", source, f"watermark:image={prefix}qr.png", "--to", str(out))
    assert res.code == 4, res.stdout
    assert f"the object '{prefix}qr.png' does not exist" in res.error["message"]  # the watermark, not the source
    assert not out.exists()
