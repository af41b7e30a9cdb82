"""Start-up time: mediaproc's --help and a completion request beside `python -c pass` and a minimal
Typer app, measured side by side in one run (best of N wall-clock runs of fresh interpreters).

Target: mediaproc <= 1.3x the minimal Typer app.  Run: python benchmarks/startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MINIMAL_TYPER = '''
import typer
app = typer.Typer()
@app.command()
def hello(name: str = "x") -> None:
    """Say hello."""
app()
'''


def best_of(cmd: list[str], runs: int, env: dict[str, str]) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=False)
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    py = sys.executable
    env = dict(os.environ)
    with tempfile.TemporaryDirectory() as tmp:
        minimal = Path(tmp) / "minimal_typer.py"
        minimal.write_text(MINIMAL_TYPER)
        complete_env = {**env, "_MEDIAPROC_COMPLETE": "complete_bash",
                        "COMP_WORDS": "mediaproc process x.jpg resize:", "COMP_CWORD": "3"}
        rows = [
            ("python -c pass", best_of([py, "-c", "pass"], args.runs, env)),
            ("minimal Typer app --help", best_of([py, str(minimal), "--help"], args.runs, env)),
            ("mediaproc --help", best_of([py, "-m", "mediaproc", "--help"], args.runs, env)),
            ("mediaproc image --help", best_of([py, "-m", "mediaproc", "image", "--help"], args.runs, env)),
            ("mediaproc completion (resize:)", best_of([py, "-m", "mediaproc"], args.runs, complete_env)),
        ]
    base = rows[1][1]
    print(f"best of {args.runs} runs each, one process per run")
    for name, t in rows:
        print(f"{name:34s} {t * 1000:7.1f} ms   {t / base:5.2f}x minimal Typer")
    worst = max(t for name, t in rows if name.startswith("mediaproc"))
    verdict = "meets" if worst / base <= 1.3 else "misses"
    print(f"slowest mediaproc start-up is {worst / base:.2f}x the minimal Typer app ({verdict} the 1.3x target)")


if __name__ == "__main__":
    main()
