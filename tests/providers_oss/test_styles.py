"""OSS bucket styles: the real oss2 client against serve (PutStyle, GetStyle, ListStyle, DeleteStyle,
``x-oss-process=style/NAME`` on GET and with ``sys/saveas``), then the same through the CLI."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from providers_oss.conftest import DATA, OssEnv
from support.cli import Cli


def _image(data: bytes) -> Image.Image:
    im = Image.open(io.BytesIO(data))
    im.load()
    return im


def test_oss2_style_api_and_processing(oss_env: OssEnv) -> None:
    import oss2

    bucket = oss_env.sdk_bucket()
    oss_env.put("in/rocket.jpg", DATA / "rocket.jpg")  # 640x427
    bucket.put_bucket_style("thumb", "image/resize,w_100/format,png")
    bucket.put_bucket_style("half.v1", "image/resize,p_50")

    got = bucket.get_bucket_style("thumb")
    assert (got.name, got.content) == ("thumb", "image/resize,w_100/format,png")
    assert got.create_time and got.last_modify_time
    assert sorted(s.name for s in bucket.list_bucket_style().styles) == ["half.v1", "thumb"]

    out = _image(bucket.get_object("in/rocket.jpg", process="style/thumb").read())
    assert (out.format, out.size) == ("PNG", (100, 67))

    saved = "out/half.jpg"
    body = f"style/half.v1|sys/saveas,o_{oss2.utils.b64encode_as_string(saved).rstrip('=')}"
    bucket.process_object("in/rocket.jpg", body)
    assert _image(oss_env.get_bytes(saved)).size == (320, 214)

    # a style that does not exist is NoSuchStyle, never the unprocessed object
    with pytest.raises(oss2.exceptions.ServerError) as missing:
        bucket.get_object("in/rocket.jpg", process="style/nope")
    assert (missing.value.status, missing.value.code) == (404, "NoSuchStyle")

    # the content is stored as given (oss2's own suite stores "csdar5324") and read when used
    bucket.put_bucket_style("junk", "csdar5324")
    assert bucket.get_bucket_style("junk").content == "csdar5324"
    with pytest.raises(oss2.exceptions.ServerError) as junk:
        bucket.get_object("in/rocket.jpg", process="style/junk")
    assert (junk.value.status, junk.value.code) == (400, "InvalidArgument")
    with pytest.raises(oss2.exceptions.ServerError) as empty:
        bucket.put_bucket_style("empty", "")
    assert empty.value.details["Message"] == "Style content is invalid."
    bucket.delete_bucket_style("junk")

    # the documented name rule: 1-63 letters, digits, _ - .
    with pytest.raises(oss2.exceptions.ServerError) as bad:
        bucket.put_bucket_style("x" * 64, "image/resize,w_10")
    assert (bad.value.status, bad.value.code) == (400, "InvalidArgument")
    assert bad.value.ec == "0017-00000250"
    with pytest.raises(oss2.exceptions.ServerError) as chars:
        bucket.put_bucket_style("Images!tyle", "image/resize,w_10")
    assert chars.value.ec == "0017-00000251"

    # stored with the bucket in the serve root (a restart reads it back)
    assert (oss_env.server.root / ".mediaproc" / "styles" / f"{oss_env.bucket}.json").is_file()

    bucket.delete_bucket_style("thumb")
    with pytest.raises(oss2.exceptions.ServerError) as gone:
        bucket.get_bucket_style("thumb")
    assert (gone.value.status, gone.value.code) == (404, "NoSuchStyle")
    assert [s.name for s in bucket.list_bucket_style().styles] == ["half.v1"]


def test_cli_styles_on_oss(cli: Cli, oss_env: OssEnv, tmp_path: Path) -> None:
    oss_env.put("in/rocket.jpg", DATA / "rocket.jpg")

    put = cli("style", "put", "thumb", "resize:w=120", "format:target=webp", "--json")
    assert put.code == 0, put.stderr
    assert put.json()["stored"] == "image/resize,w_120/format,webp"
    assert oss_env.sdk_bucket().get_bucket_style("thumb").content == "image/resize,w_120/format,webp"

    got = cli("style", "get", "thumb", "--json").json()
    assert got["chain"] == ["resize:w=120", "format:target=webp"]
    assert got["stored"] == "image/resize,w_120/format,webp"
    assert [s["name"] for s in cli("style", "ls", "--json").json()] == ["thumb"]

    dry = cli("process", oss_env.uri("in/rocket.jpg"), "style/thumb", "--dry-run")
    assert dry.code == 0 and "x-oss-process=style/thumb" in dry.stdout

    res = cli("process", oss_env.uri("in/rocket.jpg"), "style/thumb", "--to", str(tmp_path / "t.webp"), "--json")
    assert res.code == 0, res.stderr
    with Image.open(tmp_path / "t.webp") as im:
        assert (im.format, im.size) == ("WEBP", (120, 80))

    saved = cli("process", oss_env.uri("in/rocket.jpg"), "style/thumb", "--to", oss_env.uri("out/t.webp"))
    assert saved.code == 0, saved.stderr
    assert _image(oss_env.get_bytes("out/t.webp")).size == (120, 80)

    # a batch source: every object of the prefix through the style
    oss_env.put("in/coffee.png", DATA / "coffee.png")  # 600x400
    batch = cli("process", oss_env.uri("in/"), "style/thumb", "--to", str(tmp_path / "batch") + "/", "--json")
    assert batch.code == 0, batch.stderr
    sizes = sorted(_image((tmp_path / "batch" / name).read_bytes()).size for name in ("rocket.jpg", "coffee.png"))
    assert sizes == [(120, 80), (120, 80)]

    missing = cli("process", oss_env.uri("in/rocket.jpg"), "style/nope", "--to", str(tmp_path / "n.jpg"))
    assert missing.code == 4
    assert f"mediaproc style ls --in oss://{oss_env.bucket}" in missing.stderr  # a hint that works verbatim
    assert missing.first_stderr_line == f"Error: style 'nope' does not exist in oss://{oss_env.bucket}"  # named
    assert not (tmp_path / "n.jpg").exists()

    chained = cli("process", oss_env.uri("in/rocket.jpg"), "style/thumb", "rotate:angle=90",
                  "--to", str(tmp_path / "c.webp"))
    assert chained.code == 2 and "style alone" in chained.stderr

    bad = cli("style", "put", "x" * 64, "resize:w=10")
    assert bad.code == 2 and "1-63" in bad.stderr
    video = cli("style", "put", "v", "video/convert:f=mp4")
    assert video.code == 2

    # a style made elsewhere with what mediaproc cannot read: listed with a note, not exported
    oss_env.sdk_bucket().put_bucket_style("console", "csdar5324")
    listed = {s["name"]: s for s in cli("style", "ls", "--json").json()}
    assert listed["console"]["chain"] is None and listed["console"]["stored"] == "csdar5324"
    assert listed["console"]["note"]
    export = cli("style", "export", str(tmp_path / "s.toml"))
    assert export.code == 2 and "console" in export.stderr
    assert not (tmp_path / "s.toml").exists()

    assert cli("style", "rm", "thumb").code == 0
    assert cli("style", "get", "thumb").code == 4
    assert cli("style", "rm", "thumb").code == 4


def test_cloud_batch_of_a_style_runs_the_stored_style(bound: OssEnv, cli: Cli) -> None:
    """``mediaproc batch submit ... style/NAME`` sends the style by name; serve's IMM batch runs the
    bucket's style on every object."""
    bucket = bound.sdk_bucket()
    for name in ("a", "b"):
        bound.put(f"sb/{name}.jpg", DATA / "rocket.jpg")
    assert cli("style", "put", "mini", "resize:w=32", "format:target=png").code == 0
    res = cli("--json", "batch", "submit", bound.uri("sb/*.jpg"), "style/mini", "--to", bound.uri("sb-out/"), "--yes")
    assert res.code == 0, res.stderr
    outs = [k for k in bound.object_keys("sb-out/")]
    assert len(outs) == 2
    for key in outs:
        assert _image(bucket.get_object(key).read()).size == (32, 21)
    mixed = cli("batch", "submit", bound.uri("sb/*.jpg"), "style/mini", "rotate:angle=90", "--to",
                bound.uri("sb-out2/"), "--yes")
    assert mixed.code == 2 and "style alone" in mixed.stderr
