"""The sync frame capture ``GET /<key>?ci-process=snapshot`` (video/snapshot), and its inverse for
the emulator.

Source (searched 2026-11-21): get_snapshot 436/55671, and the SDK's ``get_snapshot``
(cos-python-sdk-v5 1.9.44): ``time`` in seconds, ``width``, ``height``, ``format`` jpg|png,
``rotate`` auto|off, ``mode`` exactframe|keyframe.
"""

from __future__ import annotations

from collections.abc import Mapping

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
    """The inverse of :func:`snapshot_params` (the emulator)."""
    rotate = query.get("rotate", "auto")
    return wire_op(
        "video/snapshot",
        t=to_ms(query.get("time", "0")),
        w=query.get("width") or None,
        h=query.get("height") or None,
        f=query.get("format", "jpg"),
        ar="auto" if rotate == "auto" else None,
        m="fast" if query.get("mode") == "keyframe" else None,
    )
