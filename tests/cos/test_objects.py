"""Object commands on cos:// through qcloud_cos against the COS front: upload (simple and multipart),
download, ls, rm, sign; credentials and their errors; nothing secret in the output."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

from cos.conftest import BUCKET, DATA, REGION, CliResult, assert_no_leak, make_client, put
from support.hints import printed_commands


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def test_upload_download_ls_rm(cli: Callable[..., CliResult], sdk: Any, emu: Any, prefix: str, tmp_path: Path) -> None:
    src = DATA / "rocket.jpg"
    r = cli("--json", "upload", str(src), f"cos://{BUCKET}/{prefix}")
    assert r.code == 0, r.stderr
    assert_no_leak(r, emu)
    head = sdk.head_object(Bucket=BUCKET, Key=f"{prefix}rocket.jpg")
    assert int(head["Content-Length"]) == src.stat().st_size

    r = cli("--json", "ls", f"cos://{BUCKET}/{prefix}")
    assert r.code == 0, r.stderr
    assert [row["key"] for row in r.json()] == [f"{prefix}rocket.jpg"]

    out = tmp_path / "copy.jpg"
    r = cli("download", f"cos://{BUCKET}/{prefix}rocket.jpg", str(out))
    assert r.code == 0, r.stderr
    assert _md5(out) == _md5(src)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".mediaproc-")]  # no temp file left

    r = cli("rm", f"cos://{BUCKET}/{prefix}rocket.jpg")
    assert r.code == 0, r.stderr
    assert sdk.list_objects(Bucket=BUCKET, Prefix=prefix).get("Contents") is None


def test_multipart_upload(
    cli: Callable[..., CliResult], sdk: Any, front: Any, prefix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mediaproc.providers.cos.provider import CosProvider

    monkeypatch.setattr(CosProvider, "PART_SIZE_MB", 1)
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(2 * 1024 * 1024 + 12345))
    before = front.requests.get("UploadPart", 0)
    r = cli("upload", str(big), f"cos://{BUCKET}/{prefix}big.bin")
    assert r.code == 0, r.stderr
    assert front.requests.get("UploadPart", 0) - before == 3  # 1 MiB + 1 MiB + the rest
    body = sdk.get_object(Bucket=BUCKET, Key=f"{prefix}big.bin")["Body"].get_raw_stream().read()
    assert hashlib.md5(body).hexdigest() == _md5(big)


def test_signed_url_fetches_the_object(cli: Callable[..., CliResult], sdk: Any, emu: Any, prefix: str) -> None:
    put(sdk, f"{prefix}a.jpg", DATA / "rocket.jpg")
    r = cli("sign", f"cos://{BUCKET}/{prefix}a.jpg", "--expires", "600", url=True)
    assert r.code == 0, r.stderr
    url = r.stdout.strip()
    assert url.startswith(emu.url) and "q-signature=" in url
    assert_no_leak(r, emu, url_ok=True)
    host = f"{BUCKET}.cos.{REGION}.myqcloud.com"
    got = requests.get(url, headers={"Host": host}, timeout=30)
    assert got.status_code == 200
    assert got.content == (DATA / "rocket.jpg").read_bytes()
    tampered = url.replace(f"/{prefix}a.jpg", f"/{prefix}b.jpg")
    assert requests.get(tampered, headers={"Host": host}, timeout=30).status_code == 403
    # a key that does not exist is exit 4, as on OSS, not a URL that answers 404
    typo = cli("sign", f"cos://{BUCKET}/{prefix}b.jpg", url=True)
    assert (typo.code, typo.stdout) == (4, ""), typo.stderr
    assert cli("sign", f"cos://{BUCKET}/{prefix}", url=True).code == 2


def test_missing_object_is_not_found(cli: Callable[..., CliResult], prefix: str, tmp_path: Path) -> None:
    r = cli("download", f"cos://{BUCKET}/{prefix}nothing.jpg", str(tmp_path / "x.jpg"))
    missing = f"NoSuchKey: the object '{prefix}nothing.jpg' does not exist in bucket '{BUCKET}'"
    assert r.code == 4, r.stderr
    assert r.first_stderr_line == f"Error: COS refused to download (cos://{BUCKET}/{prefix}nothing.jpg): {missing}"
    # the listing the hint shows pastes as printed (it was `mediaproc ls cos://BUCKET/PREFIX`)
    listing = printed_commands(r.stderr)
    assert listing == [["ls", f"cos://{BUCKET}/{prefix}"]]
    assert cli(*listing[0]).code == 0
    r = cli("image", "process", f"cos://{BUCKET}/{prefix}nothing.jpg", "resize:w=10", "--to", str(tmp_path / "y.jpg"))
    assert r.code == 4, r.stderr
    assert r.first_stderr_line == (
        f"Error: COS refused to process the image (cos://{BUCKET}/{prefix}nothing.jpg): {missing}"
    )
    assert not list(tmp_path.iterdir())


def test_wrong_secret_is_exit_3(
    cli: Callable[..., CliResult], emu: Any, sdk: Any, prefix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    put(sdk, f"{prefix}a.jpg", DATA / "rocket.jpg")
    monkeypatch.setenv("TENCENTCLOUD_SECRET_KEY", "not-the-secret")
    r = cli("image", "process", f"cos://{BUCKET}/{prefix}a.jpg", "resize:w=10", "--to", str(tmp_path / "a.jpg"))
    assert r.code == 3, r.stderr
    assert r.first_stderr_line == (f"Error: COS refused to process the image (cos://{BUCKET}/{prefix}a.jpg): "
                                  "SignatureDoesNotMatch: The Signature you specified is invalid.")
    assert "TENCENTCLOUD_SECRET_KEY" in r.stderr  # the hint says what to check
    assert "not-the-secret" not in r.stdout + r.stderr
    monkeypatch.setenv("TENCENTCLOUD_SECRET_ID", "AKIDunknown")
    r = cli("--json", "ls", f"cos://{BUCKET}/{prefix}")
    assert r.code == 3
    assert r.error["code"] == "InvalidAccessKeyId"


def test_missing_credentials_name_the_variables(
    cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("TENCENTCLOUD_SECRET_ID")
    monkeypatch.delenv("TENCENTCLOUD_SECRET_KEY")
    r = cli("image", "process", f"cos://{BUCKET}/a.jpg", "resize:w=10", "--to", str(tmp_path / "a.jpg"))
    assert (r.code, r.first_stderr_line) == (3, "Error: no Tencent Cloud credentials found for the cos provider")
    assert "TENCENTCLOUD_SECRET_ID" in r.stderr and "COS_SECRET_ID" in r.stderr
    monkeypatch.setenv("COS_SECRET_ID", "x")
    r = cli("ls", f"cos://{BUCKET}/")
    assert (r.code, r.first_stderr_line) == (3, "Error: COS_SECRET_KEY is not set (its pair COS_SECRET_ID is)")
    monkeypatch.delenv("MEDIAPROC_REGION")
    monkeypatch.setenv("COS_SECRET_KEY", "y")
    r = cli("ls", f"cos://{BUCKET}/")
    assert (r.code, r.first_stderr_line) == (3, "Error: no COS region is configured") and "--region" in r.stderr


def test_sts_token_is_sent(
    cli: Callable[..., CliResult], emu: Any, front: Any, sdk: Any, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A temporary key works only with its token: mediaproc passes it as Token= (never as a
    CredentialInstance, whose token the SDK drops), also from the COS_ variables."""
    from mediaproc.emulator.cos.auth import CosCredentials

    put(sdk, f"{prefix}a.jpg", DATA / "rocket.jpg")
    token = "sts-token-0123456789abcdef"
    original = front.credentials
    front.credentials = CosCredentials(original.keys, {emu.access_key_id: token})
    try:
        r = cli("--json", "ls", f"cos://{BUCKET}/{prefix}")
        assert r.code == 3, r.stderr  # no token: refused
        assert r.error["code"] == "InvalidAccessKeyId" and "security token" in r.error["message"]
        monkeypatch.setenv("TENCENTCLOUD_SESSION_TOKEN", token)
        r = cli("--json", "ls", f"cos://{BUCKET}/{prefix}")
        assert r.code == 0, r.stderr
        assert [row["key"] for row in r.json()] == [f"{prefix}a.jpg"]
        r = cli("--debug", "sign", f"cos://{BUCKET}/{prefix}a.jpg", url=True)
        assert r.code == 0
        assert token in r.stdout  # the signed URL carries it (it is the URL the user asked for)
        assert token not in r.stderr
        host = f"{BUCKET}.cos.{REGION}.myqcloud.com"
        assert requests.get(r.stdout.strip(), headers={"Host": host}, timeout=30).status_code == 200
        for var in ("TENCENTCLOUD_SECRET_ID", "TENCENTCLOUD_SECRET_KEY", "TENCENTCLOUD_SESSION_TOKEN"):
            monkeypatch.delenv(var)
        monkeypatch.setenv("COS_SECRET_ID", emu.access_key_id)
        monkeypatch.setenv("COS_SECRET_KEY", emu.access_key_secret)
        monkeypatch.setenv("COS_SESSION_TOKEN", token)
        r = cli("--debug", "ls", f"cos://{BUCKET}/{prefix}")
        assert r.code == 0, r.stderr
        assert_no_leak(r, emu, extra=(token,))
    finally:
        front.credentials = original


