"""The COS + Cloud Infinite front of ``mediaproc serve``: what qcloud_cos talks to offline.

``CosConfig(Region=r, IP='127.0.0.1', Port=p, Scheme='http')`` sends every request - COS object
calls and CI calls alike - to the server with ``Host: <bucket>.cos.<region>.myqcloud.com``
(SPEC.md §6), so the front reads the bucket from Host, checks the signature
(``emulator/cos/auth.py``) and routes by path: ``/jobs`` and ``/jobs/<id>`` are media jobs
(:mod:`.media`), ``/`` is the bucket, anything else an object (:mod:`.storage`, which hands CI work
on an object to :mod:`.ci`). Buckets and objects are the shared folder store
(``providers/local/``), so OSS and COS clients see the same buckets. One entry point turns
whatever a handler raised into COS's error answer, so every path answers errors alike.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import Executor
from typing import TYPE_CHECKING

from aiohttp import web

from mediaproc.emulator.admission import Admission
from mediaproc.emulator.background import Background
from mediaproc.emulator.cos import auth, checks
from mediaproc.emulator.cos.ci import CiProcessing
from mediaproc.emulator.cos.errors import CosError, from_mediaproc, new_request_id
from mediaproc.emulator.cos.inventory import InventoryJobs
from mediaproc.emulator.cos.jobs import CosJobs
from mediaproc.emulator.cos.media import MediaJobs
from mediaproc.emulator.cos.storage import ObjectStorage
from mediaproc.emulator.cos.styles import CosStyles
from mediaproc.emulator.cos.wire import HOST_RE, Gate, drain, error_response, first_values, is_cos_host
from mediaproc.emulator.cos.workflows import Workflows
from mediaproc.emulator.events import ObjectEvents
from mediaproc.emulator.faults import Faults
from mediaproc.errors import MediaprocError
from mediaproc.providers.local.store import LocalStore

COS_REGION = "ap-guangzhou"  # the region the front answers in (any <bucket>.cos.<region> host is served)

if TYPE_CHECKING:
    from mediaproc.emulator.server import Emulator

log = logging.getLogger("mediaproc.serve.cos")


class CosFront:
    """Serves the COS wire protocol over a :class:`LocalStore`. ``handle`` is an aiohttp handler."""

    def __init__(
        self,
        store: LocalStore,
        credentials: auth.CosCredentials,
        *,
        region: str = COS_REGION,
        workers: int = 2,
        executor: Executor | None = None,
        job_start_delay: float = 0.0,
        faults: Faults | None = None,
        admission: Admission | None = None,
        background: Background | None = None,
        events: ObjectEvents | None = None,
    ) -> None:
        self.store = store
        self.credentials = credentials
        self.region = region
        self.jobs = CosJobs(workers=workers, executor=executor, start_delay=job_start_delay)
        self.gate = Gate(faults)  # the server's Faults, when installed there
        self.ci = CiProcessing(
            store, region, self.gate, secret_of=lambda ak: self.credentials.keys[ak], admission=admission
        )
        self.media = MediaJobs(
            store, region, self.jobs, self.gate, on_job_created=None if faults is None else faults.job_created
        )
        self.styles = CosStyles(store, self.gate)
        self.ci.styles = self.styles
        self.storage = ObjectStorage(store, region, self.gate, self.ci)
        self.events = events
        self.workflows = Workflows(
            store, region, self.gate, self.media, self.ci, background or Background(self.ci.admission), events
        )
        self.inventory = InventoryJobs(store, self.gate, self.workflows)

    @property
    def requests(self) -> dict[str, int]:
        """Requests served, per operation name."""
        return self.gate.requests

    def close(self) -> None:
        self.jobs.shutdown()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        rid = new_request_id()
        host = request.headers.get("Host", "")
        m = HOST_RE.match(host.lower())
        path = request.path
        resource = f"{host.split(':')[0]}{path}"
        is_ci = path == "/jobs" or path.startswith("/jobs/")
        batch = _batch_route(path)  # workflows, executions, templates, inventory jobs
        try:
            if not m:
                raise CosError("InvalidRequest", f"{host!r} is not a COS bucket host", ci=is_ci)
            bucket = m.group("bucket")
            query = first_values(request.query)
            headers = {k: v for k, v in request.headers.items()}
            ak = auth.verify(request.method, path, query, headers, self.credentials, ci=is_ci)
            if is_ci:
                return await self.media.route(request, rid, bucket, path, query)
            if batch == "inventory":
                return await self.inventory.route(request, rid, bucket, path, query)
            if batch:
                return await self.workflows.route(request, rid, bucket, path, query)
            if path == "/" and "style" in query:  # CI image styles (the pic host)
                return await self.styles.route(request, rid, bucket)
            if path == "/":
                return await self.storage.bucket_route(request, rid, bucket, query)
            key = path[1:]
            checks.object_key(request.raw_path, key)
            response = await self.storage.object_route(request, rid, bucket, key, query, ak)
            if self.events is not None and response.status == 200 and _creates(request.method, query):
                self.events.created("cos", bucket, key)
            return response
        except CosError as err:
            await drain(request)
            return error_response(err, rid, resource, request.method)
        except MediaprocError as exc:
            return error_response(from_mediaproc(exc, ci=is_ci), rid, resource, request.method)
        except (ConnectionError, asyncio.CancelledError):
            raise
        except Exception as exc:  # a bug: answer like the service would, keep the traceback in the log
            log.exception("internal error in the COS front (%s %s)", request.method, path)
            internal = CosError("InternalError", f"{type(exc).__name__}", ci=is_ci)
            return error_response(internal, rid, resource, request.method)


_BATCH_PATHS = {
    "workflow": "workflows",
    "triggerworkflow": "workflows",
    "workflowexecution": "workflows",
    "template": "workflows",
    "inventorytriggerjob": "inventory",
}


def _batch_route(path: str) -> str | None:
    """Which batch API a CI path belongs to (``/workflow``, ``/workflow/<id>`` ...), None for others.
    Routed by path, as every CI call reaches serve with the bucket's COS Host (SPEC.md §6)."""
    return _BATCH_PATHS.get(path.strip("/").split("/", 1)[0])


