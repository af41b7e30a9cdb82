"""The ``mediaproc cos`` commands: Pic-Operations with several rules, media job admin, private
playlists. Everything generic (process, image/video commands, objects, ``job``) goes through the
shared services; this is only what is particular to Tencent COS / Cloud Infinite.

A rule is either written in Cloud Infinite's own syntax (``imageMogr2/...``, ``watermark/2/...``,
``imageView2/...``, ``style/<name>``, ``ci-process=AIImageCrop&...``), passed through as is, or as
mediaproc operations (``"resize:w=600 format:target=webp"``, ``blindwatermark-extract``), validated
and encoded by ``mediaproc.ops.cos``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from mediaproc.addressing import check_key, parse_location
from mediaproc.config import Settings
from mediaproc.errors import InvalidOperation, UsageError, missing_folder
from mediaproc.i18n import _
from mediaproc.location import TEMP_KEY_PLACEHOLDER, Location, expand_path, is_folder_text
from mediaproc.objectopts import OPTION_NAMES, ObjectOptions
from mediaproc.ops import cos as enc
from mediaproc.ops.cos.pic_operations import check_rule_count
from mediaproc.progress import ProgressCallback
from mediaproc.providers.staging import local_source_file
from mediaproc.record import replace
from mediaproc.results import ProcessResult

CI_PREFIXES = ("imageMogr2/", "watermark/", "imageView2/", "style/", "imageslim", "imageMogr2|", "ci-process=")
JOB_TAGS = ("Transcode", "Snapshot", "Animation", "Concat")


@dataclass(frozen=True)
class RuleTarget:
    rule: str  # the Cloud Infinite rule sent
    to: Location  # where the result goes (cos://)
    given: str  # what the user wrote


def _cos_settings(settings: Settings) -> Settings:
    return settings if settings.provider == "cos" else settings.with_(provider="cos")


def split_words(text: str) -> list[str]:
    """Operations separated by spaces; quotes (kept, for the seed grammar) protect spaces."""
    words: list[str] = []
    current: list[str] = []
    quote: str | None = None
    for ch in text:
        if quote:
            current.append(ch)
            if ch == quote:
                quote = None
        elif ch in ("'", '"'):
            quote = ch
            current.append(ch)
        elif ch.isspace():
            if current:
                words.append("".join(current))
                current = []
        else:
            current.append(ch)
    if current:
        words.append("".join(current))
    return words


def encode_rule(text: str, *, bucket: str | None, region: str | None) -> str:
    """A user's ``--rule``: CI syntax passes through; mediaproc operations are encoded."""
    rule = text.strip()
    if not rule:
        raise InvalidOperation(_("an empty --rule was given"), hint=_('e.g. --rule "resize:w=600"'))
    if rule.startswith(CI_PREFIXES):
        return rule
    from mediaproc.ops.parse import parse_chain
    from mediaproc.ops.validate import check_backend

    chain = parse_chain(split_words(rule))
    check_backend(chain, "cos")
    kind = enc.request_kind(chain)
    if kind not in (enc.RequestKind.RULE, enc.RequestKind.EXTRACT):
        raise InvalidOperation(
            _("{name} is not an image processing rule").format(name=chain[-1].name),
            hint=_("Pic-Operations rules are image chains (resize, crop, watermark, format, ...)"),
        )
    enc.check_chain(chain, bucket=bucket, region=region)
    if kind is enc.RequestKind.EXTRACT:  # watermark/4: the extracted text is stored at the rule's --to
        return enc.extract_rule(chain[-1])
    return enc.image_rule(chain.ops, bucket=bucket, region=region)


