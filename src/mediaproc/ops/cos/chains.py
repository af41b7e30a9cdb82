"""What a chain becomes on COS, and whether it can run there: :func:`request_kind` picks the request
(a :class:`RequestKind`: a rule, an info call, a detection call, a Pic-Operations extraction, a
frame capture, a media job); :func:`check_chain` refuses what COS cannot run, before any request,
and returns warnings for what runs but may differ from OSS.

The check is the encoding: it calls the same encoders the provider and ``--dry-run`` call, so the
three can never disagree about what is refused.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import Enum

from mediaproc.i18n import _
from mediaproc.ops.cos.ai import AI_PROCESS
from mediaproc.ops.cos.common import BUCKET_PLACEHOLDER, refuse
from mediaproc.ops.cos.image_rules import image_rule
from mediaproc.ops.cos.jobs import IGNORED, media_job_request
from mediaproc.ops.cos.snapshot import snapshot_params
from mediaproc.ops.cos.watermarks import extract_rule
from mediaproc.ops.model import Chain, Family, Op

__all__ = ["RequestKind", "check_chain", "request_kind", "rule_warnings"]


class RequestKind(str, Enum):
    """The request a chain becomes on COS. The values are the words the provider, the dry-run and
    the tests have always used, so anything that prints or serialises a kind reads the same."""

    RULE = "rule"  # an image chain: a processing rule (GET, or Pic-Operations when saved)
    INFO = "info"  # ?imageInfo (+ ?exif)
    AVE = "ave"  # ?imageAve
    AI = "ai"  # a detection ci-process
    EXTRACT = "extract"  # blind watermark extraction, through Pic-Operations only
    SNAPSHOT = "snapshot"  # the sync ci-process=snapshot
    VIDEOINFO = "videoinfo"  # ci-process=videoinfo
    JOB = "job"  # POST /jobs


# The operations whose request is not decided by their family (image -> RULE, media -> JOB).
_KIND_OF: Mapping[str, RequestKind] = {
    **{name: RequestKind.AI for name in AI_PROCESS},
    "blindwatermark-extract": RequestKind.EXTRACT,
    "info": RequestKind.INFO,
    "average-hue": RequestKind.AVE,
    "video/snapshot": RequestKind.SNAPSHOT,
    "video/info": RequestKind.VIDEOINFO,
    "audio/info": RequestKind.VIDEOINFO,
}


def request_kind(chain: Chain) -> RequestKind:
    """Which request the chain becomes; its last operation decides."""
    op = chain[-1]
    kind = _KIND_OF.get(op.name)
    if kind is not None:
        return kind
    return RequestKind.JOB if op.spec.family.is_media else RequestKind.RULE


def rule_warnings(ops: Iterable[Op]) -> list[str]:
    """Where the COS result can differ from OSS's although the request is valid."""
    out: list[str] = []
    for op in ops:
        p = op.params
        if op.name == "resize" and int(p.get("limit", op.spec.default("limit"))) == 1:
            mode = p.get("mode", op.spec.default("mode"))
            cover = mode in ("mfit", "fill") and "w" in p and "h" in p
            short = "s" in p and "w" not in p and "h" not in p
            if cover or short:
                out.append(
                    _(
                        "resize {what} on COS (thumbnail/!WxHr) may enlarge a smaller source; OSS limit_1 keeps it"
                    ).format(what=f"mode={mode}" if cover else "s")
                )
            if mode == "fixed" and "w" in p and "h" in p:
                out.append(
                    _("resize mode=fixed on COS (thumbnail/WxH!) may enlarge a smaller source; OSS limit_1 keeps it")
                )
        if op.name == "watermark" and "P" in p:
            out.append(_("watermark P is sent as CI scatype=1 (scale by the base image's width)"))
        if op.name == "crop" and p.get("g") == "face":
            out.append(_("crop g=face is sent as CI scrop (face smart crop), which may scale before cutting w x h"))
        if op.name == "crop" and p.get("g") == "auto":
            out.append(_("crop g=auto is sent as CI AIImageCrop: Cloud Infinite's model picks the region"))
    return out


def check_chain(chain: Chain, *, bucket: str | None = None, region: str | None = None) -> list[str]:
    """Refuse (UnsupportedOperation, exit 2) what COS cannot run, before any request; return the
    warnings of what runs but may differ from OSS. Encoding is the check: whatever the encoders
    refuse is refused here, so the dry-run and the provider can never disagree."""
    kind = request_kind(chain)
    if kind is RequestKind.AI:
        return []
    if kind is RequestKind.EXTRACT:
        extract_rule(chain[-1])
        return []
    mapped = ("blindwatermark-embed",)
    if any(op.spec.family is Family.AI and op.name not in mapped for op in chain):
        name = next(op.name for op in chain if op.spec.family is Family.AI and op.name not in mapped)
        raise refuse(
            name,
            _("the operation"),
            _("mediaproc maps {name} for oss and local only; use --provider oss or local").format(name=name),
        )
    if kind is RequestKind.RULE:
        image_rule(chain.ops, bucket=bucket, region=region)
        return rule_warnings(chain.ops)
    op = chain[-1]
    if kind is RequestKind.SNAPSHOT:
        snapshot_params(op)
    elif kind is RequestKind.JOB:
        media_job_request(op, input_key="k", bucket=bucket or BUCKET_PLACEHOLDER, region=region, output_key="o")
        ignored = [k for k in IGNORED.get(op.name, ()) if k in op.params]
        if ignored:
            return [
                _("{keys} only matter for OSS's transcode-while-playing; the COS job ignores them").format(
                    keys=", ".join(ignored)
                )
            ]
    return []
