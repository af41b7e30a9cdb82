"""IMM batches and triggers (API 2020-09-30): ``CreateBatch`` ... ``DeleteTrigger`` over serve's store.

A batch processes the objects already under its ``Input.OSS`` prefix; a trigger processes the
objects created under it afterwards (alibabacloud.com/help/en/oss/user-guide/triggers: "a trigger
only acts on new (incremental) objects"), announced by the OSS front
(:mod:`mediaproc.emulator.events`: serve's own outputs never are, so a trigger cannot feed itself).
Both share one record shape, IMM's ``DataIngestion``, and one set of rules
(``../shared/CLOUD-BATCH.md`` §1.2-1.6):

- Documented: the models and field names; states ``Ready``/``Running``/``Suspended``/``Succeeded``/
  ``Failed``; Suspend only from Running, Resume from Suspended or Failed, Delete not while Running,
  Update from Ready or Failed; "suspending stops the creation of new tasks, submitted tasks keep
  running"; the only counters are ``Statistic.SubmitSuccess``/``SubmitFailure``/``SkipFiles``;
  errors are JSON ``InvalidArgument``/``Missing<Param>``/``ResourceNotFound``.
- Guesses (UNVERIFIED, marked so in docs/serve.md): a batch is ``Running`` from its first scan step
  and ``Succeeded`` once every object is done (with ``SubmitFailure`` counting the objects that
  failed), ``Failed`` when an action with ``FastFailPolicy`` ``abort`` met a failure; serve counts
  an object in ``SubmitSuccess``/``SubmitFailure`` when its work has *finished* (the service counts
  submissions: a client that waits for Succeeded finds every output in place here, and sees the
  failures that the service reports only through its MNS notifications); ``SkipFiles`` counts keys
  under the prefix that the MatchExpressions leave out; ``Error`` holds the last failure
  (``<key>: <reason>``); ``Phase`` is ``FullScanning`` (batch) or ``IncrementalScanning`` (trigger,
  the Go SDK's example); Update is accepted from Suspended too (a task leaves Ready at once here);
  DeleteTrigger follows DeleteBatch; a wrong state is ``400 InvalidArgument``; objects created
  while a trigger is suspended are not processed later. What Actions mean is
  :mod:`mediaproc.ops.oss.batch_actions`.

Records live in memory for the server's life (a restarted server has none).
"""

from __future__ import annotations

import asyncio
import base64
import functools
import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from mediaproc.emulator.background import Background
from mediaproc.emulator.errors import ImmError
from mediaproc.emulator.events import ObjectCreated, ObjectEvents
from mediaproc.emulator.imm.state import ImmState
from mediaproc.emulator.styles import Styles
from mediaproc.errors import MediaprocError
from mediaproc.ops.destination import output_extension
from mediaproc.ops.model import Chain
from mediaproc.ops.oss.batch_actions import (
    ActionError,
    BatchActions,
    expand_target,
    matcher,
    read_actions,
    target_uri,
)
from mediaproc.providers.local.store import LocalStore

if TYPE_CHECKING:
    from mediaproc.emulator.processing import Processor

LIST_PAGE = 100  # MaxResults 0 or unset means 100 (documented)
SCAN_PAGE = 200  # keys read from the store per step of a batch's scan
SUSPEND_POLL_S = 0.05
STATES = ("Ready", "Running", "Failed", "Suspended", "Succeeded")


