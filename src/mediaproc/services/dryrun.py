"""``--dry-run``: the exact request that would be sent, built from the encoders, with no network.

For OSS this is the process string, or the POST body with ``sys/saveas`` for saves and async
operations; for COS the rule, the ``Pic-Operations`` header or the media-job XML. A local source
would first be uploaded to a temporary key whose name is only chosen at run time, so that key is
shown as a placeholder; everything else is exactly what would be sent.

With the local provider nothing is sent anywhere: the dry-run describes the local work instead
(which engine runs which operations on which file, and what it writes, in which format).

The destination may be left out (the skill's dry-run prints the bare process string): the request
is then shown as far as it goes without one, with ``"destination": null``. An async request is
shown without its ``sys/saveas`` segment, a COS media job with ``<destination>`` as its output
object; a real run asks for ``--to``. With ``--download-to`` the download of the saved result(s)
is shown as a ``download`` step.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from mediaproc.addressing import parse_location
from mediaproc.config import Settings, cos_region
from mediaproc.location import TEMP_KEY_PLACEHOLDER, Location, expand_path
from mediaproc.ops.destination import sequence_prefix
from mediaproc.ops.model import Chain, Mode, Op, Produces
from mediaproc.ops.validate import check_backend
from mediaproc.record import replace
from mediaproc.results import ProcessResult

if TYPE_CHECKING:
    from mediaproc.location import Scheme
    from mediaproc.ops.cos import ConcatRef
    from mediaproc.providers.base import ConcatInput
    from mediaproc.services.process import Plan, RunOptions

BUCKET_PLACEHOLDER = "<bucket>"
PROJECT_PLACEHOLDER = "<IMM project bound to {bucket}>"
IMM_ENDPOINT_PLACEHOLDER = "https://imm.<region>.aliyuncs.com"
DESTINATION_PLACEHOLDER = "<destination>"  # a COS job's output object when no --to was given


def _bucket_key(loc: Location) -> tuple[str, str]:
    """(bucket, key) of an object location: the parser sets both for every oss:// and cos:// URI."""
    return loc.bucket or "", loc.key or ""


def _object_of(loc: Location, settings: Settings, destination: Location | None, scheme: Scheme) -> tuple[str, str]:
    """(bucket, key) the request reads: the object itself, or the temporary upload of a local file,
    in the bucket the provider will choose (``providers.staging.work_bucket``)."""
    from mediaproc.providers.staging import work_bucket

    if loc.is_object:
        return _bucket_key(loc)
    name = PurePosixPath(str(loc.path or loc.url or "source")).name
    bucket = work_bucket(destination, scheme, settings.bucket) or BUCKET_PLACEHOLDER
    return bucket, TEMP_KEY_PLACEHOLDER.format(name=name)


def dry_run(settings: Settings, plan: Plan) -> ProcessResult:
    source = plan.request.source
    shown = str(source)
    described = plan
    if source.is_url:
        # Describe what will run: the URL is fetched to a file named after it, and that file is what
        # a cloud provider uploads. Its query string may carry a signature: it is never shown.
        from mediaproc.hygiene import redact_url
        from mediaproc.services.sources import file_name

        shown = redact_url(str(source.url))
        fetched = Location(scheme="file", path=Path(file_name(str(source.url))))
        described = replace(plan, request=replace(plan.request, source=fetched))
    data = describe(settings, described)
    if source.is_url:
        upload = data.get("upload")
        if isinstance(upload, dict) and "from" in upload:
            upload["from"] = shown
        if data.get("source") == str(described.request.source):
            data["source"] = shown
    dest = plan.request.destination
    data["destination"] = str(dest) if dest is not None else None
    if plan.download_to is not None and dest is not None:
        saved = str(dest) + ("*" if plan.chain.produces in (Produces.FILES, Produces.PLAYLIST) else "")
        data["download"] = {"from": saved, "to": plan.download_to}
    return ProcessResult(
        success=True,
        mode="dry-run",
        source=shown,
        target=str(plan.request.destination) if plan.request.destination else None,
        operations=data.get("process"),
        provider=plan.provider,
        data=data,
        warnings=plan.warnings,
    )


