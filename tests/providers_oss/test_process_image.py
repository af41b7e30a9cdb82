"""Image chains on OSS (download, save, signed URL, JSON) compared with the local engine's output.

The OSS result is fetched through oss2 from the emulator, decoded, and compared with what the local
provider makes of the same chain on the same file: identical size, and pixels within a tolerance of
``MEAN_TOL`` (mean absolute difference, 0-255 scale) and ``MAX_TOL`` at the 99.9th percentile —
the same engine runs on both sides, so any real difference (a wrong parameter, a lost operation)
is far above it.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import requests
from PIL import Image

from providers_oss.conftest import DATA, CliResult, OssEnv

MEAN_TOL = 1.0
MAX_TOL = 8

CHAINS = [
    ("chelsea.png", ["resize:w=200"], "png"),
    ("rocket.jpg", ["resize:w=300,h=200,mode=fill", "rotate:angle=90"], "jpg"),
    ("coffee.png", ["crop:w=200,h=150,g=se", "blur:r=3,s=2", "format:target=png"], "png"),
    ("chelsea.png", ["watermark:text=Hello World,size=30,g=center,color=FF0000"], "png"),
    ("astronaut.png", ["circle:r=100", "format:target=png"], "png"),
    ("rocket.jpg", ["quality:Q=70"], "jpg"),
    ("hubble_deep_field.jpg", ["resize:l=320", "sharpen:v=100", "format:target=webp"], "webp"),
]


def pixels(data: bytes | Path) -> np.ndarray:
    img = Image.open(io.BytesIO(data) if isinstance(data, bytes) else data)
    return np.asarray(img.convert("RGBA"), dtype=np.int16)


def assert_same_image(got: np.ndarray, want: np.ndarray) -> None:
    assert got.shape == want.shape, (got.shape, want.shape)
    diff = np.abs(got - want)
    assert diff.mean() <= MEAN_TOL, diff.mean()
    assert np.percentile(diff, 99.9) <= MAX_TOL


def local_result(cli: Callable[..., CliResult], src: Path, chain: list[str], out: Path) -> np.ndarray:
    res = cli("--provider", "local", "process", str(src), *chain, "--to", str(out))
    assert res.code == 0, res.stderr
    return pixels(out)


@pytest.mark.parametrize(("name", "chain", "ext"), CHAINS, ids=[" ".join(c[1]) for c in CHAINS])
def test_chain_download_matches_local(
    oss_env: OssEnv, cli: Callable[..., CliResult], tmp_path: Path, name: str, chain: list[str], ext: str
) -> None:
    oss_env.put(f"in/{name}", DATA / name)
    out = tmp_path / f"oss.{ext}"
    res = cli("process", oss_env.uri(f"in/{name}"), *chain, "--to", str(out), "--json")
    assert res.code == 0, res.stderr
    doc = res.json()
    assert doc["success"] and doc["mode"] == "file" and doc["request_id"]
    assert doc["path"] == str(out.resolve()) and doc["size"] == out.stat().st_size
    assert doc["operations"].startswith("image/")
    assert_same_image(pixels(out), local_result(cli, DATA / name, chain, tmp_path / f"local.{ext}"))


def test_local_file_source_is_uploaded_then_removed(
    oss_env: OssEnv, cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    out = tmp_path / "small.jpg"
    res = cli("process", str(DATA / "rocket.jpg"), "resize:w=160", "--to", str(out), "--json")
    assert res.code == 0, res.stderr
    assert Image.open(out).size == (160, 107)
    assert oss_env.stats()["requests"].get("PutObject", 0) == 1  # it went through the bucket
    assert oss_env.object_keys() == []  # and the temporary object is gone


def test_local_source_removed_after_service_error(
    oss_env: OssEnv, cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    (tmp_path / "bad.jpg").write_bytes(b"this is not an image")
    res = cli("--json", "process", str(tmp_path / "bad.jpg"), "resize:w=160", "--to", str(tmp_path / "o.jpg"))
    # the service refused it as not an image: bad source media, exit 2, as locally and as a save
    assert (res.code, res.error["code"]) == (2, "InvalidArgument"), res.stderr
    # the message names the user's file, not the temporary copy the service saw
    assert str(tmp_path / "bad.jpg") in res.error["message"] and ".mediaproc-tmp" not in res.error["message"]
    assert not (tmp_path / "o.jpg").exists()
    assert oss_env.object_keys() == []


def _padded_jpeg(path: Path, size: int) -> Path:
    """A real JPEG padded after its end marker to ``size`` bytes (decoders ignore the padding)."""
    buf = io.BytesIO()
    Image.open(DATA / "chelsea.png").convert("RGB").save(buf, "JPEG", quality=85)
    path.write_bytes(buf.getvalue() + b"\0" * (size - len(buf.getvalue())))
    return path


def test_source_over_20_mb_is_an_input_error(oss_env: OssEnv, cli: Callable[..., CliResult], tmp_path: Path) -> None:
    """OSS's 20 MB image source limit: the service's 400 ImageTooLarge becomes exit 2 with the limit in
    the hint, like the local engine's size refusals; a local file that big is refused before upload."""
    from mediaproc.limits import OSS

    MAX_FILE_BYTES = OSS["image_source_bytes"].value
    big = _padded_jpeg(tmp_path / "big.jpg", MAX_FILE_BYTES + 1)
    oss_env.put("in/big.jpg", big)
    out = tmp_path / "out.jpg"
    res = cli("process", oss_env.uri("in/big.jpg"), "resize:w=100", "--to", str(out), "--json")
    assert res.code == 2, res.stderr
    error = res.json()["error"]
    assert error["code"] == "ImageTooLarge" and "20 MB" in error["hint"] and error["request_id"]
    assert not out.exists()
    oss_env.server.reset_stats()
    res = cli("process", str(big), "resize:w=100", "--to", str(out), "--json")
    assert res.code == 2, res.stderr
    error = res.json()["error"]
    assert error["code"] == "ImageTooLarge" and "image_source_bytes = 20 MB" in error["message"]
    assert oss_env.stats()["requests"].get("PutObject", 0) == 0  # refused before any upload
    assert oss_env.object_keys() == ["in/big.jpg"] and not out.exists()


