"""IMM (Intelligent Media Management, API 2020-09-30) on the same port, routed by ``x-acs-action``.

The official client (``alibabacloud_imm20200930`` over tea-openapi) sends RPC-style
``POST /?<params>`` requests signed with ``ACS3-HMAC-SHA256``; parameters travel in the query (a
form body is read too). Responses are JSON; errors use POP's shape (``RequestId``, ``HostId``,
``Code``, ``Message``, ``Recommend``) with IMM's codes (``ResourceNotFound`` 404,
``ResourceAlreadyExists`` 409, ``InvalidArgument`` 400, ``MissingParameter`` 400).

The actions are blocking and run in a worker thread; projects and bindings persist through
:mod:`mediaproc.emulator.imm.state`, tasks through :mod:`mediaproc.emulator.jobs`, so a restarted
server keeps them.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from aiohttp import web

from mediaproc.emulator.auth import Credentials
from mediaproc.emulator.errors import ImmError, imm_error_from, new_imm_request_id
from mediaproc.emulator.faults import FAULT_MESSAGES, Faults
from mediaproc.emulator.imm.auth import NonceCache, verify_acs3
from mediaproc.emulator.imm.batches import Ingestions, json_param
from mediaproc.emulator.imm.state import ImmState
from mediaproc.emulator.jobs import Task, TaskRegistry, iso_time
from mediaproc.errors import MediaprocError
from mediaproc.ops.catalog.ai import BLINDWATERMARK_EXTRACT
from mediaproc.ops.oss.imm import PROJECT_NAME_RULE, decode_watermark_problem, valid_project_name
from mediaproc.providers.local.store import LocalStore

if TYPE_CHECKING:
    from mediaproc.emulator.server import Emulator

log = logging.getLogger("mediaproc.emulator")

MAX_RPC_BODY = 1024 * 1024

# What each action needs, for MissingParameter before anything else happens.
REQUIRED: dict[str, tuple[str, ...]] = {
    "CreateProject": ("ProjectName",),
    "GetProject": ("ProjectName",),
    "DeleteProject": ("ProjectName",),
    "AttachOSSBucket": ("ProjectName", "OSSBucket"),
    "DetachOSSBucket": ("OSSBucket",),
    "GetOSSBucketAttachment": ("OSSBucket",),
    "GetTask": ("ProjectName", "TaskType", "TaskId"),
    "ListTasks": ("ProjectName",),
    "CreateDecodeBlindWatermarkTask": ("ProjectName", "SourceURI"),
    "GetDecodeBlindWatermarkResult": ("ProjectName", "TaskType", "TaskId"),
}



def _not_found(kind: str) -> ImmError:
    return ImmError("ResourceNotFound", f"The specified resource {kind} is not found.")


def _project_view(p: dict[str, Any]) -> dict[str, Any]:
    return {
        "ProjectName": p["ProjectName"],
        "Description": p.get("Description", ""),
        "ServiceRole": p.get("ServiceRole", "AliyunIMMDefaultRole"),
        "TemplateId": p.get("TemplateId", ""),
        "CreateTime": iso_time(p["created"]),
        "UpdateTime": iso_time(p["updated"]),
        "DatasetCount": 0,
        "FileCount": 0,
        "TotalFileSize": 0,
        "ProjectMaxDatasetCount": int(p.get("ProjectMaxDatasetCount", 1000000000)),
        "DatasetMaxBindCount": int(p.get("DatasetMaxBindCount", 10)),
        "DatasetMaxFileCount": int(p.get("DatasetMaxFileCount", 100000000)),
        "DatasetMaxEntityCount": int(p.get("DatasetMaxEntityCount", 10000000000)),
        "DatasetMaxRelationCount": int(p.get("DatasetMaxRelationCount", 100000000000)),
        "DatasetMaxTotalFileSize": int(p.get("DatasetMaxTotalFileSize", 90000000000000000)),
        "EngineConcurrency": 10,
        "ProjectQueriesPerSecond": 100,
        "Tags": [],
    }


def parse_oss_uri(uri: str, name: str = "SourceURI") -> tuple[str, str]:
    """``oss://bucket/key`` -> (bucket, key); ``name``: the parameter, for the message."""
    if not uri.startswith("oss://"):
        raise ImmError("InvalidArgument", f"The {name} {uri!r} is not an oss:// URI.")
    bucket, _sep, key = uri[len("oss://") :].partition("/")
    if not bucket or not key:
        raise ImmError("InvalidArgument", f"The {name} {uri!r} needs a bucket and an object key.")
    return bucket, key


