"""README carries the two fresh-machine commands, and CI runs exactly the documented test command."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _bash_blocks(text: str) -> list[str]:
    return [b.strip() for b in re.findall(r"```bash\n(.*?)```", text, flags=re.S)]


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    setup = readme.split("## Set up a fresh machine", 1)[1].split("\n## ", 1)[0]
    install_run, install_test = _bash_blocks(setup)[:2]
    assert "mediaproc process examples/sample.jpg" in install_run
    assert "pytest" in install_test
    ci_commands = [line.strip() for line in ci.splitlines() if line.strip() and not line.startswith("#")]
    assert install_test in ci_commands
    assert (ROOT / "examples" / "sample.jpg").is_file()
