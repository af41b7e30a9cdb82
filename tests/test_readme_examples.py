"""Every README example marked `bash test` runs: exit code 0 for the block, and each `# => text` line's
text appears in what the block printed. Each block runs in its own scratch folder holding a copy of
examples/, with a clean environment (no cloud credentials, CI=1)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from support import secret_scan

ROOT = Path(__file__).resolve().parents[1]
BLOCK = re.compile(r"```bash test\n(.*?)```", re.S)


def blocks() -> list[str]:
    return BLOCK.findall((ROOT / "README.md").read_text())


def test_the_readme_has_tested_examples() -> None:
    assert len(blocks()) >= 10


@pytest.mark.parametrize("index", range(len(blocks())))
def test_readme_example(index: int, tmp_path: Path) -> None:
    script = blocks()[index]
    expected = [line.split("# =>", 1)[1].strip() for line in script.splitlines() if line.startswith("# =>")]
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    env = dict(os.environ)  # no cloud or mediaproc setting from outside: isolated_env removed them
    env.update({
        "PATH": str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", ""),
        "CI": "1",
        "HOME": str(tmp_path),
        "MEDIAPROC_CONFIG": str(tmp_path / "mediaproc.toml"),
        "LANG": "C.UTF-8",
    })
    wrapped = "set -eo pipefail\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n" + script
    proc = subprocess.run(["bash", "-c", wrapped], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300)
    output = proc.stdout + proc.stderr
    secret_scan.record(output, f"README example {index}")
    assert proc.returncode == 0, f"block {index} failed ({proc.returncode}):\n{script}\n--- output ---\n{output}"
    for text in expected:
        assert text in output, f"block {index}: {text!r} not in output:\n{output}"
