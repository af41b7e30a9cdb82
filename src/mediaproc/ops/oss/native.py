"""Reading native OSS process strings (``image/resize,w_600/watermark,text_SGk``).

Users paste these from the console or from styles; the emulator reads them from request bodies.
One string holds one request: an ``image/`` prefix then any number of image operations, or one
media operation (``video/convert,...``, ``hls/m3u8,...``), optionally followed by concat inputs
(``/pre,o_<b64>,ss_..,t_..`` and ``/sur,...``). Text, font and key values are URL-safe base64.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from mediaproc.errors import InvalidOperation
from mediaproc.i18n import _
from mediaproc.ops.b64 import b64decode
from mediaproc.ops.catalog import find_spec, get_spec, oss_spec
from mediaproc.ops.collect import ParamCollector, resolve_param
from mediaproc.ops.model import Op, OpSpec, PType
from mediaproc.ops.oss import BODY_PREFIXES
from mediaproc.ops.validate import check_chain_length, check_process_length

if TYPE_CHECKING:
    from mediaproc.location import Position

PREFIXES = ("image", "video", "audio", "hls")


@dataclass(frozen=True)
class ConcatSegment:
    """A ``/pre`` or ``/sur`` input of a concat request, as OSS spells it (key, not a Location)."""

    key: str
    position: Position = "sur"
    ss: int | None = None
    t: int | None = None


@dataclass(frozen=True)
class NativeProcess:
    """A native OSS process string, parsed: its operations and concat inputs."""

    ops: tuple[Op, ...]
    inputs: tuple[ConcatSegment, ...] = ()


def strip_body_prefix(text: str) -> str:
    text = text.strip()
    if "%" in text:  # a URL-encoded paste (x-oss-process=image%2Fresize%2Cw_600)
        from urllib.parse import unquote

        text = unquote(text)
    for prefix in BODY_PREFIXES:
        if text.lower().startswith(prefix):
            return text[len(prefix) :]
    return text


def _decode(spec: OpSpec, key: str, value: str) -> str:
    try:
        return b64decode(value)
    except ValueError as exc:
        from mediaproc.ops.catalog.image import BASE64_EC

        details = {"operation": spec.name, "parameter": key}
        ec = BASE64_EC.get((spec.name, key))
        if ec:
            details["ec"] = ec  # the serve front answers with OSS's detail code
        raise InvalidOperation(
            _("{op}: {key}_{value} is not valid URL-safe base64 ({reason})").format(
                op=spec.name, key=key, value=value[:40], reason=exc
            ),
            hint=_("encode the value with URL-safe base64, or use the seed grammar: {op}:{key}=TEXT").format(
                op=spec.name, key=key
            ),
            details=details,
        ) from None


def parse_segment(spec: OpSpec, tokens: list[str], destination: str | None = None) -> Op:
    """One ``name,k_v,k_v`` segment (tokens without the name) into a validated Op."""
    collect = ParamCollector(spec, native=True, destination=destination)
    for token in tokens:
        if token == "":
            continue
        if "_" not in token:
            collect.add_positional(token)
            continue
        key, value = token.split("_", 1)
        param = resolve_param(spec, key, native=True)
        if param.type in (PType.TEXT, PType.KEY):
            value = _decode(spec, key, value)
        collect.add(key, value)
    return collect.op()


def _unknown(prefix: str, name: str) -> InvalidOperation:
    guess = f"{prefix}/{name}" if prefix != "image" else name
    try:
        get_spec(guess)
    except InvalidOperation as exc:
        return InvalidOperation(
            _("unknown operation {name!r} in process string").format(name=f"{prefix}/{name}"),
            hint=exc.hint,
        )
    return InvalidOperation(
        _("{name!r} is not an OSS operation").format(name=f"{prefix}/{name}"),
        hint=_("use the seed grammar, e.g. {name}:key=value").format(name=guess),
    )


def _segment_input(segment: str) -> ConcatSegment:
    name, *tokens = segment.split(",")
    values: dict[str, str] = {}
    for token in tokens:
        key, sep, value = token.partition("_")
        if not sep or key not in ("o", "ss", "t") or key in values:
            raise InvalidOperation(
                _("malformed concat input /{segment}").format(segment=segment[:60]),
                hint=_("write /pre,o_<base64 key>[,ss_MS][,t_MS] or /sur,..."),
            )
        values[key] = value
    if "o" not in values:
        raise InvalidOperation(
            _("concat input /{name} has no object (o_<base64 key>)").format(name=name),
            hint=_("write /{name},o_<base64 key>").format(name=name),
        )
    try:
        key = b64decode(values["o"])
    except ValueError as exc:
        raise InvalidOperation(
            _("concat input o_{value} is not valid URL-safe base64 ({reason})").format(
                value=values["o"][:40], reason=exc
            ),
            hint=_("encode the object key with URL-safe base64"),
        ) from None
    times: dict[str, int] = {}
    for k in ("ss", "t"):
        if k in values:
            if not values[k].isdigit():
                raise InvalidOperation(
                    _("concat input {k}_{v} is not a time in ms").format(k=k, v=values[k]),
                    hint=_("use a whole number of milliseconds"),
                )
            times[k] = int(values[k])
    position: Position = "pre" if name == "pre" else "sur"
    return ConcatSegment(key=key, position=position, ss=times.get("ss"), t=times.get("t"))


def parse_process(text: str, *, destination: str | None = None) -> NativeProcess:
    """Parse the operations part of a native process string (no ``|sys/saveas``). ``destination``:
    the file the user's result goes to (``ops.parse.parse_chain``); serve never gives one."""
    check_process_length(text)
    body = strip_body_prefix(text)
    if "|" in body:
        raise InvalidOperation(
            _("the process string contains a pipe ('|'): only operations are accepted here"),
            hint=_("drop '|sys/saveas,...'; the destination (--to) decides where the result goes"),
        )
    segments = [s for s in body.split("/") if s.strip() != ""]
    if not segments:
        raise InvalidOperation(_("empty process string"), hint=_("e.g. image/resize,w_600"))
    prefix = segments[0].strip().lower()
    if prefix in PREFIXES:
        segments = segments[1:]
    else:
        spec = find_spec(segments[0].split(",", 1)[0])
        if spec is not None and spec.family.is_media:
            raise InvalidOperation(
                _("{name!r} needs its prefix in a process string").format(name=segments[0].split(",")[0]),
                hint=_("write {oss},...").format(oss=spec.oss or spec.name),
            )
        prefix = "image"  # a style pasted without its prefix: resize,w_600/quality,q_80
    if not segments:
        from mediaproc.ops.catalog.image import NO_OPERATION_EC

        raise InvalidOperation(
            _("process string {text!r} names no operation").format(text=body[:60]),
            hint=_("e.g. {prefix}/...").format(prefix=prefix),
            details={"ec": NO_OPERATION_EC} if prefix == "image" else {},
        )
    ops: list[Op] = []
    inputs: list[ConcatSegment] = []
    for segment in segments:
        name, *tokens = segment.split(",")
        name = name.strip()
        if prefix == "image" and name.lower() == "image":
            continue  # tolerate a repeated prefix
        if ops and ops[0].spec.family.is_media:
            if name in ("pre", "sur"):
                inputs.append(_segment_input(segment))
                continue
            raise InvalidOperation(
                _("only one media operation per request; found {extra!r} after {op}").format(
                    extra=name, op=ops[0].name
                ),
                hint=_("run each media operation as its own request"),
            )
        spec = oss_spec(prefix, name)
        if spec is None:
            raise _unknown(prefix, name)
        check_chain_length(len(ops) + 1)  # before parsing the rest of a very long chain
        ops.append(parse_segment(spec, tokens, destination))
    if inputs and not ops[0].spec.joins:
        raise InvalidOperation(
            _("/pre and /sur inputs only apply to video/concat and audio/concat"),
            hint=_("remove them"),
        )
    return NativeProcess(ops=tuple(ops), inputs=tuple(inputs))
