"""What every part of the COS encoding shares: placeholders, gravity names, units, colours, COS URLs,
the refusal, and the Op built back from wire values.

Kept apart so that the image rules, the watermarks, the media jobs and the detection calls can use
them without importing one another. Where the facts come from (searched 2026-11-21, Cloud Infinite
API pages, read in the docs' source repository tencentyun/qcloud-documents):

- gravity is spelt in full (``northwest`` .. ``southeast``) in "Cropping" (``crop/<W>x<H>/gravity/<g>``)
  and "Text Watermarking"/"Image Watermarking" (``gravity``);
- colours travel as URL-safe base64 of ``#RRGGBB``: "Scaling" (``/pad/1/color/<b64>``) and "Text
  Watermarking" (``fill``);
- media jobs count time in seconds and bitrates in kbit/s (CreateMediaJobs 436/54013), OSS in
  milliseconds and bits/s: :func:`to_secs`, :func:`to_ms`, :func:`to_kbps`, :func:`to_bps`;
- a watermark image or a concat fragment is named by its full COS URL: the form CI wants "must
  start with http://" and "must contain a COS domain name" (:func:`cos_url`).

Operations without a Cloud Infinite equivalent are refused before any request
(:class:`~mediaproc.errors.UnsupportedOperation`, exit 2), naming what to use instead
(:func:`refuse`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from mediaproc.errors import InvalidOperation, UnsupportedOperation
from mediaproc.i18n import _
from mediaproc.ops.b64 import b64decode, b64encode
from mediaproc.ops.catalog import get_spec
from mediaproc.ops.model import Op
from mediaproc.ops.validate import make_op
from mediaproc.ops.values import coerce

__all__ = [
    "BUCKET_PLACEHOLDER",
    "GRAVITY_FULL",
    "GRAVITY_SHORT",
    "REGION_PLACEHOLDER",
    "Refuse",
    "b64color",
    "color_from_b64",
    "cos_host",
    "cos_url",
    "hint_for",
    "key_from_url",
    "refuse",
    "refuse_params",
    "to_bps",
    "to_kbps",
    "to_ms",
    "to_secs",
    "wire_op",
]

REGION_PLACEHOLDER = "<region>"
BUCKET_PLACEHOLDER = "<bucket>"

GRAVITY_FULL: Mapping[str, str] = {
    "nw": "northwest",
    "north": "north",
    "ne": "northeast",
    "west": "west",
    "center": "center",
    "east": "east",
    "sw": "southwest",
    "south": "south",
    "se": "southeast",
}
GRAVITY_SHORT: Mapping[str, str] = {v: k for k, v in GRAVITY_FULL.items()}


def refuse(op_name: str, what: str, hint: str) -> UnsupportedOperation:
    """The error (exit 2) for ``what`` of ``op_name`` that Cloud Infinite cannot do; raise it."""
    return UnsupportedOperation(
        _("{op}: {what} has no Cloud Infinite equivalent").format(op=op_name, what=what),
        hint=hint,
        details={"operation": op_name, "provider": "cos"},
    )


def refuse_params(op: Op, keys: Iterable[str], hint: str | None = None) -> None:
    """Refuse ``op`` when it sets any of ``keys`` (parameters with no CI equivalent)."""
    given = [k for k in keys if k in op.params]
    if given:
        raise refuse(
            op.name,
            _("{keys}").format(keys=", ".join(f"{k}={op.params[k]}" for k in given)),
            hint or _("remove {keys}, or use --provider oss or local").format(keys=", ".join(given)),
        )


@dataclass(frozen=True)
class Refuse:
    """A check of the encoding tables: parameters CI has no equivalent for, refused before any
    request (exit 2) rather than dropped; ``hint`` is the advice (default: remove them, or use
    another provider)."""

    keys: tuple[str, ...]
    hint: str | None = None

    def __call__(self, op: Op) -> None:
        refuse_params(op, self.keys, self.hint)


def hint_for(name: str) -> str:
    """What to do instead of an operation COS does not have."""
    if name == "indexcrop":
        return _("CI has no indexed slice; use crop with x/y (cut) per strip, or --provider oss/local")
    return _("use --provider oss or --provider local for {name}").format(name=name)


def to_secs(ms: int | float) -> str:
    """Milliseconds -> CI seconds, shortest exact spelling (1500 -> "1.5", 2000 -> "2")."""
    text = f"{ms / 1000:.3f}".rstrip("0").rstrip(".")
    return text or "0"


def _number(value: str | float, what: str) -> float:
    """A CI number (a float of seconds, kbit/s); a word is the caller's bad request, not a crash."""
    try:
        number = float(value)
    except ValueError:
        number = float("nan")
    if number != number or number in (float("inf"), float("-inf")):  # NaN, or not finite
        raise InvalidOperation(
            _("{what} {value!r} is not a number").format(what=what, value=str(value)[:40]),
            hint=_("give a decimal number, e.g. 1.5"),
        )
    return number