def _creates(method: str, query: dict[str, str]) -> bool:
    """Whether a successful object request created an object (PUT Object, PUT Object - Copy,
    CompleteMultipartUpload): announced to CI workflows (emulator/events.py)."""
    if method == "PUT":
        return not any(k in query for k in ("acl", "tagging", "partNumber", "uploadId"))
    return method == "POST" and "uploadId" in query


def make_app(front: CosFront) -> web.Application:
    """A standalone aiohttp app serving only the COS front (tests; ``mediaproc serve`` mounts the
    front beside the OSS one)."""
    app = web.Application(client_max_size=1024**3)

    async def _close(_app: web.Application) -> None:
        front.close()

    app.router.add_route("*", "/{tail:.*}", front.handle)
    app.on_cleanup.append(_close)
    return app


def install(emulator: Emulator) -> None:
    """Join ``mediaproc serve``: requests whose Host is a COS/CI virtual host come here, with the
    same keys, store and worker count as the Alibaba fronts. The front is kept as
    ``emulator.fronts["cos"]`` (tests adjust its ``jobs.start_delay`` and ``credentials``)."""
    creds = auth.CosCredentials({emulator.config.access_key_id: emulator.config.access_key_secret})
    front = CosFront(
        emulator.store,
        creds,
        workers=emulator.config.job_threads,
        faults=emulator.faults,
        admission=emulator.admission,
        background=emulator.background,
        events=emulator.events,
    )
    emulator.fronts["cos"] = front
    emulator.add_front(lambda request: is_cos_host(request.headers.get("Host")), front.handle, front.close)
