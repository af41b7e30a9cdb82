"""One-shot Cloud Infinite requests besides image rules, answered with data (or one snapshot).

``?imageInfo`` (+ ``?exif``) and ``?imageAve`` for ``info`` / ``average-hue``; ``ci-process=AIImageCrop``
and the other AI processes; ``blindwatermark-extract`` (``POST ?image_process`` with ``watermark/4``,
the text read back from the rule's temporary ``fileid`` object); ``ci-process=videoinfo`` and
``ci-process=snapshot``. Each answer is normalised to the OSS JSON shape, so a script reads the same
document whichever cloud made it; that normalisation is what these requests have in common.
"""

from __future__ import annotations

import contextlib
import json
import tempfile
from pathlib import Path
from typing import Any

from mediaproc import xmlbody
from mediaproc.atomic import write_json_atomic
from mediaproc.errors import MediaprocError, ServiceError, UsageError
from mediaproc.i18n import _
from mediaproc.location import Location, temp_key
from mediaproc.ops import cos as enc
from mediaproc.ops.model import Chain
from mediaproc.progress import ProgressCallback
from mediaproc.providers.base import ProcessRequest
from mediaproc.providers.cos.errors import NO_WATERMARK
from mediaproc.providers.cos.rules import CosRules
from mediaproc.results import ProcessResult

MAX_EXTRACTED = 64 * 1024  # an extracted text watermark is at most 256 characters


