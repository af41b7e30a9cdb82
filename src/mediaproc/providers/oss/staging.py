"""Temporary objects: a local source uploaded into the bucket for the run, and removed after it.

OSS processes only objects, so a local file (and each local concat input) is uploaded to
``.mediaproc-tmp/<uuid>/<name>`` and deleted afterwards, also on error and Ctrl-C, except while an
async job may still read it (``--no-wait``, a timeout, Ctrl-C while waiting, an unanswered
submission): then it is kept and its key is reported (``temporary_keys`` in the result, the error
hint). This bookkeeping spans the whole run (a :class:`Run` per request) and every way it can end,
which is why it is kept apart from the code that processes the object.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from mediaproc.errors import MediaprocError, NotFound, UsageError
from mediaproc.i18n import _
from mediaproc.location import Location
from mediaproc.ops.model import Chain, Family
from mediaproc.progress import ProgressCallback
from mediaproc.providers.base import ConcatInput, ProcessRequest
from mediaproc.providers.oss.objects import OssObjects

TEMP_PREFIX = ".mediaproc-tmp/"
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


@dataclass
class Temp:
    """A temporary object this run created; ``keep`` while an async job may still read it."""

    bucket: str
    key: str
    keep: bool = False


@dataclass
class Run:
    """What one request leaves to settle when it ends: its temporary objects and its warnings."""

    temps: list[Temp] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _joined(first: str | None, more: str) -> str:
    """``first; more``, keeping the English twin of translated messages (JSON output uses it)."""
    if not first:
        return more
    from mediaproc.i18n import Message

    return Message(f"{first}; {more}", f"{getattr(first, 'en', first)}; {getattr(more, 'en', more)}")


class OssStaging(OssObjects):
    """Uploading local sources to temporary keys, and removing them when no job needs them."""

    def _finish_temps(self, run: Run, exc: MediaprocError | None) -> None:
        """Delete temporary objects no job can still read; report the ones kept."""
        kept: list[str] = []
        for t in run.temps:
            uri = f"oss://{t.bucket}/{t.key}"
            if t.keep:
                kept.append(uri)
                continue
            try:
                # idempotent, and a leftover costs the user money and a clean-up: try harder than
                # an ordinary call (8 attempts ride out a long throttling burst)
                def delete(temp: Temp = t) -> Any:
                    return self.bucket(temp.bucket).delete_object(temp.key)

                self._call(delete, bucket=t.bucket, key=t.key, action="DeleteObject", attempts=CLEANUP_ATTEMPTS)
            except Exception as err:  # never mask the real outcome; say what is left behind
                msg = _("could not delete the temporary object {uri}: {error}").format(
                    uri=uri, error=getattr(err, "message", None) or type(err).__name__
                )
                run.warnings.append(msg)
                if exc is not None:
                    exc.details.setdefault("temporary_keys", []).append(uri)
        if kept:
            folders = list(dict.fromkeys(uri.rsplit("/", 1)[0] + "/" for uri in kept))  # one uuid folder each
            note = _(
                "temporary object(s) {keys} are kept while the job may still use them; once it is done, "
                "delete them with {commands}"
            ).format(keys=", ".join(kept), commands=" and ".join(f"`mediaproc rm -r {f}`" for f in folders))
            if exc is not None:
                exc.details.setdefault("temporary_keys", []).extend(kept)
                exc.hint = _joined(exc.hint, note)
            else:
                run.warnings.append(note)

    def _source_object(
        self, src: Location, request: ProcessRequest, run: Run, progress: ProgressCallback | None
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
        bucket = dest.bucket if dest is not None and dest.scheme == "oss" else self.settings.bucket
        if not bucket:
            raise UsageError(
                _("a local source needs a bucket to be uploaded to for OSS processing"),
                hint=_("pass --bucket BUCKET (or set MEDIAPROC_BUCKET), or give --to oss://BUCKET/KEY"),
            )
        if dest is not None and dest.scheme == "url":
            raise UsageError(
                _("a signed URL of a local file's result would point at a temporary object"),
                hint=_("upload the file first (`mediaproc upload FILE oss://BUCKET/KEY`), then process that"),
            )
        _refuse_oversized_image(request.chain, Path(str(src.path)).expanduser())
        key = self._stage(src, bucket, run, progress)
        return bucket, key

    def _stage(self, src: Location, bucket: str, run: Run, progress: ProgressCallback | None) -> str:
        """Upload a local file to a unique temporary key and register it for cleanup.

        URL sources never get here: the service layer (services/sources.py) streams them to a local
        file first, with the size cap, timeouts and redirect bound that apply to every provider."""
        if src.is_url:
            raise UsageError(
                _("the OSS provider takes files and objects; fetch {url} first").format(url=str(src.url).split("?")[0]),
                hint=_("run it through `mediaproc process` (or services.process.execute), which fetches URLs"),
            )
        name = Path(str(src.path)).name
        key = f"{TEMP_PREFIX}{uuid.uuid4().hex}/{name}"
        temp = Temp(bucket, key)
        path = Path(str(src.path)).expanduser()
        if not path.is_file():
            raise NotFound(
                _("source {path} does not exist").format(path=path),
                hint=_("check the path (relative paths start in {cwd})").format(cwd=Path.cwd()),
            )
        run.temps.append(temp)
        self._upload_file(bucket, key, path, progress, label=_("upload"), temporary=True)
        return key

    def _stage_inputs(
        self, inputs: tuple[ConcatInput, ...], bucket: str, run: Run, progress: ProgressCallback | None
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
