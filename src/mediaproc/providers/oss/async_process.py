"""Async processing: ``x-oss-async-process`` submitted exactly once, then waited on through IMM.

The submission is never retried (a retry can start a second job); when it may or may not have
reached OSS the error says so. The job is waited on through IMM ``GetTask`` in the project bound
to the bucket; only when IMM cannot be used at all does completion fall back to watching the target
object appear, and the result's warnings say so. Results bound for a local file are written to a
temporary key first and downloaded when the job is done. ``blindwatermark-extract`` is IMM's own
``CreateDecodeBlindWatermarkTask``. This is the one part of the provider that leaves work running
in the cloud; what happens to it on Ctrl-C, a timeout or ``--no-wait`` is the policy shared by every
provider (:func:`mediaproc.providers.staging.follow`): the task keeps running, and the job journal
holds what ``mediaproc job wait TASK_ID`` needs, down to the download of a result bound for a file.
"""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath
from typing import Any

import oss2.exceptions as oe

from mediaproc.errors import JobFailed, MediaprocError, NotFound, ServiceError, UsageError
from mediaproc.i18n import _
from mediaproc.journal import Delivery, JobRecord
from mediaproc.location import TEMP_PREFIX, Location, temp_key
from mediaproc.ops.destination import is_sequence_name, sequence_number, sequence_prefix
from mediaproc.ops.model import Chain, Op, Produces
from mediaproc.progress import ProgressCallback
from mediaproc.providers.base import ConcatInput, ProcessRequest
from mediaproc.providers.oss.errors import imm_unreachable, map_oss_error
from mediaproc.providers.oss.staging import OssStaging
from mediaproc.providers.oss.sync import strip_body
from mediaproc.providers.staging import Staging, follow, submitted
from mediaproc.results import ProcessResult


