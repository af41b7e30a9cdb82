"""New objects, announced to the cloud-side batch features of ``mediaproc serve``.

IMM triggers and Cloud Infinite workflows act on objects *created after* they were (OSS "triggers
only act on new objects", alibabacloud.com/help/en/oss/user-guide/triggers; a CI workflow runs on
COS upload events). The fronts announce a client's successful write here - PutObject, CopyObject,
CompleteMultipartUpload, AppendObject - with the protocol it came in by (``oss`` or ``cos``: a COS
upload does not fire an IMM trigger, as the two clouds share nothing but serve's folder). What
serve itself writes (a batch's or a workflow's outputs, an ``x-oss-process`` saveas) goes to the
store directly and is never announced, so a trigger's output under its own input prefix cannot
start it again (the documentation only warns that such loops happen on the service; serve has no
loops, by construction).

Listeners run on the server's event loop thread and must only schedule work, never do it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger("mediaproc.emulator")


@dataclass(frozen=True)
class ObjectCreated:
    origin: str  # "oss" or "cos": the protocol the client wrote with
    bucket: str
    key: str


Listener = Callable[[ObjectCreated], None]


class ObjectEvents:
    """One server's listeners; :meth:`created` calls each, and a listener's bug never fails the upload."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def created(self, origin: str, bucket: str, key: str) -> None:
        event = ObjectCreated(origin, bucket, key)
        for listener in self._listeners:
            try:
                listener(event)
            except Exception:  # the client's write succeeded; a trigger's bug is logged, not answered
                log.exception("object-created listener failed for %s/%s", bucket, key)


__all__ = ["ObjectCreated", "ObjectEvents"]