def data_ingestion_time(ts: float) -> str:
    """DataIngestion's timestamps, as documented: ``2020-11-10T03:50:28Z``."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


@dataclass(eq=False)
class Ingestion:
    """One batch or trigger (IMM's ``DataIngestion``) and the bookkeeping of its run."""

    kind: str  # "batch" or "trigger"
    id: str
    project: str
    input: dict[str, Any]
    actions: list[dict[str, Any]]
    plan: BatchActions
    match: Callable[[str], bool]
    chain: Chain  # the plan's process string, parsed and checked once
    notification: dict[str, Any] = field(default_factory=dict)
    service_role: str = "AliyunIMMBatchTriggerRole"
    tags: dict[str, Any] = field(default_factory=dict)
    state: str = "Ready"
    phase: str = ""
    marker: str = ""  # the last key a batch's scan reached (plain; shown base64, as the service does)
    error: str = ""
    submit_success: int = 0
    submit_failure: int = 0
    skip_files: int = 0
    created: float = field(default_factory=time.time)
    updated: float = field(default_factory=time.time)
    in_flight: int = 0
    scanning: bool = False
    deleted: bool = False

    @property
    def bucket(self) -> str:
        return str(self.input["OSS"]["Bucket"])

    @property
    def prefix(self) -> str:
        return str(self.input["OSS"].get("Prefix") or "")

    def view(self) -> dict[str, Any]:
        """The ``DataIngestion`` model."""
        return {
            "Id": self.id,
            "Input": self.input,
            "Actions": self.actions,
            "Notification": self.notification,
            "Statistic": {
                "SubmitSuccess": self.submit_success,
                "SubmitFailure": self.submit_failure,
                "SkipFiles": self.skip_files,
            },
            "State": self.state,
            "Phase": self.phase,
            "Marker": base64.b64encode(self.marker.encode("utf-8")).decode("ascii") if self.marker else "",
            "CreateTime": data_ingestion_time(self.created),
            "UpdateTime": data_ingestion_time(self.updated),
            "Tags": self.tags,
            "Error": self.error,
            "ServiceRole": self.service_role,
        }


def json_param(p: dict[str, str], name: str, kind: type, *, required: bool) -> Any:
    """A parameter the SDK sends as JSON (a list or an object: the "shrink" form); ``kind()`` if absent."""
    raw = p.get(name, "")
    if not raw:
        if required:
            raise ImmError(f"Missing{name}", f"The parameter {name} is required but not provided.")
        return kind()
    try:
        value = json.loads(raw)
    except ValueError:
        raise ImmError("InvalidArgument", f"The parameter {name} is not valid JSON.") from None
    if not isinstance(value, kind):
        raise ImmError("InvalidArgument", f"The parameter {name} must be a JSON {kind.__name__}.")
    return value


def _wrong_state(item: Ingestion, action: str, allowed: tuple[str, ...]) -> ImmError:
    return ImmError(
        "InvalidArgument",
        f"{action} is not allowed while the {item.kind} {item.id} is {item.state} (allowed: {', '.join(allowed)}).",
    )


class Ingestions:
    """IMM's Batch and Trigger actions; registered on the IMM front as ``ACTIONS``."""

    def __init__(
        self,
        store: LocalStore,
        state: ImmState,
        processor: Processor,
        background: Background,
        events: ObjectEvents,
        *,
        require_binding: bool = True,
    ) -> None:
        self.store = store
        self.state = state
        self.processor = processor
        self.background = background
        self.require_binding = require_binding
        self._lock = threading.Lock()
        self._items: dict[str, Ingestion] = {}
        events.subscribe(self._object_created)

    @property
    def actions(self) -> dict[str, Callable[[dict[str, str]], dict[str, Any]]]:
        """The 14 IMM actions, by name."""
        out: dict[str, Callable[[dict[str, str]], dict[str, Any]]] = {}
        for kind, noun, plural in (("batch", "Batch", "Batches"), ("trigger", "Trigger", "Triggers")):
            out[f"Create{noun}"] = functools.partial(self.create, kind)
            out[f"Get{noun}"] = functools.partial(self.get, kind, noun)
            out[f"List{plural}"] = functools.partial(self.list, kind, plural)
            out[f"Update{noun}"] = functools.partial(self.update, kind)
            out[f"Suspend{noun}"] = functools.partial(self.suspend, kind)
            out[f"Resume{noun}"] = functools.partial(self.resume, kind)
            out[f"Delete{noun}"] = functools.partial(self.delete, kind)
        return out

    # -- requests (worker threads) ------------------------------------------------------------
    def _project(self, p: dict[str, str]) -> str:
        name = p.get("ProjectName", "")
        if not name:
            raise ImmError("MissingProjectName", "The parameter ProjectName is required but not provided.")
        with self.state as st:
            if name not in st.projects:
                raise ImmError("ResourceNotFound", "The specified resource project is not found.")
        return name

    def _plan(
        self, project: str, input_: dict[str, Any], actions: list[Any]
    ) -> tuple[BatchActions, Callable[[str], bool], Chain]:
        oss = input_.get("OSS")
        if not isinstance(oss, dict) or not oss.get("Bucket"):
            raise ImmError("MissingInput.OSS.Bucket", "The parameter Input.OSS.Bucket is required but not provided.")
        bucket = str(oss["Bucket"])
        if not self.store.bucket_exists(bucket):
            raise ImmError("ResourceNotFound", f"The specified resource OSSBucket {bucket} is not found.")
        if self.require_binding and self.state.project_for_bucket(bucket) != project:
            raise ImmError(
                "InvalidArgument",
                f"The bucket {bucket} is not attached to the project {project}; attach it with AttachOSSBucket first.",
            )
        expressions = oss.get("MatchExpressions") or []
        if not isinstance(expressions, list):
            raise ImmError("InvalidArgument", "Input.OSS.MatchExpressions must be a list of strings.")
        try:
            plan = read_actions(actions)
            match = matcher([str(e) for e in expressions])
            out_bucket, _template = target_uri(plan.target)
        except ActionError as exc:
            raise ImmError("InvalidArgument", str(exc)) from None
        if not self.store.bucket_exists(out_bucket):
            raise ImmError("ResourceNotFound", f"The specified resource OSSBucket {out_bucket} is not found.")
        try:  # style/NAME (the console's unit of batch work): the bucket's OSS style, read once here
            plan = replace(plan, process=Styles(self.store).resolve("oss", bucket, plan.process))
        except MediaprocError as exc:
            raise ImmError("InvalidArgument", f"The Actions ask for {plan.process!r}: {exc.message}") from None
        try:
            chain = self.processor.check_action(plan.process)
        except MediaprocError as exc:
            raise ImmError("InvalidArgument", f"The Actions ask for {plan.process!r}: {exc.message}") from None
        return plan, match, chain

    def create(self, kind: str, p: dict[str, str]) -> dict[str, Any]:
        project = self._project(p)
        actions = json_param(p, "Actions", list, required=True)
        input_ = json_param(p, "Input", dict, required=True)
        plan, match, chain = self._plan(project, input_, actions)
        item = Ingestion(
            kind=kind,
            id=f"{kind}-{uuid.uuid4()}",
            project=project,
            input=input_,
            actions=actions,
            plan=plan,
            match=match,
            chain=chain,
            notification=json_param(p, "Notification", dict, required=False),
            service_role=p.get("ServiceRole") or "AliyunIMMBatchTriggerRole",
            tags=json_param(p, "Tags", dict, required=False),
            phase="FullScanning" if kind == "batch" else "IncrementalScanning",
        )
        with self._lock:
            self._items[item.id] = item
        if kind == "batch":
            self._start_scan(item)
        else:
            self.background.spawn(lambda: self._arm(item))
        return {"Id": item.id}

    def _find(self, kind: str, p: dict[str, str]) -> Ingestion:
        project = self._project(p)
        ident = p.get("Id", "")
        if not ident:
            raise ImmError("MissingId", "The parameter Id is required but not provided.")
        with self._lock:
            item = self._items.get(ident)
        if item is None or item.kind != kind or item.project != project or item.deleted:
            raise ImmError("ResourceNotFound", f"The specified resource {kind} is not found.")
        return item

    def get(self, kind: str, noun: str, p: dict[str, str]) -> dict[str, Any]:
        return {noun: self._find(kind, p).view()}

    def list(self, kind: str, plural: str, p: dict[str, str]) -> dict[str, Any]:
        project = self._project(p)
        try:
            limit = int(p.get("MaxResults") or 0) or LIST_PAGE
            start = int(p.get("NextToken") or 0)
        except ValueError:
            raise ImmError("InvalidArgument", "MaxResults and NextToken must be numbers.") from None
        if not 0 < limit <= LIST_PAGE:
            raise ImmError("InvalidArgument", f"MaxResults must be 0-{LIST_PAGE}.")
        wanted = p.get("State", "")
        if wanted and wanted not in STATES:
            raise ImmError("InvalidArgument", f"State must be one of {', '.join(STATES)}.")
        selector = p.get("TagSelector", "")
        sort = "updated" if p.get("Sort") == "UpdateTime" else "created"
        descending = p.get("Order", "").upper() in ("DES", "DESC")  # both spellings are documented
        with self._lock:
            items = [
                i for i in self._items.values()
                if i.kind == kind and i.project == project and not i.deleted and (not wanted or i.state == wanted)
                and _tags_match(i.tags, selector)
            ]
            items.sort(key=lambda i: (getattr(i, sort), i.id), reverse=descending)
            page = [i.view() for i in items[start : start + limit]]
        token = str(start + limit) if start + limit < len(items) else ""
        return {plural: page, "NextToken": token}

    def update(self, kind: str, p: dict[str, str]) -> dict[str, Any]:
        item = self._find(kind, p)
        allowed = ("Ready", "Failed", "Suspended")
        actions = json_param(p, "Actions", list, required=False) or item.actions
        input_ = json_param(p, "Input", dict, required=False) or item.input
        plan, match, chain = self._plan(item.project, input_, actions)
        tags = json_param(p, "Tags", dict, required=False)
        with self._lock:
            if item.state not in allowed:
                raise _wrong_state(item, f"Update{kind.title()}", allowed)
            item.actions, item.input, item.plan, item.match, item.chain = actions, input_, plan, match, chain
            if tags:
                item.tags = tags
            item.updated = time.time()
        return {}

    def suspend(self, kind: str, p: dict[str, str]) -> dict[str, Any]:
        item = self._find(kind, p)
        with self._lock:
            if item.state not in ("Running", "Ready"):
                raise _wrong_state(item, f"Suspend{kind.title()}", ("Running",))
            item.state = "Suspended"
            item.updated = time.time()
        return {}

    def resume(self, kind: str, p: dict[str, str]) -> dict[str, Any]:
        item = self._find(kind, p)
        with self._lock:
            if item.state not in ("Suspended", "Failed"):
                raise _wrong_state(item, f"Resume{kind.title()}", ("Suspended", "Failed"))
            item.state = "Running"
            item.error = ""
            item.updated = time.time()
            restart = kind == "batch" and not item.scanning
            if restart:
                item.scanning = True
        if restart:
            self.background.spawn(lambda: self._scan(item))
        return {}

    def delete(self, kind: str, p: dict[str, str]) -> dict[str, Any]:
        item = self._find(kind, p)
        with self._lock:
            if item.state == "Running":
                raise _wrong_state(item, f"Delete{kind.title()}", ("Ready", "Failed", "Suspended", "Succeeded"))
            item.deleted = True
            del self._items[item.id]
        return {}

    # -- the work (the server's event loop) ----------------------------------------------------
    async def _arm(self, item: Ingestion) -> None:
        with self._lock:
            if item.state == "Ready":
                item.state = "Running"
                item.updated = time.time()

    def _start_scan(self, item: Ingestion) -> None:
        item.scanning = True
        self.background.spawn(lambda: self._scan(item))

    async def _wait_running(self, item: Ingestion) -> bool:
        """Wait while the item is suspended; False once it is gone, failed or finished."""
        while True:
            with self._lock:
                if item.deleted or item.state in ("Failed", "Succeeded"):
                    return False
                if item.state in ("Running", "Ready"):
                    return True
            await asyncio.sleep(SUSPEND_POLL_S)

    async def _scan(self, item: Ingestion) -> None:
        """A batch: every object under the prefix after ``marker``, at most ``concurrency`` at once."""
        slots = asyncio.Semaphore(self.background.concurrency)
        running: set[asyncio.Task[None]] = set()
        try:
            with self._lock:
                if item.state == "Ready":
                    item.state = "Running"
                    item.updated = time.time()
            marker = item.marker
            while True:
                page = await asyncio.to_thread(
                    self.store.list_objects, item.bucket, prefix=item.prefix, marker=marker, max_keys=SCAN_PAGE
                )
                for meta in page.objects:
                    if meta.is_dir_marker:
                        continue
                    if not item.match(meta.key):
                        with self._lock:
                            item.skip_files += 1
                            item.marker = meta.key
                            item.updated = time.time()
                        continue
                    await slots.acquire()
                    if not await self._wait_running(item):
                        slots.release()
                        return
                    with self._lock:
                        item.marker = meta.key
                        item.in_flight += 1
                    task = asyncio.get_running_loop().create_task(self._one(item, meta.key, meta.last_modified))
                    running.add(task)
                    task.add_done_callback(functools.partial(_finished, running, slots))
                if not page.is_truncated or not page.next_marker:
                    break
                marker = page.next_marker
            if running:
                await asyncio.gather(*running, return_exceptions=True)
            while True:  # a batch suspended after its last submission succeeds once resumed
                with self._lock:
                    if item.deleted or item.state == "Failed":
                        return
                    if item.state in ("Running", "Ready") and item.in_flight == 0:
                        item.state = "Succeeded"
                        item.updated = time.time()
                        return
                await asyncio.sleep(SUSPEND_POLL_S)
        finally:
            with self._lock:
                item.scanning = False

    def _object_created(self, event: ObjectCreated) -> None:
        """A trigger: a new object under its prefix, while it runs, is processed (not if suspended)."""
        if event.origin != "oss" or event.key.endswith("/"):
            return
        with self._lock:
            hits = [
                i for i in self._items.values()
                if i.kind == "trigger" and not i.deleted and i.state in ("Ready", "Running")
                and i.bucket == event.bucket and event.key.startswith(i.prefix)
            ]
            chosen = [i for i in hits if i.match(event.key)]
            for item in hits:
                if item in chosen:
                    item.in_flight += 1
                else:
                    item.skip_files += 1
        for item in chosen:
            self.background.spawn(functools.partial(self._one, item, event.key, None))

    async def _one(self, item: Ingestion, key: str, uploaded: float | None) -> None:
        """One object: expand the TargetURI, run the chain through the processing entry, count it."""
        plan, chain = item.plan, item.chain
        try:
            if uploaded is None:
                uploaded = (await asyncio.to_thread(self.store.head, item.bucket, key)).last_modified
            out_bucket, template = target_uri(plan.target)
            target = expand_target(
                template, bucket=item.bucket, key=key, autoext=output_extension(chain, key), uploaded=uploaded,
                tags={str(k): str(v) for k, v in item.tags.items()},
            )
            await self.background.run("oss", self.processor.run_to, item.bucket, key, plan.process, out_bucket, target)
        except Exception as exc:  # the object failed, not the server: counted, and the batch goes on
            message = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
            with self._lock:
                item.submit_failure += 1
                item.error = f"{key}: {message}"
                item.in_flight -= 1
                item.updated = time.time()
                if plan.abort_on_failure and item.state in ("Running", "Ready"):
                    item.state = "Failed"
            return
        with self._lock:
            item.submit_success += 1
            item.in_flight -= 1
            item.updated = time.time()


def _finished(running: set[asyncio.Task[None]], slots: asyncio.Semaphore, task: asyncio.Task[None]) -> None:
    running.discard(task)
    slots.release()


def _tags_match(tags: dict[str, Any], selector: str) -> bool:
    """``TagSelector`` (documented example ``test=val1``): every ``k=v`` (or bare ``k``) must hold."""
    for term in (t.strip() for t in selector.split(",")):
        if not term:
            continue
        key, sep, value = term.partition("=")
        if key not in tags or (sep and str(tags[key]) != value):
            return False
    return True


__all__ = ["Ingestion", "Ingestions"]
