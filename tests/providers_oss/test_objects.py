"""upload / download / ls / rm / sign through oss2 against the emulator, and the error exits."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from providers_oss.conftest import DATA, CliResult, OssEnv


def test_upload_ls_download_rm_roundtrip(oss_env: OssEnv, cli: Callable[..., CliResult], tmp_path: Path) -> None:
    src = DATA / "rocket.jpg"
    res = cli("upload", str(src), oss_env.uri("photos/"), "--json")
    assert res.code == 0, res.stderr
    doc = res.json()
    assert doc["success"] and doc["target"] == oss_env.uri("photos/rocket.jpg")
    assert doc["size"] == src.stat().st_size and doc["request_id"]
    assert oss_env.get_bytes("photos/rocket.jpg") == src.read_bytes()  # checked with the SDK, not mediaproc

    listing = cli("ls", oss_env.uri("photos/"), "--json")
    assert listing.code == 0, listing.stderr
    assert [(o["key"], o["size"]) for o in listing.json()] == [("photos/rocket.jpg", src.stat().st_size)]

    top = cli("ls", oss_env.uri(""), "--json")  # one level: the folder shows as a prefix
    assert [o["key"] for o in top.json()] == ["photos/"]

    out = tmp_path / "down" / "copy.jpg"
    out.parent.mkdir()
    res = cli("download", oss_env.uri("photos/rocket.jpg"), str(out), "--json")
    assert res.code == 0, res.stderr
    assert out.read_bytes() == src.read_bytes()
    assert res.json()["path"] == str(out.resolve())
    assert [p.name for p in out.parent.iterdir()] == ["copy.jpg"]  # no temp file left beside it

    res = cli("rm", oss_env.uri("photos/rocket.jpg"), "--json")
    assert res.code == 0, res.stderr
    assert not oss_env.exists("photos/rocket.jpg")


def test_multipart_upload_resumes_after_reset(oss_env: OssEnv, cli: Callable[..., CliResult], tmp_path: Path
                                             ) -> None:
    """40 MiB goes up in parts; the second part's connection is reset once and the upload still
    completes, resuming (only one part is sent again), with the same bytes in the bucket."""
    big = tmp_path / "big.bin"
    block = hashlib.sha256(b"mediaproc").digest() * (1024 * 32)  # 1 MiB, not compressible to nothing
    with big.open("wb") as fh:
        for i in range(40):
            fh.write(bytes([i]) + block[1:])
    oss_env.faults(reset_after_bytes=3 * 1024 * 1024, operations=("UploadPart",), times=1)
    res = cli("upload", str(big), oss_env.uri("big.bin"), "--json")
    assert res.code == 0, res.stderr
    stats = oss_env.stats()
    resets = stats["faults_fired"].get("reset", 0)
    assert resets >= 1  # parts go up in parallel: each one in flight may be reset once
    # 40 MiB / 8 MiB = 5 parts; only the reset parts are sent again (a restart would resend all 5)
    assert stats["requests"]["UploadPart"] == 5 + resets, stats["requests"]
    head = oss_env.sdk_bucket().head_object("big.bin")
    assert head.content_length == big.stat().st_size
    digest = hashlib.sha256(oss_env.get_bytes("big.bin")).hexdigest()
    assert digest == hashlib.sha256(big.read_bytes()).hexdigest()


def test_download_resumes_after_truncation(oss_env: OssEnv, cli: Callable[..., CliResult], tmp_path: Path) -> None:
    src = tmp_path / "blob.bin"
    src.write_bytes(bytes(range(256)) * 8192)  # 2 MiB
    oss_env.put("blob.bin", src)
    oss_env.faults(truncate_after_bytes=700_000, operations=("GetObject",), times=1)
    out = tmp_path / "out" / "blob.bin"
    out.parent.mkdir()
    res = cli("download", oss_env.uri("blob.bin"), str(out), "--json")
    assert res.code == 0, res.stderr
    assert out.read_bytes() == src.read_bytes()
    assert oss_env.stats()["faults_fired"].get("truncate", 0) == 1


def test_interrupted_download_leaves_nothing(oss_env: OssEnv, cli: Callable[..., CliResult], tmp_path: Path) -> None:
    src = tmp_path / "blob.bin"
    src.write_bytes(bytes(range(256)) * 16384)  # 4 MiB
    oss_env.put("blob.bin", src)
    oss_env.faults(reset_after_bytes=1_000_000, operations=("GetObject",))  # every attempt breaks midway
    dest_dir = tmp_path / "dest"
    dest_dir.mkdir()
    res = cli("download", oss_env.uri("blob.bin"), str(dest_dir / "blob.bin"))
    assert res.code == 5, (res.code, res.stderr)
    assert "cut short" in res.stderr or "cannot reach" in res.stderr
    assert list(dest_dir.iterdir()) == []  # no partial file, no temp file
    assert oss_env.stats()["requests"]["GetObject"] >= 2  # it did retry before giving up


def test_sign_url_fetched_with_plain_http(oss_env: OssEnv, cli: Callable[..., CliResult]) -> None:
    oss_env.put("a/chelsea.png", DATA / "chelsea.png")
    res = cli("sign", oss_env.uri("a/chelsea.png"), "--expires", "600", url=True)
    assert res.code == 0, res.stderr
    url = res.stdout.strip()
    assert url.startswith(oss_env.url) and "\n" not in url  # bare on stdout
    assert "x-oss-signature=" in url and "x-oss-signature=" not in res.stderr
    got = requests.get(url, timeout=30)
    assert got.status_code == 200 and got.content == (DATA / "chelsea.png").read_bytes()
    tampered = url.replace("a/chelsea.png", "a/other.png")
    assert requests.get(tampered, timeout=30).status_code == 403  # the signature covers the key


def test_sign_with_processing(oss_env: OssEnv, cli: Callable[..., CliResult]) -> None:
    import io

    from PIL import Image

    oss_env.put("c.png", DATA / "chelsea.png")
    res = cli("sign", oss_env.uri("c.png"), "resize:w=120", url=True)
    assert res.code == 0, res.stderr
    body = requests.get(res.stdout.strip(), timeout=30).content
    assert Image.open(io.BytesIO(body)).size == (120, 80)


def test_missing_object_and_bucket_exit_4(oss_env: OssEnv, cli: Callable[..., CliResult], tmp_path: Path) -> None:
    missing = f"Error: {oss_env.uri('nope.jpg')} does not exist"
    res = cli("download", oss_env.uri("nope.jpg"), str(tmp_path / "x.jpg"))
    assert (res.code, res.first_stderr_line) == (4, missing)
    assert not (tmp_path / "x.jpg").exists()

    res = cli("process", oss_env.uri("nope.jpg"), "resize:w=10", "--to", str(tmp_path / "y.jpg"))
    assert (res.code, res.first_stderr_line) == (4, missing), res.stderr

    res = cli("sign", oss_env.uri("nope.jpg"))
    assert (res.code, res.first_stderr_line) == (4, missing)

    res = cli("--json", "rm", oss_env.uri("nope.jpg"))
    assert (res.code, res.error["code"], res.first_stderr_line) == (4, "NoSuchKey", missing)

    res = cli("ls", "oss://no-such-bucket-mp/")
    assert (res.code, res.first_stderr_line) == (4, "Error: bucket 'no-such-bucket-mp' does not exist")

    res = cli("--json", "upload", str(DATA / "rocket.jpg"), "oss://no-such-bucket-mp/x.jpg")
    assert (res.code, res.error["code"]) == (4, "NoSuchBucket")


def test_rm_recursive(oss_env: OssEnv, cli: Callable[..., CliResult]) -> None:
    for name in ("p/1.png", "p/2.png", "p/sub/3.png", "q/4.png"):
        oss_env.put(name, DATA / "chelsea.png")
    res = cli("rm", oss_env.uri("p/"))
    assert (res.code, res.first_stderr_line) == (2, f"Error: {oss_env.uri('p/')} is a prefix")  # it needs -r
    res = cli("rm", "-r", oss_env.uri("p/"), "--yes", "--json")  # no terminal to ask: --yes
    assert res.code == 0, res.stderr
    assert sorted(r["source"] for r in res.json()) == [oss_env.uri(k) for k in ("p/1.png", "p/2.png", "p/sub/3.png")]
    assert oss_env.object_keys() == ["q/4.png"]


def test_bare_keys_use_the_default_bucket(oss_env: OssEnv, cli: Callable[..., CliResult], tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    res = cli("upload", str(DATA / "coffee.png"), "pics/coffee.png")
    assert res.code == 0, res.stderr
    assert oss_env.exists("pics/coffee.png")
    listing = cli("ls", "pics/", "--json")
    assert [o["key"] for o in listing.json()] == ["pics/coffee.png"]
    res = cli("download", "pics/coffee.png", str(tmp_path / "c.png"))
    assert res.code == 0, res.stderr
    assert (tmp_path / "c.png").read_bytes() == (DATA / "coffee.png").read_bytes()


def test_an_empty_object_downloads_as_an_empty_file(
    oss_env: OssEnv, cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    """oss2 reads a ``Content-Length: 0`` answer itself (so that the connection goes back to the pool):
    the body was then a consumed stream, and every download of a zero-byte object (a placeholder, an
    empty log) failed as 'cannot reach OSS', exit 5, after five retries."""
    oss_env.sdk_bucket().put_object("logs/empty.log", b"")
    here = tmp_path / "here"
    here.mkdir()
    res = cli("download", oss_env.uri("logs/empty.log"), str(here / "empty.log"), "--json")
    assert res.code == 0, res.stderr
    assert (here / "empty.log").read_bytes() == b"" and res.json()["size"] == 0
    res = cli("download", "-r", oss_env.uri("logs/"), str(here / "all") + "/")
    assert res.code == 0, res.stderr
    assert (here / "all" / "empty.log").read_bytes() == b""
    assert sorted(p.name for p in here.iterdir()) == ["all", "empty.log"]  # no temporary file left
