"""Fault injection and request counters, adjustable while the server runs.

Faults exist so tests can watch a client cope with what real networks and services do:

- ``error_rate`` / ``error_status``: answer a request with an error (503 ``SlowDown``, 500
  ``InternalError``, ...) instead of serving it; the request has no effect.
- ``latency_ms``: wait before answering (``latency_rate``: only that share of requests).
- ``reset_after_bytes``: abort the connection (TCP reset) after this many body bytes, of the
  request body (uploads) or of the response body (downloads).
- ``truncate_after_bytes``: send the full Content-Length, then close cleanly after this many body
  bytes: the client sees a short body.

``operations`` limits the faults to some operation names (``PutObject``, ``UploadPart``,
``GetObject``, ``GetTask``, ...; empty = every operation), and ``times`` limits how often the
error/reset/truncate faults fire in all (None = every time), so a test can say "the first upload
attempt is reset, the retry succeeds". ``after`` lets that many matching requests through untouched
first, so a fault can land part way through: "the listing's second page fails". Random draws use
a seeded RNG: a run is reproducible.

Counters: requests per operation, faults fired per kind, and async jobs created — so a test can
assert "exactly one job was submitted" after retries.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from mediaproc.errors import UsageError
from mediaproc.i18n import _

ERROR_CODES = {500: "InternalError", 502: "InternalError", 503: "SlowDown", 504: "InternalError"}
# The message an injected error carries on the Alibaba fronts (OSS, IMM), as the services word it.
FAULT_MESSAGES = {
    "SlowDown": "Please reduce your request rate.",
    "InternalError": "We encountered an internal error. Please try again.",
    "ServiceUnavailable": "Service is unavailable. Please try again later.",
}


@dataclass(frozen=True)
class FaultSettings:
    error_rate: float = 0.0
    error_status: int = 503
    latency_ms: int = 0
    latency_rate: float = 1.0  # share of requests that get the latency (1.0 = all)
    reset_after_bytes: int | None = None
    truncate_after_bytes: int | None = None
    operations: tuple[str, ...] = ()
    times: int | None = None
    after: int = 0  # matching requests served untouched before the error/reset/truncate faults apply
    seed: int | None = 0

    def __post_init__(self) -> None:
        if not 0.0 <= self.latency_rate <= 1.0:
            raise UsageError(_("latency_rate must be between 0 and 1"), hint=_("e.g. 0.1 delays one request in ten"))
        if not 0.0 <= self.error_rate <= 1.0:
            raise UsageError(_("error_rate must be between 0 and 1"), hint=_("e.g. 0.2 fails one request in five"))
        if not 400 <= self.error_status <= 599:
            raise UsageError(_("error_status must be an HTTP error status (400-599)"), hint=_("e.g. 503"))
        for name in ("latency_ms", "reset_after_bytes", "truncate_after_bytes", "times", "after"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise UsageError(_("{name} cannot be negative").format(name=name), hint=_("use 0 or more"))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FaultSettings:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise UsageError(
                _("unknown fault setting(s): {names}").format(names=", ".join(unknown)),
                hint=_("known: {names}").format(names=", ".join(sorted(known))),
            )
        clean = dict(data)
        if "operations" in clean:
            clean["operations"] = tuple(clean["operations"] or ())
        return cls(**clean)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["operations"] = list(self.operations)
        return d


@dataclass
class Decision:
    """What to do to one request."""

    latency_s: float = 0.0
    error_status: int | None = None
    reset_after: int | None = None
    truncate_after: int | None = None

    @property
    def error_code(self) -> str:
        return ERROR_CODES.get(self.error_status or 0, "ServiceUnavailable")


@dataclass
class Faults:
    """The live fault settings and counters of one server (thread-safe)."""

    settings: FaultSettings = field(default_factory=FaultSettings)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._rng = random.Random(self.settings.seed)
        self._fired = 0
        self._matched = 0  # requests the settings' operations matched, for ``after``
        self.requests: Counter[str] = Counter()
        self.fired: Counter[str] = Counter()
        self.jobs_created: Counter[str] = Counter()

    def configure(self, settings: FaultSettings) -> None:
        with self._lock:
            self.settings = settings
            self._rng = random.Random(settings.seed)
            self._fired = 0
            self._matched = 0

    def update(self, **changes: Any) -> FaultSettings:
        new = FaultSettings.from_dict({**self.settings.to_dict(), **changes})
        self.configure(new)
        return new

    def clear(self) -> None:
        self.configure(FaultSettings())

    def decide(self, operation: str) -> Decision:
        """Count the request and draw its faults."""
        with self._lock:
            self.requests[operation] += 1
            s = self.settings
            delayed = s.latency_ms > 0 and (s.latency_rate >= 1.0 or self._rng.random() < s.latency_rate)
            decision = Decision(latency_s=s.latency_ms / 1000.0 if delayed else 0.0)
            if delayed and (not s.operations or operation in s.operations):
                self.fired["latency"] += 1
            if s.operations and operation not in s.operations:
                decision.latency_s = 0.0
                return decision
            self._matched += 1
            if self._matched <= s.after:
                return decision
            if s.times is not None and self._fired >= s.times:
                return decision
            if s.error_rate > 0 and self._rng.random() < s.error_rate:
                decision.error_status = s.error_status
                self._fired += 1
                self.fired["error"] += 1
                return decision
            if s.reset_after_bytes is not None:
                decision.reset_after = s.reset_after_bytes
            elif s.truncate_after_bytes is not None:
                decision.truncate_after = s.truncate_after_bytes
            return decision

    def claim(self, kind: str) -> bool:
        """Take one use of a body fault (reset/truncate) as it is about to happen.

        Checked and counted in one step, so with ``times=1`` two concurrent uploads can never
        both be cut.
        """
        with self._lock:
            if self.settings.times is not None and self._fired >= self.settings.times:
                return False
            self._fired += 1
            self.fired[kind] += 1
            return True

    def job_created(self, task_type: str) -> None:
        with self._lock:
            self.jobs_created[task_type] += 1

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": dict(self.requests),
                "faults_fired": dict(self.fired),
                "async_jobs_created": sum(self.jobs_created.values()),
                "async_jobs_by_type": dict(self.jobs_created),
                "faults": self.settings.to_dict(),
            }

    def reset_stats(self) -> None:
        with self._lock:
            self.requests.clear()
            self.fired.clear()
            self.jobs_created.clear()


__all__ = ["Decision", "FaultSettings", "Faults"]
