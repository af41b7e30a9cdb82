"""Media jobs: one ``POST /jobs`` per request, never retried, then ``GET /jobs/<id>`` until done.

The job handle that polls and cancels is :mod:`mediaproc.providers.cos.jobs`; this module submits
(on the job client with ``retry=0``, and with ``Content-Type: application/xml`` set because the SDK
does not), waits, and fetches the outputs when the destination is local. A job may still read its
temporary inputs and write temporary outputs: on a timeout or Ctrl-C it keeps running (the policy
every provider shares, :func:`mediaproc.providers.staging.follow`), and the job journal holds what
``mediaproc job wait JOB_ID`` needs to download the outputs and remove the temporary objects later.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path, PurePosixPath
from typing import Any

from qcloud_cos.cos_exception import CosClientError, CosServiceError

from mediaproc.errors import ConfigError, JobFailed, MediaprocError, NotFound, ServiceError, UsageError
from mediaproc.hygiene import redact
from mediaproc.i18n import _
from mediaproc.journal import Delivery, JobRecord
from mediaproc.location import TEMP_PREFIX, Location, temp_folder
from mediaproc.ops import cos as enc
from mediaproc.ops.destination import sequence_name, sequence_prefix
from mediaproc.ops.model import Chain, Produces
from mediaproc.progress import ProgressCallback
from mediaproc.providers.base import ConcatInput, ProcessRequest
from mediaproc.providers.cos.errors import translate
from mediaproc.providers.cos.jobs import CosJob
from mediaproc.providers.cos.objects import CosObjects
from mediaproc.providers.staging import Staging, follow, submitted
from mediaproc.record import replace
from mediaproc.results import ProcessResult


def _local_output_name(chain: Chain, dest: Location, source_key: str) -> str:
    """The output key's last segment when the result is downloaded afterwards."""
    path = dest.path or Path("result")
    if path.is_dir() or str(path).endswith(("/", os.sep)):
        return PurePosixPath(source_key).stem or "result"
    name = path.name
    if chain.produces is Produces.PLAYLIST and not name.lower().endswith(".m3u8"):
        name += ".m3u8"
    return name


