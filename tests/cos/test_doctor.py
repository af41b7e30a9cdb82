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