class OssAsync(OssStaging):
    """The async modes and job look-ups of :class:`~mediaproc.providers.oss.provider.OssProvider`."""

    def _run_async(
        self, request: ProcessRequest, bucket: str, key: str, run: Staging, progress: ProgressCallback | None
    ) -> ProcessResult:
        from mediaproc.ops.oss import encode as enc

        chain = request.chain
        op = chain[0]
        dest = request.destination
        local_dest: Path | None = None
        if dest is None or dest.scheme == "url":
            raise UsageError(
                _("{name} runs as an async job that writes its result to the bucket").format(name=op.name),
                hint=_("add --to oss://BUCKET/KEY (or --to FILE to download the result when it is done)"),
            )
        if dest.is_local:
            if not request.wait:
                raise UsageError(
                    _("--no-wait needs the result saved in the bucket"),
                    hint=_("use --to oss://BUCKET/KEY with --no-wait, then `mediaproc download` it"),
                )
            local_dest = Path(str(dest.path)).expanduser()
            out_bucket, out_key = bucket, temp_key(local_dest.name)
            if chain.produces is Produces.FILES:
                # frames are named by the one rule (ops.destination) in a temporary folder, then
                # downloaded beside the local prefix under the same names
                target = local_dest.as_posix() + ("/" if dest.folder or local_dest.is_dir() else "")
                local_prefix, warning = sequence_prefix(target, PurePosixPath(key).name)
                run.warnings.extend([warning] if warning else [])
                local_dest = Path(local_prefix).parent
                out_key = temp_key(PurePosixPath(local_prefix).name)
            out_temp = True
        elif dest.scheme == "oss" and dest.bucket and dest.key is not None:
            out_bucket, out_key = dest.bucket, dest.key
            if chain.produces is Produces.FILES:
                # the target is a prefix OSS numbers (<prefix>_0_<n>.<f>); a folder takes the source's name
                out_key, warning = sequence_prefix(dest.key, PurePosixPath(key).name)
                run.warnings.extend([warning] if warning else [])
            out_temp = False
        else:
            raise UsageError(
                _("cannot save an OSS result to {dest}").format(dest=dest),
                hint=_("save to oss://BUCKET/KEY or a local file"),
            )
        if not request.overwrite and dest.scheme == "oss":
            self._refuse_existing(out_bucket, out_key)
        inputs = self._stage_inputs(request.inputs, bucket, run, progress)
        if inputs:
            run.warnings.extend(self._check_concat(op, bucket, key, inputs))

        project: str | None = None
        if request.wait:
            project = self._project_or_fallback(bucket, run)
        before = self._object_state(out_bucket, out_key, chain.produces) if request.wait and project is None else None

        body = strip_body(
            enc.async_body(chain, out_bucket, out_key, notify_topic=request.notify_topic, inputs=inputs),
            "x-oss-async-process",
        )
        run.hold()  # from here on a job may read them
        bkt = self.bucket(bucket)
        self.credentials.get()
        try:
            res = bkt.async_process_object(key, body)  # exactly once: a retry can duplicate the job
        except oe.ServerError as exc:  # the service answered: no job exists
            run.release()
            raise map_oss_error(exc, bucket=bucket, key=key, action="PostObject x-oss-async-process") from None
        except Exception as exc:
            err = map_oss_error(exc, bucket=bucket, key=key, action="PostObject x-oss-async-process",
                                endpoint=self.endpoints.oss)
            err.hint = _(
                "the request may or may not have reached OSS, so it was not repeated (a repeat could "
                "start a second job); check the target before submitting again"
            )
            raise err from None
        task_id = res.task_id or ""
        request_id = res.request_id or res.async_request_id
        if not task_id:
            raise ServiceError(
                _("OSS accepted the async request but returned no TaskId"),
                hint=_("check the target object later; the request id helps Alibaba Cloud support"),
                code="NoTaskId", request_id=request_id,
            )
        process = enc.process_string(chain)
        target = str(dest)
        if out_temp:
            run.add(out_bucket, out_key, keep=True)
        entry = self._journal_entry(task_id, bucket, project, local_dest, out_key if out_temp else None, chain)
        if not request.wait:
            submitted(task_id, entry, run)
            return ProcessResult(
                success=True, mode="save", source=str(request.source), target=target, request_id=request_id,
                task_id=task_id, status="queued", operations=process, generated_keys=(out_key,),
                extra={"event_id": res.event_id} if res.event_id else {},
            )
        job = self._job_for(task_id, project, out_bucket, out_key, chain.produces, before, request_id)
        final = self._wait(job, request, run, progress, entry)
        keys = self._generated(out_bucket, out_key, chain.produces, str(op.get("f") or "jpg"))
        size = self._size_of(out_bucket, keys)
        if local_dest is not None:
            path, size = self._fetch_results(out_bucket, keys, local_dest, chain.produces, run, progress)
            return ProcessResult(
                success=True, mode="file", source=str(request.source), target=target, path=str(path),
                size=size, request_id=request_id, task_id=task_id, status=final.state.value,
                generated_keys=(
                    tuple(str(path.parent / PurePosixPath(k).name) for k in keys)
                    if len(keys) > 1 or chain.produces is Produces.FILES else ()
                ),
                operations=process,
            )
        return ProcessResult(
            success=True, mode="save", source=str(request.source), target=target, size=size,
            request_id=request_id, task_id=task_id, status=final.state.value, generated_keys=keys,
            operations=process,
        )

    def _project_or_fallback(self, bucket: str, run: Staging) -> str | None:
        try:
            return self._require_project(bucket)
        except MediaprocError as exc:
            if not imm_unreachable(exc):
                raise
            run.warnings.append(
                _(
                    "IMM is not reachable ({reason}); completion is inferred from the target object "
                    "appearing, so a failed job shows up as a timeout and there is no progress"
                ).format(reason=exc.message)
            )
            return None

    def _job_for(
        self, task_id: str, project: str | None, out_bucket: str, out_key: str, output: Produces,
        before: str | None, request_id: str | None,
    ) -> Any:
        from mediaproc.providers.oss.jobs import ImmTaskJob, ObjectAppearanceJob

        if project is not None:
            return ImmTaskJob(self.imm, project, task_id, request_id=request_id, generated_keys=(out_key,))
        return ObjectAppearanceJob(
            task_id, lambda: self._object_state(out_bucket, out_key, output), before, generated_keys=(out_key,)
        )

    def _journal_entry(
        self, task_id: str, bucket: str, project: str | None, local_dest: Path | None, out_key: str | None,
        chain: Chain,
    ) -> JobRecord:
        """What ``mediaproc job wait TASK_ID`` needs if this run stops waiting (mediaproc.journal)."""
        delivery = None
        if local_dest is not None and out_key is not None:
            files = chain.produces is Produces.FILES
            delivery = Delivery(
                prefix=out_key.rsplit("/", 1)[0] + "/", path=str(local_dest.absolute()),
                folder=str((local_dest if files else local_dest.parent).absolute()),
                named_key=None if files else out_key,
            )
        s = self.settings
        return JobRecord(task_id, "oss", bucket, project=project or s.imm_project, region=s.region,
                         endpoint=s.endpoint, imm_endpoint=s.imm_endpoint, delivery=delivery)

    def _wait(
        self, job: Any, request: ProcessRequest, run: Staging, progress: ProgressCallback | None, entry: JobRecord
    ) -> Any:
        """The shared policy (mediaproc.providers.staging.follow); a failure names the service's code."""
        timeout = request.timeout if request.timeout is not None else self.settings.wait_timeout
        try:
            return follow(job, timeout=timeout, progress=progress, cancel=request.cancel, entry=entry,
                          staging=run, cancellable=self.cancels_jobs)
        except JobFailed as exc:
            raise with_service_code(exc, job.task_id) from None

    def _object_state(self, bucket: str, key: str, output: Produces) -> str | None:
        """What the target looks like now (etag[s]), None when absent: the fallback's probe."""
        if output is Produces.FILES:
            keys = [o.key + (o.etag or "") for o in self.list_objects(Location("oss", bucket=bucket, key=key))]
            return "|".join(keys) if keys else None
        try:
            info = self.head(Location("oss", bucket=bucket, key=key))
        except NotFound:
            return None
        return f"{info.etag}:{info.size}:{info.last_modified}"

    def _generated(self, bucket: str, key: str, output: Produces, fmt: str = "jpg") -> tuple[str, ...]:
        if output is Produces.FILES:
            # the service numbers the files after the target prefix: <key>_0_1.jpg, <key>_0_2.jpg, ...
            frames = [
                o.key for o in self.list_objects(Location("oss", bucket=bucket, key=key + "_0_"))
                if not o.is_prefix and is_sequence_name(o.key, key, fmt)
            ]
            return tuple(sorted(frames, key=lambda k: sequence_number(k, key)))
        if output is Produces.PLAYLIST:
            found = tuple(
                o.key for o in self.list_objects(Location("oss", bucket=bucket, key=key))
                if not o.is_prefix and (o.key == key or o.key[len(key):][:1] in ("_", ".", "-", "/"))
            )
            if found:
                return found
        return (key,)

    def _size_of(self, bucket: str, keys: tuple[str, ...]) -> int | None:
        total = 0
        for k in keys:
            try:
                total += self.head(Location("oss", bucket=bucket, key=k)).size or 0
            except NotFound:
                return None
        return total

    def _fetch_results(
        self, bucket: str, keys: tuple[str, ...], local: Path, output: Produces, run: Staging,
        progress: ProgressCallback | None,
    ) -> tuple[Path, int]:
        """Download an async job's temporary output(s) to the local destination, then delete them."""
        for k in keys:
            if k.startswith(TEMP_PREFIX):
                run.add(bucket, k)
        if len(keys) == 1 and output is not Produces.FILES:
            info = self.download(Location("oss", bucket=bucket, key=keys[0]), local, progress)
            return local.resolve(), info.size or 0
        local.mkdir(parents=True, exist_ok=True)
        total = 0
        for k in keys:
            info = self.download(Location("oss", bucket=bucket, key=k), local / PurePosixPath(k).name, progress)
            total += info.size or 0
        # the first file is the result's path (frame 1), as the local provider and COS report it
        return (local / PurePosixPath(keys[0]).name).resolve() if keys else local.resolve(), total

    def _check_concat(self, op: Op, bucket: str, key: str, inputs: tuple[ConcatInput, ...]) -> list[str]:
        """Every input (``/pre`` too) is probed with video/info / audio/info before submission."""
        info_op = "audio/info" if op.name.startswith("audio/") else "video/info"

        def probe(k: str) -> dict[str, Any]:
            bkt = self.bucket(bucket)

            def fetch() -> bytes:
                res = bkt.get_object(k, process=info_op)
                try:
                    return res.read()
                finally:
                    res.close()

            body = self._call(fetch, bucket=bucket, key=k, action=info_op)
            try:
                return json.loads(body.decode("utf-8"))
            except ValueError:
                return {}

        ordered = [str(i.location.key) for i in inputs if i.position == "pre"]
        ordered += [key, *(str(i.location.key) for i in inputs if i.position != "pre")]
        infos = {k: probe(k) for k in ordered}  # in playing order, as the rules expect
        from mediaproc.ops.concat import check_infos

        problems = check_infos(op, infos)
        errors = [p for p in problems if not p.warning]
        if errors:
            from mediaproc.errors import InvalidOperation

            raise InvalidOperation(errors[0].message, hint=errors[0].hint)
        return [p.message for p in problems]

    # blind watermark (IMM) ------------------------------------------------------------------
    def _decode_watermark(
        self, request: ProcessRequest, bucket: str, key: str, run: Staging, progress: ProgressCallback | None
    ) -> ProcessResult:
        from mediaproc.ops.oss.encode import decode_watermark_params
        from mediaproc.providers.oss.jobs import ImmTaskJob

        op = request.chain[0]
        project = self.settings.imm_project or self._require_project(bucket)
        run.hold()
        try:
            created = self.imm.create_decode_blind_watermark_task(
                decode_watermark_params(op, project, f"oss://{bucket}/{key}")
            )
        except MediaprocError as exc:
            if exc.status is not None:
                run.release()
            raise
        task_id = str(created.get("TaskId") or "")
        entry = self._journal_entry(task_id, bucket, project, None, None, request.chain)
        if not request.wait:
            submitted(task_id, entry, run)
            return ProcessResult(
                success=True, mode="data", source=str(request.source), task_id=task_id, status="queued",
                request_id=created.get("RequestId"),
            )
        job = ImmTaskJob(self.imm, project, task_id, request_id=created.get("RequestId"))
        final = self._wait(job, request, run, progress, entry)
        body = self.imm.get_decode_blind_watermark_result(project, task_id)
        data = {"Content": body.get("Content")}
        return ProcessResult(
            success=True, mode="data", source=str(request.source), request_id=body.get("RequestId"),
            task_id=task_id, status=final.state.value, data=data,
        )

    # -- jobs -------------------------------------------------------------------------------
    def job(self, task_id: str) -> Any:
        from mediaproc.providers.oss.jobs import ImmTaskJob, task_type_of

        task_type_of(task_id)  # validate before any network call
        project = self.settings.imm_project
        if not project and self.settings.bucket:
            project = self._require_project(self.settings.bucket)
        if not project:
            raise UsageError(
                _("which IMM project holds task {task_id}?").format(task_id=task_id),
                hint=_("pass --bucket BUCKET (the bucket the job ran on) or --imm-project PROJECT"),
            )
        return ImmTaskJob(self.imm, project, task_id)


def with_service_code(exc: JobFailed, task_id: str) -> JobFailed:
    """The one-line message names the service's code too (the human output shows only the message)."""
    exc.task_id = exc.task_id or task_id
    if exc.code and exc.code not in exc.message:
        exc.message = _("{task_id} failed: {code}: {message}").format(
            task_id=exc.task_id, code=exc.code, message=exc.message
        )
        exc.args = (exc.message,)
    return exc
