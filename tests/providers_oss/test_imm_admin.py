"""`mediaproc imm ...` and `mediaproc doctor` through the IMM client against the emulator."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from providers_oss.conftest import CliResult, OssEnv


def test_setup_check_unbind_and_projects(oss_env: OssEnv, cli: Callable[..., CliResult]) -> None:
    res = cli("imm", "check", "--json")
    assert res.code == 3 and res.json()["bound"] is False

    res = cli("imm", "setup", "--json")
    assert res.code == 0, res.stderr
    doc = res.json()
    project = f"mediaproc-{oss_env.bucket}"
    assert doc == {**doc, "bucket": oss_env.bucket, "project": project, "bound": True, "created_project": True}

    again = cli("imm", "setup", "--json")  # idempotent: finds the binding
    assert again.code == 0 and again.json()["created_project"] is False and again.json()["project"] == project

    # the binding is visible to the official client too
    from alibabacloud_imm20200930 import models

    attachment = oss_env.server.imm_client().get_ossbucket_attachment(
        models.GetOSSBucketAttachmentRequest(ossbucket=oss_env.bucket)
    )
    assert attachment.body.project_name == project

    listed = cli("imm", "project", "list", "--json")
    assert project in [p["ProjectName"] for p in listed.json()]
    got = cli("imm", "project", "get", project, "--json")
    assert got.code == 0 and got.json()["ProjectName"] == project

    refused = cli("imm", "project", "delete", project)
    assert refused.code == 2 and "unbind" in refused.stderr
    assert refused.first_stderr_line == f"Error: bucket '{oss_env.bucket}' is still bound to project '{project}'"

    res = cli("imm", "unbind", "--json")
    assert res.code == 0, res.stderr
    check = cli("imm", "check")
    assert (check.code, check.first_stderr_line) == (
        3, f"Error: bucket '{oss_env.bucket}' is not bound to an IMM project"
    )
    unbind = cli("imm", "unbind")  # nothing left to unbind
    assert (unbind.code, unbind.first_stderr_line) == (
        4, f"Error: bucket '{oss_env.bucket}' is not bound to any IMM project"
    )

    deleted = cli("imm", "project", "delete", project, "--json")
    assert deleted.code == 0, deleted.stderr
    gone = cli("--json", "imm", "project", "get", project)
    assert (gone.code, gone.error["code"]) == (4, "ResourceNotFound")


def test_bind_to_named_project(oss_env: OssEnv, cli: Callable[..., CliResult]) -> None:
    assert cli("imm", "project", "create", "team_media", "--json").code == 0
    res = cli("imm", "bind", "team_media", "--json")
    assert res.code == 0, res.stderr
    check = cli("imm", "check", "--json")
    assert check.code == 0 and check.json()["project"] == "team_media"
    bad = cli("imm", "project", "create", "9bad name")
    assert (bad.code, bad.first_stderr_line) == (2, "Error: '9bad name' is not a valid IMM project name")


def test_doctor_all_good(oss_env: OssEnv, cli: Callable[..., CliResult]) -> None:
    cli("imm", "setup")
    res = cli("doctor", "--json")
    assert res.code == 0, res.stderr
    checks = {c["name"]: c for c in res.json()}
    assert checks["credentials"]["status"] == "ok"
    assert "env" in checks["credentials"]["detail"] and oss_env.access_key_id not in res.stdout
    assert checks["bucket access"]["status"] == "ok"
    assert checks["IMM binding"]["status"] == "ok"
    assert checks["temporary objects"]["status"] == "ok"


def test_doctor_reports_what_to_fix(
    oss_env: OssEnv, cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    res = cli("doctor", "--json")  # not bound yet: a warning with the fix, not a failure
    assert res.code == 0, res.stderr
    binding = next(c for c in res.json() if c["name"] == "IMM binding")
    assert binding["status"] == "warn" and "mediaproc imm setup" in binding["fix"]

    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "not-the-secret-123")
    res = cli("doctor")
    assert res.code == 3
    assert "bucket access" in res.stderr and "Hint:" in res.stderr
    assert "not-the-secret-123" not in res.stdout + res.stderr

    monkeypatch.delenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET")
    monkeypatch.delenv("ALIBABA_CLOUD_ACCESS_KEY_ID")
    res = cli("doctor", "--json")
    assert res.code == 3
    creds = next(c for c in res.json() if c["name"] == "credentials")
    assert creds["status"] == "fail" and "aliyun configure" in creds["fix"]
