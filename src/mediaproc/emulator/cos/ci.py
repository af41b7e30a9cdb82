"""Cloud Infinite processing of stored objects: image rules, ``Pic-Operations``, ``ci-process``.

Everything CI computes synchronously from one object, answered in CI's documented shapes:
``UploadResult`` (``OriginalInfo``, ``ProcessResults/Object``) for ``Pic-Operations``,
``Response/MediaInfo`` for ``ci-process=videoinfo``, JSON for ``imageInfo``/``exif``/``imageAve``.
Rules are read back with ``mediaproc.ops.cos.encoding`` (the module that writes them) and run by
the local engine, so an emulated result is what the local provider makes of the same chain.

The intelligent image rules run on the local vision engine: ``ci-process=AIImageCrop`` (GET or
Pic-Operations rule) and ``imageMogr2/scrop`` through the chain engine (smart crop, face crop),
``watermark/3/type/3`` (text blind watermark) likewise, and ``watermark/4/type/3`` - in
Pic-Operations only, as documented - stores the extracted text at the rule's ``fileid``. The work
is blocking: the async entry points hand it to a worker thread.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from aiohttp import web

from mediaproc import limits, xmlbody
from mediaproc.emulator.admission import Admission, Busy
from mediaproc.emulator.cos import auth
from mediaproc.emulator.cos.errors import CosError
from mediaproc.emulator.cos.wire import CONTENT_TYPES, Gate, etag, headers, in_thread, tmp_path, xml_response
from mediaproc.errors import MediaprocError, UnsupportedOperation
from mediaproc.ops import cos as enc
from mediaproc.providers.local.store import LocalStore

if TYPE_CHECKING:
    from mediaproc.emulator.cos.styles import CosStyles
    from mediaproc.engine.image.result import ImageOutput
    from mediaproc.ops.model import Op

P = ParamSpec("P")
T = TypeVar("T")
AI_NAMES = {v: k for k, v in enc.AI_PROCESS.items()}  # ci-process value -> mediaproc operation
AI_IMAGE_CROP_KEYS = ("ci-process", "width", "height", "fixed")  # the signature's parameters stay out


class CiProcessing:
    """CI requests on the objects of one COS front; ``secret_of(ak)`` signs private playlist URLs."""

    def __init__(
        self,
        store: LocalStore,
        region: str,
        gate: Gate,
        secret_of: Callable[[str], str],
        admission: Admission | None = None,
    ) -> None:
        self.store = store
        self.region = region
        self.gate = gate
        self.secret_of = secret_of
        self.admission = admission or Admission()
        self.styles: CosStyles | None = None  # set by the front: style/NAME rules are expanded here

    async def run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Processing work in the server's processing pool under CI's limits (``limits.COS``); a full
        pool and queue is ``503 SlowDown`` with ``Retry-After`` (:mod:`mediaproc.emulator.admission`)."""
        try:
            return await self.admission.run("cos", fn, *args, **kwargs)
        except Busy as busy:
            raise CosError(
                "SlowDown", "Please reduce your request rate.", ci=True, headers={"Retry-After": str(busy.retry_after)}
            ) from None

    def source(self, bucket: str, key: str) -> Path:
        """An image-processing source, after its size passed CI's limit (32 MB): checked on the file
        before anything reads it."""
        path = self.store.path(bucket, key)
        limits.check("image_source_bytes", path.stat().st_size, f"The source image {key}")
        return path

    # -- requests ---------------------------------------------------------------------------------------
    async def image_process(self, request: web.Request, rid: str, bucket: str, key: str) -> web.Response:
        """``POST ?image_process``: the ``Pic-Operations`` rules on an object already stored."""
        pic = request.headers.get("Pic-Operations")
        if not pic:
            raise CosError("InvalidArgument", "Pic-Operations header is required", ci=True)
        await request.read()
        pic = await self.expand_pic_operations(bucket, pic)
        result = await self.run(self.process_rules, bucket, key, pic)
        return xml_response(rid, xmlbody.CI_UPLOAD_RESULT, result, ci=True)

    async def answer_get(
        self, rid: str, bucket: str, key: str, query: dict[str, str], ak: str
    ) -> web.StreamResponse | None:
        """The answer to a GET with ``ci-process=`` or ``?imageInfo``/``exif``/``imageAve``; None if
        the GET asks for neither."""
        process = query.get("ci-process")
        if process == "snapshot":
            await self.gate.enter("GetSnapshot")
            data, fmt = await self.run(self._snapshot, bucket, key, query)
            return web.Response(
                body=data, content_type=CONTENT_TYPES.get(fmt, "image/jpeg"), headers=headers(rid, True)
            )
        if process == "videoinfo":
            await self.gate.enter("GetMediaInfo")
            info = await self.run(self._videoinfo, bucket, key)
            return xml_response(rid, xmlbody.CI_MEDIA_INFO, {"MediaInfo": info}, ci=True)
        if process == "pm3u8":
            await self.gate.enter("GetPrivateM3U8")
            text = await in_thread(self._pm3u8, bucket, key, query, ak)
            return web.Response(
                body=text.encode("utf-8"), content_type="application/x-mpegURL", headers=headers(rid, True)
            )
        if process in AI_NAMES:
            await self.gate.enter(process)
            root, body = await self.run(self._detect, bucket, key, AI_NAMES[process], query)
            return xml_response(rid, xmlbody.CI_DETECTION.with_root(root), body, ci=True)
        if process == enc.AI_IMAGE_CROP:
            await self.gate.enter(process)
            rule = "&".join(f"{k}={query[k]}" for k in AI_IMAGE_CROP_KEYS if k in query)
            data, fmt = await self.run(self._process_to_bytes, bucket, key, rule)
            return web.Response(
                body=data,
                content_type=CONTENT_TYPES.get(fmt, "application/octet-stream"),
                headers=headers(rid, True),
            )
        if process:
            raise CosError("InvalidArgument", f"ci-process={process} is not supported by the emulator", ci=True)
        for name in ("imageInfo", "exif", "imageAve"):
            if name in query:
                await self.gate.enter(f"Get{name[0].upper()}{name[1:]}")
                data_json = await self.run(self._image_meta, bucket, key, name)
                return web.Response(
                    body=json.dumps(data_json).encode(),
                    content_type="application/json",
                    headers=headers(rid, True),
                )
        return None

    async def answer_rule(self, rid: str, bucket: str, key: str, query: dict[str, str]) -> web.StreamResponse | None:
        """The answer to a GET whose query is a processing rule (``?imageMogr2/...``); None if not."""
        rules = [k for k in query if enc.is_rule(k) or k.lower().startswith("style/")]
        if rules:
            rules[0] = await self.expand_rule(bucket, rules[0])
        if rules and rules[0].lstrip("/").startswith("watermark/4"):
            raise CosError(
                "InvalidArgument", "blind watermark extraction runs through Pic-Operations (PUT or POST)", ci=True
            )
        if rules:
            await self.gate.enter("GetObjectProcessed")
            data, fmt = await self.run(self._process_to_bytes, bucket, key, rules[0])
            return web.Response(
                body=data,
                content_type=CONTENT_TYPES.get(fmt, "application/octet-stream"),
                headers=headers(rid, True),
            )
        return None

    async def expand_rule(self, bucket: str, rule: str) -> str:
        """A rule with ``style/NAME`` replaced by the stored rule (in the main process, before the work)."""
        return rule if self.styles is None else await self.styles.expand(bucket, rule)

    async def expand_pic_operations(self, bucket: str, header: str) -> str:
        """The header with its ``style/NAME`` rules replaced (in the main process, before the work)."""
        return header if self.styles is None else await self.styles.expand_pic_operations(bucket, header)

    # -- blocking work (worker threads) -------------------------------------------------------------------
    def _resolver(self, bucket: str) -> Callable[[str], Path]:
        return lambda k: self.store.path(bucket, k)

    def _parse(self, rule: str, bucket: str, key: str) -> list[Op]:
        """The rule's Ops; a rule the emulator cannot run is ``400 InvalidArgument``. ``imageView2/5``
        crops to the source's orientation, so the source's size is read for it. The rule's length and
        its number of operations are bounded first (``process_chars``, ``chain_ops``)."""
        from mediaproc.ops.validate import check_chain_length, check_process_length

        size: tuple[int, int] | None = None
        try:
            check_process_length(rule)
            if "imageView2/5" in rule:
                from mediaproc.engine.image import image_info

                info = image_info(self.source(bucket, key))
                size = (int(info["ImageWidth"]["value"]), int(info["ImageHeight"]["value"]))
            ops = enc.parse_rule(rule, source_size=size)
            check_chain_length(len(ops))
            return ops
        except MediaprocError as exc:
            raise CosError("InvalidArgument", exc.message, ci=True) from None

    def _run_rule(
        self, bucket: str, key: str, rule: str, ops: list[Op] | None = None
    ) -> tuple[Path, ImageOutput]:
        from mediaproc.engine.image import process_image

        ops = self._parse(rule, bucket, key) if ops is None else ops
        src = self.source(bucket, key)
        smart = next((op for op in ops if op.name == "crop" and op.params.get("g") == "auto"), None)
        if smart is not None:
            self._check_smart_crop(src, smart)
        dst = tmp_path(self.store, ".img")
        try:
            marks = any(op.name == "watermark" and "image" in op.params for op in ops)  # names another object
            resolve = self._resolver(bucket) if marks else None
            out = self.admission.engine.for_source(src)(process_image, src, ops, dst, resolve_key=resolve)
        except BaseException:
            dst.unlink(missing_ok=True)
            raise
        return dst, out

    @staticmethod
    def _check_smart_crop(src: Path, op: Op) -> None:
        """AIImageCrop: width and height "大于0、小于图片宽度/高度的像素值" (each below the image's side)."""
        width, height = _image_size(src)
        if op.params["w"] >= width or op.params["h"] >= height:
            raise CosError(
                "InvalidArgument",
                f"AIImageCrop width and height must be below the image's {width}x{height}",
                ci=True,
            )

    def _extract(self, bucket: str, key: str, ops: list[Op]) -> str:
        """watermark/4 (text type): the local engine reads the mark back. Nothing found is a 4xx
        answer (a 5xx would be retried by the SDK, and retrying cannot find a mark)."""
        from mediaproc.engine import analyze
        from mediaproc.errors import ServiceError

        try:
            src = self.store.path(bucket, key)
            found = self.admission.engine.for_source(src)(analyze, ops[0], src)
        except ServiceError as exc:
            if exc.code == "WatermarkNotFound":
                raise CosError("WatermarkNotFound", exc.message, status=400, ci=True) from None
            raise
        return str(found.get("Content", ""))

    def _process_to_bytes(self, bucket: str, key: str, rule: str) -> tuple[bytes, str]:
        dst, out = self._run_rule(bucket, key, rule)
        try:
            return dst.read_bytes(), out.format
        finally:
            dst.unlink(missing_ok=True)

    def save_rule(self, bucket: str, key: str, rule: str, out_bucket: str, out_key: str) -> str:
        """A workflow's PicProcess node: run ``rule`` on an object and store the result at
        ``out_key``, whose ``${Ext}`` becomes the result's format (blocking). Returns the key."""
        self.store.require_bucket(out_bucket)
        dst, out = self._run_rule(bucket, key, rule)
        try:
            target = out_key.replace("${Ext}", out.format)
            self.store.put_file(out_bucket, target, dst, content_type=CONTENT_TYPES.get(out.format))
        finally:
            dst.unlink(missing_ok=True)
        return target

    def process_rules(self, bucket: str, key: str, header: str) -> dict[str, Any]:
        """Run a ``Pic-Operations`` header on an object; the ``UploadResult`` document's content."""
        try:
            is_pic_info, rules = enc.parse_pic_operations(header)
        except MediaprocError as exc:
            raise CosError("InvalidArgument", exc.message, ci=True) from None
        src_meta = self.store.head(bucket, key)
        self.source(bucket, key)
        original: dict[str, Any] = {
            "Key": key,
            "Location": f"{bucket}.cos.{self.region}.myqcloud.com/{key}",
            "ETag": etag(src_meta),
        }
        if is_pic_info:
            original["ImageInfo"] = self._pic_info(self.store.path(bucket, key))
        objects = []
        for r in rules:
            out_bucket = r.get("bucket") or bucket
            out_key = enc.fileid_key(key, r["fileid"])
            ops = self._parse(r["rule"], bucket, key)
            if ops[0].name == "blindwatermark-extract":
                # The extracted watermark is stored at fileid ("提取出的水印图转存"); for the text
                # type mediaproc's reading is the UTF-8 text itself.
                text = self._extract(bucket, key, ops)
                meta = self.store.put_bytes(
                    out_bucket, out_key, text.encode("utf-8"), content_type="text/plain; charset=utf-8"
                )
                objects.append(
                    {
                        "Key": out_key,
                        "Location": f"{out_bucket}.cos.{self.region}.myqcloud.com/{out_key}",
                        "Size": str(meta.size),
                        "ETag": etag(meta),
                    }
                )
                continue
            dst, out = self._run_rule(bucket, key, r["rule"], ops)
            try:
                meta = self.store.put_file(out_bucket, out_key, dst, content_type=CONTENT_TYPES.get(out.format))
            finally:
                dst.unlink(missing_ok=True)
            objects.append(
                {
                    "Key": out_key,
                    "Location": f"{out_bucket}.cos.{self.region}.myqcloud.com/{out_key}",
                    "Format": out.format,
                    "Width": str(out.width),
                    "Height": str(out.height),
                    "Size": str(meta.size),
                    "Quality": str(self._quality(self.store.path(out_bucket, out_key))),
                    "ETag": etag(meta),
                    "FrameCount": "1",
                }
            )
        result: dict[str, Any] = {"OriginalInfo": original}
        result["ProcessResults"] = {"Object": objects}
        return result

    @staticmethod
    def _quality(path: Path) -> int:
        from mediaproc.engine.image.jpegq import estimate_quality

        try:
            return estimate_quality(path) or 100
        except Exception:  # not a JPEG, or unreadable tables: CI reports 100 then
            return 100

    def _pic_info(self, path: Path) -> dict[str, str]:
        from mediaproc.engine import analyze

        info = analyze("info", path)
        fmt = str(info.get("Format", {}).get("value", "")).upper()
        return {
            "Format": {"JPG": "JPEG"}.get(fmt, fmt),
            "Width": str(info.get("ImageWidth", {}).get("value", "")),
            "Height": str(info.get("ImageHeight", {}).get("value", "")),
            "Quality": str(self._quality(path)),
            "Ave": analyze("average-hue", path).get("RGB", ""),
            "Orientation": "0",
            "FrameCount": str(info.get("FrameCount", {}).get("value", "1")),  # an animation's frames
        }

    def _image_meta(self, bucket: str, key: str, name: str) -> dict[str, Any]:
        from mediaproc.engine import analyze

        path = self.source(bucket, key)
        if name == "imageAve":
            return analyze("average-hue", path)
        meta = self.store.head(bucket, key)
        info, exif = enc.oss_to_ci_info(analyze("info", path), md5=meta.etag.lower(), hue=None)
        return info if name == "imageInfo" else exif

    def _snapshot(self, bucket: str, key: str, query: dict[str, str]) -> tuple[bytes, str]:
        from mediaproc.engine.av import run_media

        try:
            op = enc.parse_snapshot_params(query)
        except MediaprocError as exc:
            raise CosError("InvalidArgument", exc.message, ci=True) from None
        fmt = op.params.get("f", "jpg")
        src = self.store.path(bucket, key)
        dst = tmp_path(self.store, f".{fmt}")
        try:
            out = run_media(op, src, dst)
            path = Path(out.paths[0]) if out.paths else dst
            data = path.read_bytes()
            if path != dst:
                path.unlink(missing_ok=True)
            return data, fmt
        finally:
            dst.unlink(missing_ok=True)

    def _detect(self, bucket: str, key: str, name: str, query: dict[str, str]) -> tuple[str, dict[str, Any]]:
        """Detection through the local vision engine, answered in CI's shape. Cars and labels have
        no local model: the answer says so. DetectFace keeps the ``max-face-num`` largest faces (CI's
        default is 1; serve answered every face)."""
        from mediaproc.engine import analyze

        try:
            faces = enc.max_faces(query) if name == "faces" else 0
            if name == "codes":
                enc.check_qrcode_cover(query)
        except MediaprocError as exc:
            raise CosError("InvalidArgument", exc.message, ci=True) from None
        try:
            src = self.source(bucket, key)
            imm = self.admission.engine.for_source(src)(analyze, name, src)
        except UnsupportedOperation:  # cars, labels: no model ships with the local engine
            # 4xx, not 501: a 5xx would be retried by the SDK, and retrying cannot help here
            message = f"{name} needs a cloud model; mediaproc serve has none"
            raise CosError("InvalidArgument", message, ci=True) from None
        width, height = _image_size(self.store.path(bucket, key))
        if name == "faces":
            return enc.oss_to_ai(name, imm, width=width, height=height, faces=faces)
        return enc.oss_to_ai(name, imm, width=width, height=height)

    def _videoinfo(self, bucket: str, key: str) -> dict[str, Any]:
        from mediaproc.engine import analyze

        return enc.oss_to_mediainfo(analyze("video/info", self.store.path(bucket, key)))

    def _pm3u8(self, bucket: str, key: str, query: dict[str, str], ak: str) -> str:
        try:
            expires = int(query.get("expires", "3600"))
        except ValueError:
            raise CosError("InvalidArgument", "expires is not a number", ci=True) from None
        if not 1 <= expires <= 43200:
            raise CosError("InvalidArgument", "expires must be 1-43200 seconds", ci=True)
        with self.store.open(bucket, key) as fh:
            text = fh.read().decode("utf-8", errors="replace")
        if not text.lstrip().startswith("#EXTM3U"):
            raise CosError("InvalidArgument", "the object is not an M3U8 playlist", ci=True)
        folder = str(PurePosixPath(key).parent)
        secret = self.secret_of(ak)
        lines = []
        for line in text.splitlines():
            item = line.strip()
            if item and not item.startswith("#") and "://" not in item:
                seg_key = item if folder in ("", ".") else f"{folder}/{item}"
                query_string = auth.presign_query(ak, secret, "GET", "/" + seg_key, expires=expires)
                line = f"{item}?{query_string}"
            lines.append(line)
        return "\n".join(lines) + "\n"


def _image_size(path: Path) -> tuple[int, int]:
    """(width, height) as ``info`` reports them; 0 for a side it cannot tell."""
    from mediaproc.engine import analyze

    info = analyze("info", path)
    return (
        int(info.get("ImageWidth", {}).get("value", 0) or 0),
        int(info.get("ImageHeight", {}).get("value", 0) or 0),
    )
