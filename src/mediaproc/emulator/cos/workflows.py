"""Cloud Infinite media workflows on ``mediaproc serve``: ``/workflow``, ``/triggerworkflow``,
``/workflowexecution`` and the media templates (``/template``) their nodes name.

A workflow whose state is ``Active`` runs on every object a client uploads with COS under its Start
node's prefix that passes its ExtFilter (announced by the COS front, :mod:`mediaproc.emulator.events`;
what serve writes itself never is, so outputs under the prefix do not loop), and
``ci_trigger_workflow`` runs it on one object in any state. Each run is an execution (``RunId``
``i`` + 32 hex) with one task per node, run in topology order: a node after Start works on the
object, a node after another on that node's outputs. Each node's engine work goes through the
server's processing pool (:mod:`mediaproc.emulator.background`): Transcode, Snapshot and Animation
as the ``/jobs`` front runs a job (:meth:`MediaJobs.run_job`), PicProcess as a CI image rule.

Documented (``../shared/CLOUD-BATCH.md`` §2.2-2.5, with their pages): the paths, queries and bodies
as qcloud_cos sends them, ``?active``/``?paused``, update only while Paused, the Create/Describe/
Delete/Trigger answers, executions with ``Tasks{Type, JobId, Name, State, StartTime, EndTime,
Code, Message}``, instance states ``Running``/``Success``/``Failed``, list filters ``states``,
``size`` (max 100), ``orderByTime``, ``jobId``, ``nextToken``. Guesses (marked in docs/serve.md):
a new workflow is ``Paused`` unless its body says Active (the SDK demo's comment); a node type serve
cannot run fails its task with ``NotImplemented`` (the workflow is accepted); error codes for
unknown ids (``NoSuchResource`` 404) and wrong states (``InvalidArgument`` 400); errors carry the
four fields qcloud_cos needs (``Code``, ``Message``, ``Resource``, ``RequestId``); templates keep
only what a node needs. Everything lives in memory for the server's life.
"""

from __future__ import annotations

import asyncio
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from mediaproc import xmlbody
from mediaproc.emulator.background import Background
from mediaproc.emulator.cos.ci import CiProcessing
from mediaproc.emulator.cos.errors import CosError
from mediaproc.emulator.cos.jobs import ci_time
from mediaproc.emulator.cos.media import MediaJobs
from mediaproc.emulator.cos.wire import Gate, headers, parse_xml, read_xml_body, xml_response
from mediaproc.emulator.events import ObjectCreated, ObjectEvents
from mediaproc.errors import MediaprocError
from mediaproc.ops import cos as enc
from mediaproc.ops.cos.workflow import RUNNABLE_NODES, Topology, expand_output, read_topology, template_node
from mediaproc.ops.destination import output_extension
from mediaproc.ops.model import Chain
from mediaproc.providers.local.store import LocalStore

MAX_PAGE = 100
STATES = ("Active", "Paused")


def new_id(letter: str) -> str:
    """CI's ids: a letter (``w`` workflow, ``i`` execution, ``j`` job, ``b`` batch job, ``t``
    template) and 32 hex digits."""
    return letter + secrets.token_hex(16)


def execution_time(ts: float) -> str:
    """Executions' timestamps, as documented: ``2022-08-09T14:54:17+08:00`` (here in UTC)."""
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(ts))


def not_found(kind: str, ident: str) -> CosError:
    return CosError("NoSuchResource", f"The {kind} {ident} does not exist.", status=404)


def invalid(message: str) -> CosError:
    return CosError("InvalidArgument", message)


def page_size(query: dict[str, str], name: str, default: int) -> int:
    try:
        size = int(query.get(name) or default)
    except ValueError:
        raise invalid(f"{name} must be a number.") from None
    if not 1 <= size <= MAX_PAGE:
        raise invalid(f"{name} must be 1-{MAX_PAGE}.")
    return size


@dataclass(eq=False)
class Workflow:
    id: str
    bucket: str
    name: str
    state: str
    topology_doc: dict[str, Any]
    topology: Topology
    created: float = field(default_factory=time.time)
    updated: float = field(default_factory=time.time)

    def view(self) -> dict[str, Any]:
        return {
            "Name": self.name,
            "WorkflowId": self.id,
            "State": self.state,
            "CreateTime": ci_time(self.created),
            "UpdateTime": ci_time(self.updated),
            "Topology": self.topology_doc,
            "BucketId": self.bucket,
        }