def _max_results(p: dict[str, str], *, most: int) -> int:
    """A listing's ``MaxResults``: 0-``most`` (0 or absent: 100), refused outside it; one rule for the
    listings that take one (ListProjects 0-200, ListTasks up to 100)."""
    try:
        limit = int(p.get("MaxResults") or 0)
    except ValueError:
        raise ImmError("InvalidArgument", "MaxResults must be a number.") from None
    if not 0 <= limit <= most:
        raise ImmError("InvalidArgument", f"The MaxResults {limit} is invalid: 0-{most}.")
    return limit or 100


def _time_range(p: dict[str, str], name: str) -> tuple[float | None, float | None] | None:
    """A ``TimeRange`` (``{"Start": ..., "End": ...}``, RFC 3339 times) as POSIX seconds."""
    value = json_param(p, name, dict, required=False)
    if not value:
        return None
    bounds: list[float | None] = []
    for end in ("Start", "End"):
        text = value.get(end)
        if not text:
            bounds.append(None)
            continue
        try:
            bounds.append(_parse_time(str(text)))
        except ValueError:
            raise ImmError("InvalidArgument", f"The {name}.{end} {text!r} is not an RFC 3339 time.") from None
    return bounds[0], bounds[1]


def _parse_time(text: str) -> float:
    """RFC 3339, with IMM's nanoseconds cut to what Python reads."""
    import datetime

    text = text.strip().replace("Z", "+00:00")
    head, dot, rest = text.partition(".")
    if dot:
        digits = "".join(ch for ch in rest if ch.isdigit())
        zone = rest[len(digits):]
        text = f"{head}.{digits[:6]}{zone}"
    parsed = datetime.datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.timezone.utc)
    return parsed.timestamp()


def _in_range(ts: float, bounds: tuple[float | None, float | None] | None) -> bool:
    if bounds is None:
        return True
    start, end = bounds
    return (start is None or ts >= start) and (end is None or ts <= end)


