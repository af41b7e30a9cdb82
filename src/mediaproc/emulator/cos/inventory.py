"""Cloud Infinite batch ("inventory trigger") jobs on ``mediaproc serve``: ``/inventorytriggerjob``.

A job runs workflows (``Type=Workflow``, ``Operation/WorkflowIds``) or one media operation
(``Type=Job``, ``Operation/Tag`` + ``JobParam`` + ``Output``) over objects already in the bucket:
under ``Input/Prefix`` (with ``Operation/TimeInterval`` on their upload time, documented to apply
to a prefix only), one ``Input/Object``, the keys of a COS inventory ``Input/Manifest``
(``manifest.json`` naming CSV files, gzipped or not, whose second column is the URL-encoded key) or
an ``Input/UrlFile`` (one object URL per line). Each object of a Workflow job is an execution
listed by ``GET /workflowexecution?jobId=<job>`` (documented); at most ``concurrency`` objects are
in flight, through the server's processing pool.

Documented (``../shared/CLOUD-BATCH.md`` §2.6): the paths, the create body, ``JobsDetail`` with
``Code``, ``Message``, ``Name``, ``Type``, ``JobId`` (``b`` + 32 hex), ``State``, ``CreationTime``,
``StartTime``/``EndTime`` (``-`` until known), ``Input``, ``Operation``; states ``Submitted``,
``Running``, ``Success``, ``Failed``, ``Cancel``; list filters; ``PUT ?cancel`` answers 200 with an
empty body. Guesses: the job is ``Success`` once every object has run, whatever each execution's
outcome (the executions carry per-object failures; a Job-type job records the failures in its own
``Message`` as ``<n> of <m> objects failed; first: <key>: <reason>``); ``Failed`` only when the
input cannot be read; cancelling stops new objects, those running finish; the manifest formats.
"""

from __future__ import annotations

import asyncio
import csv
import gzip
import io
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import unquote, urlparse

from aiohttp import web

from mediaproc import xmlbody
from mediaproc.emulator.cos.errors import CosError
from mediaproc.emulator.cos.jobs import ci_time
from mediaproc.emulator.cos.wire import Gate, headers, parse_xml, read_xml_body, xml_response
from mediaproc.emulator.cos.workflows import Workflow, Workflows, invalid, new_id, page_size
from mediaproc.providers.local.store import LocalStore

FINISHED = ("Success", "Failed", "Cancel")


@dataclass(eq=False)
class InventoryJob:
    id: str
    bucket: str
    name: str
    type: str
    input: dict[str, Any]
    operation: dict[str, Any]
    state: str = "Submitted"
    code: str = "Success"
    message: str = "Success"
    created: float = field(default_factory=time.time)
    started: float | None = None
    ended: float | None = None
    workflows: list[Workflow] = field(default_factory=list)

    def detail(self) -> dict[str, Any]:
        return {
            "Code": self.code,
            "Message": self.message,
            "Name": self.name,
            "Type": self.type,
            "JobId": self.id,
            "State": self.state,
            "CreationTime": ci_time(self.created),
            "StartTime": ci_time(self.started) if self.started else "-",
            "EndTime": ci_time(self.ended) if self.ended else "-",
            "Input": self.input,
            "Operation": self.operation,
        }


def _when(text: str, default: float) -> float:
    """A TimeInterval bound: ``2024-01-01T00:00:00+0800`` (documented), ``...+08:00`` or epoch seconds."""
    if not text:
        return default
    if text.isdigit():
        return float(text)
    for fmt in ("%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S"):
        try:
            return datetime.strptime(text, fmt).timestamp()
        except ValueError:
            continue
    raise invalid(f"TimeInterval {text!r} is not a time like 2024-01-01T00:00:00+0800.")


