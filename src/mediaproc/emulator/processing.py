"""Data processing behind the OSS front: ``x-oss-process`` (sync) and ``x-oss-async-process``.

Process strings are read with :mod:`mediaproc.ops` (the same parser and checks the CLI uses) and
run by :mod:`mediaproc.engine` on the object's own file, so a chain served here gives the bytes the
local provider gives. Rules of the service kept here:

- ``GET ?x-oss-process=<ops>`` answers with the result (an image, or JSON for info, average-hue,
  detection, video/info, audio/info); ``POST ?x-oss-process`` with ``|sys/saveas,o_,b_`` stores it
  and answers ``{"bucket", "fileSize", "object", "status": "OK"}``.
- ``POST ?x-oss-async-process`` needs ``sys/saveas`` and a bucket attached to an IMM project; the
  task runs in the worker pool and is read back with IMM ``GetTask`` in that project. The TaskId is
  ``<TaskType>-<uuid>``; the answer is ``{"EventId", "RequestId", "TaskId"}``.
- Operations that need IMM on OSS (video, audio, HLS, detection, blind watermarks, smart/face crop,
  face blur) are refused when the bucket has no IMM attachment (``require_binding``), like the
  service (the exact error code OSS uses here is *unverified*; this server answers 400
  ``InvalidArgument`` naming the fix).
- A sync request for an async-only operation (``video/convert`` ...) and the reverse are 400
  ``InvalidArgument``.
"""

from __future__ import annotations

import json
import mimetypes
import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mediaproc import limits
from mediaproc.emulator.engine_pool import EnginePool
from mediaproc.emulator.errors import EC_WATERMARK_MISSING, OssError
from mediaproc.emulator.imm.state import ImmState
from mediaproc.emulator.jobs import TaskRegistry
from mediaproc.errors import NotFound, UnsupportedOperation
from mediaproc.ops.destination import sequence_prefix
from mediaproc.ops.model import Chain, Family, Mode, Op, Produces
from mediaproc.ops.oss.encode import must_save
from mediaproc.ops.validate import needs_imm
from mediaproc.progress import ProgressEvent
from mediaproc.providers.local.store import LocalStore

IMAGE_TYPES = {
    "jpg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "gif": "image/gif",
    "bmp": "image/bmp",
    "avif": "image/avif",
    "tiff": "image/tiff",
    "heic": "image/heic",
}


HLS_CACHE = ".mediaproc-hls/"  # where a GET hls/m3u8 keeps its segments, beside the source
SMALL_RESULT_BYTES = 4 * 1024 * 1024  # sync results up to this size are held in memory, larger ones streamed


@dataclass
class ProcessOutput:
    """A sync GET result: a file to stream (removed by ``cleanup``) or small bytes."""

    content_type: str
    path: Path | None = None
    data: bytes | None = None
    _tmp: Path | None = field(default=None, repr=False)

    def cleanup(self) -> None:
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None


def _needs_files(chain: Chain) -> bool:
    """An image watermark names another object, which is rendered into a temp folder first."""
    return any(op.name == "watermark" and "image" in op.params for op in chain)


def _check_watermark_format(name: str, path: Path) -> None:
    """A watermark image OSS cannot read is 0040-00000027 (``ops.oss.EC_WATERMARK_FORMAT``); the engine
    would answer the source's 0040-00000005 for it. Other refusals are left to the engine's load."""
    from mediaproc.engine.image.load import probe
    from mediaproc.errors import MediaprocError
    from mediaproc.ops.oss import EC_SOURCE_FORMAT, EC_WATERMARK_FORMAT

    try:
        probe(path)
    except MediaprocError as exc:
        if exc.details.get("ec") == EC_SOURCE_FORMAT:
            raise OssError(
                "InvalidArgument", f"The watermark image {name} is not an image OSS reads.", ec=EC_WATERMARK_FORMAT
            ) from None


