"""The sync frame capture ``GET /<key>?ci-process=snapshot`` (video/snapshot), and its inverse for
the emulator.

Source (searched 2026-11-21): get_snapshot 436/55671, and the SDK's ``get_snapshot``
(cos-python-sdk-v5 1.9.44): ``time`` in seconds, ``width``, ``height``, ``format`` jpg|png,
``rotate`` auto|off, ``mode`` exactframe|keyframe.
"""

from __future__ import annotations

from collections.abc import Mapping

from mediaproc.errors import InvalidOperation
from mediaproc.i18n import _
from mediaproc.ops.cos.common import refuse, to_ms, to_secs, wire_op
from mediaproc.ops.model import Op

__all__ = ["parse_snapshot_params", "snapshot_params"]


def snapshot_params(op: Op) -> dict[str, str]:
    """``GET /<key>?ci-process=snapshot&time=..`` query for video/snapshot (the SDK's get_snapshot:
    time in seconds, width, height, format jpg|png, rotate auto|off, mode exactframe|keyframe)."""
    p = op.params
    if p.get("ar") in ("h", "w"):
        raise refuse(op.name, f"ar={p['ar']}", _("use ar=auto or no ar on COS"))
    out = {"ci-process": "snapshot", "time": to_secs(int(p["t"]))}
    if p.get("w"):
        out["width"] = str(p["w"])
    if p.get("h"):
        out["height"] = str(p["h"])
    out["format"] = p.get("f", "jpg")
    out["rotate"] = "auto" if p.get("ar") == "auto" else "off"
    out["mode"] = "keyframe" if p.get("m") == "fast" else "exactframe"
    return out


def parse_snapshot_params(query: Mapping[str, str]) -> Op:
    """The inverse of :func:`snapshot_params` (the emulator), held to CI's GetSnapshot page
    (cloud.tencent.com/document/product/436/121040): ``time`` is required, ``rotate`` is auto or
    off, ``mode`` keyframe or exactframe. A missing time was read as 0 and any other rotate or mode
    as the default, so serve answered a frame where CI answers 400."""
    if not query.get("time"):
        raise InvalidOperation(
            _("ci-process=snapshot needs time (seconds)"), hint=_("e.g. ci-process=snapshot&time=1.5")
        )
    choices = (("rotate", ("auto", "off"), "auto"), ("mode", ("keyframe", "exactframe"), "exactframe"))
    for name, allowed, default in choices:
        if name in query and query[name] not in allowed:
            raise InvalidOperation(
                _("ci-process=snapshot {name}={value!r} is not one of {allowed}").format(
                    name=name, value=query[name][:40], allowed=", ".join(allowed)
                ),
                hint=_("drop {name} for its default, {default}").format(name=name, default=default),
            )
    rotate = query.get("rotate", "auto")
    return wire_op(
        "video/snapshot",
        t=to_ms(query["time"]),
        w=query.get("width") or None,
        h=query.get("height") or None,
        f=query.get("format", "jpg"),
        ar="auto" if rotate == "auto" else None,
        m="fast" if query.get("mode") == "keyframe" else None,
    )
