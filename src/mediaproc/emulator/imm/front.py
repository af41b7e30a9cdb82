"""IMM (Intelligent Media Management, API 2020-09-30) on the same port, routed by ``x-acs-action``.

The official client (``alibabacloud_imm20200930`` over tea-openapi) sends RPC-style
``POST /?<params>`` requests signed with ``ACS3-HMAC-SHA256``; parameters travel in the query (a
form body is read too). Responses are JSON; errors use POP's shape (``RequestId``, ``HostId``,
``Code``, ``Message``, ``Recommend``) with IMM's codes (``ResourceNotFound`` 404,
``ResourceAlreadyExists`` 409, ``InvalidArgument`` 400, ``MissingParameter`` 400).

Projects and bucket bindings persist in ``root/.mediaproc/imm/state.json`` so a restarted server
keeps them; tasks persist through :mod:`mediaproc.emulator.jobs`.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mediaproc.emulator.errors import ImmError
from mediaproc.emulator.jobs import Task, TaskRegistry, iso_time
from mediaproc.providers.local.store import LocalStore

_PROJECT_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,127}$")

# What each action needs, for MissingParameter before anything else happens.
REQUIRED: dict[str, tuple[str, ...]] = {
    "CreateProject": ("ProjectName",),
    "GetProject": ("ProjectName",),
    "DeleteProject": ("ProjectName",),
    "AttachOSSBucket": ("ProjectName", "OSSBucket"),
    "DetachOSSBucket": ("OSSBucket",),
    "GetOSSBucketAttachment": ("OSSBucket",),
    "GetTask": ("ProjectName", "TaskType", "TaskId"),
    "CreateDecodeBlindWatermarkTask": ("ProjectName", "SourceURI"),
    "GetDecodeBlindWatermarkResult": ("ProjectName", "TaskType", "TaskId"),
}


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


def parse_oss_uri(uri: str) -> tuple[str, str]:
    """``oss://bucket/key`` -> (bucket, key)."""
    if not uri.startswith("oss://"):
        raise ImmError("InvalidArgument", f"The URI {uri!r} is not an oss:// URI.")
    bucket, _sep, key = uri[len("oss://") :].partition("/")
    if not bucket or not key:
        raise ImmError("InvalidArgument", f"The URI {uri!r} needs a bucket and an object key.")
    return bucket, key


class ImmFront:
    """Dispatches IMM actions. Handlers are blocking; the server runs them in a worker thread."""

    def __init__(
        self,
        store: LocalStore,
        state: ImmState,
        tasks: TaskRegistry,
        *,
        decode_watermark: Callable[[Path, dict[str, Any]], dict[str, Any]] | None = None,
        on_task_created: Callable[[str], None] | None = None,
    ) -> None:
        self.store = store
        self.state = state
        self.tasks = tasks
        self.decode_watermark = decode_watermark
        self.on_task_created = on_task_created or (lambda _t: None)
        self._actions: dict[str, Callable[[dict[str, str]], dict[str, Any]]] = {
            "CreateProject": self.create_project,
            "GetProject": self.get_project,
            "ListProjects": self.list_projects,
            "DeleteProject": self.delete_project,
            "AttachOSSBucket": self.attach_bucket,
            "DetachOSSBucket": self.detach_bucket,
            "GetOSSBucketAttachment": self.get_attachment,
            "GetTask": self.get_task,
            "CreateDecodeBlindWatermarkTask": self.create_decode_watermark,
            "GetDecodeBlindWatermarkResult": self.get_decode_watermark,
        }

    @property
    def actions(self) -> tuple[str, ...]:
        return tuple(self._actions)

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
        if not _PROJECT_RE.match(name):
            raise ImmError(
                "InvalidArgument",
                f"The ProjectName {name!r} is invalid: 1-128 letters, digits, '_' or '-', starting with a letter.",
            )
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
        prefix = p.get("Prefix", "")
        try:
            limit = max(1, min(200, int(p.get("MaxResults") or 100)))
        except ValueError:
            raise ImmError("InvalidArgument", "MaxResults must be a number.") from None
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

    def create_decode_watermark(self, p: dict[str, str]) -> dict[str, Any]:
        project = p["ProjectName"]
        with self.state as st:
            if project not in st.projects:
                raise _not_found("project")
        bucket, key = parse_oss_uri(p["SourceURI"])
        path = self.store.path(bucket, key)  # NoSuchKey/NoSuchBucket -> ResourceNotFound
        decode = self.decode_watermark
        if decode is None:
            raise ImmError("InternalError", "Blind watermark decoding is not available on this server.")
        options = {k: p[k] for k in ("Model", "StrengthLevel", "WatermarkType", "ImageQuality") if p.get(k)}

        def work(progress: Callable[[float], None], _cancel: threading.Event) -> dict[str, Any]:
            progress(10)
            return decode(path, options)

        definition = {k: v for k, v in p.items() if k != "Notification"}
        task = self.tasks.submit("DecodeBlindWatermark", project, work, definition=definition)
        self.on_task_created("DecodeBlindWatermark")
        return {"TaskId": task.task_id, "EventId": task.event_id}

    def get_decode_watermark(self, p: dict[str, str]) -> dict[str, Any]:
        task = self._task(p)
        view = task.imm_view()
        view.pop("Progress", None)
        view.pop("Tags", None)
        view["Content"] = (task.result or {}).get("Content", "") if task.status == "Succeeded" else ""
        return view
