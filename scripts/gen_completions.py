"""Regenerate the static completion scripts in completions/ (tests fail when they are stale).

Usage: python scripts/gen_completions.py [--check]
"""

from __future__ import annotations

import sys
from pathlib import Path

from mediaproc.cli.shell_scripts import script

ROOT = Path(__file__).resolve().parents[1]
FILES = {"bash": "mediaproc.bash", "zsh": "_mediaproc", "fish": "mediaproc.fish"}


def expected() -> dict[Path, str]:
    return {ROOT / "completions" / name: script(shell) for shell, name in FILES.items()}


def main(argv: list[str]) -> int:
    stale = [p for p, text in expected().items() if not p.exists() or p.read_text() != text]
    if "--check" in argv:
        for p in stale:
            sys.stderr.write(f"stale: {p.relative_to(ROOT)} (run python scripts/gen_completions.py)\n")
        return 1 if stale else 0
    for p, text in expected().items():
        p.parent.mkdir(exist_ok=True)
        p.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