def test_debug_never_shows_secrets(
    cli: Callable[..., CliResult], emu: Any, sdk: Any, prefix: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    from support import secret_scan

    put(sdk, f"{prefix}a.jpg", DATA / "rocket.jpg")
    seen_before = set(secret_scan.SIGNATURES)
    with caplog.at_level(logging.DEBUG):
        r = cli(
            "--debug",
            "image",
            "process",
            f"cos://{BUCKET}/{prefix}a.jpg",
            "resize:w=50",
            "--to",
            str(tmp_path / "a.jpg"),
        )
    assert r.code == 0, r.stderr
    assert_no_leak(r, emu)
    logged = "\n".join(rec.getMessage() for rec in caplog.records)
    assert emu.access_key_secret not in logged
    assert "sign_key" in logged and "'Authorization': '<redacted>'" in logged  # the signing internals flowed
    assert not re.search(r"(q-signature=|sign_key\W{0,4}|sign: )[0-9a-fA-F]{16,}", logged)  # ...redacted
    signed = secret_scan.SIGNATURES - seen_before  # what the front verified during this run
    assert signed and not [s for s in signed if s in logged]


def test_sdk_itself_sees_cos_errors_unchanged(emu: Any, sdk: Any) -> None:
    """The front answers like COS: a wrong key is a 403 SignatureDoesNotMatch the SDK can read."""
    from qcloud_cos.cos_exception import CosServiceError

    bad = make_client(emu, secret="wrong", retry=0)
    with pytest.raises(CosServiceError) as info:
        bad.head_bucket(Bucket=BUCKET)
    assert info.value.get_status_code() == 403
    with pytest.raises(CosServiceError) as info:
        bad.list_objects(Bucket=BUCKET)
    assert info.value.get_error_code() == "SignatureDoesNotMatch"
    assert info.value.get_request_id() != "Unknown"


def test_ls_lists_objects_and_folders_in_key_order(cli: Callable[..., CliResult], sdk: Any, prefix: str) -> None:
    """A COS page answers its objects, then its folders: ``ls`` printed ``b.jpg, d.jpg, a/, c/``
    where OSS and a folder list ``a/, b.jpg, c/, d.jpg``."""
    for key in ("b.jpg", "d.jpg", "a/x.jpg", "c/y.jpg"):
        sdk.put_object(Bucket=BUCKET, Body=b"x", Key=f"{prefix}{key}")
    r = cli("--json", "ls", f"cos://{BUCKET}/{prefix}")
    assert r.code == 0, r.stderr
    assert [o["key"] for o in r.json()] == [f"{prefix}{k}" for k in ("a/", "b.jpg", "c/", "d.jpg")]