class ImmFront:
    """Answers IMM RPC calls (:meth:`handle`, an aiohttp handler); :meth:`call` runs one action."""

    def __init__(
        self,
        store: LocalStore,
        state: ImmState,
        tasks: TaskRegistry,
        *,
        creds: Credentials,
        faults: Faults,
        decode_watermark: Callable[[Path, dict[str, Any]], dict[str, Any]] | None = None,
        more_actions: dict[str, Callable[[dict[str, str]], dict[str, Any]]] | None = None,
    ) -> None:
        self.store = store
        self.state = state
        self.tasks = tasks
        self.creds = creds
        self.faults = faults
        self.nonces = NonceCache()
        self.decode_watermark = decode_watermark
        self.on_task_created = faults.job_created
        self.ingestions: Ingestions | None = None  # set by install(): batches and triggers
        self._actions: dict[str, Callable[[dict[str, str]], dict[str, Any]]] = {
            "CreateProject": self.create_project,
            "GetProject": self.get_project,
            "ListProjects": self.list_projects,
            "DeleteProject": self.delete_project,
            "AttachOSSBucket": self.attach_bucket,
            "DetachOSSBucket": self.detach_bucket,
            "GetOSSBucketAttachment": self.get_attachment,
            "GetTask": self.get_task,
            "ListTasks": self.list_tasks,
            "CreateDecodeBlindWatermarkTask": self.create_decode_watermark,
            "GetDecodeBlindWatermarkResult": self.get_decode_watermark,
            **(more_actions or {}),  # batches and triggers (imm/batches.py)
        }

    @property
    def actions(self) -> tuple[str, ...]:
        return tuple(self._actions)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        action = request.headers.get("x-acs-action", "")
        request_id = new_imm_request_id()
        decision = self.faults.decide(action)
        host_id = request.host
        try:
            if decision.latency_s:
                await asyncio.sleep(decision.latency_s)
            body = await request.content.read(MAX_RPC_BODY + 1)
            if len(body) > MAX_RPC_BODY:
                raise ImmError("InvalidArgument", "The request body is too large.")
            if decision.error_status is not None:
                code = decision.error_code
                if code == "SlowDown":
                    code = "ServiceUnavailable"
                raise ImmError(code, FAULT_MESSAGES.get(code, code), status=decision.error_status)
            params = dict(request.query)
            ctype = request.headers.get("Content-Type", "")
            if body and ctype.startswith("application/x-www-form-urlencoded"):
                for k, v in parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True):
                    params.setdefault(k, v)
            values: dict[str, list[str]] = {}
            for k, v in request.headers.items():
                values.setdefault(k.lower(), []).append(v)
            await asyncio.to_thread(
                verify_acs3,
                request.method,
                request.raw_path.split("?", 1)[0],
                list(request.query.items()),
                request.headers,
                values,
                body,
                self.creds,
                self.nonces,
            )
            result = await asyncio.to_thread(self.call, action, params)
            result = {"RequestId": request_id, **result}
            return web.json_response(result, headers={"x-acs-request-id": request_id})
        except ImmError as exc:
            err = exc
        except MediaprocError as exc:
            err = imm_error_from(exc)
        except (ConnectionError, asyncio.CancelledError):
            raise
        except Exception as exc:
            log.exception("internal error in IMM %s", action)
            err = ImmError("InternalError", f"{type(exc).__name__}")
        return web.json_response(
            err.body(request_id, host_id), status=err.status, headers={"x-acs-request-id": request_id}
        )

    def call(self, action: str, params: dict[str, str]) -> dict[str, Any]:
        handler = self._actions.get(action)
        if handler is None:
            raise ImmError("InvalidAction.NotFound", "Specified api is not found, please check your url and method.")
        for name in REQUIRED.get(action, ()):
            if not params.get(name):
                raise ImmError("MissingParameter", f"The parameter {name} is required but not provided.")
        return handler(params)

    # -- projects -------------------------------------------------------------------------------
    def create_project(self, p: dict[str, str]) -> dict[str, Any]:
        name = p["ProjectName"]
        if not valid_project_name(name):
            raise ImmError("InvalidArgument", f"The ProjectName {name!r} is invalid: {PROJECT_NAME_RULE}.")
        now = time.time()
        with self.state as st:
            if name in st.projects:
                raise ImmError("ResourceAlreadyExists", "The specified resource Project already exists.")
            rec: dict[str, Any] = {"ProjectName": name, "created": now, "updated": now}
            for k in (
                "Description",
                "ServiceRole",
                "TemplateId",
                "ProjectMaxDatasetCount",
                "DatasetMaxBindCount",
                "DatasetMaxFileCount",
                "DatasetMaxEntityCount",
                "DatasetMaxRelationCount",
                "DatasetMaxTotalFileSize",
            ):
                if p.get(k):
                    rec[k] = p[k]
            st.projects[name] = rec
            st.save()
            return {"Project": _project_view(rec)}

    def get_project(self, p: dict[str, str]) -> dict[str, Any]:
        with self.state as st:
            rec = st.projects.get(p["ProjectName"])
            if rec is None:
                raise _not_found("project")
            return {"Project": _project_view(rec)}

    def list_projects(self, p: dict[str, str]) -> dict[str, Any]:
        """ListProjects (help.aliyun.com/document_detail/478156.html): ``MaxResults`` "取值范围为 0~200。
        不设置此参数或者设置为 0 时，则默认值为 100"; outside that it is refused, as ListBatches and
        ListTasks refuse theirs (it was clamped: -1 listed one project, 500 two hundred)."""
        prefix = p.get("Prefix", "")
        limit = _max_results(p, most=200)
        after = p.get("NextToken", "")
        with self.state as st:
            names = sorted(n for n in st.projects if n.startswith(prefix) and n > after)
            page = names[:limit]
            token = page[-1] if len(names) > limit else ""
            return {"Projects": [_project_view(st.projects[n]) for n in page], "NextToken": token}

    def delete_project(self, p: dict[str, str]) -> dict[str, Any]:
        name = p["ProjectName"]
        with self.state as st:
            if name not in st.projects:
                raise _not_found("project")
            del st.projects[name]
            for bucket in [b for b, rec in st.bindings.items() if rec["ProjectName"] == name]:
                del st.bindings[bucket]
            st.save()
        return {}

    # -- bindings -------------------------------------------------------------------------------
    def attach_bucket(self, p: dict[str, str]) -> dict[str, Any]:
        name, bucket = p["ProjectName"], p["OSSBucket"]
        if not self.store.bucket_exists(bucket):
            raise _not_found("OSSBucket")
        now = time.time()
        with self.state as st:
            if name not in st.projects:
                raise _not_found("project")
            current = st.bindings.get(bucket)
            if current is not None and current["ProjectName"] != name:
                raise ImmError(
                    "ResourceAlreadyExists",
                    f"The OSSBucket {bucket} is already attached to project {current['ProjectName']}.",
                )
            st.bindings[bucket] = {
                "ProjectName": name,
                "Description": p.get("Description", ""),
                "created": current["created"] if current else now,
                "updated": now,
            }
            st.save()
        return {}

    def detach_bucket(self, p: dict[str, str]) -> dict[str, Any]:
        with self.state as st:
            if p["OSSBucket"] not in st.bindings:
                raise _not_found("OSSBucket attachment")
            del st.bindings[p["OSSBucket"]]
            st.save()
        return {}

    def get_attachment(self, p: dict[str, str]) -> dict[str, Any]:
        with self.state as st:
            rec = st.bindings.get(p["OSSBucket"])
            if rec is None:
                raise _not_found("OSSBucket attachment")
            return {
                "ProjectName": rec["ProjectName"],
                "Description": rec.get("Description", ""),
                "CreateTime": iso_time(rec["created"]),
                "UpdateTime": iso_time(rec["updated"]),
            }

    # -- tasks ----------------------------------------------------------------------------------
    def _task(self, p: dict[str, str]) -> Task:
        with self.state as st:
            if p["ProjectName"] not in st.projects:
                raise _not_found("project")
        task = self.tasks.get(p["TaskId"])
        if task is None or task.project != p["ProjectName"] or task.task_type != p["TaskType"]:
            raise _not_found("task")
        return task

    def get_task(self, p: dict[str, str]) -> dict[str, Any]:
        task = self._task(p)
        return task.imm_view(with_definition=p.get("RequestDefinition", "").lower() == "true")

    def list_tasks(self, p: dict[str, str]) -> dict[str, Any]:
        """ListTasks (help.aliyun.com/document_detail/478242.html): ``TaskTypes`` (a JSON list, as
        the SDK sends it), ``Status``, ``TagSelector`` (``k=v``), ``StartTimeRange`` and
        ``EndTimeRange`` (JSON ``{"Start", "End"}``), ``Sort`` TaskId (default), StartTime or
        EndTime, ``Order`` asc (default) or desc, ``MaxResults`` (0, 100] (absent or 0: 100),
        ``NextToken`` and ``RequestDefinition``. The docs point here to find a task by its id
        (CreateDecodeBlindWatermarkTask: "调用 GetTask 或 ListTasks"); serve answered
        ``InvalidAction.NotFound``. The token is the last task id of the page before (the docs call
        it only "翻页标记")."""
        with self.state as st:
            if p["ProjectName"] not in st.projects:
                raise _not_found("project")
        sort = p.get("Sort") or "TaskId"
        if sort not in ("TaskId", "StartTime", "EndTime"):
            raise ImmError("InvalidArgument", f"The Sort {sort!r} is invalid: TaskId, StartTime or EndTime.")
        order = (p.get("Order") or "asc").lower()
        if order not in ("asc", "desc"):
            raise ImmError("InvalidArgument", f"The Order {p.get('Order')!r} is invalid: asc or desc.")
        limit = _max_results(p, most=100)
        types = json_param(p, "TaskTypes", list, required=False)
        started = _time_range(p, "StartTimeRange")
        ended = _time_range(p, "EndTimeRange")
        tag = p.get("TagSelector", "")
        tasks = [
            t
            for t in self.tasks.in_project(p["ProjectName"])
            if (not types or t.task_type in types)
            and (not p.get("Status") or t.status == p["Status"])
            and (not tag or tag in {f"{k}={v}" for k, v in t.imm_view()["Tags"].items()})
            and _in_range(t.start_time, started)
            and (ended is None or (t.end_time is not None and _in_range(t.end_time, ended)))
        ]

        def key(t: Task) -> tuple[Any, ...]:
            value = {"TaskId": 0.0, "StartTime": t.start_time, "EndTime": t.end_time or 0.0}[sort]
            return (value, t.task_id)

        tasks.sort(key=key, reverse=order == "desc")
        if p.get("NextToken"):
            last = self.tasks.get(p["NextToken"])
            if last is None or last.project != p["ProjectName"]:
                raise ImmError("InvalidArgument", "The NextToken is invalid.")
            mark = key(last)
            tasks = [t for t in tasks if (key(t) < mark if order == "desc" else key(t) > mark)]
        page = tasks[:limit]
        with_definition = p.get("RequestDefinition", "").lower() == "true"
        views = []
        for t in page:
            view = t.imm_view(with_definition=with_definition)
            view.pop("ProjectName", None)
            view.pop("EventId", None)
            views.append(view)
        token = page[-1].task_id if len(tasks) > limit else ""
        # MaxResults in the answer is "实际结果数量", the page's length, a string in the SDK's model
        # (ListTasksResponseBody.max_results: str); serve left it out.
        return {"ProjectName": p["ProjectName"], "NextToken": token, "MaxResults": str(len(views)), "Tasks": views}

    def create_decode_watermark(self, p: dict[str, str]) -> dict[str, Any]:
        project = p["ProjectName"]
        problem = decode_watermark_problem(p)  # the values the API pages allow (ops.oss.imm)
        if problem:
            raise ImmError("InvalidArgument", problem)
        with self.state as st:
            if project not in st.projects:
                raise _not_found("project")
        bucket, key = parse_oss_uri(p["SourceURI"])
        for name in ("TargetURI", "OriginalImageURI"):  # "OSS 地址规则为oss://<bucket>/<object>" too
            if p.get(name):
                parse_oss_uri(p[name], name)
        path = self.store.path(bucket, key)  # NoSuchKey/NoSuchBucket -> ResourceNotFound
        decode = self.decode_watermark
        if decode is None:
            raise ImmError("InternalError", "Blind watermark decoding is not available on this server.")
        options = {k: p[k] for k in ("Model", "StrengthLevel", "WatermarkType", "ImageQuality") if p.get(k)}

        def work(progress: Callable[[float], None], _cancel: threading.Event) -> dict[str, Any]:
            progress(10)
            return decode(path, options)

        definition = {k: v for k, v in p.items() if k != "Notification"}
        task_type = str(BLINDWATERMARK_EXTRACT.imm_task)  # DecodeBlindWatermark, the catalogue's
        task = self.tasks.submit(task_type, project, work, definition=definition)
        self.on_task_created(task_type)
        return {"TaskId": task.task_id, "EventId": task.event_id}

    def get_decode_watermark(self, p: dict[str, str]) -> dict[str, Any]:
        task = self._task(p)
        view = task.imm_view()
        view.pop("Progress", None)
        view.pop("Tags", None)
        view["Content"] = (task.result or {}).get("Content", "") if task.status == "Succeeded" else ""
        return view


def install(emulator: Emulator) -> None:
    """Join ``mediaproc serve``: requests naming an ``x-acs-action`` come here. The front is kept as
    ``emulator.fronts["imm"]``."""
    ingestions = Ingestions(
        emulator.store,
        emulator.imm_state,
        emulator.processor,
        emulator.background,
        emulator.events,
        require_binding=emulator.config.require_imm_binding,
    )
    front = ImmFront(
        emulator.store,
        emulator.imm_state,
        emulator.tasks,
        creds=emulator.creds,
        faults=emulator.faults,
        decode_watermark=emulator.processor.decode_watermark,
        more_actions=ingestions.actions,
    )
    front.ingestions = ingestions
    emulator.fronts["imm"] = front
    emulator.add_front(lambda request: "x-acs-action" in request.headers, front.handle)
