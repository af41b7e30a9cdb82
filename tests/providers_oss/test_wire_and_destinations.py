"""OSS requests as the documentation spells them, and results that match their destination.

Each test drives the real oss2 / IMM clients (through mediaproc or directly) against ``mediaproc
serve`` and decodes what was written: pixels, formats, frame names.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from providers_oss.conftest import DATA, CliResult, OssEnv
from support.hints import printed_commands


def rgb(data: bytes | Path) -> np.ndarray:
    img = Image.open(io.BytesIO(data) if isinstance(data, bytes) else data)
    return np.asarray(img.convert("RGB"), dtype=np.int16)


@pytest.mark.parametrize(("v", "flipper"), [(0, np.flipud), (1, np.fliplr), (2, lambda a: a[::-1, ::-1])])
def test_flip_is_served_as_oss_documents_it(
    oss_env: OssEnv, cli: Callable[..., CliResult], tmp_path: Path, v: int, flipper: Callable[..., np.ndarray]
) -> None:
    # help.aliyun.com/zh/oss/flip-image: ?x-oss-process=image/flip,<value>
    oss_env.put("in/chelsea.png", DATA / "chelsea.png")
    raw = oss_env.sdk_bucket().get_object("in/chelsea.png", process=f"image/flip,{v}").read()
    assert np.array_equal(rgb(raw), flipper(rgb(DATA / "chelsea.png")))
    out = tmp_path / "flipped.png"
    res = cli("process", oss_env.uri("in/chelsea.png"), f"flip:v={v}", "--to", str(out), "--json")
    assert res.code == 0, res.stderr
    assert res.json()["operations"] == f"image/flip,{v}"
    assert np.array_equal(rgb(out), flipper(rgb(DATA / "chelsea.png")))


# -- concat inputs ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """A red then a blue second of 160x120 video with sound."""
    import subprocess

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


def test_concat_input_in_another_bucket_is_refused_before_any_request(
    oss_env: OssEnv, cli: Callable[..., CliResult], clips: list[Path]
) -> None:
    # OSS names a concat input by key only (/sur,o_<b64 key>): another bucket cannot be expressed
    oss_env.put("c0.mp4", clips[0])
    args = ("process", oss_env.uri("c0.mp4"), "video/concat:f=mp4,vcodec=h264,acodec=aac",
            "--input", "oss://elsewhere-bucket/b.mp4", "--to", oss_env.uri("cat.mp4"))
    before = sum(oss_env.stats()["requests"].values())
    for extra in ((), ("--dry-run",)):
        res = cli(*args, *extra)
        assert res.code == 2, res.stderr
        assert "oss://elsewhere-bucket/b.mp4" in res.first_stderr_line
        assert "mediaproc download oss://elsewhere-bucket/b.mp4" in res.stderr
    assert sum(oss_env.stats()["requests"].values()) == before  # nothing was sent


def test_concat_needs_an_input(oss_env: OssEnv, cli: Callable[..., CliResult]) -> None:
    res = cli("process", oss_env.uri("c0.mp4"), "video/concat:f=mp4,vcodec=h264,acodec=aac",
              "--to", oss_env.uri("cat.mp4"), "--dry-run")
    assert res.code == 2 and "none was given" in res.first_stderr_line, res.stderr
    assert "--input KEY" in res.stderr


def test_bare_input_is_a_key_in_the_source_bucket(
    bound: OssEnv, cli: Callable[..., CliResult], clips: list[Path], tmp_path: Path
) -> None:
    import av

    bound.put("clips/c0.mp4", clips[0])
    bound.put("clips/c1.mp4", clips[1])
    # no default bucket: the bare name can only mean a key beside the source (the hint's --input KEY)
    res = cli("--bucket", "", "process", bound.uri("clips/c0.mp4"), "video/concat:f=mp4,vcodec=h264,acodec=aac",
              "--input", "clips/c1.mp4", "--to", bound.uri("cat.mp4"), "--json", env={"MEDIAPROC_BUCKET": ""})
    assert res.code == 0, res.stderr
    out = tmp_path / "cat.mp4"
    out.write_bytes(bound.get_bytes("cat.mp4"))
    with av.open(str(out)) as container:
        assert abs(container.duration / 1_000_000 - 2.0) < 0.3
        frames = [f.to_image().getpixel((80, 60)) for f in container.decode(video=0)]
    assert frames[0][0] > 150 and frames[-1][2] > 150  # red, then the input (blue)


def test_sprite_of_keyframes_without_num_or_inter(
    bound: OssEnv, cli: Callable[..., CliResult], small_video: Path
) -> None:
    # the reference skill's own example, with 0 for the percentages (documented range 0-200)
    bound.put("v.mp4", small_video)
    res = cli("process", bound.uri("v.mp4"), "video/sprite:f=jpg,sw=40,sh=32,m=key,tw=4,th=4,pad=2,margin=2,psh=0",
              "--to", bound.uri("sheets/s.jpg"), "--json")
    assert res.code == 0, res.stderr
    keys = res.json()["generated_keys"]
    assert keys, res.stdout
    sheet = Image.open(io.BytesIO(bound.get_bytes(keys[0])))
    assert sheet.size == (4 * 40 + 3 * 2 + 2 * 2, 4 * 32 + 3 * 2 + 2 * 2)


# -- IMM administration -----------------------------------------------------------------------------
def test_project_delete_finds_bound_buckets_without_bucket_option(
    oss_env: OssEnv, cli: Callable[..., CliResult]
) -> None:
    other = oss_env.server.oss_bucket("second-bucket-17")  # an unbound bucket is asked too, and passes
    assert other.bucket_name == "second-bucket-17"
    assert cli("imm", "project", "create", "shared_proj", "--json").code == 0
    assert cli("imm", "bind", "shared_proj", "--json").code == 0
    no_default = {"MEDIAPROC_BUCKET": ""}
    refused = cli("--bucket", "", "imm", "project", "delete", "shared_proj", "--json", env=no_default)
    assert refused.code == 2, refused.stdout
    assert refused.error["message"] == f"bucket '{oss_env.bucket}' is still bound to project 'shared_proj'"
    assert f"mediaproc imm unbind --bucket {oss_env.bucket}" in refused.error["hint"]
    stats = oss_env.stats()["requests"]
    assert stats.get("ListBuckets", 0) >= 1 and stats.get("DeleteProject", 0) == 0
    assert cli("imm", "unbind", "--json").code == 0
    deleted = cli("--bucket", "", "imm", "project", "delete", "shared_proj", "--json", env=no_default)
    assert deleted.code == 0, deleted.stderr


# -- a missing watermark image ----------------------------------------------------------------------
def test_missing_watermark_image_is_named_not_the_source(
    oss_env: OssEnv, cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    import oss2

    oss_env.put("a.png", DATA / "chelsea.png")
    # the service's error for it (EC 0040-00000025), as oss2 sees it
    with pytest.raises(oss2.exceptions.NoSuchKey) as raised:
        oss_env.sdk_bucket().get_object("a.png", process="image/watermark,image_cXIucG5n")
    assert raised.value.ec == "0040-00000025"
    out = tmp_path / "out" / "o.png"
    out.parent.mkdir()
    for dest in (str(out), oss_env.uri("o.png")):
        res = cli("--json", "process", oss_env.uri("a.png"), "watermark:image=qr.png,preprocess=resize,P_30",
                  "--to", dest)
        assert res.code == 4, res.stdout
        assert res.error["code"] == "WatermarkNotFound"
        assert res.error["message"] == f"watermark image 'qr.png' does not exist in oss://{oss_env.bucket}/"
        assert f"oss://{oss_env.bucket}/qr.png" in res.error["hint"]
    assert list(out.parent.iterdir()) == []  # no partial file
    assert oss_env.object_keys() == ["a.png"]
    # the upload the hint shows pastes as printed, whatever the key holds
    res = cli("--json", "process", oss_env.uri("a.png"), "watermark:image=my logo #1.png", "--to", str(out))
    assert res.code == 4, res.stdout
    assert printed_commands(res.error["hint"]) == [["upload", "FILE", oss_env.uri("my logo #1.png")]]


# -- format follows the destination ------------------------------------------------------------------
def test_destination_extension_asks_oss_for_the_format(
    oss_env: OssEnv, cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    oss_env.put("a.png", DATA / "chelsea.png")
    out = tmp_path / "out.jpg"
    dry = cli("process", oss_env.uri("a.png"), "resize:w=100", "--to", str(out), "--dry-run")
    assert dry.stdout.startswith("GET /a.png?x-oss-process=image/resize,w_100/format,jpg"), dry.stdout
    res = cli("process", oss_env.uri("a.png"), "resize:w=100", "--to", str(out), "--verify", "--strict", "--json")
    assert res.code == 0, res.stderr
    doc = res.json()
    assert doc["operations"] == "image/resize,w_100/format,jpg"
    assert Image.open(out).format == "JPEG" and doc["format"] == "jpg"
    assert (doc["width"], doc["height"]) == Image.open(out).size == (100, 67)  # read back, as locally
    assert doc["verified"]["found"]["format"] == "jpg" and doc["verified"]["differences"] == []
    # saved in the bucket too; circle on a JPEG into o.png is a PNG (transparent outside the circle)
    oss_env.put("r.jpg", DATA / "rocket.jpg")
    saved = cli("process", oss_env.uri("r.jpg"), "circle:r=50", "--to", oss_env.uri("o.png"), "--json")
    assert saved.code == 0, saved.stderr
    assert saved.json()["operations"] == "image/circle,r_50/format,png"
    img = Image.open(io.BytesIO(oss_env.get_bytes("o.png")))
    assert img.format == "PNG" and img.mode == "RGBA" and img.getpixel((0, 0))[3] == 0
    # blindwatermark-embed stays last: the format goes before it
    dry = cli("--json", "process", oss_env.uri("a.png"), "blindwatermark-embed:content=x", "--to", "o.webp",
              "--dry-run")
    assert dry.json()["data"]["process"] == "image/format,webp/blindwatermark,content_eA"


def test_verify_compares_the_format_the_destination_asks_for(
    oss_env: OssEnv, cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    # PNG bytes under a .jpg name: the source's name implies jpg, so no format is added; the result
    # is read back and its bytes, not its name, say png
    oss_env.put("mislabelled.jpg", DATA / "chelsea.png")
    out = tmp_path / "out.jpg"
    res = cli("process", oss_env.uri("mislabelled.jpg"), "resize:w=100", "--to", str(out), "--verify", "--strict",
              "--json")
    assert res.code == 9, res.stdout
    doc = res.json()
    assert doc["format"] == "png" and Image.open(out).format == "PNG"
    assert doc["verified"]["differences"] == [
        {"property": "format", "requested": "jpg", "found": "png", "relation": "eq", "origin": "destination extension"}
    ]


# -- one snapshot naming rule -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("target", "prefix", "warned"),
    [("frames/frame", "frames/frame", False), ("snaps/", "snaps/v", False), ("shots/frame.jpg", "shots/frame", True)],
)
def test_snapshots_in_the_bucket_follow_the_oss_serial(
    bound: OssEnv, cli: Callable[..., CliResult], small_video: Path, target: str, prefix: str, warned: bool
) -> None:
    bound.put("v.mp4", small_video)
    dry = cli("--json", "process", bound.uri("v.mp4"), "video/snapshots:f=jpg,num=3", "--to", bound.uri(target),
              "--dry-run")
    from mediaproc.ops.b64 import b64encode

    assert f"|sys/saveas,o_{b64encode(prefix)}," in dry.json()["data"]["body"]  # what is sent is the prefix
    res = cli("--json", "process", bound.uri("v.mp4"), "video/snapshots:f=jpg,num=3", "--to", bound.uri(target))
    assert res.code == 0, res.stderr
    doc = res.json()
    expected = [f"{prefix}_0_{n}.jpg" for n in (1, 2, 3)]
    assert doc["generated_keys"] == expected
    assert sorted(k for k in bound.object_keys() if k != "v.mp4") == expected  # nothing else, no bare key
    for key in expected:
        assert Image.open(io.BytesIO(bound.get_bytes(key))).format == "JPEG"
    assert [w for w in doc["warnings"] if "names a prefix" in w] == (
        [f"a snapshots target names a prefix, not a file: {target} is written as {prefix}_0_1.jpg, "
         f"{prefix}_0_2.jpg, ..."] if warned else []
    )


@pytest.mark.parametrize(("target", "names"), [("out/frame", "out/frame"), ("newdir/", "newdir/small")])
def test_snapshots_downloaded_and_local_are_named_alike(
    bound: OssEnv, cli: Callable[..., CliResult], small_video: Path, tmp_path: Path, target: str, names: str
) -> None:
    bound.put("clips/small.mp4", small_video)
    expected = [str(tmp_path / f"{names}_0_{n}.jpg") for n in (1, 2, 3)]
    for provider_args, source in ((("--provider", "oss"), bound.uri("clips/small.mp4")),
                                  (("--provider", "local"), str(small_video))):
        for path in tmp_path.rglob("*.jpg"):
            path.unlink()
        res = cli(*provider_args, "--json", "process", source, "video/snapshots:f=jpg,num=3",
                  "--to", str(tmp_path / target) + ("/" if target.endswith("/") else ""))
        assert res.code == 0, res.stderr
        assert res.json()["generated_keys"] == expected, provider_args
        assert res.json()["path"] == expected[0], provider_args  # the first frame, as COS reports it too
        assert sorted(str(p) for p in tmp_path.rglob("*.jpg")) == expected
    assert [k for k in bound.object_keys() if k.startswith(".mediaproc-tmp/")] == []


# -- blind watermark: OSS saves the watermarked image as a new object ---------------------------------
def test_blind_watermark_is_saved_then_downloaded_or_kept_and_signed(
    bound: OssEnv, cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    import oss2
    import requests

    bound.put("in/a.png", DATA / "coffee.png")
    # serve follows the documentation: no GET form of image/blindwatermark
    with pytest.raises(oss2.exceptions.ServerError) as refused:
        bound.sdk_bucket().get_object("in/a.png", process="image/blindwatermark,content_aGVsbG8")
    assert refused.value.status == 400
    out = tmp_path / "marked.png"
    res = cli("--json", "process", bound.uri("in/a.png"), "blindwatermark-embed:content=hello", "--to", str(out))
    assert res.code == 0, res.stderr
    assert res.json()["mode"] == "file" and res.json()["format"] == "png" and Image.open(out).format == "PNG"
    assert bound.object_keys() == ["in/a.png"]  # the temporary object is gone
    bound.put("check/from-file.png", out)
    back = cli("--json", "process", bound.uri("check/from-file.png"), "blindwatermark-extract")
    assert back.code == 0 and back.json()["data"]["Content"] == "hello", back.stdout

    signed = cli("process", bound.uri("in/a.png"), "blindwatermark-embed:content=hello", "--url", url=True)
    assert signed.code == 0, signed.stderr
    kept = "in/a-blindwatermark.png"
    assert f"oss://{bound.bucket}/{kept}" in signed.stderr  # the key is printed
    body = requests.get(signed.stdout.strip(), timeout=30).content
    assert body == bound.get_bytes(kept) and Image.open(io.BytesIO(body)).format == "PNG"
    chosen = cli("--json", "process", bound.uri("in/a.png"), "blindwatermark-embed:content=hello", "--url",
                 "--to", bound.uri("marked/a.png"), url=True)
    assert chosen.code == 0, chosen.stderr
    assert chosen.json()["generated_keys"] == ["marked/a.png"]
    assert chosen.json()["saved_as"] == bound.uri("marked/a.png")
    assert requests.get(chosen.json()["url"], timeout=30).content == bound.get_bytes("marked/a.png")
    extracted = cli("--json", "process", bound.uri("marked/a.png"), "blindwatermark-extract")
    assert extracted.json()["data"]["Content"] == "hello"
    # --url with --to is only for a result that must be saved first
    other = cli("process", bound.uri("in/a.png"), "resize:w=10", "--url", "--to", bound.uri("x.png"))
    assert other.code == 2 and "--url and --to cannot be used together" in other.stderr


# -- hls/m3u8 in URL mode -------------------------------------------------------------------------------
def test_hls_url_answers_a_playlist_of_signed_segments(
    bound: OssEnv, cli: Callable[..., CliResult], small_video: Path, tmp_path: Path
) -> None:
    from urllib.parse import urljoin

    import av
    import requests

    bound.put("videos/v.mp4", small_video)
    res = cli("process", bound.uri("videos/v.mp4"), "hls/m3u8:st=1000", "--url", url=True)
    assert res.code == 0, res.stderr
    url = res.stdout.strip()
    reply = requests.get(url, timeout=60)
    assert reply.status_code == 200, reply.text
    playlist = reply.text
    assert playlist.startswith("#EXTM3U") and "#EXT-X-ENDLIST" in playlist
    segments = [line for line in playlist.splitlines() if line and not line.startswith("#")]
    assert len(segments) == 2 and all("Signature=" in s for s in segments)
    total = 0.0
    for i, segment in enumerate(segments):
        got = requests.get(urljoin(url, segment), timeout=60)  # a player resolves them against the playlist
        assert got.status_code == 200, got.text
        path = tmp_path / f"s{i}.ts"
        path.write_bytes(got.content)
        with av.open(str(path)) as container:
            assert container.streams.video[0].codec_context.name == "h264"
            total += float(container.duration or 0) / 1_000_000
    assert abs(total - 2.0) < 0.3
    # without the signature a segment is private, like its source
    assert requests.get(urljoin(url, segments[0].split("?")[0]), timeout=30).status_code == 403
