"""Turning the text a user typed into a typed parameter value, and back.

Both grammars end here: the seed grammar hands over plain text (``text=Hello``), the native OSS
grammar hands over decoded text (``text_SGVsbG8`` is decoded by the caller). The typed value is what
every backend reads (TEAM.md contract): INT -> int, BOOL -> 0/1, ENUM -> canonical lower-case,
SIZE -> (w, h), COLOR -> "RRGGBB", TEXT/KEY/STR -> str.
"""

from __future__ import annotations

import re

from mediaproc import TYPE_CHECKING
from mediaproc.errors import InvalidOperation
from mediaproc.i18n import _
from mediaproc.ops.model import OpSpec, Param, PType

if TYPE_CHECKING:
    from typing import Any

# Matched through ``re``'s cache: each is compiled when a value of its kind is first read, not on every start.
_INT = r"[+-]?\d+"
_SIZE = r"(\d+)\s*[xX*]\s*(\d+)"
_HEX = r"[0-9a-fA-F]{6}"
_HEX3 = r"[0-9a-fA-F]{3}"
_BOOL_WORDS = {"true": 1, "yes": 1, "on": 1, "false": 0, "no": 0, "off": 0}


def _fail(spec: OpSpec, param: Param, message: str, hint: str) -> InvalidOperation:
    details = {"operation": spec.name, "parameter": param.key}
    if param.ec:
        details["ec"] = param.ec  # the serve fronts answer with OSS's detail code for this case
    return InvalidOperation(_("{op}: {message}").format(op=spec.name, message=message), hint=hint, details=details)


def range_text(param: Param) -> str:
    if param.min is not None and param.max is not None:
        return f"{param.min}-{param.max}" if param.min >= 0 else f"{param.min}..{param.max}"
    if param.min is not None:
        return f">= {param.min}"
    if param.max is not None:
        return f"<= {param.max}"
    return ""


def _check_range(spec: OpSpec, param: Param, value: int, shown: str) -> None:
    lo, hi = param.min, param.max
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise _fail(
            spec,
            param,
            _("{key}={value} is out of range ({range})").format(key=param.key, value=shown, range=range_text(param)),
            _("{key}: {help}").format(key=param.key, help=_(param.help)),
        )


def coerce(spec: OpSpec, param: Param, raw: str, *, native: bool = False) -> Any:
    """Convert and range-check one value; raises InvalidOperation naming the op and parameter.
    ``native``: the value comes from an OSS process string, which takes a colour as six hex digits
    only (0040-00000254: "规范格式为6位"); the seed grammar also takes ``FFF`` and ``#FF0000``."""
    if raw == "":
        raise _fail(
            spec,
            param,
            _("empty value for {key}").format(key=param.key),
            _("{key}: {help}").format(key=param.key, help=_(param.help)),
        )
    kind = param.type
    if kind is PType.INT:
        text = raw.strip()
        if not re.fullmatch(_INT, text):
            raise _fail(
                spec,
                param,
                _("{key}={raw!r} is not a whole number").format(key=param.key, raw=raw),
                _("{key}: {help}").format(key=param.key, help=_(param.help)),
            )
        value = int(text)
        _check_range(spec, param, value, text)
        return value
    if kind is PType.BOOL:
        text = raw.strip().lower()
        if text in ("0", "1"):
            return int(text)
        if text in _BOOL_WORDS:
            return _BOOL_WORDS[text]
        raise _fail(
            spec,
            param,
            _("{key}={raw!r} must be 0 or 1").format(key=param.key, raw=raw),
            _("{key}: {help}").format(key=param.key, help=_(param.help)),
        )
    if kind is PType.ENUM:
        text = raw.strip().lower()
        text = param.choice_aliases.get(text, text)
        # The wire spelling is accepted too (model_FFT in a pasted process string).
        for canonical, wire in param.wire_values.items():
            if text == wire.lower():
                text = canonical
        if text not in param.choices:
            import difflib  # only on the error path

            close = difflib.get_close_matches(text, [*param.choices, *param.choice_aliases], n=1, cutoff=0.6)
            hint = _("choose one of: {choices}").format(choices=", ".join(param.choices))
            if close:
                guess = param.choice_aliases.get(close[0], close[0])
                hint = _("did you mean {key}={guess}? ").format(key=param.key, guess=guess) + hint
            raise _fail(
                spec,
                param,
                _("{key}={raw!r} is not one of {choices}").format(
                    key=param.key, raw=raw, choices=", ".join(param.choices)
                ),
                hint,
            )
        return text
    if kind is PType.SIZE:
        match = re.fullmatch(_SIZE, raw.strip())
        if not match:
            raise _fail(
                spec,
                param,
                _("{key}={raw!r} is not a size WIDTHxHEIGHT").format(key=param.key, raw=raw),
                _("write it like {key}=1280x720").format(key=param.key),
            )
        w, h = int(match.group(1)), int(match.group(2))
        for side in (w, h):
            _check_range(spec, param, side, f"{w}x{h}")
        return (w, h)
    if kind is PType.COLOR:
        text = raw.strip() if native else raw.strip().lstrip("#")
        if re.fullmatch(_HEX3, text) and not native:
            text = "".join(c * 2 for c in text)
        if not re.fullmatch(_HEX, text):
            raise _fail(
                spec,
                param,
                _("{key}={raw!r} is not a colour RRGGBB").format(key=param.key, raw=raw),
                _("write six hex digits, e.g. {key}=FF0000").format(key=param.key),
            )
        return text.upper()
    if kind is PType.TEXT and param.max is not None and len(raw.encode("utf-8")) > param.max:
        raise _fail(
            spec,
            param,
            _("{key} is {n} bytes as UTF-8; at most {max} are allowed").format(
                key=param.key, n=len(raw.encode("utf-8")), max=param.max
            ),
            _("shorten it (OSS counts the decoded text: about {chars} CJK characters)").format(chars=param.max // 3),
        )
    if kind is PType.KEY and raw.startswith("/"):
        # OSS object names cannot start with "/" (help.aliyun.com/zh/oss/user-guide/object-naming-
        # conventions); COS would read the key back without it, so neither cloud could find the object.
        raise _fail(
            spec,
            param,
            _("{key}={raw!r}: an object key cannot start with '/'").format(key=param.key, raw=raw),
            _("write the key as the bucket lists it: {key}={fixed}").format(key=param.key, fixed=raw.lstrip("/")),
        )
    return raw


def to_text(param: Param, value: Any) -> str:
    """The seed-grammar spelling of a typed value (inverse of :func:`coerce`)."""
    if param.type is PType.SIZE:
        return f"{value[0]}x{value[1]}"
    return str(value)


def reported_int(value: Any) -> int | None:
    """A number the service reported, often as text ("1920", "44100.0"), as an int; None if it is not one."""
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return None


def reported_float(value: Any) -> float | None:
    """A number the service reported, often as text ("10.005"), as a float; None if it is not one."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
