"""A benchmark's key figures as JSON (``--json FILE``), so that runs can be compared by a program.

Every benchmark prints its figures for a reader; ``benchmarks/compare.py`` runs the same benchmark
against two checkouts and needs those figures machine-readable, with what a reader knows from
context: the unit, which way is better, and whether the figure measures mediaproc at all (a bare
``ffmpeg`` or ``python -c pass`` row measured in the same run is a *reference*: its drift between
two runs shows the machine's noise, not the code's). One schema here, written by each benchmark and
read by the comparison, so the two cannot drift apart.

The file::

    {"benchmark": "thumbnail", "schema": 1, "params": {"repeat": 9}, "loadavg": [1.2, 1.0, 0.9],
     "figures": {"mediaproc_ms": {"value": 61.2, "unit": "ms", "label": "(1) mediaproc process_image ...",
                                  "better": "lower", "role": "subject"}, ...},
     "context": {...}}

A figure's key is a slug of its printed label (``key("mediaproc image --help")`` is
``mediaproc_image_help``), so the key and the printed line name the same thing.
"""

from __future__ import annotations

import argparse
import json
import os
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

SCHEMA = 1
Better = Literal["lower", "higher"]
# subject: measures mediaproc (the "nothing gets slower" rule applies); reference: a bare tool or
# interpreter measured beside it in the same run (same in both checkouts up to noise).
Role = Literal["subject", "reference"]


@dataclass(frozen=True)
class Figure:
    """One printed number with what a program needs to compare it across runs."""

    value: float
    unit: str
    label: str
    better: Better = "lower"
    role: Role = "subject"


def key(*parts: str) -> str:
    """A stable JSON key from printed words: lower case, runs of other characters as one ``_``."""
    return "_".join(s for s in (re.sub(r"[^a-z0-9]+", "_", p.lower()).strip("_") for p in parts) if s)


def add_json_option(parser: argparse.ArgumentParser) -> None:
    """The one ``--json FILE`` option every comparable benchmark takes."""
    parser.add_argument("--json", metavar="FILE", type=Path, default=None,
                        help="also write the key figures as JSON to FILE (benchmarks/results.py); "
                             "the printed output is unchanged")


def write_json(path: Path | None, benchmark: str, figures: dict[str, Figure], params: dict[str, Any],
               context: dict[str, Any] | None = None) -> None:
    """Write the figures to ``path`` (nothing when ``path`` is None: the option was not given)."""
    if path is None:
        return
    doc = {
        "benchmark": benchmark,
        "schema": SCHEMA,
        "params": params,
        "loadavg": list(os.getloadavg()),
        "figures": {name: asdict(fig) for name, fig in figures.items()},
        "context": context or {},
    }
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def read_json(path: Path) -> tuple[str, dict[str, Figure], dict[str, Any]]:
    """(benchmark name, figures by key, the whole document) of a file ``write_json`` wrote."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    if doc.get("schema") != SCHEMA:
        raise ValueError(f"{path}: schema {doc.get('schema')!r}, expected {SCHEMA}")
    figures = {name: Figure(**fig) for name, fig in doc["figures"].items()}
    return doc["benchmark"], figures, doc