def to_ms(seconds: str | float | None, what: str = "time") -> int | None:
    """CI seconds -> milliseconds; None when absent or empty."""
    if seconds is None or seconds == "":
        return None
    return round(_number(seconds, what) * 1000)


def to_kbps(bps: int) -> str:
    """OSS bits/s -> CI kbit/s, exact (CI bitrates are kbps, decimals allowed)."""
    return to_secs(bps)  # same arithmetic: /1000, shortest exact decimal


def to_bps(kbps: str | float | None) -> int | None:
    """CI kbit/s -> OSS bits/s; None when absent or empty."""
    if kbps is None or kbps == "":
        return None
    return round(_number(kbps, "bitrate") * 1000)


def b64color(rrggbb: str) -> str:
    """``RRGGBB`` -> URL-safe base64 of ``#RRGGBB``."""
    return b64encode("#" + rrggbb.upper())


def color_from_b64(value: str) -> str:
    try:
        text = b64decode(value).strip().lstrip("#")
    except ValueError:  # not base64 at all: the same 400 as base64 of something else (it was a 500)
        text = ""
    if not re.fullmatch(r"[0-9a-fA-F]{6}", text):
        raise InvalidOperation(
            _("colour {value!r} is not base64 of #RRGGBB").format(value=value),
            hint=_("encode the colour as URL-safe base64 of #RRGGBB"),
        )
    return text.upper()


def cos_host(bucket: str, region: str | None) -> str:
    """The virtual-host name COS answers on (the SDK sends it as Host even to an IP endpoint)."""
    return f"{bucket}.cos.{region or REGION_PLACEHOLDER}.myqcloud.com"


def cos_url(bucket: str, region: str | None, key: str) -> str:
    """``http://<bucket>.cos.<region>.myqcloud.com/<key>``: the form CI wants for watermark images
    and concat fragments ("must start with http://", "must contain a COS domain name")."""
    return f"http://{cos_host(bucket, region)}/{quote(key, safe='/-_.~')}"


def key_from_url(url: str) -> tuple[str | None, str]:
    """(bucket, key) of a COS object URL; bucket None when the host is not a COS host."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    m = re.match(r"^([a-z0-9-]+)\.(?:cos|ci|pic)\.[^.]+\.myqcloud\.com$", host)
    return (m.group(1) if m else None), unquote(parts.path.lstrip("/"))


def wire_op(name: str, **raw: Any) -> Op:
    """A validated Op from wire values (strings or ints), range-checked like user input."""
    spec = get_spec(name)
    params: dict[str, Any] = {}
    for key, value in raw.items():
        if value is None:
            continue
        param = spec.param(key)
        if param is None:  # pragma: no cover - a bug in this module, not user input
            raise InvalidOperation(f"{name}: no parameter {key}")
        params[param.key] = coerce(spec, param, str(value))
    return make_op(spec, params)
