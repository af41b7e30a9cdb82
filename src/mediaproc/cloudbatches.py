"""What a cloud batch, trigger or workflow looks like to mediaproc, whichever cloud runs it.

Each provider reads its service's own answer (IMM ``DataIngestion``; a CI inventory-trigger job and
its workflow executions; a CI workflow) into one :class:`CloudBatchStatus`, so that ``batch status``,
``batch wait`` and ``--json`` read the same fields for both clouds. The service's own counters are
kept under their own names in ``counters``; ``completed``/``failed``/``total`` are what the progress
bar and the exit code read. A core module: it imports nothing of mediaproc.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

# running: work goes on; suspended: stopped until resumed; succeeded: every object done;
# partial: finished with failed objects; failed: the batch itself failed; cancelled: stopped for good.
Outcome = Literal["running", "suspended", "succeeded", "partial", "failed", "cancelled"]
Kind = Literal["batch", "trigger", "workflow"]


@dataclass(frozen=True)
class Failure:
    """One object the service reported as failed, with its reason (COS workflow executions report
    these; IMM reports per-object results only through its MNS notifications)."""

    key: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"key": self.key, "reason": self.reason}


@dataclass(frozen=True)
class CloudBatchStatus:
    id: str
    kind: Kind
    provider: str
    state: str  # the service's own word (IMM: Running, Succeeded...; CI: Submitted, Success, Active...)
    outcome: Outcome
    counters: dict[str, int] = field(default_factory=dict)
    completed: int | None = None
    failed: int | None = None
    total: int | None = None  # the object count mediaproc planned, when the service keeps it
    created: str | None = None
    updated: str | None = None
    started: str | None = None
    ended: str | None = None
    failures: tuple[Failure, ...] = ()
    failures_reported: bool = False  # whether the service reports per-object failures at all
    message: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def done(self) -> bool:
        return self.outcome in ("succeeded", "partial", "failed", "cancelled")

    def to_dict(self) -> dict[str, Any]:
        """The stable ``--json`` fields (README, "When one machine is not enough")."""
        return {
            "id": self.id,
            "kind": self.kind,
            "provider": self.provider,
            "state": self.state,
            "outcome": self.outcome,
            "done": self.done,
            "counters": dict(self.counters),
            "completed": self.completed,
            "failed": self.failed,
            "total": self.total,
            "created": self.created,
            "updated": self.updated,
            "started": self.started,
            "ended": self.ended,
            "failures": [f.to_dict() for f in self.failures],
            "failures_reported": self.failures_reported,
            "message": self.message,
            "details": dict(self.details),
        }