def test_save_in_bucket(oss_env: OssEnv, cli: Callable[..., CliResult], tmp_path: Path) -> None:
    oss_env.put("in/chelsea.png", DATA / "chelsea.png")
    chain = ["resize:w=240", "format:target=jpg"]
    res = cli("process", oss_env.uri("in/chelsea.png"), *chain, "--to", oss_env.uri("out/c.jpg"), "--json")
    assert res.code == 0, res.stderr
    doc = res.json()
    assert doc["mode"] == "save" and doc["target"] == oss_env.uri("out/c.jpg")
    saved = oss_env.get_bytes("out/c.jpg")
    assert doc["size"] == len(saved)
    assert Image.open(io.BytesIO(saved)).format == "JPEG"
    assert_same_image(pixels(saved), local_result(cli, DATA / "chelsea.png", chain, tmp_path / "l.jpg"))


def test_signed_url_of_processed_image(oss_env: OssEnv, cli: Callable[..., CliResult], tmp_path: Path) -> None:
    oss_env.put("in/coffee.png", DATA / "coffee.png")
    chain = ["resize:w=150", "rotate:angle=180"]
    res = cli("process", oss_env.uri("in/coffee.png"), *chain, "--url", "--expires", "300", url=True)
    assert res.code == 0, res.stderr
    url = res.stdout.strip()
    assert url.startswith(oss_env.url + "/") and "x-oss-process=" in url
    assert "?<redacted>" in res.stderr or "x-oss-signature=" not in res.stderr
    body = requests.get(url, timeout=30)  # plain HTTP, no SDK
    assert body.status_code == 200
    assert_same_image(pixels(body.content), local_result(cli, DATA / "coffee.png", chain, tmp_path / "l.png"))


@pytest.mark.parametrize("op", ["info", "average-hue"])
def test_json_operations_match_local(oss_env: OssEnv, cli: Callable[..., CliResult], op: str) -> None:
    oss_env.put("in/rocket.jpg", DATA / "rocket.jpg")
    res = cli("process", oss_env.uri("in/rocket.jpg"), op, "--json")
    assert res.code == 0, res.stderr
    doc = res.json()
    assert doc["mode"] == "data" and doc["request_id"]
    local = cli("--provider", "local", "process", str(DATA / "rocket.jpg"), op, "--json")
    assert local.code == 0, local.stderr
    assert doc["data"] == local.json()["data"]
    if op == "info":
        assert doc["data"]["ImageWidth"]["value"] == "640"


