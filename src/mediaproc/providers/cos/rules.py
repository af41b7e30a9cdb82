"""Image rules: ``imageMogr2`` chains fetched as a file, signed into a URL, or saved with ``Pic-Operations``.

A rule to a file is ``GET /<key>?<rule>`` (the rule is a query key with an empty value), streamed
atomically; into the bucket it is ``POST /<key>?image_process`` with ``Pic-Operations`` (fileid is
the absolute destination key); for a local source, process on upload: ``PUT`` the file to a
temporary key with ``Pic-Operations``. ``Pic-Operations`` is also how the blind watermark is read
back, so the queries build on this layer.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mediaproc.errors import UsageError
from mediaproc.i18n import _
from mediaproc.location import Location, temp_key
from mediaproc.objectopts import ObjectOptions
from mediaproc.ops import cos as enc
from mediaproc.ops.model import Chain
from mediaproc.progress import ProgressCallback, ProgressEvent
from mediaproc.providers.base import ProcessRequest, written_image
from mediaproc.providers.cos.objects import CosObjects, cos_kwargs
from mediaproc.providers.staging import Staging
from mediaproc.record import replace
from mediaproc.results import ProcessResult


class CosRules(CosObjects):
    """Cloud Infinite image rules (see the module doc)."""

    def _rule(
        self, chain: Chain, bucket: str, key: str, request: ProcessRequest, progress: ProgressCallback | None
    ) -> ProcessResult:
        rule = enc.image_rule(chain.ops, bucket=bucket, region=self.region)
        dest = request.destination
        source = str(request.source)
        if dest is None:
            raise UsageError(_("no destination given"), hint=_("add --to FILE, --to cos://BUCKET/KEY or --url"))
        if dest.scheme == "url":
            url = self._presign(bucket, key, request.expires, enc.rule_params(rule))
            return ProcessResult(success=True, mode="url", source=source, url=url, operations=rule)
        if dest.scheme == "cos":
            return self.save_rules(bucket, key, [(dest, rule)], source)
        path = (dest.path or Path()).expanduser()
        size, headers = self._download_to(bucket, key, path, progress, enc.rule_params(rule))
        image = written_image(path)
        return ProcessResult(
            success=True,
            mode="file",
            source=source,
            target=str(dest),
            path=str(path.resolve()),
            size=size,
            request_id=headers.get("x-cos-request-id"),
            operations=rule,
            format=image.format,
            width=image.width,
            height=image.height,
        )

    def _rules_header(
        self, bucket: str, key: str, targets: list[tuple[Location, str]], *, pic_info: bool = True
    ) -> str:
        rules = []
        for loc, rule in targets:
            dest_bucket, dest_key = self._bucket_of(loc)
            if not dest_key or dest_key.endswith("/"):
                raise UsageError(
                    _("{location} names no object key").format(location=loc),
                    hint=_("write the full key, e.g. cos://BUCKET-APPID/out/result.jpg"),
                )
            item = {"fileid": enc.fileid_for(key, dest_key), "rule": rule}
            if dest_bucket != bucket:
                item["bucket"] = dest_bucket
            rules.append(item)
        return enc.pic_operations(rules, is_pic_info=pic_info)

    def save_rules(
        self, bucket: str, key: str, targets: list[tuple[Location, str]], source: str, *, pic_info: bool = True
    ) -> ProcessResult:
        """``POST /<key>?image_process`` with every rule in one ``Pic-Operations`` header."""
        header = self._rules_header(bucket, key, targets, pic_info=pic_info)
        headers, data = self._call(
            "process the image",
            self.client.ci_image_process,
            Bucket=bucket,
            Key=key,
            PicOperations=header,
            target=f"cos://{bucket}/{key}",
        )
        return self._upload_result(headers, data, targets, source, header)

    def rules_for_file(
        self,
        path: Path,
        bucket: str,
        targets: list[tuple[Location, str]],
        progress: ProgressCallback | None,
        *,
        original: Location | None = None,
        on_upload: bool = False,
        pic_info: bool = True,
        options: ObjectOptions | None = None,
    ) -> ProcessResult:
        """Rules on a local file: processed on upload, keeping the original at ``original`` when
        given; otherwise the file is staged at a temporary key (processed on upload with
        ``on_upload``, by ``POST ?image_process`` after the upload if not), removed however it ends.
        ``options`` (the original's object options) need the upload with ``Pic-Operations``."""
        run = Staging("cos")
        with run.session(self._delete_temporary):
            if original is not None:
                result = self.put_with_rules(path, original.bucket or "", original.key or "", targets, progress,
                                             pic_info=pic_info, options=options)
            elif on_upload:
                key = temp_key(path.name)
                run.sources[(bucket, key)] = str(path)  # an error names the file, not the temporary key
                result = self.put_with_rules(path, bucket, key, targets, progress, run, keep_original=False,
                                             pic_info=pic_info, options=options)
            else:
                key = run.stage(bucket, path, lambda b, k, p: self.put_file(b, k, p, progress))
                result = self.save_rules(bucket, key, targets, str(path), pic_info=pic_info)
        return replace(result, warnings=(*result.warnings, *run.warnings)) if run.warnings else result

    def put_with_rules(
        self,
        path: Path,
        bucket: str,
        key: str,
        targets: list[tuple[Location, str]],
        progress: ProgressCallback | None,
        run: Staging | None = None,
        *,
        keep_original: bool = True,
        pic_info: bool = True,
        options: ObjectOptions | None = None,
    ) -> ProcessResult:
        """Process on upload: ``PUT`` with ``Pic-Operations`` (the COS seed's ``ci_put_object``); the
        original stays at ``key`` unless ``keep_original`` is False (then it is a temporary object of
        ``run``, deleted afterwards). ``options`` are the original's object options (ACL, storage
        class, metadata, headers, EnableMD5, TrafficLimit), sent as the seed sends them."""
        header = self._rules_header(bucket, key, targets, pic_info=pic_info)
        if run is not None and not keep_original:
            run.add(bucket, key)
        size = path.stat().st_size
        with path.open("rb") as fh:
            headers, data = self._call(
                "upload and process",
                self.client.ci_put_object,
                Bucket=bucket,
                Body=fh,
                Key=key,
                PicOperations=header,
                target=f"cos://{bucket}/{key}",
                **cos_kwargs(options or ObjectOptions()),
            )
        if progress is not None:
            progress(ProgressEvent(completed=size, total=size, unit="bytes", label="upload"))
        return self._upload_result(headers, data, targets, str(path), header)

    @staticmethod
    def _upload_result(
        headers: Any, data: Any, targets: list[tuple[Location, str]], source: str, header: str
    ) -> ProcessResult:
        objects = (data or {}).get("ProcessResults", {}).get("Object", [])
        if isinstance(objects, dict):
            objects = [objects]
        first = objects[0] if objects else {}
        keys = tuple(str(o.get("Key", "")) for o in objects)
        rules = [rule for _loc, rule in targets]

        def num(v: Any) -> int | None:
            try:
                return int(v)
            except (TypeError, ValueError):
                return None

        # The UploadResult as the COS seed documents it: OriginalInfo (with ImageInfo when is_pic_info
        # was 1) and ProcessResults/Object for every rule (one dict for one rule, a list for several,
        # values strings), kept whole in ``data``; the top-level size/width/height/format describe
        # the first rule's result, ``results`` lists every rule's, always as a list.
        document = {k: data[k] for k in ("OriginalInfo", "ProcessResults") if isinstance(data, dict) and k in data}
        return ProcessResult(
            success=True,
            mode="save",
            source=source,
            target=str(targets[0][0]) if len(targets) == 1 else ", ".join(str(t[0]) for t in targets),
            size=num(first.get("Size")),
            width=num(first.get("Width")),
            height=num(first.get("Height")),
            format=(str(first.get("Format")) or None) if first else None,
            request_id=(headers or {}).get("x-cos-request-id") or (headers or {}).get("x-ci-request-id"),
            generated_keys=keys if len(keys) > 1 else (),
            operations=" ; ".join(rules),
            data=document or None,
            extra={"pic_operations": json.loads(header), "results": objects},
        )
