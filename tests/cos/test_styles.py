"""Cloud Infinite image styles: the real qcloud_cos client against serve (AddStyle, GetStyle,
DeleteStyle; ``style/NAME`` as a GET rule and in Pic-Operations), the same through the CLI, and a
styles file exported from one provider and imported into the others giving the same images."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from cos.conftest import BUCKET, DATA, mean_abs_diff, put
from support.cli import Cli

OSS_REGION = "cn-hangzhou"  # serve's region in tests/support/emulator.py


def _size(path: Path) -> tuple[str | None, tuple[int, int]]:
    with Image.open(path) as im:
        return im.format, im.size


def test_qcloud_cos_style_api_and_processing(sdk: Any, emu: Any, prefix: str, tmp_path: Path) -> None:
    from qcloud_cos.cos_exception import CosServiceError

    key = f"{prefix}rocket.jpg"
    put(sdk, key, DATA / "rocket.jpg")  # 640x427
    sdk.ci_put_image_style(Bucket=BUCKET,
                           Request={"StyleName": "small", "StyleBody": "imageMogr2/thumbnail/80x/format/png"})
    sdk.ci_put_image_style(Bucket=BUCKET, Request={"StyleName": "half", "StyleBody": "imageMogr2/thumbnail/!50p"})

    _h, one = sdk.ci_get_image_style(Bucket=BUCKET, Request={"StyleName": "small"})
    rule = one["StyleRule"]
    rule = rule[0] if isinstance(rule, list) else rule
    assert (rule["StyleName"], rule["StyleBody"]) == ("small", "imageMogr2/thumbnail/80x/format/png")
    _h, every = sdk.ci_get_image_style(Bucket=BUCKET, Request={})
    assert {r["StyleName"] for r in every["StyleRule"]} >= {"small", "half"}

    sdk.ci_get_object(Bucket=BUCKET, Key=key, DestImagePath=str(tmp_path / "s.png"), Rule="style/small")
    assert _size(tmp_path / "s.png") == ("PNG", (80, 53))

    pic = json.dumps({"is_pic_info": 1, "rules": [{"fileid": "half.jpg", "rule": "style/half"}]})
    _h, result = sdk.ci_image_process(Bucket=BUCKET, Key=key, PicOperations=pic)
    obj = result["ProcessResults"]["Object"]
    assert (obj["Width"], obj["Height"]) == ("320", "214")
    sdk.download_file(Bucket=BUCKET, Key=f"{prefix}half.jpg", DestFilePath=str(tmp_path / "h.jpg"))
    assert _size(tmp_path / "h.jpg") == ("JPEG", (320, 214))

    with pytest.raises(CosServiceError) as missing:
        sdk.ci_get_object(Bucket=BUCKET, Key=key, DestImagePath=str(tmp_path / "x.png"), Rule="style/nope")
    assert missing.value.get_status_code() == 404
    assert not (tmp_path / "x.png").exists()
    with pytest.raises(CosServiceError) as missing_pic:
        sdk.ci_image_process(Bucket=BUCKET, Key=key, PicOperations=pic.replace("style/half", "style/nope"))
    assert missing_pic.value.get_status_code() == 404

    with pytest.raises(CosServiceError) as bad:
        sdk.ci_put_image_style(Bucket=BUCKET, Request={"StyleName": "no/slash", "StyleBody": "imageMogr2/rotate/90"})
    assert bad.value.get_status_code() == 400

    sdk.ci_delete_image_style(Bucket=BUCKET, Request={"StyleName": "small"})
    _h, left = sdk.ci_get_image_style(Bucket=BUCKET, Request={"StyleName": "small"})
    assert not (left or {}).get("StyleRule")
    sdk.ci_delete_image_style(Bucket=BUCKET, Request={"StyleName": "half"})


def test_cli_styles_on_cos(cli: Cli, sdk: Any, prefix: str, tmp_path: Path) -> None:
    key = f"{prefix}rocket.jpg"
    src = put(sdk, key, DATA / "rocket.jpg")
    where = ("--in", f"cos://{BUCKET}")

    res = cli("style", "put", "thumb", "resize:w=120", "format:target=png", *where, "--json")
    assert res.code == 0, res.stderr
    assert res.json()["stored"] == "imageMogr2/thumbnail/120x>/format/png"
    got = cli("style", "get", "thumb", *where, "--json").json()
    assert got["chain"] == ["resize:w=120,limit=1", "format:target=png"]  # decoded from the rule: 120x> keeps limit
    assert "thumb" in [s["name"] for s in cli("style", "ls", *where, "--json").json()]

    dry = cli("process", src, "style/thumb", "--dry-run")
    assert dry.code == 0 and "?style/thumb" in dry.stdout

    out = cli("process", src, "style/thumb", "--to", str(tmp_path / "t.png"))
    assert out.code == 0, out.stderr
    assert _size(tmp_path / "t.png") == ("PNG", (120, 80))

    saved = cli("process", src, "style/thumb", "--to", f"cos://{BUCKET}/{prefix}t.png")
    assert saved.code == 0, saved.stderr
    sdk.download_file(Bucket=BUCKET, Key=f"{prefix}t.png", DestFilePath=str(tmp_path / "saved.png"))
    assert _size(tmp_path / "saved.png") == ("PNG", (120, 80))

    rules = cli("cos", "process", src, "--rule", "style/thumb", "--to", f"{prefix}r.png", "--json")
    assert rules.code == 0, rules.stderr
    assert rules.json()["data"]["ProcessResults"]["Object"]["Width"] == "120"
    upload = cli("cos", "process", str(DATA / "coffee.png"), "--on-upload", "--rule", "style/thumb",
                 "--to", f"cos://{BUCKET}/{prefix}u.png", "--json")
    assert upload.code == 0, upload.stderr
    sdk.download_file(Bucket=BUCKET, Key=f"{prefix}u.png", DestFilePath=str(tmp_path / "u.png"))
    assert _size(tmp_path / "u.png") == ("PNG", (120, 80))

    missing = cli("process", src, "style/nope", "--to", str(tmp_path / "n.png"))
    assert missing.code == 4 and f"mediaproc style ls --in cos://{BUCKET}" in missing.stderr
    # named, as the local provider names it, and on the bucket (not "a style of the chain ... in <object>")
    assert missing.first_stderr_line == f"Error: style 'nope' does not exist in cos://{BUCKET}"
    assert not (tmp_path / "n.png").exists()

    assert cli("style", "rm", "thumb", *where).code == 0
    assert cli("style", "get", "thumb", *where).code == 4


def _oss_env(emu: Any) -> dict[str, str]:
    return {
        "ALIBABA_CLOUD_ACCESS_KEY_ID": emu.access_key_id,
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": emu.access_key_secret,
        "ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true",
        "ALIBABA_CLOUD_CLI_PROFILE_DISABLED": "true",
        "MEDIAPROC_REGION": OSS_REGION,
        "MEDIAPROC_IMM_ENDPOINT": emu.url,
    }


def test_export_from_one_provider_import_into_the_others(cli: Cli, emu: Any, sdk: Any, prefix: str,
                                                         tmp_path: Path) -> None:
    """Styles written on OSS, exported to TOML, imported into COS and a local folder: each provider's
    style gives the same image (size and pixels) from the same source."""
    oss_bucket = emu.oss_bucket(f"st-{prefix[2:10]}")
    oss_bucket.put_object_from_file("rocket.jpg", str(DATA / "rocket.jpg"))
    cos_src = put(sdk, f"{prefix}rocket.jpg", DATA / "rocket.jpg")
    oss = ("--in", f"oss://{oss_bucket.bucket_name}")
    env = _oss_env(emu)

    for name, chain in (("thumb", ["resize:w=200", "format:target=png"]),
                        ("box", ["resize:mode=fill,w=100,h=100", "rotate:angle=90", "format:target=png"])):
        res = cli("style", "put", name, *chain, *oss, env=env)
        assert res.code == 0, res.stderr
    styles_file = tmp_path / "styles.toml"
    exported = cli("style", "export", str(styles_file), *oss, "--json", env=env)
    assert exported.code == 0, exported.stderr
    assert exported.json()["count"] == 2
    text = styles_file.read_text()
    assert "[styles.thumb]" in text and 'stored = "image/resize,w_200/format,png"' in text

    imported = cli("style", "import", str(styles_file), "--in", f"cos://{BUCKET}", "--json")
    assert imported.code == 0, imported.stderr
    stored = {s["name"]: s["stored"] for s in imported.json()["imported"]}
    assert stored["thumb"] == "imageMogr2/thumbnail/200x>/format/png"
    folder = tmp_path / "local-bucket"
    folder.mkdir()
    assert cli("style", "import", str(styles_file), "--in", str(folder)).code == 0

    for name, size in (("thumb", (200, 133)), ("box", (100, 100))):
        oss_out, cos_out, local_out = (tmp_path / f"{name}-{p}.png" for p in ("oss", "cos", "local"))
        assert cli("process", f"oss://{oss_bucket.bucket_name}/rocket.jpg", f"style/{name}", "--to", str(oss_out),
                   env=env).code == 0
        assert cli("process", cos_src, f"style/{name}", "--to", str(cos_out)).code == 0
        res = cli("--provider", "local", "--bucket", str(folder), "process", str(DATA / "rocket.jpg"),
                  f"style/{name}", "--to", str(local_out))
        assert res.code == 0, res.stderr
        for out in (oss_out, cos_out, local_out):
            assert _size(out) == ("PNG", size)
        assert mean_abs_diff(oss_out, local_out) < 1.0
        assert mean_abs_diff(cos_out, local_out) < 1.0


def test_import_refuses_what_the_target_cannot_express(cli: Cli, tmp_path: Path) -> None:
    """An OSS/local operation COS has no rule for is refused before anything is stored (exit 2,
    naming the operation), and the whole file with it."""
    styles_file = tmp_path / "styles.toml"
    styles_file.write_text('[styles.ok]\nchain = ["resize:w=50"]\n\n'
                           '[styles.faces]\nchain = ["crop:g=face,w=100,h=100,p=50"]\n')
    res = cli("style", "import", str(styles_file), "--in", f"cos://{BUCKET}")
    assert res.code == 2, res.stderr
    assert "faces" in res.stderr and "crop" in res.stderr
    listed = cli("style", "ls", "--in", f"cos://{BUCKET}", "--json").json()
    assert "ok" not in [s["name"] for s in listed]


def test_styles_survive_a_restart_of_serve(tmp_path: Path) -> None:
    """Both fronts' styles are kept with the bucket in the serve root: a new server on the same root
    reads them back (and a deleted bucket takes its styles with it)."""
    from cos.conftest import make_client
    from support.emulator import running_emulator

    root = tmp_path / "root"
    with running_emulator(root) as first:
        first.oss_bucket("keep").put_bucket_style("s1", "image/resize,w_10")
        make_client(first).create_bucket(Bucket=BUCKET)
        make_client(first).ci_put_image_style(
            Bucket=BUCKET, Request={"StyleName": "c1", "StyleBody": "imageMogr2/rotate/90"})
    with running_emulator(root) as second:
        assert second.oss_bucket("keep", create=False).get_bucket_style("s1").content == "image/resize,w_10"
        _h, data = make_client(second).ci_get_image_style(Bucket=BUCKET, Request={"StyleName": "c1"})
        rule = data["StyleRule"]
        assert (rule[0] if isinstance(rule, list) else rule)["StyleBody"] == "imageMogr2/rotate/90"
        bucket = second.oss_bucket("keep", create=False)
        bucket.delete_bucket()
        recreated = second.oss_bucket("keep")
        assert recreated.list_bucket_style().styles == []