ITEM_PLACEHOLDER = "<item>"


def _item_name(source: str) -> str:
    """The placeholder for one batch item, keeping the extension a pattern names (``*.jpg``)."""
    match = re.search(r"\*(\.[A-Za-z0-9]+)$", source)
    return ITEM_PLACEHOLDER + (match.group(1) if match else "")


def dry_run_batch(
    settings: Settings, source: str, operations: Sequence[str] | Chain, options: RunOptions
) -> ProcessResult:
    """``--dry-run`` on a folder, prefix or glob: the request one item gets, with ``<item>`` for the
    item's name. Listing the items would need the network (and credentials), which a dry-run never
    uses, so they are named at run time; the destination of an item is where batch mode puts it
    (``--to`` folder + the item's relative name, the extension following ``format:``)."""
    from mediaproc.services.batch import map_extension, plan_batch, split_pattern
    from mediaproc.services.process import make_plan

    provider, chain = plan_batch(settings, source, operations, options.to)
    src = parse_location(source, settings, role="source")
    item = _item_name(source)
    if src.is_object:
        prefix, _pattern = split_pattern(src.key or "", literal=settings.literal)
        item_source = str(Location(scheme=src.scheme, bucket=src.bucket, key=prefix + item))
    else:
        stem = re.split(r"[*?\[]", source, maxsplit=1)[0]  # the folder part of a glob, or the folder
        base = expand_path(stem)
        folder = base if stem.endswith(("/", os.sep)) or base.is_dir() else base.parent
        item_source = str(folder / item)
    plan = make_plan(settings, item_source, chain, replace(options, to=None, download_to=None))
    rel = map_extension(item, chain)
    dest: Location | None = None
    if options.to is not None:
        root = parse_location(options.to, settings, role="destination")
        if root.is_object:
            prefix = root.key or ""
            prefix += "" if not prefix or prefix.endswith("/") else "/"
            dest = Location(scheme=root.scheme, bucket=root.bucket, key=prefix + rel)
        else:
            dest = Location(scheme="file", path=(root.path or Path(options.to)) / rel)
    warnings = tuple(p.message for p in check_backend(chain, provider))
    plan = replace(plan, provider=provider, warnings=warnings, request=replace(plan.request, destination=dest))
    result = dry_run(settings, plan)
    data = result.data if isinstance(result.data, dict) else {}
    data["destination"] = options.to
    data["batch"] = {"source": source, "item": ITEM_PLACEHOLDER, "items": "listed at run time"}
    return replace(result, source=source, target=options.to, data=data)


def wire_path(key: str | None) -> str:
    """An object's path in a request line as it goes on the wire, percent-encoded (``my photo #1.jpg``
    is ``/my%20photo%20%231.jpg``: a ``#`` shown raw would start a URL fragment); ``/`` is kept, which
    both services read alike either way, and so are the ``<item>`` and ``<uuid>`` placeholders."""
    from urllib.parse import quote

    return "/" + quote(key or "", safe="/<>")


def describe(settings: Settings, plan: Plan) -> dict[str, Any]:
    if plan.provider == "cos":
        return describe_cos(settings, plan)
    if plan.provider == "local":
        return describe_local(plan)
    return describe_oss(settings, plan)


def _engine(plan: Plan) -> str:
    """Which part of ``engine/`` the local provider hands the chain to (providers/local/provider.py)."""
    from mediaproc.engine.intelligent import is_analysis  # engine.analysis dispatches by the same facts

    chain = plan.chain
    if chain.family.is_media:  # video/info and audio/info too: their family is video/audio
        return "av"
    if is_analysis(chain[-1].spec):
        return "vision"
    return "image"