@dataclass(eq=False)
class Task:
    type: str
    name: str
    job_id: str = field(default_factory=lambda: new_id("j"))
    state: str = "Running"
    created: float = field(default_factory=time.time)
    end: float | None = None
    code: str = ""
    message: str = ""

    def view(self) -> dict[str, Any]:
        return {
            "Type": self.type,
            "JobId": self.job_id,
            "Name": self.name,
            "State": self.state,
            "CreateTime": execution_time(self.created),
            "StartTime": execution_time(self.created),
            "EndTime": execution_time(self.end) if self.end else "-",
            "Code": self.code or ("Success" if self.state == "Success" else ""),
            "Message": self.message or ("Success" if self.state == "Success" else ""),
        }


@dataclass(eq=False)
class Execution:
    run_id: str
    workflow: Workflow
    key: str
    job_id: str = ""  # the inventory job that started it
    state: str = "Running"
    created: float = field(default_factory=time.time)
    tasks: list[Task] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {
            "RunId": self.run_id,
            "WorkflowId": self.workflow.id,
            "Object": self.key,
            "CreateTime": execution_time(self.created),
            "State": self.state,
        }

    def detail(self) -> dict[str, Any]:
        return {
            **self.summary(),
            "WorkflowName": self.workflow.name,
            "Name": self.workflow.name,
            "Topology": self.workflow.topology_doc,
            "Tasks": [t.view() for t in self.tasks],
        }