class CosQueries(CosRules):
    """Cloud Infinite requests that answer with data (see the module doc)."""

    def _json_get(self, bucket: str, key: str, param: str, action: str) -> dict[str, Any]:
        headers, raw = self._call(
            action, self.client.ci_get_image_info, Bucket=bucket, Key=key, Param=param, target=f"cos://{bucket}/{key}"
        )
        try:
            data = json.loads(raw)
        except (TypeError, ValueError):
            raise ServiceError(
                _("COS answered {param} with something that is not JSON").format(param=param),
                hint=_("is the object an image?"),
            ) from None
        if not isinstance(data, dict):
            raise ServiceError(_("unexpected {param} answer").format(param=param), hint=_("is the object an image?"))
        return {"_request_id": headers.get("x-cos-request-id"), **data}

    def _image_meta(self, kind: enc.RequestKind, bucket: str, key: str, request: ProcessRequest) -> ProcessResult:
        if kind is enc.RequestKind.INFO:
            info = self._json_get(bucket, key, "imageInfo", "read the image info")
            exif: dict[str, Any] = {}
            with contextlib.suppress(MediaprocError):
                exif = self._json_get(bucket, key, "exif", "read the EXIF data")
                exif.pop("_request_id", None)
            request_id = info.pop("_request_id", None)
            data: dict[str, Any] = enc.info_from_ci(info, exif)
        else:
            raw = self._json_get(bucket, key, "imageAve", "read the average colour")
            request_id = raw.pop("_request_id", None)
            data = enc.ave_from_ci(raw)
        return self._data_result(data, request, request_id)

    def _data_result(self, data: dict[str, Any], request: ProcessRequest, request_id: str | None) -> ProcessResult:
        dest = request.destination
        source = str(request.source)
        if dest is None:
            return ProcessResult(success=True, mode="data", source=source, data=data, request_id=request_id)
        text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
        if dest.scheme == "cos":
            b, k = self._bucket_of(dest)
            self._call(
                "save the JSON", self.client.put_object, Bucket=b, Body=text.encode("utf-8"), Key=k,
                ContentType="application/json", target=str(dest),
            )  # fmt: skip
            return ProcessResult(
                success=True, mode="save", source=source, target=str(dest), size=len(text.encode()), data=data,
                request_id=request_id,
            )  # fmt: skip
        path = (dest.path or Path()).expanduser()
        size = write_json_atomic(path, data)
        return ProcessResult(
            success=True, mode="file", source=source, target=str(dest), path=str(path.resolve()), size=size,
            data=data, request_id=request_id,
        )  # fmt: skip

    def _ai(self, chain: Chain, bucket: str, key: str, request: ProcessRequest) -> ProcessResult:
        op = chain[-1]
        params = enc.ai_params(op)
        process = params.pop("ci-process")
        headers, data = self._call(
            f"run {op.name}", self.client.ci_process, Bucket=bucket, Key=key, CiProcess=process, Params=params,
            NeedHeader=True, target=f"cos://{bucket}/{key}",
        )  # fmt: skip
        if isinstance(data, (bytes, str)):
            try:
                data = xmlbody.parse(xmlbody.CI_DETECTION, data) if data else {}
            except MediaprocError:
                raise ServiceError(
                    _("COS answered {process} with something that is not XML").format(process=process),
                    hint=_("is the object an image?"),
                ) from None
        request_id = (headers or {}).get("x-ci-request-id") or (headers or {}).get("x-cos-request-id")
        return self._data_result(enc.ai_to_oss(op.name, data or {}), request, request_id)

    def _extract(self, chain: Chain, bucket: str, key: str, request: ProcessRequest) -> ProcessResult:
        """Blind watermark extraction: ``POST ?image_process`` with a ``watermark/4`` rule whose
        ``fileid`` is a temporary key (CI stores the extracted watermark there, and answers nothing
        else for the text type); the text is read from that object, which is then deleted. If the
        object is not UTF-8 text it is kept, and the error names it."""
        rule = enc.extract_rule(chain[-1])
        out_key = temp_key("blindwatermark.txt")
        target = Location(scheme="cos", bucket=bucket, key=out_key)
        keep = False
        try:
            try:
                saved = self.save_rules(bucket, key, [(target, rule)], str(request.source))
            except ServiceError as exc:
                if exc.code != NO_WATERMARK:
                    raise
                raise ServiceError(
                    exc.message,
                    hint=_("the image may carry no text blind watermark, or it was edited too much after embedding"),
                    code=exc.code,
                    request_id=exc.request_id,
                    status=exc.status,
                ) from None
            response = self._call(
                "read the extracted watermark", self.client.get_object, Bucket=bucket, Key=out_key, target=str(target)
            )
            raw = response["Body"].get_raw_stream().read(MAX_EXTRACTED + 1)
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                text = None
            if text is None or "\x00" in text or len(raw) > MAX_EXTRACTED:
                keep = True
                raise ServiceError(
                    _("Cloud Infinite stored the extracted watermark at {location} as {ctype}, not as text").format(
                        location=target, ctype=response.get("Content-Type") or _("binary data")
                    ),
                    hint=_("download it to look at it: mediaproc download {location} .").format(location=target),
                )
        finally:
            if not keep:
                self.delete_quietly(bucket, out_key)
        return self._data_result({"Content": text}, request, saved.request_id)

    def _videoinfo(self, chain: Chain, bucket: str, key: str, request: ProcessRequest) -> ProcessResult:
        data = self._call(
            "read the media info", self.client.get_media_info, Bucket=bucket, Key=key, target=f"cos://{bucket}/{key}"
        )
        infos = data.get("MediaInfo") or []
        info = infos[0] if isinstance(infos, list) and infos else (infos if isinstance(infos, dict) else {})
        kind = "audio" if chain[-1].name == "audio/info" else "video"
        return self._data_result(enc.mediainfo_to_oss(info, kind=kind), request, None)

    def _snapshot(
        self, chain: Chain, bucket: str, key: str, request: ProcessRequest, progress: ProgressCallback | None
    ) -> ProcessResult:
        params = enc.snapshot_params(chain[-1])
        dest = request.destination
        source = str(request.source)
        query = "&".join(f"{k}={v}" for k, v in params.items())
        if dest is None:
            raise UsageError(_("no destination given"), hint=_("add --to FILE or --to cos://BUCKET/KEY"))
        if dest.scheme == "url":
            url = self._presign(bucket, key, request.expires, params)
            return ProcessResult(success=True, mode="url", source=source, url=url, operations=query)
        if dest.scheme == "cos":
            out_bucket, out_key = self._bucket_of(dest)
            with tempfile.TemporaryDirectory(prefix="mediaproc-cos-") as tmp:
                local = Path(tmp) / f"snapshot.{params['format']}"
                size, headers = self._download_to(bucket, key, local, progress, params)
                self._call(
                    "save the snapshot", self.client.upload_file, Bucket=out_bucket, Key=out_key,
                    LocalFilePath=str(local), PartSize=self.PART_SIZE_MB, MAXThread=self.THREADS, target=str(dest),
                )  # fmt: skip
            return ProcessResult(
                success=True, mode="save", source=source, target=str(dest), size=size, format=params["format"],
                request_id=headers.get("x-cos-request-id"), operations=query,
            )  # fmt: skip
        path = (dest.path or Path()).expanduser()
        size, headers = self._download_to(bucket, key, path, progress, params)
        return ProcessResult(
            success=True, mode="file", source=source, target=str(dest), path=str(path.resolve()), size=size,
            format=params["format"], request_id=headers.get("x-cos-request-id"), operations=query,
        )  # fmt: skip