def _destination(text: str, source: Location, settings: Settings) -> Location:
    """``cos://BUCKET/KEY``, or a fileid: ``/abs/key`` from the bucket root, ``name`` beside the source."""
    if text.startswith("cos://"):
        loc = parse_location(text, settings, role="destination")
    elif source.scheme == "cos" and source.bucket:
        loc = Location(scheme="cos", bucket=source.bucket, key=enc.fileid_key(source.key or "", text))
    elif settings.bucket:
        loc = Location(scheme="cos", bucket=settings.bucket, key=text.lstrip("/"))
    else:
        raise UsageError(
            _("--to {text!r} needs a bucket").format(text=text),
            hint=_("write --to cos://BUCKET-APPID/KEY, or pass --bucket"),
        )
    if loc.scheme == "cos" and loc.names_folder:  # a prefix keeps the source's name (docs/paths.md)
        name = PurePosixPath(source.key or (source.path.name if source.path else "")).name
        loc = loc.joined(name) if name else loc
    check_key(loc.key or "", loc.scheme)  # a fileid too: checked before the request, as every writer does
    if loc.scheme != "cos" or not loc.key or loc.key.endswith("/"):
        raise UsageError(
            _("--to {text!r} is not a cos:// object key").format(text=text),
            hint=_("Pic-Operations results are stored in the bucket: --to cos://BUCKET-APPID/out/result.jpg"),
        )
    return loc


def plan_rules(
    settings: Settings,
    source: str,
    rules: Sequence[str],
    targets: Sequence[str],
    *,
    region: str | None,
    upload_to: str | None = None,
) -> tuple[Location, list[RuleTarget]]:
    """Check the pairs of ``--rule``/``--to`` before any request. A relative ``--to`` is beside the
    source object (for a local file: beside ``--upload-to``)."""
    src = parse_location(source, _cos_settings(settings), role="source")
    if src.scheme not in ("cos", "file"):
        raise UsageError(_("cos process takes a cos:// object or a local file"), hint=_("upload the file first"))
    if not rules:
        raise UsageError(
            _("give at least one --rule"), hint=_('e.g. --rule "resize:w=600" --to cos://b-1250000000/a.jpg')
        )
    check_rule_count(len(rules), hint=_("run the command again for the rest"))
    if len(targets) != len(rules):
        raise UsageError(
            _("{r} --rule but {t} --to: give one --to after each --rule").format(r=len(rules), t=len(targets)),
            hint=_("--rule R1 --to cos://b/one.jpg --rule R2 --to cos://b/two.jpg"),
        )
    base = src
    if src.scheme != "cos" and upload_to:
        base = _upload_location(upload_to, settings)
    bucket = base.bucket if base.scheme == "cos" else settings.bucket
    out = []
    for text, to in zip(rules, targets, strict=True):
        rule = encode_rule(text, bucket=bucket, region=region)
        out.append(RuleTarget(rule=rule, to=_destination(to, base, settings), given=text))
    return src, out


@dataclass(frozen=True)
class RulesRequest:
    """One ``cos process``: up to five rules on one source, each to its own target; on upload (a
    local file, optionally kept at ``upload_to``) with the original's object ``options``."""

    source: str
    rules: tuple[str, ...]
    targets: tuple[str, ...]
    on_upload: bool = False
    upload_to: str | None = None
    pic_info: bool = True
    options: ObjectOptions | None = None


def describe_rules(settings: Settings, req: RulesRequest) -> dict[str, Any]:
    """``cos process --dry-run``: the request line, the Pic-Operations header and, on upload, the
    object options as qcloud_cos's ``ci_put_object`` takes them."""
    from mediaproc.config import cos_region

    region = cos_region(settings)
    src, items = plan_rules(settings, req.source, req.rules, req.targets, region=region, upload_to=req.upload_to)
    bucket = src.bucket if src.scheme == "cos" else (items[0].to.bucket if items else settings.bucket)
    key = (
        src.key
        if src.scheme == "cos"
        else (
            _upload_location(req.upload_to, settings).key
            if req.upload_to
            else TEMP_KEY_PLACEHOLDER.format(name=Path(str(src.path)).name)
        )
    )
    rules_json = []
    for it in items:
        item = {"fileid": enc.fileid_for(key or "", it.to.key or ""), "rule": it.rule}
        if it.to.bucket != bucket:
            item["bucket"] = it.to.bucket or ""
        rules_json.append(item)
    opts = _check_options(req.options, src, on_upload=req.on_upload, upload_to=req.upload_to)
    header = enc.pic_operations(rules_json, is_pic_info=req.pic_info)
    from mediaproc.services.dryrun import wire_path  # the key as qcloud_cos sends it, as `process --dry-run` shows it

    path = wire_path(key)
    if src.scheme == "cos":
        line = f"POST {path}?image_process"
    elif req.on_upload:
        line = f"PUT {path}    (process on upload)"
    else:
        line = f"PUT {path}    then    POST {path}?image_process    (temporary copy, deleted afterwards)"
    out: dict[str, Any] = {
        "provider": "cos",
        "bucket": bucket,
        "key": key,
        "request_line": line,
        "body": f"Pic-Operations: {header}",
        "process": " ; ".join(it.rule for it in items),
        "pic_operations": json.loads(header),
    }
    if opts:
        from mediaproc.providers.cos.objects import cos_kwargs

        out["object_options"] = cos_kwargs(opts)
    return out