class Workflows:
    """The workflow, execution and template requests of one COS front, and the runs they start."""

    def __init__(
        self,
        store: LocalStore,
        region: str,
        gate: Gate,
        media: MediaJobs,
        ci: CiProcessing,
        background: Background,
        events: ObjectEvents | None = None,
    ) -> None:
        self.store = store
        self.region = region
        self.gate = gate
        self.media = media
        self.ci = ci
        self.background = background
        self.workflows: dict[str, Workflow] = {}
        self.executions: dict[str, Execution] = {}
        self.templates: dict[str, dict[str, Any]] = {}
        if events is not None:
            events.subscribe(self._object_created)

    # -- routing (the event loop) -------------------------------------------------------------
    async def route(
        self, request: web.Request, rid: str, bucket: str, path: str, query: dict[str, str]
    ) -> web.StreamResponse:
        method = request.method
        if path == "/workflow" and method == "POST":
            await self.gate.enter("CreateMediaWorkflow")
            return self._answer(rid, {"MediaWorkflow": self._create(bucket, await self._body(request)).view()})
        if path == "/workflow" and method == "GET":
            await self.gate.enter("DescribeMediaWorkflows")
            return self._answer(rid, self._describe(bucket, query))
        if path.startswith("/workflow/"):
            wf = self.workflow(bucket, path[len("/workflow/") :])
            if method == "PUT" and ("active" in query or "paused" in query):
                await self.gate.enter("UpdateMediaWorkflowState")
                wf.state = "Active" if "active" in query else "Paused"
                wf.updated = time.time()
                return self._answer(rid, {"MediaWorkflow": wf.view()})
            if method == "PUT":
                await self.gate.enter("UpdateMediaWorkflow")
                self._update(wf, await self._body(request))
                return self._answer(rid, {"MediaWorkflow": wf.view()})
            if method == "DELETE":
                await self.gate.enter("DeleteMediaWorkflow")
                del self.workflows[wf.id]
                return self._answer(rid, {"WorkflowId": wf.id})
            if method == "GET":
                await self.gate.enter("DescribeMediaWorkflows")
                return self._answer(rid, self._describe(bucket, {"ids": wf.id}))
        if path == "/triggerworkflow" and method == "POST":
            await self.gate.enter("TriggerWorkflow")
            wf = self.workflow(bucket, query.get("workflowId", ""))
            key = query.get("object", "")
            if not key:
                raise invalid("The object parameter is required.")
            await asyncio.to_thread(self.store.head, bucket, key)  # 404 NoSuchKey for a missing object
            return self._answer(rid, {"InstanceId": self.start(wf, key).run_id})
        if path == "/workflowexecution" and method == "GET":
            await self.gate.enter("DescribeWorkflowExecutions")
            return self._answer(rid, self._list_executions(bucket, query))
        if path.startswith("/workflowexecution/") and method == "GET":
            await self.gate.enter("DescribeWorkflowExecution")
            ex = self.executions.get(path[len("/workflowexecution/") :])
            if ex is None or ex.workflow.bucket != bucket:
                raise not_found("workflow execution", path[len("/workflowexecution/") :])
            return self._answer(rid, {"WorkflowExecution": ex.detail()})
        if path == "/template" or path.startswith("/template/"):
            return await self._template_route(request, rid, bucket, path, query)
        raise CosError("MethodNotAllowed", "The specified method is not allowed against this resource.", status=405)

    def _answer(self, rid: str, data: dict[str, Any]) -> web.Response:
        return xml_response(rid, xmlbody.CI_BATCH_ANSWER, {"RequestId": rid, **data}, ci=True)

    async def _body(self, request: web.Request) -> dict[str, Any]:
        return parse_xml(xmlbody.CI_REQUEST, await read_xml_body(request))

    def workflow(self, bucket: str, ident: str) -> Workflow:
        wf = self.workflows.get(ident)
        if wf is None or wf.bucket != bucket:
            raise not_found("workflow", ident or "(none)")
        return wf

    # -- workflows ----------------------------------------------------------------------------
    def _read(self, bucket: str, body: dict[str, Any]) -> tuple[str, str, dict[str, Any], Topology]:
        doc = body.get("MediaWorkflow")
        if not isinstance(doc, dict):
            raise invalid("The request needs MediaWorkflow.")
        name = str(doc.get("Name") or "")
        if not name or len(name) > 128:
            raise invalid("MediaWorkflow/Name is required, at most 128 characters.")
        state = str(doc.get("State") or "Paused")
        if state not in STATES:
            raise invalid("MediaWorkflow/State must be Active or Paused.")
        try:
            topology = read_topology(doc.get("Topology"))
        except MediaprocError as exc:
            raise invalid(exc.message) from None
        for node in topology.nodes.values():
            template = xmlbody.text(node.operation.get("TemplateId"))
            if template and not _inline(node.type, node.operation) and template not in self.templates:
                raise invalid(f"The node {node.name} names the template {template}, which does not exist.")
        return name, state, doc["Topology"], topology

    def _create(self, bucket: str, body: dict[str, Any]) -> Workflow:
        self.store.require_bucket(bucket)
        name, state, doc, topology = self._read(bucket, body)
        wf = Workflow(new_id("w"), bucket, name, state, doc, topology)
        self.workflows[wf.id] = wf
        return wf

    def _update(self, wf: Workflow, body: dict[str, Any]) -> None:
        if wf.state != "Paused":
            raise invalid(f"The workflow {wf.id} is Active: pause it before updating it (documented).")
        wf.name, _state, wf.topology_doc, wf.topology = self._read(wf.bucket, body)
        wf.updated = time.time()

    def _describe(self, bucket: str, query: dict[str, str]) -> dict[str, Any]:
        ids = [i for i in query.get("ids", "").split(",") if i]
        name = query.get("name", "")
        found = [
            w for w in self.workflows.values()
            if w.bucket == bucket and (not ids or w.id in ids) and (not name or w.name == name)
        ]
        found.sort(key=lambda w: w.created, reverse=True)
        number = max(1, int(query.get("pageNumber") or 1)) if (query.get("pageNumber") or "1").isdigit() else 1
        size = page_size(query, "pageSize", 10)
        page = found[(number - 1) * size : number * size]
        out: dict[str, Any] = {
            "TotalCount": str(len(found)),
            "PageNumber": str(number),
            "PageSize": str(size),
            "MediaWorkflowList": [w.view() for w in page],
        }
        missing = [i for i in ids if i not in {w.id for w in found}]
        if missing:
            out["NonExistIDs"] = ",".join(missing)
        return out

    # -- executions ---------------------------------------------------------------------------
    def _object_created(self, event: ObjectCreated) -> None:
        if event.origin != "cos" or event.key.endswith("/"):
            return
        for wf in list(self.workflows.values()):
            if (
                wf.state == "Active" and wf.bucket == event.bucket and event.key.startswith(wf.topology.prefix)
                and wf.topology.accepts(event.key)
            ):
                self.start(wf, event.key)

    def start(self, wf: Workflow, key: str, *, job_id: str = "") -> Execution:
        """Record an execution of ``wf`` on ``key`` and run it in the background."""
        ex = self.new_execution(wf, key, job_id=job_id)
        self.background.spawn(lambda: self.execute(ex))
        return ex

    def new_execution(self, wf: Workflow, key: str, *, job_id: str = "") -> Execution:
        ex = Execution(new_id("i"), wf, key, job_id=job_id)
        self.executions[ex.run_id] = ex
        return ex

    async def execute(self, ex: Execution) -> None:
        """Run every node in topology order; the execution fails when a task does."""
        topology = ex.workflow.topology
        await asyncio.gather(*(self._node(ex, topology, n, [(ex.workflow.bucket, ex.key)]) for n in topology.first))
        ex.state = "Failed" if any(t.state == "Failed" for t in ex.tasks) else "Success"

    async def _node(self, ex: Execution, topology: Topology, name: str, inputs: list[tuple[str, str]]) -> None:
        if name == "End":
            return
        node = topology.nodes[name]
        task = Task(node.type, name)
        ex.tasks.append(task)
        outputs: list[tuple[str, str]] = []
        try:
            for bucket, key in inputs:
                outputs += await self.run_node(node.type, node.operation, bucket, key, ex.run_id, ex.job_id)
        except Exception as exc:  # the task failed, with its reason; the server goes on
            task.state, task.end = "Failed", time.time()
            task.code = getattr(exc, "code", None) or "InternalError"
            task.message = f"{ex.key}: {getattr(exc, 'message', None) or exc}"
            return
        task.state, task.end = "Success", time.time()
        await asyncio.gather(*(self._node(ex, topology, s, outputs) for s in node.successors))

    async def run_node(
        self, kind: str, operation: Any, bucket: str, key: str, run_id: str, job_id: str = ""
    ) -> list[tuple[str, str]]:
        """One node's (or a Job-type inventory job's) work on one object: the outputs it stored."""
        if kind not in RUNNABLE_NODES:
            raise CosError(
                "NotImplemented", f"mediaproc serve does not run {kind} nodes ({', '.join(RUNNABLE_NODES)} only)."
            )
        params = _inline(kind, operation) or self._template(kind, xmlbody.text(operation.get("TemplateId")))
        output = operation.get("Output")
        if not isinstance(output, dict) or not xmlbody.text(output.get("Object")):
            raise invalid(f"The {kind} node needs Operation/Output/Object.")
        out_bucket = xmlbody.text(output.get("Bucket")) or bucket
        if kind == "PicProcess":
            rule = xmlbody.text(params.get("ProcessRule"))
            if not rule:
                raise invalid("The PicProcess node needs PicProcess/ProcessRule (inline or in its template).")
            rule = await self.ci.expand_rule(bucket, rule)  # style/NAME: the bucket's image style
            target = expand_output(
                xmlbody.text(output["Object"]), key=key, run_id=run_id, ext="${Ext}", job_id=job_id
            )
            saved = await self.background.run("cos", self.ci.save_rule, bucket, key, rule, out_bucket, target)
            return [(out_bucket, saved)]
        request: dict[str, Any] = {
            "Tag": kind, "Input": {"Object": key}, "Operation": {kind: params, "Output": dict(output)}
        }
        spec = enc.parse_job_request(request)
        ext = output_extension(Chain(ops=(spec.op,)), key)
        request["Operation"]["Output"]["Object"] = expand_output(
            xmlbody.text(output["Object"]), key=key, run_id=run_id, ext=ext, job_id=job_id
        )
        spec = enc.parse_job_request(request)
        result = await self.background.run("cos", self.media.run_job, bucket, spec, _no_progress, threading.Event())
        files = result["OutputFile"]
        names = files.get("ObjectName") or files.get("SpriteOutputFile", {}).get("ObjectName") or []
        return [(str(files["Bucket"]), str(k)) for k in names]

    def _list_executions(self, bucket: str, query: dict[str, str]) -> dict[str, Any]:
        wf_id = query.get("workflowId", "")
        job_id = query.get("jobId", "")
        if not wf_id and not job_id:
            raise invalid("workflowId is required.")
        states = {s for s in query.get("states", "All").split(",") if s and s != "All"}
        size = page_size(query, "size", 10)
        found = [
            e for e in self.executions.values()
            if e.workflow.bucket == bucket and (not wf_id or e.workflow.id == wf_id)
            and (not job_id or e.job_id == job_id) and (not states or e.state in states)
        ]
        found.sort(key=lambda e: (e.created, e.run_id), reverse=query.get("orderByTime", "Desc") != "Asc")
        start = int(query["nextToken"]) if query.get("nextToken", "").isdigit() else 0
        page = found[start : start + size]
        token = str(start + size) if start + size < len(found) else ""
        return {"WorkflowExecutionList": [e.summary() for e in page], "NextToken": token}

    # -- templates ----------------------------------------------------------------------------
    async def _template_route(
        self, request: web.Request, rid: str, bucket: str, path: str, query: dict[str, str]
    ) -> web.Response:
        method = request.method
        if path == "/template" and method == "POST":
            await self.gate.enter("CreateMediaTemplate")
            body = await self._body(request)
            tag = xmlbody.text(body.get("Tag"))
            if tag not in RUNNABLE_NODES or not xmlbody.text(body.get("Name")):
                raise invalid(f"Tag must be one of {', '.join(RUNNABLE_NODES)} and Name is required.")
            ident = new_id("t")
            now = time.time()
            self.templates[ident] = {"bucket": bucket, "body": body, "created": now, "updated": now}
            return self._answer(rid, {"Template": self._template_view(ident)})
        if path == "/template" and method == "GET":
            await self.gate.enter("DescribeMediaTemplates")
            ids = [i for i in query.get("ids", "").split(",") if i]
            found = [i for i, t in self.templates.items() if t["bucket"] == bucket and (not ids or i in ids)]
            return self._answer(
                rid, {"TotalCount": str(len(found)), "TemplateList": [self._template_view(i) for i in found]}
            )
        ident = path[len("/template/") :]
        record = self.templates.get(ident)
        if record is None or record["bucket"] != bucket:
            raise not_found("template", ident)
        if method == "DELETE":
            await self.gate.enter("DeleteMediaTemplate")
            del self.templates[ident]
            return web.Response(status=200, headers=headers(rid, True))
        raise CosError("MethodNotAllowed", "The specified method is not allowed against this resource.", status=405)

    def _template_view(self, ident: str) -> dict[str, Any]:
        record = self.templates[ident]
        body = record["body"]
        return {
            "TemplateId": ident,
            "Name": body.get("Name"),
            "Tag": body.get("Tag"),
            "State": "Normal",
            "Category": "Custom",
            "BucketId": record["bucket"],
            "CreateTime": ci_time(record["created"]),
            "UpdateTime": ci_time(record["updated"]),
            **{k: v for k, v in body.items() if k not in ("Tag", "Name")},
        }

    def _template(self, kind: str, ident: str) -> dict[str, Any]:
        record = self.templates.get(ident)
        if record is None:
            raise not_found("template", ident or "(none)")
        body = record["body"]
        if xmlbody.text(body.get("Tag")) != kind:
            raise invalid(f"The template {ident} is a {body.get('Tag')} template, not {kind}.")
        return template_node(kind, body)


def _inline(kind: str, operation: Any) -> dict[str, Any]:
    """A node's operation given inline (``Operation/<Type>/...``, as a media job carries it)."""
    node = operation.get(kind) if isinstance(operation, dict) else None
    return dict(node) if isinstance(node, dict) else {}


def _no_progress(_pct: float) -> None:
    """Workflow tasks report no progress (CI's execution tasks have none)."""


__all__ = ["Execution", "Workflow", "Workflows", "execution_time", "new_id"]
