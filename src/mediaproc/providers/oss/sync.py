"""Sync processing: one ``x-oss-process`` request whose answer is the result.

``GET /<key>?x-oss-process=<ops>`` streamed to a local file (atomically) or returned as JSON
(``mode="data"``); a V4 signed URL carrying ``x-oss-process``; or ``POST /<key>?x-oss-process`` with
``|sys/saveas`` to save in the bucket (sent once: never retried). Nothing waits and nothing is
left running, unlike :mod:`mediaproc.providers.oss.async_process`.
"""

from __future__ import annotations

import json
import time
from pathlib import Path, PurePosixPath

from mediaproc.errors import ServiceError
from mediaproc.i18n import _
from mediaproc.location import Location, temp_key
from mediaproc.progress import ProgressCallback
from mediaproc.providers.base import ProcessRequest, written_image
from mediaproc.providers.oss.objects import OssObjects
from mediaproc.providers.staging import Staging
from mediaproc.record import replace
from mediaproc.results import ProcessResult


def strip_body(body: str, name: str) -> str:
    """oss2 adds ``<name>=`` itself; the encoders return the whole body."""
    prefix = f"{name}="
    return body[len(prefix) :] if body.startswith(prefix) else body


class OssSync(OssObjects):
    """The sync modes of :class:`~mediaproc.providers.oss.provider.OssProvider` (see the module doc)."""

    def _sync_data(self, request: ProcessRequest, bucket: str, key: str, process: str) -> ProcessResult:
        bkt = self.bucket(bucket)

        def fetch() -> tuple[bytes, str]:
            res = bkt.get_object(key, process=process)
            try:
                return res.read(), res.request_id
            finally:
                res.close()

        body, request_id = self._call(fetch, bucket=bucket, key=key, action="GetObject x-oss-process")
        try:
            data = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise ServiceError(
                _("OSS answered {process} with something that is not JSON").format(process=process),
                code="InvalidResponse",
                request_id=request_id,
            ) from None
        dest = request.destination
        if dest is not None and dest.is_local and dest.path is not None:
            from mediaproc.atomic import write_json_atomic

            path = dest.path.expanduser()
            size = write_json_atomic(path, data)
            return ProcessResult(
                success=True, mode="file", source=str(request.source), target=str(dest),
                path=str(path.resolve()), size=size, request_id=request_id, operations=process, data=data,
            )
        return ProcessResult(
            success=True, mode="data", source=str(request.source), request_id=request_id,
            operations=process, data=data,
        )

    def _sync_download(
        self, request: ProcessRequest, bucket: str, key: str, process: str, progress: ProgressCallback | None
    ) -> ProcessResult:
        bkt = self.bucket(bucket)
        dest = request.destination
        assert dest is not None and dest.path is not None
        path = dest.path.expanduser()
        size, request_id = self._stream_to_file(
            lambda _offset: bkt.get_object(key, process=process),
            path, bucket=bucket, key=key, total=None, progress=progress, label=_("download"), resumable=False,
            action="GetObject x-oss-process",  # a 400 is bad input: exit 2 (map_oss_error)
        )
        image = written_image(path)
        return ProcessResult(
            success=True, mode="file", source=str(request.source), target=str(dest),
            path=str(path.resolve()), size=size, request_id=request_id, operations=process,
            format=image.format, width=image.width, height=image.height,
        )

    def _sync_save(self, request: ProcessRequest, bucket: str, key: str, process: str) -> ProcessResult:
        from mediaproc.ops.oss import encode as enc

        dest = request.destination
        assert dest is not None and dest.bucket is not None and dest.key
        if not request.overwrite:
            self._refuse_existing(dest.bucket, dest.key)
        body = strip_body(enc.sync_save_body(request.chain, dest.bucket, dest.key), "x-oss-process")
        bkt = self.bucket(bucket)
        # sys/saveas is idempotent (the same source and chain write the same bytes to the same key),
        # so a throttled or 5xx answer is retried with the policy of every other idempotent call
        # (errors.retry_call); the async process, which starts a job, is the call sent only once.
        res = self._call(lambda: bkt.process_object(key, body), bucket=bucket, key=key,
                         action="PostObject x-oss-process (saveas)")
        return ProcessResult(
            success=True, mode="save", source=str(request.source), target=str(dest),
            size=int(res.fileSize) if res.fileSize else None, request_id=res.request_id,
            generated_keys=(dest.key,), status=(res.process_status or None), operations=process,
        )

    def _saved_then_delivered(
        self, request: ProcessRequest, bucket: str, key: str, process: str, run: Staging,
        progress: ProgressCallback | None,
    ) -> ProcessResult:
        """A chain OSS only saves (``ops.oss.encode.must_save``: the blind watermark) bound for a file
        or a signed URL: saved first with ``sys/saveas``, then downloaded from a temporary object
        (deleted afterwards, however the run ends) or kept under a key the user sees and signed —
        a signed URL to a deleted object would be useless."""
        from mediaproc.ops.oss import encode as enc

        dest = request.destination
        assert dest is not None
        if dest.is_local:
            path = Path(str(dest.path)).expanduser()
            temp = Location("oss", bucket=bucket, key=temp_key(path.name))
            run.add(bucket, str(temp.key))
            saved = self._sync_save(replace(request, destination=temp), bucket, key, process)
            info = self.download(temp, path, progress)
            image = written_image(path)
            return replace(saved, mode="file", target=str(dest), path=str(path.resolve()), size=info.size,
                           generated_keys=(), format=image.format, width=image.width, height=image.height)
        kept = request.save_as or Location("oss", bucket=bucket, key=enc.kept_key(key, request.chain))
        saved = self._sync_save(replace(request, destination=kept), bucket, key, process)
        url = self.sign(kept, expires=request.expires)
        note = _("the watermarked image is kept at {uri} (OSS saves it as a new object; the URL signs it)").format(
            uri=str(kept))
        expires_at = int(time.time()) + int(request.expires)
        return replace(saved, mode="url", target=str(dest), url=url, generated_keys=(str(kept.key),),
                       warnings=(*saved.warnings, note),
                       extra={**saved.extra, "saved_as": str(kept), "expires_at": expires_at})

    def _saved_playlist(
        self, request: ProcessRequest, bucket: str, key: str, process: str, run: Staging,
        progress: ProgressCallback | None,
    ) -> ProcessResult:
        """``hls/m3u8`` bound for a local file. The GET answer's segment lines are URLs relative to
        the source's folder on the service (signed, or transcoded when played): copied to this
        machine, that playlist plays nothing. So the playlist is saved with ``sys/saveas`` into a
        temporary folder, then it and the segments it names are downloaded side by side, as the
        local provider and COS write them, and the temporary objects are deleted however it ends."""
        from mediaproc.ops.destination import playlist_segments

        dest = request.destination
        assert dest is not None and dest.path is not None
        path = Path(str(dest.path)).expanduser()
        temp_playlist = temp_key(path.name)
        folder = str(PurePosixPath(temp_playlist).parent)
        run.add(bucket, temp_playlist)
        saved = self._sync_save(replace(request, destination=Location("oss", bucket=bucket, key=temp_playlist)),
                                bucket, key, process)
        for info in self.list_objects(Location("oss", bucket=bucket, key=folder + "/"), recursive=True):
            if not info.is_prefix:
                run.add(bucket, info.key)
        bkt = self.bucket(bucket)

        def fetch() -> str:
            res = bkt.get_object(temp_playlist)
            try:
                return bytes(res.read()).decode("utf-8", errors="replace")
            finally:
                res.close()

        playlist = self._call(fetch, bucket=bucket, key=temp_playlist, action="GetObject")
        # the segments first, the playlist last: a run that fails part way leaves no playlist that
        # names a missing segment, and removes the segments it wrote
        segments: list[Path] = []
        try:
            for name in playlist_segments(playlist):
                local = path.parent / name
                local.parent.mkdir(parents=True, exist_ok=True)
                self.download(Location("oss", bucket=bucket, key=f"{folder}/{name}"), local, progress)
                segments.append(local)
        except BaseException:
            for done in segments:
                done.unlink(missing_ok=True)
            raise
        from mediaproc.atomic import write_text_atomic

        size = write_text_atomic(path, playlist) + sum(p.stat().st_size for p in segments)
        return replace(saved, mode="file", target=str(dest), path=str(path.resolve()), size=size,
                       generated_keys=(str(path.resolve()), *(str(p.resolve()) for p in segments)), status=None)

    def _sync_url(self, request: ProcessRequest, bucket: str, key: str, process: str) -> ProcessResult:
        url = self.sign(Location("oss", bucket=bucket, key=key), expires=request.expires, process=process)
        return ProcessResult(
            success=True, mode="url", source=str(request.source), target=str(request.destination), url=url,
            operations=process, extra={"expires_at": int(time.time()) + int(request.expires)},
        )
