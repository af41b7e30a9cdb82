"""The Tencent COS provider: Cloud Infinite rules, ``Pic-Operations``, media jobs, objects.

Everything goes through qcloud_cos (cos-python-sdk-v5); the modules of this package are the only
ones that import it. What is sent is built by ``mediaproc.ops.cos`` - the same encoder
``--dry-run`` shows and ``mediaproc serve`` reads back.

How each request is made (SPEC.md §6):

- image chain to a file: ``GET /<key>?<rule>`` (the rule is a query key with an empty value),
  streamed into a temporary file beside the destination and renamed into place;
- image chain into the bucket: ``POST /<key>?image_process`` with ``Pic-Operations`` (fileid is
  the absolute destination key); for a local source, process on upload: ``PUT`` the file to a
  temporary key with ``Pic-Operations``, then delete the temporary original;
- signed URL: ``get_presigned_url`` with the rule as a signed parameter;
- ``info`` / ``average-hue``: ``?imageInfo`` (+ ``?exif``) / ``?imageAve``, normalised to OSS JSON;
- ``crop g=auto``: ``ci-process=AIImageCrop`` (its own query parameters, or a Pic-Operations rule);
- ``blindwatermark-extract``: ``POST ?image_process`` with ``watermark/4``, the text read back from
  the rule's temporary ``fileid`` object;
- ``video/snapshot`` / ``video/info``: ``ci-process=snapshot`` / ``ci-process=videoinfo``;
- other media operations: one ``POST /jobs`` per request, never retried (a second attempt could
  create a second job: the job client has ``retry=0``, and ``Content-Type: application/xml`` is set
  because the SDK does not), then ``GET /jobs/<id>`` until done (:mod:`mediaproc.jobs`).

A local source goes to ``.mediaproc-tmp/<uuid>/<name>`` in the bucket and is deleted afterwards,
on error and Ctrl-C too - but never while a job still reads it: Ctrl-C or a timeout leaves the job
running, and ``mediaproc job wait JOB_ID`` removes it once the job has ended (the rule and the policy
are shared with OSS: :mod:`mediaproc.providers.staging`).

The SDK's logger is silenced (it logs the Authorization header and derived signing keys
at DEBUG); with ``--debug`` it logs at INFO through a filter that redacts signatures and tokens.

The class is assembled from layers, one module each, every layer built on the one below:
``clients`` (SDK clients, error mapping, SDK logging) -> ``objects`` (transfers, signed URLs,
temporary keys) -> ``rules`` (image rules, ``Pic-Operations``) -> ``queries`` (info, AI, watermark
text, media info, snapshots); ``media_jobs`` sits on ``objects``. What stays here is the entry point:
one request, its local source staged and removed, routed by the kind of request the chain needs.
"""

from __future__ import annotations

import time
from typing import Any

from mediaproc.errors import ConfigError, MediaprocError, UsageError
from mediaproc.i18n import _
from mediaproc.ops import cos as enc
from mediaproc.ops.styles import name_missing
from mediaproc.progress import ProgressCallback
from mediaproc.providers.base import ProcessRequest
from mediaproc.providers.cos.media_jobs import CosMediaJobs
from mediaproc.providers.cos.queries import CosQueries
from mediaproc.providers.cos.styles import CosStyles
from mediaproc.providers.staging import Staging, refuse_url_of_staged, work_bucket
from mediaproc.record import replace
from mediaproc.results import ProcessResult


class CosProvider(CosQueries, CosMediaJobs, CosStyles):
    name = "cos"

    def _work_bucket(self, request: ProcessRequest) -> str:
        """Where a local source is uploaded: the source's bucket (an object is processed where it is),
        else the destination's or --bucket (:func:`~mediaproc.providers.staging.work_bucket`)."""
        if request.source.scheme == "cos" and request.source.bucket:
            return request.source.bucket
        bucket = work_bucket(request.destination, "cos", self.settings.bucket)
        if bucket:
            return bucket
        raise ConfigError(
            _("a local file needs a COS bucket to be processed in"),
            hint=_("pass --bucket BUCKET-APPID (it receives a temporary copy that is deleted afterwards)"),
        )

    def process(self, request: ProcessRequest, progress: ProgressCallback | None = None) -> ProcessResult:
        self._setup()
        chain = request.chain
        src = request.source
        dest = request.destination
        kind = enc.request_kind(chain)
        if src.is_url:
            raise UsageError(
                _("the cos provider processes objects, not URLs"),
                hint=_("download the file first, or upload it with `mediaproc upload`"),
            )
        if src.scheme != "cos":
            refuse_url_of_staged(dest, "cos")
        bucket = src.bucket if src.scheme == "cos" and src.bucket else self._work_bucket(request)
        warnings = enc.check_chain(chain, bucket=bucket, region=self.region)
        if kind is enc.RequestKind.JOB and dest is not None and dest.scheme == "url":
            raise UsageError(
                _("--url is not available for COS media jobs"),
                hint=_("save with --to cos://BUCKET-APPID/KEY, then `mediaproc sign` the result"),
            )
        if kind is enc.RequestKind.JOB and not request.wait and (src.is_local or (dest is not None and dest.is_local)):
            raise UsageError(
                _("--no-wait needs a cos:// source and a cos:// destination"),
                hint=_("a local file is staged in a temporary object that is removed when the job ends; keep --wait"),
            )
        started = time.monotonic()
        run = Staging("cos")
        with run.session(self._delete_temporary):
            try:
                result = self._route(kind, request, bucket, run, progress)
            except MediaprocError as exc:
                raise name_missing(exc, chain) from None
        return self._finish(result, [*warnings, *run.warnings], started)

    def _route(
        self,
        kind: enc.RequestKind,
        request: ProcessRequest,
        bucket: str,
        run: Staging,
        progress: ProgressCallback | None,
    ) -> ProcessResult:
        """The request by kind, on the source object or on a temporary copy of a local source."""
        chain, src, dest = request.chain, request.source, request.destination
        if src.scheme == "cos":
            key = src.key or ""
        else:
            path = self._local_source(src)
            if kind is enc.RequestKind.RULE and dest is not None and dest.scheme == "cos":  # processed on upload
                rule = enc.image_rule(chain.ops, bucket=bucket, region=self.region)
                return self.rules_for_file(path, bucket, [(dest, rule)], progress, on_upload=True)
            key = run.stage(bucket, path, lambda b, k, p: self.put_file(b, k, p, progress))
        if kind is enc.RequestKind.RULE:
            return self._rule(chain, bucket, key, request, progress)
        if kind in (enc.RequestKind.INFO, enc.RequestKind.AVE):
            return self._image_meta(kind, bucket, key, request)
        if kind is enc.RequestKind.AI:
            return self._ai(chain, bucket, key, request)
        if kind is enc.RequestKind.EXTRACT:
            return self._extract(chain, bucket, key, request)
        if kind is enc.RequestKind.VIDEOINFO:
            return self._videoinfo(chain, bucket, key, request)
        if kind is enc.RequestKind.SNAPSHOT:
            return self._snapshot(chain, bucket, key, request, progress)
        return self._job(chain, bucket, key, request, progress, run)

    @staticmethod
    def _finish(result: ProcessResult, warnings: list[str], started: float) -> ProcessResult:
        changes: dict[str, Any] = {"provider": "cos"}
        if warnings:
            changes["warnings"] = (*result.warnings, *warnings)
        if result.elapsed_seconds is None:
            changes["elapsed_seconds"] = round(time.monotonic() - started, 3)
        return replace(result, **changes)