def _invalid(message: str) -> OssError:
    return OssError("InvalidArgument", message)


def _content_type(path: Path) -> str:
    ctype, _enc = mimetypes.guess_type(path.name, strict=False)
    if path.suffix.lower() == ".m3u8":
        return "application/vnd.apple.mpegurl"
    return ctype or "application/octet-stream"


class Processor:
    """Runs process requests against the store; every method is blocking (call it in a thread)."""

    def __init__(
        self,
        store: LocalStore,
        tasks: TaskRegistry,
        imm_state: ImmState,
        *,
        on_job_created: Callable[[str], None] | None = None,
        require_binding: bool = True,
        engine: EnginePool | None = None,
    ) -> None:
        self.engine = engine or EnginePool()  # the pixel work: here, or in serve's worker processes
        self.store = store
        self.tasks = tasks
        self.imm_state = imm_state
        self.on_job_created = on_job_created or (lambda _t: None)
        self.require_binding = require_binding

    # -- parsing --------------------------------------------------------------------------------
    def _parse_get(self, process: str) -> tuple[Chain, tuple[Any, ...]]:
        from mediaproc.ops.oss.native import parse_process
        from mediaproc.ops.validate import check_backend, check_concat_inputs, make_chain

        _refuse_style(process)
        native = parse_process(process)
        chain = make_chain(native.ops)
        check_concat_inputs(chain, len(native.inputs))
        check_backend(chain, "oss")
        return chain, native.inputs

    def _parse_body(self, body: str, field_name: str) -> tuple[Chain, tuple[str | None, str] | None, tuple[Any, ...]]:
        from mediaproc.ops.oss.encode import parse_request_body
        from mediaproc.ops.validate import check_backend

        text = body.strip()
        if not text.lower().startswith(field_name + "="):
            raise _invalid(f"The request body must be {field_name}=<operations>.")
        _refuse_style(text[len(field_name) + 1 :])
        chain, saved, topic, inputs = parse_request_body(text)
        if topic is not None and field_name == "x-oss-process":
            # "Message notification is supported only for asynchronous processing"
            # (help.aliyun.com/en/oss/user-guide/message-notification); serve took it and sent nothing
            raise _invalid("notify is supported only with x-oss-async-process.")
        check_backend(chain, "oss")
        return chain, saved, inputs

    def _source(self, bucket: str, key: str, chain: Chain) -> Path:
        """The source's file; a missing one is NoSuchKey, with OSS's image-processing detail code
        (``ops.oss.EC_SOURCE_MISSING``) when the chain processes an image (it had the object API's).
        A missing bucket keeps NoSuchBucket's own code (0015-00000101): the image's page is not its."""
        try:
            return self.store.path(bucket, key)
        except NotFound as exc:
            if chain.family in (Family.IMAGE, Family.AI) and exc.code == "NoSuchKey" and "ec" not in exc.details:
                from mediaproc.ops.oss import EC_SOURCE_MISSING

                exc.details = {**exc.details, "ec": EC_SOURCE_MISSING}
            raise

    @staticmethod
    def _check_source_size(chain: Chain, src: Path) -> None:
        """Image processing takes sources up to 20 MB (400 ImageTooLarge, ``limits.OSS``); video and
        audio have no such cap."""
        if chain.family in (Family.IMAGE, Family.META):
            limits.check("image_source_bytes", src.stat().st_size, f"The source image {src.name}")

    def _check_binding(self, bucket: str, chain: Chain, *, always: bool = False) -> str | None:
        project = self.imm_state.project_for_bucket(bucket)
        if project is None and (always or (self.require_binding and needs_imm(chain))):
            raise _invalid(
                f"The bucket {bucket} is not attached to an IMM project, which {chain[-1].name} needs. "
                "Attach it with IMM AttachOSSBucket (mediaproc imm bind)."
            )
        return project

    # -- engines --------------------------------------------------------------------------------
    def _resolver(self, bucket: str, tmp: Path) -> Callable[[str], Path]:
        """Watermark images are keys in the same bucket, optionally with their own processing."""

        def watermark(name: str) -> Path:
            try:
                path = self.store.path(bucket, name)
            except NotFound:  # the service's own EC for it, not "the source does not exist"
                raise OssError(
                    "NoSuchKey", f"The watermark image {name} does not exist.", ec=EC_WATERMARK_MISSING
                ) from None
            _check_watermark_format(name, path)
            return path

        def resolve(key: str) -> Path:
            name, sep, process = key.partition("?x-oss-process=")
            if not sep:
                return watermark(key)
            chain, _inputs = self._parse_get(process)
            from mediaproc.engine.image import process_image

            sub = Path(tempfile.mkdtemp(dir=tmp))
            out = process_image(watermark(name), chain.ops, sub / "wm")
            return Path(out.path)

        return resolve

    def _json_result(self, op: Op, src: Path) -> dict[str, Any]:
        from mediaproc.engine import analyze

        try:
            return self.engine.for_source(src)(analyze, op, src)
        except UnsupportedOperation as exc:  # cars, labels: no model ships with the local engine
            raise OssError("NotImplemented", f"{op.name} is not available on mediaproc serve: {exc.message}") from None

    def _run(
        self,
        chain: Chain,
        bucket: str,
        src: Path,
        tmp: Path,
        *,
        name: str,
        inputs: tuple[Any, ...] = (),
        progress: Callable[[float], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> tuple[list[Path], str | None, dict[str, Any] | None]:
        """Run a chain into ``tmp``: (files written, content type of the first, JSON result)."""
        if chain.produces is Produces.JSON:
            data = self._json_result(chain[-1], src)
            out = tmp / "result.json"
            out.write_bytes(json.dumps(data, ensure_ascii=False).encode("utf-8"))
            return [out], "application/json", data
        if chain.family in (Family.IMAGE, Family.AI, Family.META):
            from mediaproc.engine.image import process_image

            resolve = self._resolver(bucket, tmp) if _needs_files(chain) else None
            img = self.engine.for_source(src)(process_image, src, chain.ops, tmp / name, resolve_key=resolve)
            return [Path(img.path)], IMAGE_TYPES.get(img.format, "application/octet-stream"), None
        from mediaproc.engine import av

        op = chain[0]
        parts = tuple(
            av.ConcatPart(path=self.store.path(bucket, seg.key), position=seg.position, ss=seg.ss, t=seg.t)
            for seg in inputs
        )

        def report(event: ProgressEvent) -> None:
            if progress is not None and event.fraction is not None:
                progress(event.fraction * 100)

        result = av.run_media(op, src, tmp / name, inputs=parts, progress=report, cancel=cancel)
        paths = [Path(p) for p in result.paths]
        return paths, (_content_type(paths[0]) if paths else None), None

    def _publish(
        self, tmp: Path, files: list[Path], bucket: str, key: str, content_type: str | None, *, sequence: bool = False
    ) -> list[str]:
        """Store the outputs: the first (or only) file at ``key``, others beside it by relative name.
        A ``sequence`` (snapshots) has no file at ``key``: every frame goes beside it, named by the
        engine after the prefix (``ops.destination``: ``<prefix>_0_<n>.<f>``)."""
        keys: list[str] = []
        prefix = key.rsplit("/", 1)[0] + "/" if "/" in key else ""
        first_rel = files[0].relative_to(tmp).as_posix() if files else ""
        for i, path in enumerate(files):
            rel = path.relative_to(tmp).as_posix()
            if i == 0 and not sequence and (len(files) == 1 or rel == first_rel):
                target = key
                ctype = content_type
            else:
                target = prefix + rel
                ctype = None
            self.store.put_file(bucket, target, path, content_type=ctype)
            keys.append(target)
        return keys

    # -- the three entry points -----------------------------------------------------------------
    def run_get(self, bucket: str, key: str, process: str) -> ProcessOutput:
        """Run a sync chain and hand back the result for the response body (OSS's limits apply)."""
        with limits.profile("oss"):
            return self._run_get(bucket, key, process)

    def _run_get(self, bucket: str, key: str, process: str) -> ProcessOutput:
        chain, inputs = self._parse_get(process)
        if chain.mode is Mode.ASYNC:
            raise _invalid(f"{chain[-1].name} runs only with x-oss-async-process.")
        if chain.family is Family.HLS:
            raise _invalid("hls/m3u8 on a GET is answered by run_hls (a playlist of signed segment URLs).")
        if must_save(chain):  # OSS "图片盲水印": the watermarked image is saved as a new object
            raise _invalid("image/blindwatermark saves a new object: use POST x-oss-process with |sys/saveas.")
        src = self._source(bucket, key, chain)
        self._check_source_size(chain, src)
        self._check_binding(bucket, chain)
        if chain.produces is Produces.IMAGE and chain.family in (Family.IMAGE, Family.AI) and not _needs_files(chain):
            from mediaproc.engine.image import encode_image

            img = self.engine.for_source(src)(encode_image, src, chain.ops)  # a thumbnail answers from memory
            return ProcessOutput(IMAGE_TYPES.get(img.format, "application/octet-stream"), data=img.data)
        tmp = Path(tempfile.mkdtemp(dir=self._tmp_root()))
        try:
            # snapshot/animation: f_jpg ..., or the catalogue's default (a snapshot without f is a
            # JPEG, answered as image/jpeg: it was application/octet-stream)
            last = chain[-1]
            ext = None
            if chain.family.is_media and last.spec.param("f") is not None:
                ext = last.get("f", last.spec.default("f"))
            name = f"out.{ext}" if ext else "out"
            files, ctype, data = self._run(chain, bucket, src, tmp, name=name, inputs=inputs)
            if data is not None:
                shutil.rmtree(tmp, ignore_errors=True)
                return ProcessOutput("application/json", data=json.dumps(data, ensure_ascii=False).encode("utf-8"))
            if not files:
                raise OssError("InternalError", "The operation produced no output.")
            if files[0].stat().st_size <= SMALL_RESULT_BYTES:
                # a thumbnail is sent from memory: no open/stat/read hops back on the event loop
                body = files[0].read_bytes()
                shutil.rmtree(tmp, ignore_errors=True)
                return ProcessOutput(ctype or "application/octet-stream", data=body)
            return ProcessOutput(ctype or "application/octet-stream", path=files[0], _tmp=tmp)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise

    def run_hls(self, bucket: str, key: str, process: str) -> tuple[str, str]:
        """``GET ?x-oss-process=hls/m3u8,...`` (OSS "生成播放列表", transcode-while-play; the skill's
        URL mode): (the playlist text, the key folder its segment names are relative to).

        The segments are cut once per source version and parameters into objects under
        ``<source folder>/.mediaproc-hls/<digest>/`` (OSS keeps transcoded segments too, and
        transcodes again what was deleted); the OSS front signs each segment line for the caller."""
        import hashlib

        chain, _inputs = self._parse_get(process)
        if chain.family is not Family.HLS:
            raise _invalid(f"{chain[-1].name} is not a playlist operation.")
        meta = self.store.head(bucket, key)
        self._check_binding(bucket, chain)
        digest = hashlib.sha1(f"{key}\0{meta.etag}\0{process}".encode()).hexdigest()[:16]
        parent = key.rsplit("/", 1)[0] + "/" if "/" in key else ""
        folder = f"{parent}{HLS_CACHE}{digest}/"
        playlist = folder + "index.m3u8"
        if not self.store.exists(bucket, playlist):
            src = self.store.path(bucket, key)
            tmp = Path(tempfile.mkdtemp(dir=self._tmp_root()))
            try:
                files, _ctype, _data = self._run(chain, bucket, src, tmp, name="index.m3u8")
                ordered = sorted(files, key=lambda f: f.suffix.lower() == ".m3u8")  # the playlist last
                for f in ordered:
                    self.store.put_file(bucket, folder + f.relative_to(tmp).as_posix(), f,
                                        content_type=_content_type(f))
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
        with self.store.open(bucket, playlist) as fh:
            return fh.read().decode("utf-8"), folder

    def run_save(self, bucket: str, key: str, body: str) -> dict[str, Any]:
        """``POST ?x-oss-process`` with ``sys/saveas``: run the chain, store the result."""
        with limits.profile("oss"):
            return self._run_save(bucket, key, body)

    def _run_save(self, bucket: str, key: str, body: str) -> dict[str, Any]:
        chain, saved, inputs = self._parse_body(body, "x-oss-process")
        if saved is None:
            raise _invalid("POST x-oss-process needs |sys/saveas,o_<base64 key>[,b_<base64 bucket>].")
        if chain.mode is Mode.ASYNC:
            raise _invalid(f"{chain[-1].name} runs only with x-oss-async-process.")
        target_bucket = saved[0] or bucket
        target_key = saved[1]
        src = self._source(bucket, key, chain)
        self._check_source_size(chain, src)
        self.store.require_bucket(target_bucket)
        self._check_binding(bucket, chain)
        tmp = Path(tempfile.mkdtemp(dir=self._tmp_root()))
        try:
            name = target_key.rsplit("/", 1)[-1]
            files, ctype, _data = self._run(chain, bucket, src, tmp, name=name, inputs=inputs)
            keys = self._publish(tmp, files, target_bucket, target_key, ctype)
            size = self.store.head(target_bucket, keys[0]).size if keys else 0
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return {"bucket": target_bucket, "fileSize": size, "object": target_key, "status": "OK"}

    def submit_async(self, bucket: str, key: str, body: str, request_id: str) -> dict[str, Any]:
        """``POST ?x-oss-async-process``: check now, run later in the task pool (OSS's limits apply to
        both; the pool's threads do not inherit the request's context, so the work sets them again)."""
        with limits.profile("oss"):
            return self._submit_async(bucket, key, body, request_id)

    def _submit_async(self, bucket: str, key: str, body: str, request_id: str) -> dict[str, Any]:
        chain, saved, inputs = self._parse_body(body, "x-oss-async-process")
        op = chain[-1]
        task_type = op.spec.imm_task
        if task_type is None or chain.mode is not Mode.ASYNC:
            raise _invalid(f"{op.name} cannot run with x-oss-async-process; use x-oss-process.")
        if saved is None and chain.produces is not Produces.JSON:
            raise _invalid("x-oss-async-process needs |sys/saveas,o_<base64 key>[,b_<base64 bucket>].")
        src = self.store.path(bucket, key)  # the source must exist now: 404 on submission
        for seg in inputs:
            self.store.path(bucket, seg.key)
        target_bucket = (saved[0] or bucket) if saved else bucket
        self.store.require_bucket(target_bucket)
        project = self._check_binding(bucket, chain, always=True)
        assert project is not None

        sequence = chain.produces is Produces.FILES
        target_key = saved[1] if saved else "result.json"
        if sequence:
            # the target is a prefix, numbered <prefix>_0_<n>.<f> (a folder takes the source's name)
            target_key, _warning = sequence_prefix(target_key, key)

        def work(progress: Callable[[float], None], cancel: threading.Event) -> dict[str, Any]:
            tmp = Path(tempfile.mkdtemp(dir=self._tmp_root()))
            try:
                with limits.profile("oss"):
                    name = target_key.rsplit("/", 1)[-1]
                    files, ctype, data = self._run(
                        chain, bucket, src, tmp, name=name, inputs=inputs, progress=progress, cancel=cancel
                    )
                    keys = (
                        self._publish(tmp, files, target_bucket, target_key, ctype, sequence=sequence)
                        if saved
                        else []
                    )
                result: dict[str, Any] = {"Bucket": target_bucket, "Keys": keys}
                if data is not None:
                    result.update(data)
                return result
            finally:
                shutil.rmtree(tmp, ignore_errors=True)

        definition = {
            "ProjectName": project,
            "SourceURI": f"oss://{bucket}/{key}",
            "Process": body.split("=", 1)[1] if "=" in body else body,
        }
        if saved:
            definition["TargetURI"] = f"oss://{target_bucket}/{saved[1]}"
        task = self.tasks.submit(task_type, project, work, definition=definition)
        self.on_job_created(task_type)
        return {"EventId": task.event_id, "RequestId": request_id, "TaskId": task.task_id}

    def check_action(self, process: str) -> Chain:
        """Parse and check a cloud batch's process string once, when the batch or trigger is
        created, so a bad chain fails the request instead of every object (OSS's limits apply)."""
        with limits.profile("oss"):
            chain, inputs = self._parse_get(process)
        if inputs or chain.family is Family.HLS:
            raise _invalid(f"{chain[-1].name} cannot run in a batch or trigger on mediaproc serve.")
        return chain

    def run_to(self, bucket: str, key: str, process: str, target_bucket: str, target_key: str) -> list[str]:
        """Run a chain, sync or async family alike, on one object and store the result at
        ``target_key`` (a snapshots target is the frames' prefix): the entry IMM batches and
        triggers call for each object, through the server's processing pool. Blocking; takes and
        returns plain strings only, so it can move to a worker process unchanged."""
        with limits.profile("oss"):
            chain, _inputs = self._parse_get(process)
            src = self.store.path(bucket, key)
            self._check_source_size(chain, src)
            self.store.require_bucket(target_bucket)
            sequence = chain.produces is Produces.FILES
            if sequence:
                target_key, _warning = sequence_prefix(target_key, key)
            tmp = Path(tempfile.mkdtemp(dir=self._tmp_root()))
            try:
                name = target_key.rsplit("/", 1)[-1]
                files, ctype, _data = self._run(chain, bucket, src, tmp, name=name)
                if not files:
                    raise OssError("InternalError", "The operation produced no output.")
                return self._publish(tmp, files, target_bucket, target_key, ctype, sequence=sequence)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)

    # -- IMM --------------------------------------------------------------------------------------
    def decode_watermark(self, src: Path, options: dict[str, Any]) -> dict[str, Any]:
        """IMM CreateDecodeBlindWatermarkTask: the engine's extraction, IMM's result fields."""
        from mediaproc.ops.catalog import get_spec
        from mediaproc.ops.validate import make_op

        params: dict[str, Any] = {}
        level = str(options.get("StrengthLevel", "")).lower()
        if level in ("low", "medium", "high"):
            params["s"] = level
        op = make_op(get_spec("blindwatermark-extract"), params)
        from mediaproc.engine import analyze

        data = analyze(op, src)
        return {"Content": data.get("Content", ""), **{k: v for k, v in data.items() if k != "Content"}}

    def _tmp_root(self) -> Path:
        root = self.store.tmp_dir
        root.mkdir(parents=True, exist_ok=True)
        return root


__all__ = ["ProcessOutput", "Processor"]


def _refuse_style(process: str) -> None:
    """``style/NAME`` is replaced by the style's content in the front, in the server's main process,
    before a request comes here (``emulator/oss/styles.expand``); one that still names a style was
    not resolved, so the style does not exist: ``NoSuchStyle``, as OSS answers an undefined style
    (alibabacloud.com/help/en/oss/three-errors-including-nosuchstyle-nosuchkey-and-nosuchfile-are-reported-when-you-access-an-oss-image-processing-url),
    never the object unprocessed."""
    if process.strip().lower().startswith("style/"):
        raise OssError("NoSuchStyle", "The specified style does not exist.", status=404)