def test_face_detection_through_bound_bucket(bound: OssEnv, cli: Callable[..., CliResult]) -> None:
    bound.put("in/astronaut.png", DATA / "astronaut.png")
    res = cli("process", bound.uri("in/astronaut.png"), "faces", "--json")
    assert res.code == 0, res.stderr
    local = cli("--provider", "local", "process", str(DATA / "astronaut.png"), "faces", "--json")
    assert res.json()["data"] == local.json()["data"]


def test_idempotent_get_and_saveas_are_retried(
    oss_env: OssEnv, cli: Callable[..., CliResult], tmp_path: Path, fast_backoff: list[float]
) -> None:
    oss_env.put("in/chelsea.png", DATA / "chelsea.png")
    oss_env.faults(error_rate=1.0, error_status=503, operations=("GetObjectWithProcess",), times=2)
    res = cli("process", oss_env.uri("in/chelsea.png"), "resize:w=50", "--to", str(tmp_path / "r.png"))
    assert res.code == 0, res.stderr
    assert oss_env.stats()["requests"]["GetObjectWithProcess"] == 3  # two 503 SlowDown, then success

    # sys/saveas is idempotent (same source, same chain, same key): retried with the same policy
    oss_env.faults(error_rate=1.0, error_status=500, operations=("ProcessObject",), times=1)
    res = cli("process", oss_env.uri("in/chelsea.png"), "resize:w=50", "--to", oss_env.uri("out/r.png"))
    assert res.code == 0, res.stderr
    assert oss_env.stats()["requests"]["ProcessObject"] == 2
    with Image.open(io.BytesIO(oss_env.get_bytes("out/r.png"))) as im:
        assert im.width == 50

    # past the budget: exit 5, and the human output names the request id the service gave
    oss_env.faults(error_rate=1.0, error_status=503, operations=("ProcessObject",))
    res = cli("process", oss_env.uri("in/chelsea.png"), "resize:w=50", "--to", oss_env.uri("out/r2.png"))
    assert res.code == 5, res.stderr
    assert "Hint:" in res.stderr
    assert re.search(r"(?m)^request id: [0-9A-Za-z-]{8,}$", res.stderr), res.stderr
    from mediaproc.providers.oss.errors import RETRY_ATTEMPTS

    assert oss_env.stats()["requests"]["ProcessObject"] == 2 + RETRY_ATTEMPTS
    assert not oss_env.exists("out/r2.png")


def test_a_destination_under_the_source_prefix_is_not_read_as_a_source(
    oss_env: OssEnv, cli: Callable[..., CliResult]
) -> None:
    """``process oss://b/ ... --to oss://b/thumbs/``: a re-run took the first run's results as items
    (``thumbs/thumbs/...``); the listing is read while the batch writes, so past a page of keys one
    run could feed on its own results."""
    for name in ("a.jpg", "b.jpg", "sub/c.jpg"):
        oss_env.put(name, DATA / "rocket.jpg")
    first = cli("process", oss_env.uri(""), "resize:w=30", "--to", oss_env.uri("thumbs/"), "--json")
    assert first.code == 0, first.stderr
    assert sorted(x["source"] for x in first.json()) == [oss_env.uri(k) for k in ("a.jpg", "b.jpg", "sub/c.jpg")]
    again = cli("process", oss_env.uri("**/*.jpg"), "resize:w=30", "--to", oss_env.uri("thumbs/"), "--json",
                "--skip-existing")
    assert again.code == 0, again.stderr
    assert [x["status"] for x in again.json()] == ["skipped"] * 3
    assert sorted(oss_env.object_keys()) == ["a.jpg", "b.jpg", "sub/c.jpg", "thumbs/a.jpg", "thumbs/b.jpg",
                                             "thumbs/sub/c.jpg"]


def test_a_source_that_is_not_an_image_is_exit_2_whatever_the_destination(
    oss_env: OssEnv, cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    """Saved in the bucket, a broken JPEG was exit 2 (bad source media, as locally); downloaded, the
    same request was exit 5 with "the request id helps Alibaba Cloud support"."""
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not an image")
    oss_env.put("broken.jpg", broken)
    for dest in (str(tmp_path / "o.jpg"), oss_env.uri("o.jpg")):
        r = cli("process", oss_env.uri("broken.jpg"), "resize:w=10", "--to", dest)
        assert r.code == 2, r.stderr
        assert "not a readable image" in r.first_stderr_line
        assert "the kind of media it works on" in r.stderr
    assert not [p for p in tmp_path.iterdir() if p.name not in ("broken.jpg", "emulator-root")]  # no partial file
    assert oss_env.object_keys() == ["broken.jpg"]