def _local_format(plan: Plan) -> str:
    """The format the local engine writes: the chain's own (``format:target=``, a media ``f``), else
    the destination's extension, else (images) the source's."""
    from mediaproc.ops.catalog.formats import format_from_extension

    chain = plan.chain
    dest = plan.request.destination
    if chain.produces is Produces.JSON:
        return "json"
    if chain.family.is_media:
        op = chain[-1]
        if op.name == "hls/m3u8":
            return "m3u8"
        given = op.get("f")
        if given is not None:
            return str(given)
    else:
        for op in reversed(chain.ops):
            if op.name == "format":
                return str(op.params["target"])
    for path in (dest.path if dest is not None else None, plan.request.source.path):
        found = format_from_extension(Path(path)) if path is not None else None
        if found:
            return found
    return "jpg"


def describe_local(plan: Plan) -> dict[str, Any]:
    """The local provider's work, as ``--dry-run`` shows it: nothing is sent, so there is no request;
    instead which engine runs which operations on which file, and what it writes, in which format."""
    from mediaproc.ops.parse import format_chain

    req = plan.request
    chain = plan.chain
    dest = req.destination
    engine = _engine(plan)
    words = " ".join(format_chain(chain))
    fmt = _local_format(plan)
    output: dict[str, Any] | None = None
    target = "stdout" if chain.produces is Produces.JSON else "(no --to)"
    if dest is not None and dest.path is not None:
        target = str(dest.path)
        output = {"path": target, "format": fmt}
        if chain.produces is Produces.FILES:
            output["files"] = True
    out: dict[str, Any] = {
        "provider": "local",
        "engine": engine,
        "mode": chain.mode.value,
        "source": str(req.source),
        "process": words,
        "operations": [{"name": op.name, "params": dict(op.params)} for op in chain],
        "output": output,
        "request_line": f"local {engine} engine: {req.source} -> {target} ({fmt}): {words}",
    }
    if req.inputs:
        out["inputs"] = [
            {"path": str(i.location), "position": i.position, "ss": i.ss, "t": i.t} for i in req.inputs
        ]
    return out


def describe_oss(settings: Settings, plan: Plan) -> dict[str, Any]:
    from mediaproc.ops.oss import encode as oss

    req = plan.request
    chain = plan.chain
    bucket, key = _object_of(req.source, settings, req.destination, "oss")
    dest = req.destination
    process = oss.process_string(chain)
    out: dict[str, Any] = {
        "provider": "oss",
        "bucket": bucket,
        "key": key,
        "mode": chain.mode.value,
        "process": process,
        "operations": [{"name": op.name, "params": dict(op.params)} for op in chain],
    }
    if not req.source.is_object:
        out["upload"] = {"from": str(req.source), "to": f"oss://{bucket}/{key}", "temporary": True}
    if any(op.name == "blindwatermark-extract" for op in chain):
        return _describe_decode_watermark(settings, out, chain[-1], bucket, key)
    if chain.mode is Mode.ASYNC:
        if dest is None:  # shown without sys/saveas: where to save is what --to would say
            body = oss.async_body(chain, bucket, key, inputs=req.inputs).partition("|sys/saveas")[0]
            out.update(method="POST", query="x-oss-async-process", body=body)
            out["request_line"] = f"POST {wire_path(key)}?x-oss-async-process"
            return out
        frames = chain.produces is Produces.FILES
        if dest.is_object:
            save_bucket, save_key = _bucket_key(dest)
            if frames:  # a prefix OSS numbers: <prefix>_0_<n>.<f> (ops.destination)
                save_key, _warning = sequence_prefix(save_key, PurePosixPath(key).name)
        else:
            save_bucket = bucket
            name = PurePosixPath(str(dest.path)).name if dest is not None and dest.path else "result"
            to = str(dest.path) if dest is not None else None
            if frames and dest is not None and dest.path is not None:
                target = dest.path.as_posix() + ("/" if dest.folder or dest.path.is_dir() else "")
                local_prefix, _warning = sequence_prefix(target, PurePosixPath(key).name)
                name, to = PurePosixPath(local_prefix).name, str(PurePosixPath(local_prefix).parent)
            save_key = TEMP_KEY_PLACEHOLDER.format(name=name)
            if dest is not None and dest.is_local:
                out["download"] = {"from": f"oss://{save_bucket}/{save_key}", "to": to}
        body = oss.async_body(chain, save_bucket, save_key, notify_topic=req.notify_topic, inputs=req.inputs)
        out.update(method="POST", query="x-oss-async-process", body=body)
        out["request_line"] = f"POST {wire_path(key)}?x-oss-async-process"
        return out
    playlist_to_file = chain.produces is Produces.PLAYLIST and dest is not None and dest.is_local
    if (oss.must_save(chain) and dest is not None and (dest.scheme == "url" or dest.is_local)) or playlist_to_file:
        # OSS saves a blind-watermarked image as a new object: saved, then downloaded (a temporary
        # object, deleted) or kept and signed. A playlist's GET answer names its segments relative
        # to the source's folder on the service: saved, then downloaded with its segments.
        assert dest is not None
        if dest.is_local:
            save_bucket, save_key = bucket, TEMP_KEY_PLACEHOLDER.format(name=PurePosixPath(str(dest.path)).name)
            out["download"] = {"from": f"oss://{save_bucket}/{save_key}", "to": str(dest.path), "temporary": True}
            if playlist_to_file:
                out["download"]["segments"] = True
        else:
            kept = req.save_as
            save_bucket, save_key = _bucket_key(kept) if kept is not None else (bucket, oss.kept_key(key, chain))
            out["signed_url"] = True
            out["kept"] = f"oss://{save_bucket}/{save_key}"
        out.update(method="POST", query="x-oss-process", body=oss.sync_save_body(chain, save_bucket, save_key))
        out["request_line"] = f"POST {wire_path(key)}?x-oss-process"
        return out
    if dest is not None and dest.is_object:
        body = oss.sync_save_body(chain, *_bucket_key(dest))
        out.update(method="POST", query="x-oss-process", body=body)
        out["request_line"] = f"POST {wire_path(key)}?x-oss-process"
        return out
    out.update(method="GET", query=f"x-oss-process={process}", body=None)
    out["request_line"] = f"GET {wire_path(key)}?x-oss-process={process}"
    if dest is not None and dest.scheme == "url":
        out["signed_url"] = True
    elif dest is not None and dest.is_local and chain.produces is not Produces.JSON:
        out["download"] = {"to": str(dest.path)}
    return out


