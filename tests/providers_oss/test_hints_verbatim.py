"""Every command a hint prints works as printed (issue 18): the runs that print them get their
provider and bucket as flags (as an operator types them); the printed commands run with nothing
added, in the same environment (credentials and the emulator's endpoints describe the machine), and
again after a first one settled the job (the journal keeps the job's address)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from providers_oss.conftest import CliResult, OssEnv
from support.hints import printed_commands


@pytest.fixture
def flags_only(bound: OssEnv, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Provider and bucket only as flags: what the hint prints must carry or find them."""
    monkeypatch.delenv("MEDIAPROC_PROVIDER")
    monkeypatch.delenv("MEDIAPROC_BUCKET")
    return ["--provider", "oss", "--bucket", bound.bucket]


def run_each(cli: Callable[..., CliResult], text: str, *, times: int = 2) -> list[list[str]]:
    commands = printed_commands(text)
    assert commands, text
    for _ in range(times):
        for args in commands:
            res = cli(*args)
            assert res.code == 0, (args, res.stderr)
    return commands


def test_timeout_hints_work_verbatim(
    bound: OssEnv, flags_only: list[str], cli: Callable[..., CliResult], longer_video: Path
) -> None:
    bound.put("in/long.mp4", longer_video)
    res = cli(*flags_only, "process", bound.uri("in/long.mp4"), "video/convert:f=mp4,vcodec=h264,crf=30",
              "--to", bound.uri("out/long.mp4"), "--timeout", "0.3")
    assert res.code == 7, res.stderr
    commands = run_each(cli, res.stderr)
    assert commands[0][:2] == ["job", "wait"]
    assert bound.exists("out/long.mp4")


def test_timeout_with_a_local_source_and_result(
    bound: OssEnv, flags_only: list[str], cli: Callable[..., CliResult], longer_video: Path, tmp_path: Path
) -> None:
    out = tmp_path / "long.mp4"
    res = cli(*flags_only, "process", str(longer_video), "video/convert:f=mp4,vcodec=h264,crf=30",
              "--to", str(out), "--timeout", "0.3")
    assert res.code == 7, res.stderr
    run_each(cli, res.stderr)
    assert out.stat().st_size > 0  # `job wait` downloaded the result
    assert not [k for k in bound.object_keys() if k.startswith(".mediaproc-tmp/")]


def test_no_wait_hints_and_the_state_it_shows(
    bound: OssEnv, flags_only: list[str], cli: Callable[..., CliResult], small_video: Path
) -> None:
    res = cli(*flags_only, "process", str(small_video), "video/convert:f=mp4,vcodec=h264,s=128x96",
              "--to", bound.uri("out/nw.mp4"), "--no-wait")
    assert res.code == 0, res.stderr
    assert "completed" not in res.stdout and "submitted (queued)" in res.stdout  # honest: the job has not ended
    run_each(cli, res.stderr)
    assert bound.exists("out/nw.mp4")


def test_job_status_with_global_options_after_it(
    bound: OssEnv, flags_only: list[str], cli: Callable[..., CliResult], small_video: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bound.put("in/v.mp4", small_video)
    res = cli(*flags_only, "process", bound.uri("in/v.mp4"), "video/convert:f=mp4,vcodec=h264",
              "--to", bound.uri("out/v.mp4"), "--no-wait", "--json")
    task = res.json()["task_id"]
    assert res.json()["status"] in ("queued", "running")
    monkeypatch.setenv("XDG_STATE_HOME", str(bound.tmp / "another-state"))  # no journal: flags must say it
    res = cli("job", "wait", task, "--provider", "oss", "--bucket", bound.bucket, "--json")
    assert res.code == 0, res.stderr
    assert res.json()["status"] == "succeeded"
    res = cli("--bucket", "nope", "job", "status", task, "--provider", "oss", "--bucket", bound.bucket)
    assert res.code == 0, res.stderr  # the one after the subcommand wins


def test_failed_job_hint_works_verbatim(
    bound: OssEnv, flags_only: list[str], cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"definitely not a video " * 64)
    res = cli(*flags_only, "process", str(bad), "video/convert:f=mp4,vcodec=h264", "--to", bound.uri("out/bad.mp4"))
    assert res.code == 6, res.stderr
    commands = printed_commands(res.stderr)
    assert commands and commands[0][:2] == ["job", "status"], res.stderr
    for args in commands:
        again = cli(*args, "--json")
        assert again.code == 0, again.stderr
        assert again.json()["status"] == "failed"


def test_config_hint_works_verbatim(cli: Callable[..., CliResult], oss_env: OssEnv) -> None:
    res = cli("ls", env={"MEDIAPROC_TIMEOUT": "soon"})
    assert res.code == 3 and "timeout accepts seconds" in res.stderr, res.stderr
    for args in printed_commands(res.stderr):
        again = cli(*args, env={"MEDIAPROC_TIMEOUT": "soon"})  # the hint works in the same broken environment
        assert again.code == 0, again.stderr
        assert "timeout" in again.stdout


def test_doctor_takes_bucket_after_the_subcommand(bound: OssEnv, flags_only: list[str],
                                                   cli: Callable[..., CliResult]) -> None:
    res = cli("doctor", *flags_only, "--json")
    assert res.code == 0, res.stderr
    checks = {c["name"]: c for c in res.json()}
    assert checks["bucket"]["detail"].startswith(bound.bucket) and checks["IMM binding"]["status"] == "ok"
    assert bound.access_key_secret not in res.stdout + res.stderr