def _check_options(
    options: ObjectOptions | None, src: Location, *, on_upload: bool, upload_to: str | None
) -> ObjectOptions:
    """Object options describe the original uploaded with ``Pic-Operations`` (``ci_put_object``):
    they need a local source processed on upload. (Pic-Operations results take no headers.)"""
    opts = options or ObjectOptions()
    if opts and (src.scheme == "cos" or not (on_upload or upload_to)):
        raise UsageError(
            _("object options ({options}) apply to the original uploaded with --on-upload or --upload-to")
            .format(options=", ".join(OPTION_NAMES[n] for n in opts.given())),
            hint=_("upload a local file with --on-upload (or --upload-to cos://BUCKET/KEY), or drop them"),
        )
    return opts.check("cos")


def _upload_location(text: str, settings: Settings) -> Location:
    loc = parse_location(text, _cos_settings(settings), role="destination")
    if loc.scheme != "cos" or not loc.key:
        raise UsageError(_("--upload-to must be cos://BUCKET-APPID/KEY"), hint=_("where the original is stored"))
    return loc


def process_rules(
    settings: Settings, req: RulesRequest, progress: ProgressCallback | None = None
) -> ProcessResult:
    """Up to five rules in one request: on a stored object (``POST ?image_process``) or on upload
    (``PUT`` with ``Pic-Operations``; the original kept at ``--upload-to`` or deleted).

    ``pic_info`` asks for the original's ``ImageInfo`` (``is_pic_info``); the result's ``data`` is
    the ``UploadResult`` as the COS seed documents it (``OriginalInfo``, ``ProcessResults``).
    ``options`` are the uploaded original's object options (process on upload only)."""
    from mediaproc.providers.cos.provider import CosProvider

    with CosProvider(_cos_settings(settings)) as provider:
        src, items = plan_rules(
            settings, req.source, req.rules, req.targets, region=provider.region, upload_to=req.upload_to
        )
        opts = _check_options(req.options, src, on_upload=req.on_upload, upload_to=req.upload_to)
        pairs = [(it.to, it.rule) for it in items]
        if src.scheme == "cos":
            if req.on_upload or req.upload_to:
                raise UsageError(
                    _("--on-upload/--upload-to apply to a local file"), hint=_("drop them for a cos:// source")
                )
            result = provider.save_rules(src.bucket or "", src.key or "", pairs, str(src), pic_info=req.pic_info)
            return replace(result, provider="cos")
        path = local_source_file(str(src.path))
        original = _upload_location(req.upload_to, settings) if req.upload_to else None
        bucket = items[0].to.bucket or settings.bucket or ""
        result = provider.rules_for_file(path, bucket, pairs, progress, original=original,
                                         on_upload=req.on_upload, pic_info=req.pic_info, options=opts)
        return replace(result, provider="cos")