def _describe_decode_watermark(
    settings: Settings, out: dict[str, Any], op: Op, bucket: str, key: str
) -> dict[str, Any]:
    """OSS runs ``blindwatermark-extract`` as the IMM RPC ``CreateDecodeBlindWatermarkTask`` (then
    ``GetTask`` until it ends and ``GetDecodeBlindWatermarkResult``), not as an OSS request: this is
    what is sent. The project is the one bound to the bucket, found at run time unless given."""
    from mediaproc.errors import ConfigError
    from mediaproc.ops.oss import encode as oss
    from mediaproc.providers.oss.endpoints import resolve_endpoints

    project = settings.imm_project or PROJECT_PLACEHOLDER.format(bucket=bucket)
    params = oss.decode_watermark_params(op, project, f"oss://{bucket}/{key}")
    try:
        endpoint = resolve_endpoints(settings).imm_url
    except ConfigError:
        endpoint = IMM_ENDPOINT_PLACEHOLDER
    out.update(
        method="POST",
        query=None,
        body=json.dumps(params, ensure_ascii=False),
        endpoint=endpoint,
        imm={"action": oss.DECODE_WATERMARK_ACTION, "version": "2020-09-30", "params": params},
    )
    out["process"] = oss.DECODE_WATERMARK_ACTION
    out["request_line"] = f"POST {endpoint}/    (IMM {oss.DECODE_WATERMARK_ACTION}, x-acs-action)"
    out["then"] = [
        f"GetTask (ProjectName={project}, TaskType={op.spec.imm_task}, TaskId=<returned>) until it ends",
        f"GetDecodeBlindWatermarkResult (ProjectName={project}, TaskType={op.spec.imm_task}, TaskId=<returned>)",
    ]
    if settings.imm_project is None:
        out["also"] = [f"GetOSSBucketAttachment (OSSBucket={bucket})    (finds the project)"]
    return out


