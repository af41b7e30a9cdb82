"""Ctrl-C (SIGINT to a real CLI process) during a recursive upload and a single multipart upload on
OSS: the summary names what finished and what was not started, the printed command resumes (run as
printed, it sends only the rest), and an interrupted upload says that a rerun resumes, which it does."""

from __future__ import annotations

import os
import shlex
from pathlib import Path

from providers_oss.conftest import OssEnv, interrupt_when, run_subprocess, start_cli


def test_ctrl_c_in_a_recursive_upload_prints_the_summary_and_the_resume_command(
    oss_env: OssEnv, tmp_path: Path
) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    for i in range(8):
        (tree / f"f{i}.bin").write_bytes(os.urandom(2000))
    oss_env.faults(latency_ms=1500, operations=("PutObject",))  # each upload held while Ctrl-C arrives
    proc = start_cli(oss_env, "upload", "-r", str(tree), oss_env.uri("up/"), "-j", "1")
    res = interrupt_when(oss_env, proc, lambda s: s["requests"].get("PutObject", 0) >= 2)
    assert res.code == 130, res.stderr
    assert "Traceback" not in res.stderr
    assert "finished (" in res.stderr and "not started (" in res.stderr, res.stderr
    resume = next(line for line in res.stderr.splitlines() if line.startswith("Resume: "))
    words = shlex.split(resume.removeprefix("Resume: "))
    assert words[0] == "mediaproc" and words[-1] == "--skip-existing"
    stored = oss_env.object_keys("up/")
    assert 1 <= len(stored) < 8  # the item in flight finished; those never started were not sent
    oss_env.clear_faults()
    before = oss_env.stats()["requests"].get("PutObject", 0)
    done = run_subprocess(oss_env, *words[1:])  # the printed command, verbatim
    assert done.returncode == 0, done.stderr
    assert oss_env.stats()["requests"].get("PutObject", 0) - before == 8 - len(stored)
    assert len(oss_env.object_keys("up/")) == 8


def test_ctrl_c_in_a_multipart_upload_says_a_rerun_resumes(oss_env: OssEnv, tmp_path: Path) -> None:
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(40 * 1024 * 1024))  # 5 parts of 8 MB
    oss_env.faults(latency_ms=1000, operations=("UploadPart",))
    proc = start_cli(oss_env, "upload", str(big), oss_env.uri("big.bin"))
    # three parts go at once: the fourth request means that at least one part was stored
    res = interrupt_when(oss_env, proc, lambda s: s["requests"].get("UploadPart", 0) >= 4)
    assert res.code == 130, res.stderr
    assert "resumes" in res.stderr and "Traceback" not in res.stderr, res.stderr
    oss_env.clear_faults()
    sent = oss_env.stats()["requests"].get("UploadPart", 0)
    done = run_subprocess(oss_env, "upload", str(big), oss_env.uri("big.bin"))
    assert done.returncode == 0, done.stderr
    assert oss_env.stats()["requests"].get("UploadPart", 0) - sent < 5  # resumed, not started over
    assert oss_env.get_bytes("big.bin") == big.read_bytes()
