"""IMM Batch and Trigger through ``alibabacloud_imm20200930``: create, get, list, suspend, resume,
update, delete (CLOUD-BATCH.md §1), each answer read into a :class:`~mediaproc.cloudbatches.CloudBatchStatus`.

The request is the body :mod:`mediaproc.ops.oss.batch_actions` builds in the service's wire keys
(the one ``--dry-run`` prints), turned into the SDK's model with ``from_map``: what is sent is what
was shown. Create/Suspend/Resume/Update/Delete are sent once (a retried create could start a second
batch); Get/List are retried on transient errors (the facade's policy, :mod:`.imm`).

States (the SDK's ``DataIngestion`` doc comment: Ready, Running, Failed, Suspended, Succeeded) and
counters (``Statistic.SubmitSuccess``, ``SubmitFailure``, ``SkipFiles``: *submissions*, not
completions; there is no total, so mediaproc keeps the count it planned in the tag
``mediaproc-planned``). Per-object results come only through the MNS notifications, which mediaproc
does not read: a failed object is counted, never named.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any, Literal

from mediaproc.cloudbatches import CloudBatchStatus, Outcome
from mediaproc.ops.oss.batch_actions import PLANNED_TAG
from mediaproc.providers.oss.imm import Imm

IMM_Kind = Literal["batch", "trigger"]
_NOUN = {"batch": "Batch", "trigger": "Trigger"}
_PLURAL = {"batch": "Batches", "trigger": "Triggers"}


def _snake(action: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", action).lower()


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def _outcome(state: str, kind: IMM_Kind, failed: int) -> Outcome:
    if state == "Succeeded":
        return "partial" if failed else "succeeded"
    if state == "Failed":
        return "failed"
    if state == "Suspended":
        return "suspended"
    return "running"  # Ready, Running (and any state the documentation does not list)


def status_of(kind: IMM_Kind, data: Mapping[str, Any]) -> CloudBatchStatus:
    """A ``DataIngestion`` (GetBatch's ``Batch``, GetTrigger's ``Trigger``, a List entry) -> status."""
    stats = data.get("Statistic") or {}
    counters = {k: _int(stats.get(k)) for k in ("SubmitSuccess", "SubmitFailure", "SkipFiles")}
    state = str(data.get("State") or "")
    tags = data.get("Tags") or {}
    planned = tags.get(PLANNED_TAG) if isinstance(tags, Mapping) else None
    total = _int(planned) if planned is not None else None
    oss = (data.get("Input") or {}).get("OSS") or {}
    return CloudBatchStatus(
        id=str(data.get("Id") or ""),
        kind=kind,
        provider="oss",
        state=state,
        outcome=_outcome(state, kind, counters["SubmitFailure"]),
        counters=counters,
        completed=counters["SubmitSuccess"] + counters["SubmitFailure"],
        failed=counters["SubmitFailure"],
        total=total,
        created=data.get("CreateTime"),
        updated=data.get("UpdateTime"),
        started=data.get("CreateTime"),
        ended=data.get("UpdateTime") if state in ("Succeeded", "Failed") else None,
        failures_reported=False,
        message=data.get("Error") or None,
        details={"phase": data.get("Phase"), "bucket": oss.get("Bucket"), "prefix": oss.get("Prefix"),
                 "actions": data.get("Actions") or []},
    )


class ImmBatches:
    """The Batch/Trigger calls of one IMM project, over the provider's IMM facade."""

    def __init__(self, imm: Imm, project: str) -> None:
        self.imm = imm
        self.project = project

    def _send(self, action: str, fields: Mapping[str, Any], *, idempotent: bool) -> dict[str, Any]:
        from alibabacloud_imm20200930 import models

        request = getattr(models, f"{action}Request")().from_map({"ProjectName": self.project, **fields})
        method = getattr(self.imm.client, _snake(action))
        return self.imm.call(action, lambda: method(request), idempotent=idempotent)

    def create(self, kind: IMM_Kind, body: Mapping[str, Any]) -> str:
        """CreateBatch / CreateTrigger with ``body`` (its ``ProjectName`` included); the new id."""
        answer = self._send(f"Create{_NOUN[kind]}", body, idempotent=False)
        return str(answer.get("Id") or "")

    def get(self, kind: IMM_Kind, ident: str) -> CloudBatchStatus:
        answer = self._send(f"Get{_NOUN[kind]}", {"Id": ident}, idempotent=True)
        return status_of(kind, answer.get(_NOUN[kind]) or {})

    def list(self, kind: IMM_Kind, *, state: str | None = None) -> Iterator[CloudBatchStatus]:
        token: str | None = None
        while True:
            fields: dict[str, Any] = {"MaxResults": 100}
            if state:
                fields["State"] = state
            if token:
                fields["NextToken"] = token
            answer = self._send(f"List{_PLURAL[kind]}", fields, idempotent=True)
            for item in answer.get(_PLURAL[kind]) or []:
                yield status_of(kind, item)
            token = answer.get("NextToken") or None
            if not token:
                return

    def change(self, kind: IMM_Kind, verb: Literal["Suspend", "Resume", "Delete"], ident: str) -> None:
        self._send(f"{verb}{_NOUN[kind]}", {"Id": ident}, idempotent=False)
