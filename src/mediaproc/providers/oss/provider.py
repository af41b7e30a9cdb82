"""The Alibaba Cloud OSS provider: ``oss2`` for objects and processing, IMM for async jobs.

How a request runs (see DESIGN.md for the why):

* Sync chains (image operations, ``video/snapshot``, ``*/info``, ``hls/m3u8``, detection) are one
  ``GET /<key>?x-oss-process=<ops>``: streamed to a local file (atomically), returned as JSON
  (``mode="data"``), or turned into a V4 signed URL carrying ``x-oss-process``. Saving in the bucket is
  ``POST /<key>?x-oss-process`` with ``|sys/saveas`` (sent once: never retried).
* Async chains (``video/convert`` ...) are ``POST /<key>?x-oss-async-process`` submitted exactly once,
  then waited on through IMM ``GetTask`` in the project bound to the bucket (found with
  ``GetOSSBucketAttachment``, cached per bucket for the life of the process). Only when IMM cannot be
  used at all do we fall back to watching the target object appear — the result's warnings say so.
  ``blindwatermark-extract`` is IMM's own ``CreateDecodeBlindWatermarkTask``.
* A local file (or URL) as the source is uploaded to ``.mediaproc-tmp/<uuid>/<name>`` in the bucket
  and deleted afterwards, also on error and Ctrl-C — except while an async job may still read it
  (``--no-wait``, a timeout, Ctrl-C while waiting, an unanswered submission): then it is kept, its
  key is reported (``temporary_keys`` in the result / the error hint) and written to the job journal,
  so that ``mediaproc job wait TASK_ID`` removes it once the job has ended (the rule and the policy
  are shared with COS: :mod:`mediaproc.providers.staging`). A bucket lifecycle rule expiring the
  ``.mediaproc-tmp/`` prefix after a day catches the rest; ``mediaproc doctor`` reports leftovers.

Every network call has a timeout; idempotent calls are retried (``oss_errors.retry_call``); every
SDK error becomes a :mod:`mediaproc.errors` class; the SDK loggers are silenced unless ``--debug``
and scrubbed of signatures even then.

The class is assembled from layers, one module each, every layer built on the one below:
``clients`` (SDK clients, retries, error mapping, IMM binding) -> ``objects`` (transfers and the
object API) -> ``staging`` (temporary uploads of local sources) and ``sync`` (``x-oss-process``)
-> ``async_process`` (``x-oss-async-process`` and IMM tasks). What stays here is the entry point:
one request, routed to its mode, with the temporary objects settled however it ends.
"""

from __future__ import annotations

import time

from mediaproc.errors import MediaprocError, UsageError
from mediaproc.i18n import _
from mediaproc.ops.model import Mode, Produces
from mediaproc.ops.styles import name_missing
from mediaproc.progress import ProgressCallback
from mediaproc.providers.base import ProcessRequest, no_destination
from mediaproc.providers.oss.async_process import OssAsync
from mediaproc.providers.oss.errors import name_missing_watermark
from mediaproc.providers.oss.styles import OssStyles
from mediaproc.providers.oss.sync import OssSync
from mediaproc.providers.staging import Staging
from mediaproc.record import replace
from mediaproc.results import ProcessResult


class OssProvider(OssAsync, OssSync, OssStyles):
    name = "oss"
    cancels_jobs = False  # IMM has no API to cancel a task started by x-oss-async-process

    def process(self, request: ProcessRequest, progress: ProgressCallback | None = None) -> ProcessResult:
        started = time.monotonic()
        run = Staging("oss")
        with run.session(self._delete_temporary):
            bucket: str | None = None
            try:
                bucket, key = self._source_object(request.source, request, run, progress)
                result = self._dispatch(request, bucket, key, run, progress)
            except MediaprocError as exc:
                exc = self._unbound(exc, request, bucket)
                raise name_missing(name_missing_watermark(exc, request.chain), request.chain) from None
        extra = dict(result.extra)
        kept = run.kept
        if kept:
            extra["temporary_keys"] = kept
        return replace(
            result,
            provider=self.name,
            warnings=(*result.warnings, *run.warnings),
            elapsed_seconds=round(time.monotonic() - started, 3),
            extra=extra,
        )

    def _unbound(self, exc: MediaprocError, request: ProcessRequest, bucket: str | None) -> MediaprocError:
        """A request IMM runs (``ops.validate.needs_imm``: HLS, detection, smart crop ...) refused with
        a 400 is asked once whether the bucket is bound to an IMM project, and when it is not, that is
        the error (exit 3, with the ``imm setup`` that fixes it), as the async operations report it
        before submitting. The service's own code for an unbound bucket is unverified, so its answer
        is not read; any other refusal, or an IMM that cannot be asked, keeps the original error."""
        from mediaproc.errors import bucket_not_bound
        from mediaproc.ops.validate import needs_imm

        if bucket is None or exc.status != 400 or not needs_imm(request.chain):
            return exc
        try:
            project = self.bound_project(bucket, refresh=True)
        except MediaprocError:
            return exc
        return exc if project else bucket_not_bound(bucket)

    def _dispatch(
        self, request: ProcessRequest, bucket: str, key: str, run: Staging, progress: ProgressCallback | None
    ) -> ProcessResult:
        chain = request.chain
        if any(op.name == "blindwatermark-extract" for op in chain):
            return self._decode_watermark(request, bucket, key, run, progress)
        if chain.mode is Mode.ASYNC:
            return self._run_async(request, bucket, key, run, progress)
        from mediaproc.ops.oss import encode as enc

        process = enc.process_string(chain)
        dest = request.destination
        if chain.produces is Produces.JSON:
            return self._sync_data(request, bucket, key, process)
        if dest is None:
            raise no_destination(chain)
        if enc.must_save(chain) and (dest.scheme == "url" or dest.is_local):
            return self._saved_then_delivered(request, bucket, key, process, run, progress)
        if dest.scheme == "url":
            return self._sync_url(request, bucket, key, process)
        if dest.is_local and chain.produces is Produces.PLAYLIST:
            return self._saved_playlist(request, bucket, key, process, run, progress)
        if dest.is_local:
            return self._sync_download(request, bucket, key, process, progress)
        if dest.scheme == "oss":
            return self._sync_save(request, bucket, key, process)
        raise UsageError(
            _("cannot save an OSS result to {dest}").format(dest=dest),
            hint=_("save to oss://BUCKET/KEY or a local file, then copy it"),
        )
