"""Where styles are kept on this machine: one small JSON file, shared by the local provider and serve.

- The local provider keeps a bucket folder's styles in ``<folder>/.mediaproc-styles.json`` (the
  ``.mediaproc-`` prefix keeps it out of batch listings), under the kind ``local``.
- ``mediaproc serve`` keeps a bucket's styles in ``<root>/.mediaproc/styles/<bucket>.json``, where no
  key can reach, one kind per wire front: ``oss`` (PutStyle's process strings) and ``cos``
  (AddStyle's rules). They persist across restarts, as the services' styles do.

Layout: ``{"version": 1, "styles": {"<kind>": {"<name>": {"content", "created", "modified"}}}}``.
Writes are atomic and under one lock, so concurrent puts from serve's handlers never lose a style.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from mediaproc.atomic import write_json_atomic

LOCAL_FILE = ".mediaproc-styles.json"


@dataclass(frozen=True)
class StoredStyle:
    """One style as stored: its name, its content in the provider's form, when it was made/changed."""

    name: str
    content: str
    created: float | None = None
    modified: float | None = None


class StyleBook:
    """The styles in one file, by kind (``local``, ``oss``, ``cos``)."""

    _locks: ClassVar[dict[Path, threading.Lock]] = {}  # one lock per file, whichever object writes it
    _locks_guard: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, path: Path) -> None:
        self.path = path
        with StyleBook._locks_guard:
            self._lock = StyleBook._locks.setdefault(path, threading.Lock())

    @classmethod
    def for_folder(cls, folder: Path) -> StyleBook:
        return cls(folder / LOCAL_FILE)

    @classmethod
    def for_bucket(cls, hidden_dir: Path, bucket: str) -> StyleBook:
        return cls(hidden_dir / "styles" / f"{bucket}.json")

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (FileNotFoundError, NotADirectoryError, json.JSONDecodeError, UnicodeDecodeError):
            return {"version": 1, "styles": {}}
        if not isinstance(data, dict) or not isinstance(data.get("styles"), dict):
            return {"version": 1, "styles": {}}
        return data

    @staticmethod
    def _style(name: str, rec: Any) -> StoredStyle | None:
        if not isinstance(rec, dict) or not isinstance(rec.get("content"), str):
            return None
        return StoredStyle(name, rec["content"], rec.get("created"), rec.get("modified"))

    def list(self, kind: str) -> list[StoredStyle]:
        """The styles of ``kind``, by name."""
        styles = self._read()["styles"].get(kind) or {}
        out = [self._style(n, r) for n, r in sorted(styles.items())]
        return [s for s in out if s is not None]

    def get(self, kind: str, name: str) -> StoredStyle | None:
        styles = self._read()["styles"].get(kind) or {}
        return self._style(name, styles.get(name))

    def count(self, kind: str) -> int:
        return len(self._read()["styles"].get(kind) or {})

    def put(self, kind: str, name: str, content: str) -> StoredStyle:
        """Create or replace a style (its creation time is kept on a replace)."""
        with self._lock:
            data = self._read()
            styles = data["styles"].setdefault(kind, {})
            now = time.time()
            old = styles.get(name)
            created = old.get("created", now) if isinstance(old, dict) else now
            styles[name] = {"content": content, "created": created, "modified": now}
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_json_atomic(self.path, data)
        return StoredStyle(name, content, created, now)

    def delete(self, kind: str, name: str) -> bool:
        """Remove a style; False when there was none of that name."""
        with self._lock:
            data = self._read()
            styles = data["styles"].get(kind) or {}
            if name not in styles:
                return False
            del styles[name]
            write_json_atomic(self.path, data)
        return True


__all__ = ["LOCAL_FILE", "StoredStyle", "StyleBook"]
