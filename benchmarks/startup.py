"""Start-up time: mediaproc's --help and a completion request beside `python -c pass` and a minimal
Typer app, measured side by side in one run (best of N wall-clock runs of fresh interpreters).

Target: mediaproc <= 1.3x the minimal Typer app.  Run: python benchmarks/startup.py [--runs 15] [--json FILE]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from results import Figure, add_json_option, key, write_json

MINIMAL_TYPER = '''
import typer
app = typer.Typer()

def names(incomplete: str) -> list[str]:
    return [n for n in ("alpha", "beta") if n.startswith(incomplete)]

@app.callback()
def main(verbose: bool = False, region: str = "") -> None:
    """A minimal app with one option-bearing root and one command."""

@app.command()
def hello(name: str = typer.Argument("x", autocompletion=names)) -> None:
    """Say hello."""

app(prog_name="minimal")
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
    add_json_option(parser)
    args = parser.parse_args()
    py = sys.executable
    env = dict(os.environ)
    with tempfile.TemporaryDirectory() as tmp:
        minimal = Path(tmp) / "minimal_typer.py"
        minimal.write_text(MINIMAL_TYPER)
        complete_env = {**env, "_MEDIAPROC_COMPLETE": "complete_bash",
                        "COMP_WORDS": "mediaproc process x.jpg resize:", "COMP_CWORD": "3"}
        minimal_complete_env = {**env, "_MINIMAL_COMPLETE": "complete_bash",
                                "COMP_WORDS": "minimal --region r hello al", "COMP_CWORD": "4"}
        rows = [
            ("python -c pass", best_of([py, "-c", "pass"], args.runs, env), None),
            ("minimal Typer app --help", best_of([py, str(minimal), "--help"], args.runs, env), None),
            ("minimal Typer app hello --help", best_of([py, str(minimal), "hello", "--help"], args.runs, env), None),
            ("minimal Typer app completion", best_of([py, str(minimal)], args.runs, minimal_complete_env), None),
            ("mediaproc --help", best_of([py, "-m", "mediaproc", "--help"], args.runs, env), 1),
            ("mediaproc image --help", best_of([py, "-m", "mediaproc", "image", "--help"], args.runs, env), 2),
            ("mediaproc completion (resize:)", best_of([py, "-m", "mediaproc"], args.runs, complete_env), 3),
        ]
    print(f"best of {args.runs} runs each, one process per run; each mediaproc row beside the same request")
    import typer

    print(f"to a minimal Typer app (typer {typer.__version__}; 0.29 coerces option values through pydantic, which")
    print("a subcommand's --help and a completion pay for, so pyproject keeps typer below 0.29)")
    worst = 0.0
    figures: dict[str, Figure] = {}
    for name, t, base_row in rows:
        if base_row is None:
            print(f"{name:34s} {t * 1000:7.1f} ms")
            figures[key(name, "ms")] = Figure(t * 1000, "ms", name, role="reference")
            continue
        ratio = t / rows[base_row][1]
        worst = max(worst, ratio)
        print(f"{name:34s} {t * 1000:7.1f} ms   {ratio:5.2f}x {rows[base_row][0]}")
        figures[key(name, "ms")] = Figure(t * 1000, "ms", name)
        figures[key(name, "ratio")] = Figure(ratio, "x", f"{name} / {rows[base_row][0]}")
    verdict = "meets" if worst <= 1.3 else "misses"
    print(f"slowest mediaproc start-up is {worst:.2f}x its minimal Typer counterpart ({verdict} the 1.3x target)")
    figures["worst_ratio"] = Figure(worst, "x", "slowest mediaproc start-up / its minimal Typer counterpart")
    write_json(args.json, "startup", figures, {"runs": args.runs})

if __name__ == "__main__":
    main()
