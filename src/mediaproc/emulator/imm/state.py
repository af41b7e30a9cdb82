"""IMM projects and OSS bucket bindings, persisted in ``root/.mediaproc/imm/state.json``.

Apart from the IMM front because two fronts read it: the IMM actions change it, and OSS data
processing (:mod:`mediaproc.emulator.processing`) asks it which project a bucket is bound to before
it runs media work, as the service does. Persisted so a restarted server keeps them.
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from pathlib import Path
from typing import Any


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
        self._tmp.mkdir(parents=True, exist_ok=True)
        tmp = self._tmp / f"imm-{uuid.uuid4().hex}"
        try:
            tmp.write_text(
                json.dumps({"projects": self.projects, "bindings": self.bindings}, ensure_ascii=False),
                encoding="utf-8",
            )
            os.replace(tmp, self._path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def __enter__(self) -> ImmState:
        self._lock.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self._lock.release()

    def project_for_bucket(self, bucket: str) -> str | None:
        with self._lock:
            b = self.bindings.get(bucket)
            return None if b is None else str(b["ProjectName"])
