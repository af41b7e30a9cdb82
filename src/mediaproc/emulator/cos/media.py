"""Cloud Infinite media jobs: ``POST /jobs``, ``GET /jobs[/<id>,...]``, ``PUT /jobs/<id>?cancel``.

Apart from the synchronous CI work because a job outlives its request: it is parsed with
``mediaproc.ops.cos.encoding`` (the module that writes mediaproc's job bodies), queued in
:class:`~mediaproc.emulator.cos.jobs.CosJobs`, run by the local media engine on a worker, and read
back as ``Response/JobsDetail`` (unknown ids in ``NonExistJobIds``). Outputs are published under the
keys CI would write (``${Number}`` numbering, HLS segments beside their playlist).
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any

from aiohttp import web

from mediaproc import limits, xmlbody
from mediaproc.emulator.cos.errors import CosError
from mediaproc.emulator.cos.jobs import CosJob, CosJobs
from mediaproc.emulator.cos.wire import Gate, headers, in_thread, parse_xml, read_xml_body, tmp_path, xml_response
from mediaproc.errors import MediaprocError
from mediaproc.ops import cos as enc
from mediaproc.providers.local.store import LocalStore

# CancelMediaJob and DescribeMediaJob take up to 10 comma-separated ids (436/120620, 436/120621).
MAX_JOB_IDS = 10


class MediaJobs:
    """The ``/jobs`` requests of one COS front; ``on_job_created(tag)`` feeds the server's counters."""

    def __init__(
        self,
        store: LocalStore,
        region: str,
        jobs: CosJobs,
        gate: Gate,
        on_job_created: Callable[[str], None] | None = None,
    ) -> None:
        self.store = store
        self.region = region
        self.jobs = jobs
        self.gate = gate
        self.on_job_created = on_job_created or (lambda _tag: None)

    async def route(
        self, request: web.Request, rid: str, bucket: str, path: str, query: dict[str, str]
    ) -> web.StreamResponse:
        method = request.method
        if path == "/jobs" and method == "POST":
            await self.gate.enter("CreateMediaJobs")
            body = await read_xml_body(request)
            return await in_thread(self._create_job, rid, bucket, body)
        if path == "/jobs" and method == "GET":
            await self.gate.enter("DescribeMediaJobs")
            page, token = self._list_jobs(bucket, query)
            return xml_response(
                rid, xmlbody.CI_JOBS, {"JobsDetail": [j.detail() for j in page], "NextToken": token}, ci=True
            )
        job_ids = path[len("/jobs/") :]
        if method == "PUT" and "cancel" in query:
            await self.gate.enter("CancelMediaJob")
            # CancelMediaJob (cloud.tencent.com/document/api/436/120620): "<jobId> ... 支持传多个，以,分隔，
            # 最多传10个"; serve looked the whole list up as one id (NoSuchJob). All must exist, or none
            # is cancelled.
            ids = [j for j in job_ids.split(",") if j]
            if len(ids) > MAX_JOB_IDS:
                message = f"At most {MAX_JOB_IDS} job ids can be cancelled at once."
                raise CosError("InvalidArgument", message, ci=True)
            missing = [j for j in ids if self.jobs.get(bucket, j) is None]
            if missing or not ids:
                raise CosError("NoSuchJob", f"The job {','.join(missing) or job_ids} does not exist.", ci=True)
            for job_id in ids:
                self.jobs.cancel(bucket, job_id)
            return web.Response(status=200, headers=headers(rid, True))
        if method == "GET":
            await self.gate.enter("DescribeMediaJob")
            found, missing = [], []
            ids = [j for j in job_ids.split(",") if j]
            if len(ids) > MAX_JOB_IDS:  # "一次最多查询10个"; serve answered any number
                raise CosError("InvalidArgument", f"At most {MAX_JOB_IDS} job ids can be queried at once.", ci=True)
            for job_id in ids:
                job = self.jobs.get(bucket, job_id)
                if job is None:
                    missing.append(job_id)
                else:
                    found.append(job.detail())
            data: dict[str, Any] = {"JobsDetail": found}
            if missing:
                data["NonExistJobIds"] = missing
            return xml_response(rid, xmlbody.CI_JOBS, data, ci=True)
        raise CosError("MethodNotAllowed", "The specified method is not allowed against this resource.", ci=True)

    def _list_jobs(self, bucket: str, query: dict[str, str]) -> tuple[list[CosJob], str]:
        """DescribeMediaJobs (cloud.tencent.com/document/product/460/84766): ``tag``, ``states``,
        ``inputObject`` (exact), ``startCreationTime``/``endCreationTime`` (``%Y-%m-%dT%H:%M:%S%z``,
        exclusive), ``orderByTime`` Desc (default) or Asc, ``size`` (default 10, at most 100) and
        ``nextToken`` "用于翻页。上次返回的值". The token is the last job id of the page before; it is
        empty on the last page. serve answered the first ``size`` jobs with an empty token, so a
        client paging through more than one page saw only the first, and ignored the other filters."""
        states = {s for s in query.get("states", "All").split(",") if s and s != "All"} or None
        order = query.get("orderByTime", "Desc") or "Desc"
        if order not in ("Desc", "Asc"):
            raise CosError("InvalidArgument", f"orderByTime {order!r} is not Desc or Asc", ci=True)
        try:
            size = max(1, min(100, int(query.get("size", "10") or 10)))
        except ValueError:
            raise CosError("InvalidArgument", "size is not a number", ci=True) from None
        after = _ci_time_param(query, "startCreationTime")
        before = _ci_time_param(query, "endCreationTime")
        jobs = self.jobs.list(bucket, tag=query.get("tag") or None, states=states, ascending=order == "Asc")
        wanted = query.get("inputObject")
        jobs = [
            j
            for j in jobs
            if (wanted is None or (j.request.get("Input") or {}).get("Object") == wanted)
            and (after is None or j.creation_time > after)
            and (before is None or j.creation_time < before)
        ]
        token = query.get("nextToken") or ""
        if token:  # continue after that job's place in the order, whatever its state is now
            last = self.jobs.get(bucket, token)
            if last is None:
                raise CosError("InvalidArgument", "nextToken is not a value a listing returned", ci=True)
            mark = (last.creation_time, last.job_id)
            if order == "Asc":
                jobs = [j for j in jobs if (j.creation_time, j.job_id) > mark]
            else:
                jobs = [j for j in jobs if (j.creation_time, j.job_id) < mark]
        page = jobs[:size]
        return page, page[-1].job_id if len(jobs) > size else ""

    def _create_job(self, rid: str, bucket: str, body: bytes) -> web.Response:
        self.store.require_bucket(bucket)
        req = parse_xml(xmlbody.CI_JOB_REQUEST, body, ci=True)
        try:
            spec = enc.parse_job_request(req)
        except MediaprocError as exc:
            raise CosError("InvalidArgument", exc.message, ci=True) from None
        work = functools.partial(self.run_job, bucket, spec)
        job = self.jobs.submit(bucket, spec.tag, req, lambda progress, cancel: work(progress, cancel))
        self.on_job_created(spec.tag)
        return xml_response(rid, xmlbody.CI_JOBS, {"JobsDetail": [job.detail()]}, ci=True)

    def run_job(
        self, bucket: str, spec: enc.CosJobSpec, progress: Callable[[float], None], cancel: threading.Event
    ) -> dict[str, Any]:
        """Run one job's operation and publish its outputs (blocking): a ``/jobs`` job in the job
        pool, a workflow node or an inventory job's object in the processing pool. Returns
        ``{"OutputFile": ...}`` as ``JobsDetail/Operation/MediaResult`` shows it."""
        from mediaproc.engine.av import ConcatPart, run_media
        from mediaproc.progress import ProgressEvent

        out_bucket = spec.output_bucket or bucket
        self.store.require_bucket(out_bucket)
        src = self.store.path(bucket, spec.input_key)
        parts = tuple(
            ConcatPart(path=self.store.path(ref.bucket or bucket, ref.key), position=ref.position, ss=ref.ss, t=ref.t)
            for ref in spec.inputs
        )
        target = spec.sprite_key if spec.op.name == "video/sprite" and spec.sprite_key else spec.output_key
        workdir = tmp_path(self.store, "")
        workdir.mkdir(parents=True)

        def report(event: ProgressEvent) -> None:
            if event.fraction is not None:
                progress(event.fraction * 100)

        try:
            name = PurePosixPath(target.replace("${Number}", "n")).name
            if spec.op.name == "video/snapshots":
                dst = workdir / "frames"
            else:
                dst = workdir / name
            with limits.profile("cos"):  # the job pool's threads do not inherit the request's context
                out = run_media(spec.op, src, dst, inputs=parts, progress=report, cancel=cancel)
            files = sorted((Path(p) for p in out.paths), key=_natural)
            keys = self._publish_outputs(out_bucket, spec, target, files, workdir)
        finally:
            import shutil

            shutil.rmtree(workdir, ignore_errors=True)
        output: dict[str, Any] = {"Bucket": out_bucket, "Region": spec.output_region or self.region}
        if spec.op.name == "video/sprite":
            output["SpriteOutputFile"] = {"ObjectName": keys}
        else:
            output["ObjectName"] = keys
        return {"OutputFile": output}

    def _publish_outputs(
        self, bucket: str, spec: enc.CosJobSpec, target: str, files: list[Path], workdir: Path
    ) -> list[str]:
        if "${Number}" in target:
            keys = [target.replace("${Number}", str(i)) for i in range(len(files))]
        elif spec.op.name == "hls/m3u8":
            folder = str(PurePosixPath(target).parent)
            keys = []
            for f in files:
                if f.suffix.lower() == ".m3u8":
                    keys.append(target)
                else:
                    keys.append(f.name if folder in ("", ".") else f"{folder}/{f.name}")
        else:
            keys = [target] if len(files) == 1 else [f"{target}-{i}" for i in range(len(files))]
        for f, k in zip(files, keys, strict=True):
            self.store.put_file(bucket, k, f)
        return keys


def _ci_time_param(query: dict[str, str], name: str) -> float | None:
    """A DescribeMediaJobs time (``2001-01-01T00:00:00+0800``) as a POSIX time; None when absent."""
    text = query.get(name)
    if not text:
        return None
    import datetime

    # The page's example, 2001-01-01T00:00:00+0800, pasted into a URL unencoded reaches here with a
    # space for its "+" (a query decodes "+" as a space): read it as the offset it was.
    text = text.replace(" ", "+")

    try:
        return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S%z").timestamp()
    except ValueError:
        raise CosError("InvalidArgument", f"{name} {text[:40]!r} is not %Y-%m-%dT%H:%M:%S%z", ci=True) from None


def _natural(path: Path) -> tuple[Any, ...]:
    return tuple(int(t) if t.isdigit() else t for t in re.split(r"(\d+)", path.name))