class InventoryJobs:
    """The ``/inventorytriggerjob`` requests of one COS front."""

    def __init__(self, store: LocalStore, gate: Gate, workflows: Workflows) -> None:
        self.store = store
        self.gate = gate
        self.workflows = workflows
        self.jobs: dict[str, InventoryJob] = {}

    async def route(
        self, request: web.Request, rid: str, bucket: str, path: str, query: dict[str, str]
    ) -> web.StreamResponse:
        method = request.method
        path = "/" + path.lstrip("/")  # the SDK lists with the path "inventorytriggerjob"
        if path == "/inventorytriggerjob" and method == "POST":
            await self.gate.enter("CreateInventoryTriggerJob")
            body = parse_xml(xmlbody.CI_REQUEST, await read_xml_body(request))
            created = self._create(bucket, body)
            return self._answer(rid, {"JobsDetail": [created.detail()]})
        if path == "/inventorytriggerjob" and method == "GET":
            await self.gate.enter("DescribeInventoryTriggerJobs")
            return self._answer(rid, self._list(bucket, query))
        ident = path[len("/inventorytriggerjob/") :]
        job = self.jobs.get(ident)
        if job is None or job.bucket != bucket:
            if method == "GET":
                await self.gate.enter("DescribeInventoryTriggerJob")
                return self._answer(rid, {"JobsDetail": [], "NonExistJobIds": ident})
            raise CosError("NoSuchJob", f"The job {ident} does not exist.")
        if method == "PUT" and "cancel" in query:
            await self.gate.enter("CancelInventoryTriggerJob")
            if job.state not in FINISHED:
                job.state, job.code, job.message, job.ended = "Cancel", "Cancel", "The job was cancelled.", time.time()
            return web.Response(status=200, headers=headers(rid, True))
        if method == "GET":
            await self.gate.enter("DescribeInventoryTriggerJob")
            return self._answer(rid, {"JobsDetail": [job.detail()]})
        raise CosError("MethodNotAllowed", "The specified method is not allowed against this resource.", status=405)

    def _answer(self, rid: str, data: dict[str, Any]) -> web.Response:
        return xml_response(rid, xmlbody.CI_BATCH_ANSWER, {"RequestId": rid, **data}, ci=True)

    # -- create, list ---------------------------------------------------------------------------
    def _create(self, bucket: str, body: dict[str, Any]) -> InventoryJob:
        self.store.require_bucket(bucket)
        name = xmlbody.text(body.get("Name"))
        kind = xmlbody.text(body.get("Type")) or "Workflow"
        input_ = body.get("Input")
        operation = body.get("Operation")
        if not name or len(name) > 128:
            raise invalid("Name is required, at most 128 characters.")
        if kind not in ("Workflow", "Job"):
            raise invalid("Type must be Workflow or Job.")
        if not isinstance(input_, dict) or not any(k in input_ for k in ("Prefix", "Object", "Manifest", "UrlFile")):
            raise invalid("Input needs one of Prefix, Object, Manifest or UrlFile.")  # an empty Prefix: all
        if not isinstance(operation, dict):
            raise invalid("Operation is required.")
        job = InventoryJob(new_id("b"), bucket, name, kind, input_, operation)
        if kind == "Workflow":
            ids = [i.strip() for i in xmlbody.text(operation.get("WorkflowIds")).split(",") if i.strip()]
            if not ids:
                raise invalid("Operation/WorkflowIds is required for a Workflow job.")
            job.workflows = [self.workflows.workflow(bucket, i) for i in ids]
        elif not xmlbody.text(operation.get("Tag")) or not isinstance(operation.get("Output"), dict):
            raise invalid("A Job job needs Operation/Tag and Operation/Output.")
        interval = operation.get("TimeInterval")
        interval = interval if isinstance(interval, dict) else {}
        window = (  # documented defaults: from 0 to now
            _when(xmlbody.text(interval.get("Start")), 0.0),
            _when(xmlbody.text(interval.get("End")), job.created),
        )
        self.jobs[job.id] = job
        self.workflows.background.spawn(lambda: self._run(job, window))
        return job

    def _list(self, bucket: str, query: dict[str, str]) -> dict[str, Any]:
        kind = query.get("type") or "Workflow"
        states = {s for s in query.get("states", "All").split(",") if s and s != "All"}
        size = page_size(query, "size", 10)
        wf_id, job_id, name = query.get("workflowId", ""), query.get("jobId", ""), query.get("name", "")
        found = [
            j for j in self.jobs.values()
            if j.bucket == bucket and j.type == kind and (not states or j.state in states)
            and (not job_id or j.id == job_id) and (not name or j.name == name)
            and (not wf_id or any(w.id == wf_id for w in j.workflows))
        ]
        found.sort(key=lambda j: (j.created, j.id), reverse=query.get("orderByTime", "Desc") != "Asc")
        start = int(query["nextToken"]) if query.get("nextToken", "").isdigit() else 0
        page = found[start : start + size]
        token = str(start + size) if start + size < len(found) else ""
        return {"JobsDetail": [j.detail() for j in page], "NextToken": token}

    # -- the run (the event loop) ---------------------------------------------------------------
    async def _run(self, job: InventoryJob, window: tuple[float, float]) -> None:
        if job.state != "Submitted":
            return
        job.state, job.started = "Running", time.time()
        try:
            keys = await asyncio.to_thread(lambda: list(self._keys(job, window)))
        except Exception as exc:  # the input cannot be read: the job fails, with the reason
            if job.state == "Running":
                job.state, job.ended = "Failed", time.time()
                job.code = getattr(exc, "code", None) or "InvalidArgument"
                job.message = str(getattr(exc, "message", None) or exc)
            return
        slots = asyncio.Semaphore(self.workflows.background.concurrency)
        failures: list[str] = []

        async def one(key: str) -> None:
            try:
                if job.type == "Workflow":
                    for wf in job.workflows:
                        await self.workflows.execute(self.workflows.new_execution(wf, key, job_id=job.id))
                else:
                    op = job.operation
                    operation = {**(op.get("JobParam") or {}), "Output": op["Output"]}
                    run_id = new_id("i")
                    tag = xmlbody.text(op.get("Tag"))
                    await self.workflows.run_node(tag, operation, job.bucket, key, run_id, job.id)
            except Exception as exc:
                failures.append(f"{key}: {getattr(exc, 'message', None) or exc}")
            finally:
                slots.release()

        tasks = []
        for key in keys:
            await slots.acquire()
            if job.state != "Running":
                slots.release()
                break
            tasks.append(asyncio.get_running_loop().create_task(one(key)))
        await asyncio.gather(*tasks, return_exceptions=True)
        if job.state == "Running":
            job.state, job.ended = "Success", time.time()
            if failures:
                job.message = f"{len(failures)} of {len(keys)} objects failed; first: {failures[0]}"

    def _keys(self, job: InventoryJob, window: tuple[float, float]) -> Iterator[str]:
        """The job's objects, in order (blocking)."""
        inp = job.input
        if xmlbody.text(inp.get("Object")):
            self.store.head(job.bucket, xmlbody.text(inp["Object"]))
            yield xmlbody.text(inp["Object"])
        elif xmlbody.text(inp.get("Manifest")):
            yield from self._manifest(job.bucket, xmlbody.text(inp["Manifest"]))
        elif xmlbody.text(inp.get("UrlFile")):
            with self.store.open(job.bucket, _object_key(xmlbody.text(inp["UrlFile"]))) as fh:
                for line in fh.read().decode("utf-8").splitlines():
                    if line.strip():
                        yield _object_key(line.strip())
        else:
            start, end = window
            for meta in self.store.iter_objects(job.bucket, xmlbody.text(inp.get("Prefix"))):
                if meta.is_dir_marker or not start <= meta.last_modified <= end:
                    continue
                yield meta.key

    def _manifest(self, bucket: str, manifest: str) -> Iterator[str]:
        with self.store.open(bucket, _object_key(manifest)) as fh:
            try:
                doc = json.loads(fh.read())
            except ValueError:
                raise invalid(f"The manifest {manifest} is not JSON.") from None
        for entry in doc.get("files") or []:
            with self.store.open(bucket, _object_key(str(entry.get("key", "")))) as fh:
                data = fh.read()
            if data[:2] == b"\x1f\x8b":
                data = gzip.decompress(data)
            for row in csv.reader(io.StringIO(data.decode("utf-8"))):
                if len(row) >= 2 and row[1]:
                    yield unquote(row[1])


def _object_key(ref: str) -> str:
    """An object named by key, ``/key`` or a COS URL."""
    if "://" in ref:
        return unquote(urlparse(ref).path.lstrip("/"))
    return ref.lstrip("/")


__all__ = ["InventoryJob", "InventoryJobs"]