class CosMediaJobs(CosObjects):
    """Media-job submission, waiting and output download (see the module doc)."""

    def job(self, task_id: str) -> CosJob:
        bucket = self.settings.bucket
        if not bucket:
            raise ConfigError(
                _("looking up a COS job needs its bucket"),
                hint=_("pass --bucket BUCKET-APPID (the bucket the job was submitted to)"),
            )
        return CosJob(self.client, bucket, task_id, self._wrap)

    def list_jobs(self, bucket: str, *, tag: str = "Transcode", states: str = "All", size: int = 10) -> list[Any]:
        data = self._call("list jobs", self.client.ci_list_media_jobs, Bucket=bucket, Tag=tag, States=states, Size=size)
        return list(data.get("JobsDetail") or [])

    def _submit(self, bucket: str, body: dict[str, Any], run: Staging) -> tuple[str, str]:
        """Submit once; from the moment the request leaves, the staged inputs are kept (a job may
        read them) unless the service answered with an error (then no job exists). Returns the job
        id and its state as CI answered it (``JobsDetail/State``, mapped to ours: ``--no-wait``
        shows what the service said, never a state it did not report)."""
        run.hold()
        try:
            data = self._job_client.ci_create_media_jobs(
                Bucket=bucket, Jobs=body, Lst={}, ContentType="application/xml"
            )
        except CosServiceError as exc:
            run.release()
            raise translate(exc, action="submit the media job", target=f"cos://{bucket}") from None
        except CosClientError as exc:
            raise ServiceError(
                _("the job submission did not get an answer: {reason}").format(reason=redact(str(exc))[:200]),
                hint=_("it was not retried (a retry can create a second job); check `mediaproc cos jobs list`"),
                code="ClientError",
            ) from None
        details = data.get("JobsDetail") or []
        job_id = str(details[0].get("JobId", "")) if details else ""
        if not job_id:
            raise ServiceError(
                _("COS accepted the job but returned no job id"), hint=_("check `mediaproc cos jobs list`")
            )
        said = str(details[0].get("State") or "Submitted")
        return job_id, enc.JOB_STATES.get(said, "queued")

    def _concat_ref(
        self, item: ConcatInput, bucket: str, run: Staging, progress: ProgressCallback | None
    ) -> enc.ConcatRef:
        loc = item.location
        other: str | None = None
        if loc.scheme == "cos":
            # a fragment is named by its full COS URL, bucket included (ConcatFragment/Url)
            other = loc.bucket if loc.bucket != bucket else None
            key = loc.key or ""
        elif loc.is_local:
            key = run.stage(bucket, self._local_source(loc), lambda b, k, p: self.put_file(b, k, p, progress))
        else:
            raise UsageError(_("concat inputs must be cos:// objects or local files"), hint=_("upload it first"))
        return enc.ConcatRef(key=key, position=item.position, ss=item.ss, t=item.t, bucket=other)

    def _job(
        self,
        chain: Chain,
        bucket: str,
        key: str,
        request: ProcessRequest,
        progress: ProgressCallback | None,
        run: Staging,
    ) -> ProcessResult:
        op = chain[-1]
        dest = request.destination
        source = str(request.source)
        if dest is None:
            raise UsageError(_("no destination given"), hint=_("add --to FILE or --to cos://BUCKET/KEY"))
        out_prefix: str | None = None
        frames_to: tuple[str, str] | None = None  # snapshots: ("cos" | "file", the prefix they are named after)
        if chain.produces is Produces.FILES:
            frames_to = self._frames_prefix(dest, key, run)
        if dest.scheme == "cos":
            out_bucket, out_key = self._bucket_of(dest)
            if frames_to is not None and request.wait:
                # CI numbers frames from 0 (${Number}); they are cut into a temporary folder and
                # renamed to the one rule's serial (<prefix>_0_<n>, n from 1) when the job is done
                out_prefix = temp_folder()
                out_key = out_prefix + "frame"
            elif frames_to is not None:
                out_key = frames_to[1]
                run.warnings.append(_(
                    "with --no-wait the frames keep Cloud Infinite's numbering ({key}-0.jpg, {key}-1.jpg, ...); "
                    "wait for the job to get {key}_0_1.jpg, {key}_0_2.jpg, ..."
                ).format(key=out_key))
        else:
            out_bucket = bucket
            out_prefix = temp_folder()
            out_key = out_prefix + ("frame" if frames_to is not None else _local_output_name(chain, dest, key))
        refs = tuple(self._concat_ref(i, bucket, run, progress) for i in request.inputs)
        body = enc.media_job_request(
            op, input_key=key, bucket=bucket, region=self.region, output_key=out_key, output_bucket=out_bucket,
            inputs=refs,
        )  # fmt: skip
        job_id, submitted_state = self._submit(bucket, body, run)
        job = CosJob(self.client, bucket, job_id, self._wrap)
        entry = self._journal_entry(job_id, bucket, chain, dest, out_prefix, out_key)
        if not request.wait:
            submitted(job_id, entry, run)
            return ProcessResult(
                success=True, mode="submitted", source=source, target=str(dest), task_id=job_id,
                status=submitted_state,
                operations=body["Tag"],
            )  # fmt: skip
        try:
            final = follow(job, timeout=request.timeout, progress=progress, cancel=request.cancel, entry=entry,
                           staging=run, cancellable=self.cancels_jobs)
        except JobFailed:
            self._remove_prefix(out_bucket, out_prefix)
            raise
        keys = list(final.generated_keys)
        if frames_to is not None and out_prefix is not None:
            try:
                return self._name_frames(
                    out_bucket, out_prefix, frames_to, str(op.params.get("f", "jpg")), progress,
                    ProcessResult(success=True, mode="save", source=source, target=str(dest), task_id=job_id,
                                  status=final.state.value, operations=body["Tag"]),
                )
            finally:
                self._remove_prefix(out_bucket, out_prefix)
        if out_prefix is None:
            return ProcessResult(
                success=True, mode="save", source=source, target=str(dest), task_id=job_id,
                status=final.state.value, generated_keys=tuple(keys), operations=body["Tag"],
                elapsed_seconds=final.elapsed_seconds, size=self._saved_size(out_bucket, keys),
            )  # fmt: skip
        try:
            listed = [o.key for o in self.list_objects(Location(scheme="cos", bucket=out_bucket, key=out_prefix))]
            paths = self._download_outputs(out_bucket, sorted(set(listed) | set(keys)), out_key, dest, chain, progress)
        finally:
            self._remove_prefix(out_bucket, out_prefix)
        first = paths[0] if paths else None
        return ProcessResult(
            success=True,
            mode="file",
            source=source,
            target=str(dest),
            path=str(first.resolve()) if first else None,
            size=sum(p.stat().st_size for p in paths),
            task_id=job_id,
            status=final.state.value,
            generated_keys=tuple(str(p) for p in paths) if len(paths) > 1 else (),
            operations=body["Tag"],
        )

    def _saved_size(self, bucket: str, keys: list[str]) -> int | None:
        """The bytes a job saved in the bucket (one HEAD per output), as OSS and the local provider
        report a saved result's size; None when an output cannot be read back."""
        total = 0
        for key in keys:
            try:
                total += self.head(Location(scheme="cos", bucket=bucket, key=key)).size or 0
            except NotFound:
                return None
        return total if keys else None

    def _frames_prefix(self, dest: Location, source_key: str, run: Staging) -> tuple[str, str]:
        """Where snapshots go by the one naming rule (ops.destination): a key prefix in the
        destination bucket, or a local path prefix."""
        source = PurePosixPath(source_key).name
        if dest.scheme == "cos":
            prefix, warning = sequence_prefix(self._bucket_of(dest)[1], source)
            kind = "cos"
        else:
            path = (dest.path or Path()).expanduser()
            target = path.as_posix() + ("/" if dest.folder or path.is_dir() else "")
            prefix, warning = sequence_prefix(target, source)
            kind = "file"
        run.warnings.extend([warning] if warning else [])
        return kind, prefix

    def _name_frames(
        self, bucket: str, out_prefix: str, frames_to: tuple[str, str], fmt: str,
        progress: ProgressCallback | None, result: ProcessResult,
    ) -> ProcessResult:
        """The job's frames (CI's ``${Number}``, from 0) under their names by the one rule (n from 1):
        downloaded to the local prefix, or copied to the destination prefix (through this machine:
        a frame is small) and the temporary folder removed by the caller."""
        import re
        import tempfile

        listed = [o.key for o in self.list_objects(Location(scheme="cos", bucket=bucket, key=out_prefix))]

        def number(k: str) -> int:
            found = re.findall(r"(\d+)", PurePosixPath(k).stem)
            return int(found[-1]) if found else 0

        frames = sorted((k for k in listed if k.lower().endswith("." + fmt)), key=number)
        if not frames:
            raise ServiceError(
                _("the job succeeded but wrote no output"), hint=_("check the source media and the parameters")
            )
        kind, prefix = frames_to
        names = [sequence_name(prefix, n, fmt) for n in range(1, len(frames) + 1)]
        if kind == "file":
            paths = [Path(name) for name in names]
            for k, path in zip(frames, paths, strict=True):
                self._download_to(bucket, k, path, progress)
            return replace(result, mode="file", path=str(paths[0].resolve()),
                           size=sum(p.stat().st_size for p in paths),
                           generated_keys=tuple(str(p.resolve()) for p in paths))
        dest_bucket = bucket
        size = 0
        with tempfile.TemporaryDirectory(prefix="mediaproc-frames-") as tmp:
            for k, name in zip(frames, names, strict=True):
                local = Path(tmp) / "frame"
                got, _headers = self._download_to(bucket, k, local, None)
                self.put_file(dest_bucket, name, local, progress)
                size += got
        return replace(result, size=size, generated_keys=tuple(names))

    def _journal_entry(
        self, job_id: str, bucket: str, chain: Chain, dest: Location, out_prefix: str | None, out_key: str
    ) -> JobRecord:
        """What ``mediaproc job wait JOB_ID`` needs if this run stops waiting (mediaproc.journal);
        a local destination is downloaded the way :meth:`_download_outputs` does it."""
        delivery = None
        if out_prefix is not None and dest.is_local:
            path = (dest.path or Path()).expanduser()
            into_folder = path.is_dir() or chain.produces is Produces.FILES
            folder = path if path.is_dir() or str(dest.path).endswith(("/", os.sep)) else path.parent
            delivery = Delivery(prefix=out_prefix, path=str(path.absolute()), folder=str(folder.absolute()),
                                named_key=None if into_folder else out_key)
        return JobRecord(job_id, "cos", bucket, region=self.region, endpoint=self.settings.endpoint,
                         delivery=delivery)

    def _remove_prefix(self, bucket: str, prefix: str | None) -> None:
        if not prefix or not prefix.startswith(TEMP_PREFIX):
            return
        with contextlib.suppress(MediaprocError):
            for obj in list(self.list_objects(Location(scheme="cos", bucket=bucket, key=prefix))):
                self.delete_quietly(bucket, obj.key)

    def _download_outputs(
        self,
        bucket: str,
        keys: list[str],
        out_key: str,
        dest: Location,
        chain: Chain,
        progress: ProgressCallback | None,
    ) -> list[Path]:
        path = (dest.path or Path()).expanduser()
        folder = path if path.is_dir() or str(dest.path).endswith(("/", os.sep)) else path.parent
        if not keys:
            raise ServiceError(
                _("the job succeeded but wrote no output"), hint=_("check the source media and the parameters")
            )
        out: list[Path] = []
        playlist = chain.produces is Produces.PLAYLIST
        into_folder = path.is_dir() or chain.produces is Produces.FILES
        for k in keys:
            named = k == out_key or (len(keys) == 1 and not playlist)
            target = path if named and not into_folder else folder / PurePosixPath(k).name
            self._download_to(bucket, k, target, progress)
            out.append(target)
        if playlist:
            out.sort(key=lambda p: (p.suffix.lower() != ".m3u8", p.name))
        return out
