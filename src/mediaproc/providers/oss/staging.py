"""Temporary objects on OSS: which bucket a local source is staged in, and how it is uploaded.

The rule itself (a unique temporary key, removed when no job can read it any more, on every way a
request ends) is shared with COS: :mod:`mediaproc.providers.staging`. What is particular to OSS
stays here: the bucket (the destination's, else ``--bucket``), the 20 MB image limit checked before
the upload, and a delete that tries harder than an ordinary call.
"""

from __future__ import annotations

from pathlib import Path

from mediaproc.errors import UsageError
from mediaproc.i18n import _
from mediaproc.location import Location
from mediaproc.ops.model import Chain, Family
from mediaproc.progress import ProgressCallback
from mediaproc.providers.base import ConcatInput, ProcessRequest
from mediaproc.providers.oss.objects import OssObjects
from mediaproc.providers.staging import Staging, local_source_file, refuse_url_of_staged, work_bucket
from mediaproc.record import replace

CLEANUP_ATTEMPTS = 8  # deleting a temporary object


def _refuse_oversized_image(chain: Chain, path: Path) -> None:
    """A local file over OSS's image-processing source size is refused before it is uploaded: OSS
    would take the upload and then refuse the processing (400 ImageTooLarge)."""
    from mediaproc import limits

    if chain.family not in (Family.IMAGE, Family.META) or not path.is_file():
        return
    limit = limits.OSS["image_source_bytes"]
    size = path.stat().st_size
    if size > limit.value:
        raise limits.exceeded(
            limit,
            _("{path} (OSS image processing)").format(path=str(path)),
            size,
            _("recompress or downscale it first, or process it with --provider local (no such limit)"),
        )


class OssStaging(OssObjects):
    """Uploading local sources to temporary keys (the shared rule: mediaproc.providers.staging)."""

    def _delete_temporary(self, bucket: str, key: str) -> None:
        # idempotent, and a leftover costs the user money and a clean-up: try harder than an ordinary
        # call (8 attempts ride out a long throttling burst)
        self._call(lambda: self.bucket(bucket).delete_object(key), bucket=bucket, key=key, action="DeleteObject",
                   attempts=CLEANUP_ATTEMPTS)

    def _source_object(
        self, src: Location, request: ProcessRequest, run: Staging, progress: ProgressCallback | None
    ) -> tuple[str, str]:
        """The (bucket, key) to process: the object itself, or a temporary upload of a file/URL."""
        if src.scheme == "oss":
            if not src.key or src.key.endswith("/"):
                raise UsageError(
                    _("{src} names no object").format(src=src), hint=_("write oss://BUCKET/KEY with a key")
                )
            return str(src.bucket), src.key
        if src.is_object:
            raise UsageError(
                _("the oss provider cannot read {src}").format(src=src),
                hint=_("download it first, or process it with the matching provider"),
            )
        dest = request.destination
        bucket = work_bucket(dest, "oss", self.settings.bucket)
        if not bucket:
            raise UsageError(
                _("a local source needs a bucket to be uploaded to for OSS processing"),
                hint=_("pass --bucket BUCKET (or set MEDIAPROC_BUCKET), or give --to oss://BUCKET/KEY"),
            )
        refuse_url_of_staged(dest, "oss")
        _refuse_oversized_image(request.chain, Path(str(src.path)).expanduser())
        key = self._stage(src, bucket, run, progress)
        return bucket, key

    def _stage(self, src: Location, bucket: str, run: Staging, progress: ProgressCallback | None) -> str:
        """Upload a local file to a unique temporary key and register it for cleanup.

        URL sources never get here: the service layer (services/sources.py) streams them to a local
        file first, with the size cap, timeouts and redirect bound that apply to every provider."""
        if src.is_url:
            raise UsageError(
                _("the OSS provider takes files and objects; fetch {url} first").format(url=str(src.url).split("?")[0]),
                hint=_("run it through `mediaproc process` (or services.process.execute), which fetches URLs"),
            )
        path = local_source_file(str(src.path))
        return run.stage(bucket, path, lambda b, k, p: self._upload_file(b, k, p, progress, label=_("upload"),
                                                                         temporary=True))

    def _stage_inputs(
        self, inputs: tuple[ConcatInput, ...], bucket: str, run: Staging, progress: ProgressCallback | None
    ) -> tuple[ConcatInput, ...]:
        """Concat inputs that are local files are uploaded next to the source (temporary keys)."""
        staged: list[ConcatInput] = []
        for item in inputs:
            loc = item.location
            if loc.scheme == "oss":
                if loc.bucket != bucket:
                    raise UsageError(
                        _("concat inputs must be in the source's bucket ({bucket}), not {loc}").format(
                            bucket=bucket, loc=loc
                        ),
                        hint=_("copy the input into oss://{bucket}/ first").format(bucket=bucket),
                    )
                staged.append(item)
                continue
            key = self._stage(loc, bucket, run, progress)
            staged.append(replace(item, location=Location("oss", bucket=bucket, key=key)))
        return tuple(staged)
