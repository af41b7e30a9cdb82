"""Async tasks: a bounded worker pool and IMM-shaped task records that survive a restart.

A task is created by ``x-oss-async-process`` or an IMM ``Create...Task`` call, runs ``work`` in a
pool of ``workers`` threads, and is read back through IMM ``GetTask``. Records are JSON files under
``root/.mediaproc/imm/tasks`` written on every state change, so a restarted server still answers
``GetTask`` for finished tasks; a task that was running when the server stopped comes back as
``Failed`` (it cannot resume), never as a task that runs forever.

Status names follow IMM: ``Running`` (also while queued: IMM has no queued state), ``Succeeded``,
``Failed``, ``Cancelled``.
"""

from __future__ import annotations

import json
import secrets
import string
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from mediaproc.atomic import atomic_file
from mediaproc.emulator.errors import public_message
from mediaproc.errors import MediaprocError

Progress = Callable[[float], None]
Work = Callable[[Progress, threading.Event], dict[str, Any] | None]

_ALNUM = string.ascii_letters + string.digits


def new_event_id() -> str:
    """IMM/OSS event ids look like ``2F6-1Bz9yUe0aE9G9r7OmyYjyUbcvRn``."""
    return f"{secrets.randbelow(0xFFF):03X}-" + "".join(secrets.choice(_ALNUM) for _ in range(27))


def iso_time(ts: float) -> str:
    """IMM's timestamps: RFC 3339 UTC with nanoseconds (``2021-12-24T03:01:41.662060377Z``)."""
    whole = int(ts)
    nanos = round((ts - whole) * 1e9)
    if nanos >= 1_000_000_000:
        whole, nanos = whole + 1, nanos - 1_000_000_000
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{nanos:09d}Z"


@dataclass
class Task:
    task_id: str
    task_type: str
    project: str
    event_id: str
    status: str = "Running"
    progress: int = 0
    code: str = ""
    message: str = ""
    start_time: float = field(default_factory=time.time)
    end_time: float | None = None
    definition: dict[str, Any] = field(default_factory=dict)
    user_data: str = ""
    result: dict[str, Any] | None = None

    @property
    def finished(self) -> bool:
        return self.status in ("Succeeded", "Failed", "Cancelled")

    def imm_view(self, *, with_definition: bool = False) -> dict[str, Any]:
        """The GetTask response fields."""
        out: dict[str, Any] = {
            "ProjectName": self.project,
            "TaskType": self.task_type,
            "TaskId": self.task_id,
            "EventId": self.event_id,
            "Status": self.status,
            "Progress": self.progress,
            "Code": self.code,
            "Message": self.message,
            "StartTime": iso_time(self.start_time),
            "UserData": self.user_data,
            "Tags": {},
        }
        if self.end_time is not None:
            out["EndTime"] = iso_time(self.end_time)
        if with_definition:
            out["TaskRequestDefinition"] = json.dumps(self.definition, ensure_ascii=False)
        return out


class TaskRegistry:
    """Runs and remembers tasks (thread-safe)."""

    def __init__(self, state_dir: Path, workers: int = 2) -> None:
        self._dir = state_dir
        self._dir.mkdir(parents=True, exist_ok=True)
        self._tmp = state_dir.parent / "tmp"
        self._lock = threading.Lock()
        self._tasks: dict[str, Task] = {}
        self._cancels: dict[str, threading.Event] = {}
        self._pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="mediaproc-job")
        self._load()

    # -- persistence --------------------------------------------------------------------------
    def _load(self) -> None:
        for path in self._dir.glob("*.json"):
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                task = Task(**data)
            except (OSError, ValueError, TypeError):
                continue
            if not task.finished:
                task.status = "Failed"
                task.code = "InternalError"
                task.message = "The task was interrupted: the server stopped while it ran."
                task.end_time = time.time()
                self._save(task)
            self._tasks[task.task_id] = task

    def _save(self, task: Task) -> None:
        with atomic_file(self._dir / f"{task.task_id}.json", "w", temp_dir=self._tmp) as fh:
            fh.write(json.dumps(asdict(task), ensure_ascii=False))

    # -- API ----------------------------------------------------------------------------------
    def submit(
        self,
        task_type: str,
        project: str,
        work: Work,
        *,
        definition: dict[str, Any] | None = None,
        user_data: str = "",
    ) -> Task:
        task = Task(
            task_id=f"{task_type}-{uuid.uuid4()}",
            task_type=task_type,
            project=project,
            event_id=new_event_id(),
            definition=dict(definition or {}),
            user_data=user_data,
        )
        cancel = threading.Event()
        with self._lock:
            self._tasks[task.task_id] = task
            self._cancels[task.task_id] = cancel
            self._save(task)
        self._pool.submit(self._run, task, work, cancel)
        return task

    def get(self, task_id: str) -> Task | None:
        with self._lock:
            task = self._tasks.get(task_id)
            return None if task is None else Task(**asdict(task))

    def in_project(self, project: str) -> list[Task]:
        """Copies of the project's tasks (IMM ListTasks filters and pages them)."""
        with self._lock:
            return [Task(**asdict(t)) for t in self._tasks.values() if t.project == project]

    def cancel(self, task_id: str) -> bool:
        with self._lock:
            ev = self._cancels.get(task_id)
        if ev is None:
            return False
        ev.set()
        return True

    def shutdown(self) -> None:
        """Stop accepting work; running tasks are asked to stop and are not waited for long."""
        with self._lock:
            for ev in self._cancels.values():
                ev.set()
        self._pool.shutdown(wait=False, cancel_futures=True)

    # -- worker -------------------------------------------------------------------------------
    def _run(self, task: Task, work: Work, cancel: threading.Event) -> None:
        last_saved = [0.0]

        def progress(pct: float) -> None:
            value = max(0, min(99, int(pct)))
            with self._lock:
                if value <= task.progress:
                    return
                task.progress = value
                now = time.monotonic()
                if now - last_saved[0] > 0.5:
                    last_saved[0] = now
                    self._save(task)

        try:
            if cancel.is_set():
                raise _Cancelled()
            result = work(progress, cancel)
            if cancel.is_set():
                raise _Cancelled()
        except _Cancelled:
            self._finish(task, "Cancelled", "Cancelled", "The task was cancelled.")
        except MediaprocError as exc:
            self._finish(task, "Failed", exc.code or "InternalError", exc.message)
        except Exception as exc:  # a bug in an engine must fail the task, not hang it
            self._finish(task, "Failed", "InternalError", f"{type(exc).__name__}: {exc}")
        else:
            self._finish(task, "Succeeded", "", "", result)

    def _finish(self, task: Task, status: str, code: str, message: str, result: dict[str, Any] | None = None) -> None:
        with self._lock:
            task.status = status
            task.code = code
            task.message = public_message(message)
            task.result = result
            if status == "Succeeded":
                task.progress = 100
            task.end_time = time.time()
            self._cancels.pop(task.task_id, None)
            self._save(task)


class _Cancelled(Exception):
    pass
