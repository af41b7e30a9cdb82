"""``--dry-run``: the exact request that would be sent, built from the encoders, with no network.

For OSS this is the process string, or the POST body with ``sys/saveas`` for saves and async
operations. A local source would first be uploaded to a temporary key whose name is only chosen at
run time, so that key is shown as a placeholder; everything else is exactly what would be sent.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from mediaproc.config import Settings
from mediaproc.ops.model import Mode, Output

if TYPE_CHECKING:
    from mediaproc.services.process import Plan

TEMP_KEY_PLACEHOLDER = ".mediaproc-tmp/<uuid>/{name}"
BUCKET_PLACEHOLDER = "<bucket>"


def _object_of(loc: Any, settings: Settings) -> tuple[str, str]:
    if loc.is_object:
        return loc.bucket, loc.key
    name = PurePosixPath(str(loc.path or loc.url or "source")).name
    return settings.bucket or BUCKET_PLACEHOLDER, TEMP_KEY_PLACEHOLDER.format(name=name)


def describe(settings: Settings, plan: Plan) -> dict[str, Any]:
    if plan.provider == "cos":
        from mediaproc.ops.cos import encoding as cos_encoder  # added by the COS work; absent until then

        return cos_encoder.describe_request(settings, plan)  # type: ignore[attr-defined]
    return describe_oss(settings, plan)


def describe_oss(settings: Settings, plan: Plan) -> dict[str, Any]:
    from mediaproc.ops.oss import encode as oss

    req = plan.request
    chain = plan.chain
    bucket, key = _object_of(req.source, settings)
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
    if chain.mode is Mode.ASYNC:
        if dest is not None and dest.is_object:
            save_bucket, save_key = dest.bucket, dest.key
        else:
            save_bucket = bucket
            name = PurePosixPath(str(dest.path)).name if dest is not None and dest.path else "result"
            save_key = TEMP_KEY_PLACEHOLDER.format(name=name)
            if dest is not None and dest.is_local:
                out["download"] = {"from": f"oss://{save_bucket}/{save_key}", "to": str(dest.path)}
        body = oss.async_body(
            chain, save_bucket, save_key, notify_topic=req.notify_topic, inputs=req.inputs
        )
        out.update(method="POST", query="x-oss-async-process", body=body)
        out["request_line"] = f"POST /{key}?x-oss-async-process"
        return out
    if dest is not None and dest.is_object:
        body = oss.sync_save_body(chain, dest.bucket, dest.key)
        out.update(method="POST", query="x-oss-process", body=body)
        out["request_line"] = f"POST /{key}?x-oss-process"
        return out
    out.update(method="GET", query=f"x-oss-process={process}", body=None)
    out["request_line"] = f"GET /{key}?x-oss-process={process}"
    if dest is not None and dest.scheme == "url":
        out["signed_url"] = True
    elif dest is not None and dest.is_local and chain.output is not Output.JSON:
        out["download"] = {"to": str(dest.path)}
    return out


def render_lines(data: dict[str, Any]) -> list[str]:
    """The human form: the request line, the body if any (what a person would paste into curl)."""
    lines = [f"{data['request_line']}    (bucket {data['bucket']})"]
    if data.get("body"):
        lines.append(data["body"])
    return lines