def render_lines(data: dict[str, Any]) -> list[str]:
    """The human form: the request line, the body if any (what a person would paste into curl)."""
    lines = [f"{data['request_line']}    (bucket {data['bucket']})"]
    if data.get("body"):
        lines.append(data["body"])
    return lines


def _query_string(params: Mapping[str, str]) -> str:
    return "&".join(f"{k}={v}" for k, v in params.items())


def describe_cos(settings: Settings, plan: Plan) -> dict[str, Any]:
    """``--dry-run`` for COS: the rule / ``Pic-Operations`` header / job XML that would be sent.

    Like the OSS description: ``request_line`` and ``bucket`` (rendered by ``output.dry_run``),
    ``body``, and ``upload``/``download`` steps when a local file is involved.
    """
    from mediaproc.ops.cos import (
        REGION_PLACEHOLDER,
        RequestKind,
        ai_params,
        check_chain,
        extract_rule,
        fileid_for,
        image_rule,
        job_xml,
        media_job_request,
        request_kind,
        rule_params,
        snapshot_params,
    )

    req = plan.request
    chain = plan.chain
    region = cos_region(settings)
    bucket, key = _object_of(req.source, settings, req.destination, "cos")
    warnings = check_chain(chain, bucket=bucket, region=region)
    dest = req.destination
    kind = request_kind(chain)
    out: dict[str, Any] = {
        "provider": "cos",
        "bucket": bucket,
        "region": region or REGION_PLACEHOLDER,
        "key": key,
        "mode": chain.mode.value,
        "operations": [{"name": op.name, "params": dict(op.params)} for op in chain],
    }
    if warnings:
        out["warnings"] = warnings
    if not req.source.is_object:
        out["upload"] = {"from": str(req.source), "to": f"cos://{bucket}/{key}", "temporary": True}
    # where a local destination is written (None: not a local destination)
    local_path = dest.path if dest is not None and dest.is_local else None
    if kind in (RequestKind.INFO, RequestKind.AVE):
        query = "imageInfo" if kind is RequestKind.INFO else "imageAve"
        out.update(method="GET", query=query, process=query, body=None)
        out["request_line"] = f"GET {wire_path(key)}?{query}"
        if kind is RequestKind.INFO:
            out["also"] = [f"GET {wire_path(key)}?exif"]
        return out
    if kind is RequestKind.AI:
        qs = _query_string(ai_params(chain[-1]))
        out.update(method="GET", query=qs, process=qs, body=None)
        out["request_line"] = f"GET {wire_path(key)}?{qs}"
        return out
    if kind is RequestKind.EXTRACT:
        rule = extract_rule(chain[-1])
        fileid = "/" + TEMP_KEY_PLACEHOLDER.format(name="blindwatermark.txt")
        out["process"] = rule
        if not _pic_request(out, key, [{"fileid": fileid, "rule": rule}], on_object=req.source.is_object):
            path = wire_path(key)
            out["request_line"] = f"PUT {path}    then    POST {path}?image_process    (temporary copy, deleted)"
        out["then"] = f"GET {fileid}    (the extracted text; deleted afterwards)"
        return out
    if kind is RequestKind.VIDEOINFO:
        out.update(method="GET", query="ci-process=videoinfo", process="ci-process=videoinfo", body=None)
        out["request_line"] = f"GET {wire_path(key)}?ci-process=videoinfo"
        return out
    if kind is RequestKind.SNAPSHOT:
        qs = _query_string(snapshot_params(chain[-1]))
        out.update(method="GET", query=qs, process=qs, body=None)
        out["request_line"] = f"GET {wire_path(key)}?{qs}"
        if dest is not None and dest.is_object:
            out["then"] = f"PUT {wire_path(dest.key)}    (bucket {dest.bucket})"
        elif local_path is not None:
            out["download"] = {"to": str(local_path)}
        return out
    if kind is RequestKind.JOB:
        frames = chain.produces is Produces.FILES and dest is not None and (dest.is_object or dest.path is not None)
        if dest is None:
            out_bucket, out_key = bucket, DESTINATION_PLACEHOLDER
        elif frames:
            # CI numbers frames from 0: they are cut into a temporary folder, then named by the one
            # rule (ops.destination) -- copied there, or downloaded
            if dest.is_object:
                out_bucket, prefix = dest.bucket or bucket, sequence_prefix(dest.key or "", PurePosixPath(key).name)[0]
            else:
                assert dest.path is not None
                target = dest.path.as_posix() + ("/" if dest.folder or dest.path.is_dir() else "")
                out_bucket, prefix = bucket, sequence_prefix(target, PurePosixPath(key).name)[0]
            out_key = TEMP_KEY_PLACEHOLDER.format(name="frame")
            fmt = str(chain[-1].params.get("f", "jpg"))
            where = f"cos://{out_bucket}/" if dest.is_object else ""
            out["then"] = (f"frames renamed to {where}{prefix}_0_1.{fmt}, {where}{prefix}_0_2.{fmt}, ... "
                           "(the temporary folder is deleted)")
        elif dest.is_object:
            out_bucket, out_key = _bucket_key(dest)
        else:
            name = PurePosixPath(str(dest.path)).name if dest is not None and dest.path else "result"
            out_bucket, out_key = bucket, TEMP_KEY_PLACEHOLDER.format(name=name)
            if local_path is not None:
                out["download"] = {"from": f"cos://{out_bucket}/{out_key}", "to": str(local_path)}
        refs = tuple(_concat_ref(i) for i in req.inputs)
        body = media_job_request(
            chain[-1], input_key=key, bucket=bucket, region=region, output_key=out_key,
            output_bucket=out_bucket, inputs=refs,
        )  # fmt: skip
        xml = job_xml(body)
        out.update(method="POST", query=None, process=body["Tag"], body=xml, job=body)
        out["request_line"] = "POST /jobs    (Content-Type: application/xml)"
        return out
    rule = image_rule(chain.ops, bucket=bucket, region=region)
    out["process"] = rule
    if dest is not None and dest.is_object:
        dest_bucket, dest_key = _bucket_key(dest)
        fileid = fileid_for(key, dest_key)
        rules = [{"fileid": fileid, "rule": rule}]
        if dest_bucket != bucket:
            rules[0]["bucket"] = dest_bucket
        if not _pic_request(out, key, rules, on_object=req.source.is_object):
            out["request_line"] = f"PUT {wire_path(key)}    (process on upload; the original is deleted afterwards)"
            out.pop("upload", None)
            out["temporary"] = {"key": key, "deleted": True}
        return out
    out.update(method="GET", query=rule, body=None)
    out["request_line"] = f"GET {wire_path(key)}?{rule}"
    if rule.startswith("ci-process="):
        out["query"] = rule_params(rule)
    if dest is not None and dest.scheme == "url":
        out["signed_url"] = True
    elif local_path is not None and chain.produces is not Produces.JSON:
        out["download"] = {"to": str(local_path)}
    return out


def _concat_ref(item: ConcatInput) -> ConcatRef:
    from mediaproc.ops.cos import ConcatRef

    loc = item.location
    key = _bucket_key(loc)[1] if loc.is_object else TEMP_KEY_PLACEHOLDER.format(name=PurePosixPath(str(loc.path)).name)
    bucket = loc.bucket if loc.is_object else None
    return ConcatRef(key=key, position=item.position, ss=item.ss, t=item.t, bucket=bucket)


def _pic_request(out: dict[str, Any], key: str, rules: list[dict[str, str]], *, on_object: bool) -> bool:
    """A ``Pic-Operations`` request into ``out``: ``POST ?image_process`` on a stored object (True),
    else the ``PUT`` that uploads the local file first (False: the caller says what follows it)."""
    from mediaproc.ops.cos import pic_operations

    header = pic_operations(rules)
    out.update(pic_operations=json.loads(header), body=f"Pic-Operations: {header}")
    if on_object:
        out.update(method="POST", query="image_process", request_line=f"POST {wire_path(key)}?image_process")
    else:
        out.update(method="PUT", query=None)
    return on_object