def _bucket_arg(settings: Settings, bucket: str | None) -> str:
    name = (bucket or settings.bucket or "").strip()
    if name.startswith("cos://"):
        name = name[len("cos://") :].split("/", 1)[0]
    if not name:
        raise UsageError(_("which bucket?"), hint=_("give cos://BUCKET-APPID or pass --bucket"))
    parse_location(f"cos://{name}/x", settings, role="source")  # validates the BUCKET-APPID shape
    return name


def list_jobs(
    settings: Settings, bucket: str | None, *, tag: str = "all", states: str = "All", size: int = 10
) -> list[dict[str, Any]]:
    """Recent media jobs of a bucket (one request per tag when ``tag`` is ``all``)."""
    from mediaproc.providers.cos.jobs import status_from_detail
    from mediaproc.providers.cos.provider import CosProvider

    name = _bucket_arg(settings, bucket)
    tags = JOB_TAGS if tag.lower() == "all" else (tag,)
    rows: list[dict[str, Any]] = []
    with CosProvider(_cos_settings(settings)) as provider:
        for t in tags:
            for detail in provider.list_jobs(name, tag=t, states=states, size=size):
                st = status_from_detail(detail)
                rows.append(
                    {
                        "job_id": st.task_id,
                        "tag": detail.get("Tag", t),
                        "state": st.state.value,
                        "progress": st.progress,
                        "input": (detail.get("Input") or {}).get("Object"),
                        "output": ((detail.get("Operation") or {}).get("Output") or {}).get("Object"),
                        "created": detail.get("CreationTime"),
                        "code": st.code,
                        "message": st.message,
                    }
                )
    rows.sort(key=lambda r: str(r.get("created") or ""), reverse=True)
    return rows[:size]


def get_job(settings: Settings, bucket: str | None, job_id: str) -> ProcessResult:
    from mediaproc.services import jobs

    name = _bucket_arg(settings, bucket)
    return jobs.status(_cos_settings(settings).with_(bucket=name), job_id)


def cancel_job(settings: Settings, bucket: str | None, job_id: str) -> ProcessResult:
    from mediaproc.providers.cos.provider import CosProvider

    name = _bucket_arg(settings, bucket)
    with CosProvider(_cos_settings(settings).with_(bucket=name)) as provider:
        job = provider.job(job_id)
        job.cancel()
        status = job.poll()
    return ProcessResult(
        success=True, mode="cancel", source=job_id, task_id=job_id, status=status.state.value, provider="cos"
    )


def private_m3u8(
    settings: Settings, source: str, *, expires: int = 3600, to: str | None = None
) -> tuple[ProcessResult, str]:
    """``ci-process=pm3u8``: a playlist whose segment URLs are signed for ``expires`` seconds.
    Written atomically to ``to`` when given; the text is returned for printing otherwise."""
    from mediaproc.providers.cos.provider import CosProvider

    src = parse_location(source, _cos_settings(settings), role="source")
    if src.scheme != "cos":
        raise UsageError(_("cos pm3u8 needs a cos:// playlist"), hint=_("e.g. cos://b-1250000000/hls/index.m3u8"))
    with CosProvider(_cos_settings(settings)) as provider:
        text, request_id = provider.private_m3u8(src, expires=expires)
    segments = sum(1 for line in text.splitlines() if line.strip() and not line.startswith("#"))
    result = ProcessResult(
        success=True, mode="data" if to is None else "file", source=str(src), request_id=request_id,
        provider="cos", extra={"segments": segments, "expires": expires},
    )  # fmt: skip
    if to is not None:
        folder = Location(scheme="file", path=expand_path(to), folder=is_folder_text(to))
        path = folder.joined(PurePosixPath(src.key or "playlist.m3u8").name).path or Path(to)
        if folder.folder:
            path.parent.mkdir(parents=True, exist_ok=True)
        size = _write_text_atomic(path, text)
        result = replace(result, target=to, path=str(path.resolve()), size=size)
    return result, text


def _write_text_atomic(path: Path, text: str) -> int:
    if not path.parent.is_dir():
        raise missing_folder(path.parent)
    from mediaproc.atomic import write_text_atomic

    return write_text_atomic(path, text)
