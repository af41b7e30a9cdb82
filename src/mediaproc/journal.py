"""The job journal: what a cloud job started here still needs from this machine once it ends.

Ctrl-C, ``--timeout`` and ``--no-wait`` stop the waiting, never the cloud job (DESIGN.md, "Async
jobs"). Whatever ``mediaproc job wait|status|cancel ID`` then needs to work verbatim, without the
options of the command that submitted it, is written down here: the provider, the bucket (a COS job
is looked up in its bucket), the IMM project (an OSS task lives in the project bound to the bucket),
the region and endpoints, the temporary objects staged for the job (removed once it has ended) and,
for a result bound for a local file, where to download it. One small JSON file per task id under
the user state dir (``platformdirs``), written atomically and durably: it is the only record of what
is left to clean up. Never a secret: credentials come from each cloud's chain when the job is
picked up. Once the job has ended and what it asked for is done, the entry shrinks to the job's
address (:func:`ended`: provider, bucket, project, region, endpoints) and stays for
:data:`KEEP_ENDED_SECONDS`, so every printed ``job wait|status ID`` still works verbatim after a
first ``job status`` settled it; older entries are pruned when a new one is written.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

from mediaproc import TYPE_CHECKING
from mediaproc.atomic import write_text_atomic
from mediaproc.record import Record, asdict, field, replace

if TYPE_CHECKING:  # typing for type checkers only: not imported on a one-shot run (mediaproc.TYPE_CHECKING)
    from typing import Any

# what a task id may look like to become a file name: IMM ``<TaskType>-<uuid>``, COS ``j<hex>``
_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$")
KEEP_ENDED_SECONDS = 30 * 24 * 3600  # how long an ended job's address is kept (IMM keeps tasks for days)


class Delivery(Record):
    """A job's result bound for a local file: the job writes under ``prefix`` (a temporary folder of
    the job's bucket); ``named_key`` becomes ``path`` (so does the only output, when named), every
    other output goes into ``folder`` under its own name."""

    prefix: str
    path: str
    folder: str
    named_key: str | None = None


class JobRecord(Record):
    task_id: str
    provider: str
    bucket: str
    project: str | None = None  # OSS: the IMM project holding the task
    region: str | None = None
    endpoint: str | None = None
    imm_endpoint: str | None = None
    temporary_keys: tuple[str, ...] = ()  # keys in ``bucket`` to delete once the job has ended
    delivery: Delivery | None = None
    submitted_at: float = field(default_factory=time.time)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["temporary_keys"] = list(self.temporary_keys)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> JobRecord:
        delivery = data.get("delivery")
        return cls(
            task_id=str(data["task_id"]),
            provider=str(data["provider"]),
            bucket=str(data["bucket"]),
            project=data.get("project"),
            region=data.get("region"),
            endpoint=data.get("endpoint"),
            imm_endpoint=data.get("imm_endpoint"),
            temporary_keys=tuple(str(k) for k in data.get("temporary_keys") or ()),
            delivery=Delivery(**delivery) if isinstance(delivery, dict) else None,
            submitted_at=float(data.get("submitted_at") or 0.0),
        )


def journal_dir() -> Path:
    from platformdirs import user_state_dir

    return Path(user_state_dir("mediaproc", appauthor=False)) / "jobs"


def _path(task_id: str) -> Path | None:
    task_id = task_id.strip()
    return journal_dir() / f"{task_id}.json" if _SAFE_ID.match(task_id) else None


def record(entry: JobRecord) -> Path | None:
    """Write (or replace) the entry of ``entry.task_id``; None when the id cannot name a file."""
    path = _path(entry.task_id)
    if path is None:
        return None
    write_text_atomic(path, json.dumps(entry.to_dict(), ensure_ascii=False, indent=1) + "\n", durable=True)
    _prune(keep=path)
    return path


def ended(entry: JobRecord) -> Path | None:
    """The job of ``entry`` has ended and nothing is left to do for it: keep only its address."""
    return record(replace(entry, temporary_keys=(), delivery=None))


def _prune(keep: Path) -> None:
    """Remove the address of jobs that ended long ago (an entry with work left is never pruned)."""
    cutoff = time.time() - KEEP_ENDED_SECONDS
    for path in keep.parent.glob("*.json"):
        if path == keep:
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if (not data.get("temporary_keys") and not data.get("delivery")
                    and float(data.get("submitted_at") or 0.0) < cutoff):
                path.unlink(missing_ok=True)
        except (OSError, ValueError, TypeError, AttributeError):
            continue


def find(task_id: str) -> JobRecord | None:
    """The entry of ``task_id``, or None (never recorded, pruned, or unreadable)."""
    path = _path(task_id)
    if path is None:
        return None
    try:
        return JobRecord.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError, KeyError):
        return None


def forget(task_id: str) -> None:
    path = _path(task_id)
    if path is not None:
        path.unlink(missing_ok=True)
