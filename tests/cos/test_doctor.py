"""``mediaproc doctor`` for COS through serve (issue 18): region, credentials present and never
printed, bucket reachable, Cloud Infinite answering; each check with status, detail and a fix."""

from __future__ import annotations

from typing import Any

from cos.conftest import BUCKET
from support.cli import Cli


def test_cos_all_good_and_no_secret(cli: Cli, emu: Any) -> None:
    res = cli("doctor", "--provider", "cos", "--bucket", BUCKET, "--json")
    assert res.code == 0, res.stderr
    checks = {c["name"]: c for c in res.json()}
    assert [checks[n]["status"] for n in ("region", "credentials", "bucket", "bucket access", "Cloud Infinite")] \
        == ["ok"] * 5
    assert "TENCENTCLOUD_SECRET_ID" in checks["credentials"]["detail"]
    assert emu.access_key_secret not in res.stdout + res.stderr
    assert emu.access_key_id not in res.stdout + res.stderr


def test_cos_failures_say_what_to_fix(cli: Cli) -> None:
    res = cli("doctor", "--provider", "cos", "--bucket", "nope-1250000000", "--json")
    assert res.code == 3
    checks = {c["name"]: c for c in res.json()}
    assert checks["bucket access"]["status"] == "fail" and checks["bucket access"]["fix"]
    assert checks["Cloud Infinite"]["status"] == "skip"

    res = cli("doctor", "--provider", "cos", env={"TENCENTCLOUD_SECRET_KEY": ""})
    assert res.code == 3 and "credentials" in res.stdout and "Hint:" in res.stderr

    res = cli("doctor", "--provider", "cos", "--json")  # no bucket: a warning and its fix, not a failure
    assert res.code == 0
    bucket = {c["name"]: c for c in res.json()}["bucket"]
    assert bucket["status"] == "warn" and "--bucket" in bucket["fix"]


def test_cos_bucket_name_and_leftovers_are_checked(cli: Cli, sdk: Any) -> None:
    """A default bucket COS cannot have (no -APPID) passed as "ok", and its access was then asked of
    whatever answered; and COS had no check of the temporary objects that OSS has, though both stage
    local sources the same way."""
    from mediaproc.location import TEMP_PREFIX

    res = cli("doctor", "--provider", "cos", "--bucket", "media", "--json")
    assert res.code == 3, res.stderr
    checks = {c["name"]: c for c in res.json()}
    assert checks["bucket"]["status"] == "fail" and "BUCKETNAME-APPID" in checks["bucket"]["fix"]
    assert "bucket access" not in checks
    key = f"{TEMP_PREFIX}doctor-test/left.jpg"
    sdk.put_object(Bucket=BUCKET, Body=b"x", Key=key)
    try:
        res = cli("doctor", "--provider", "cos", "--bucket", BUCKET, "--json")
        assert res.code == 0, res.stderr
        left = {c["name"]: c for c in res.json()}["temporary objects"]
        assert left["status"] == "warn"
        assert f"mediaproc rm -r --yes cos://{BUCKET}/{TEMP_PREFIX}" in left["fix"]
    finally:
        sdk.delete_object(Bucket=BUCKET, Key=key)
    # a bare key with that default bucket is refused as cos://media/... is, before any request
    res = cli("--provider", "cos", "--bucket", "media", "image", "info", "a.jpg")
    assert res.code == 2 and "'media' is not a valid COS bucket name" in res.stderr
