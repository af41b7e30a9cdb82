"""IMM projects and OSS bucket bindings, persisted in ``root/.mediaproc/imm/state.json``.

Apart from the IMM front because two fronts read it: the IMM actions change it, and OSS data
processing (:mod:`mediaproc.emulator.processing`) asks it which project a bucket is bound to before
it runs media work, as the service does. Persisted so a restarted server keeps them.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from mediaproc.atomic import atomic_file


class ImmState:
    """Projects and OSS bucket bindings, persisted as one small JSON file."""

    def __init__(self, state_dir: Path) -> None:
        self._path = state_dir / "state.json"
        self._tmp = state_dir.parent / "tmp"
        self._lock = threading.Lock()
        state_dir.mkdir(parents=True, exist_ok=True)
        try:
            data = json.loads(self._path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = {}
        self.projects: dict[str, dict[str, Any]] = dict(data.get("projects", {}))
        self.bindings: dict[str, dict[str, Any]] = dict(data.get("bindings", {}))

    def save(self) -> None:
        with atomic_file(self._path, "w", temp_dir=self._tmp) as fh:
            fh.write(json.dumps({"projects": self.projects, "bindings": self.bindings}, ensure_ascii=False))

    def __enter__(self) -> ImmState:
        self._lock.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self._lock.release()

    def project_for_bucket(self, bucket: str) -> str | None:
        with self._lock:
            b = self.bindings.get(bucket)
            return None if b is None else str(b["ProjectName"])
