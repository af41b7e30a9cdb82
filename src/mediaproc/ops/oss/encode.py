"""The OSS wire encoding of a chain, and its inverse for the emulator.

- ``process_string``: ``image/resize,w_800/quality,Q_80/format,webp`` (image operations share ONE
  ``image/`` prefix), ``video/convert,f_mp4,vcodec_h264``, ``hls/m3u8,...``. Parameters are emitted
  in catalogue order; only what the user gave (plus ``auto-orient``'s value, which OSS needs).
- ``sync_save_body``: ``x-oss-process=<ops>|sys/saveas,o_<b64 key>,b_<b64 bucket>``.
- ``async_body``: ``x-oss-async-process=<ops>[/pre,..][/sur,..]|sys/saveas,o_..,b_..[/notify,topic_..]``
  (notify after saveas: OSS "消息通知" example ``...|sys/saveas,b_..,o_../notify,topic_..``).
- ``parse_request_body``: the inverse, returning the chain, the save target, the topic and inputs.
- ``decode_watermark_params``: ``blindwatermark-extract`` is no process string on OSS but the IMM RPC
  ``CreateDecodeBlindWatermarkTask``; its parameters.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import PurePosixPath
from typing import Any

from mediaproc.errors import InvalidOperation
from mediaproc.i18n import _
from mediaproc.ops.b64 import b64decode, b64encode
from mediaproc.ops.catalog import IMAGE_PREFIX_FAMILIES
from mediaproc.ops.model import Chain, Op, Param, PType
from mediaproc.ops.oss.native import ConcatSegment, parse_process, strip_body_prefix
from mediaproc.ops.styles import STYLE_SPEC, reference_text
from mediaproc.ops.styles import check_chain as check_styles
from mediaproc.ops.validate import check_concat_inputs, make_chain

__all__ = [
    "ConcatSegment",
    "async_body",
    "b64decode",
    "b64encode",
    "decode_watermark_params",
    "encode_op",
    "kept_key",
    "must_save",
    "parse_request_body",
    "process_string",
    "saveas",
    "sync_save_body",
]


def _value(param: Param, value: Any) -> str:
    kind = param.type
    if kind in (PType.TEXT, PType.KEY):
        return b64encode(str(value))
    if kind is PType.SIZE:
        return f"{value[0]}x{value[1]}"
    if kind is PType.ENUM:
        return param.wire_values.get(value, value)
    return str(value)


def _watermark_image_key(op: Op) -> str:
    """The watermark image key, with ``preprocess`` folded in as OSS expects it.

    ``preprocess=resize,P_30+rotate,90`` becomes ``logo.png?x-oss-process=image/resize,P_30/rotate,90``
    (the reference skill's convention), base64-encoded as the ``image_`` value.
    """
    key = str(op.params["image"])
    pre = op.params.get("preprocess")
    if pre:
        steps = "/".join(s.strip() for s in str(pre).split("+") if s.strip())
        if not steps.startswith("image/"):
            steps = "image/" + steps
        key = f"{key}{'&' if '?' in key else '?'}x-oss-process={steps}"
    return key


def encode_op(op: Op) -> str:
    """One operation without its family prefix: ``resize,m_fill,w_400,h_300``."""
    spec = op.spec
    if spec.oss is None:
        raise InvalidOperation(
            _("{name} is not an OSS operation").format(name=op.name),
            hint=_("use --provider {names}").format(names=" or --provider ".join(sorted(spec.backends))),
        )
    name = spec.oss.split("/", 1)[1] if "/" in spec.oss else spec.oss
    parts = [name]
    for param in spec.params:
        if param.key == "preprocess":
            continue
        if param.key not in op.params:
            if param.positional and param.default is not None:
                parts.append(str(param.default))  # OSS needs the value: image/auto-orient,1
            continue
        if op.name == "watermark" and param.key == "image":
            parts.append(f"image_{b64encode(_watermark_image_key(op))}")
            continue
        value = _value(param, op.params[param.key])
        parts.append(value if param.positional else f"{param.wire}_{value}")
    return ",".join(parts)


def process_string(chain: Chain | Iterable[Op]) -> str:
    """The ``x-oss-process`` value for a validated chain (without ``x-oss-process=``)."""
    ops = list(chain)
    if not ops:
        raise InvalidOperation(_("no operation given"), hint=_("e.g. resize:w=600"))
    first = ops[0].spec
    if first is STYLE_SPEC:
        check_styles(ops, "oss")
        return reference_text(ops[0])  # x-oss-process=style/NAME (OSS "Image styles")
    if first.family in IMAGE_PREFIX_FAMILIES:
        return "image/" + "/".join(encode_op(op) for op in ops)
    prefix = (first.oss or first.name).split("/", 1)[0]
    return f"{prefix}/" + "/".join(encode_op(op) for op in ops)


def saveas(bucket: str | None, key: str) -> str:
    """``sys/saveas,o_<b64 key>,b_<b64 bucket>`` (no bucket: the source's bucket)."""
    out = f"sys/saveas,o_{b64encode(key)}"
    if bucket:
        out += f",b_{b64encode(bucket)}"
    return out


def sync_save_body(chain: Chain, bucket: str | None, key: str) -> str:
    return f"x-oss-process={process_string(chain)}|{saveas(bucket, key)}"


def must_save(chain: Chain | Iterable[Op]) -> bool:
    """Whether OSS only runs this chain as a save (``POST ?x-oss-process`` with ``sys/saveas``).

    OSS "图片盲水印" (alibabacloud.com/help/zh/oss/user-guide/add-blindwatermarks): the blind
    watermark is added with x-oss-process and "添加盲水印后会另存为一张新图片" — the watermarked
    image is saved as a new object; there is no GET (download or signed URL) form of it."""
    return any(op.name == "blindwatermark-embed" for op in chain)


def kept_key(source_key: str, chain: Chain | Iterable[Op]) -> str:
    """Where a result that must be saved is kept for ``--url`` when no ``--to oss://`` names it:
    beside the source, ``photos/a.jpg`` -> ``photos/a-blindwatermark.jpg`` (the chain's format, if
    it names one, decides the extension)."""
    path = PurePosixPath(source_key)
    ext = path.suffix
    for op in chain:
        if op.name == "format" and op.get("target"):
            ext = "." + str(op.get("target"))
    return str(path.with_name(f"{path.stem}-blindwatermark{ext}"))


DECODE_WATERMARK_ACTION = "CreateDecodeBlindWatermarkTask"


def decode_watermark_params(op: Op, project: str, source_uri: str) -> dict[str, str]:
    """The IMM ``CreateDecodeBlindWatermarkTask`` parameters for ``blindwatermark-extract``, in the
    RPC's own names (IMM 2020-09-30: ProjectName, SourceURI, Model, StrengthLevel). OSS runs the
    extraction as this IMM task, not as an ``x-oss-async-process`` request, so the provider sends
    exactly this and ``--dry-run`` shows it."""
    params = {"ProjectName": project, "SourceURI": source_uri}
    for key, wire in (("model", "Model"), ("s", "StrengthLevel")):
        value = op.get(key)
        if value is None:
            continue
        spec = op.spec.param(key)
        params[wire] = str(spec.wire_values.get(value, value) if spec is not None else value)
    return params


def _input_key(item: Any) -> str:
    location = getattr(item, "location", None)
    key = getattr(location, "key", None) if location is not None else getattr(item, "key", None)
    if not key:
        raise InvalidOperation(
            _("a concat input has no object key"),
            hint=_("name inputs as objects in the source's bucket (--input KEY)"),
        )
    return str(key)


def _segments(inputs: Iterable[Any]) -> str:
    out = ""
    for item in inputs:
        position = getattr(item, "position", "sur") or "sur"
        if position not in ("pre", "sur"):
            raise InvalidOperation(
                _("concat input position {p!r} must be pre or sur").format(p=position),
                hint=_("use --pre-input for inputs before the source"),
            )
        part = f"/{position},o_{b64encode(_input_key(item))}"
        for field in ("ss", "t"):
            value = getattr(item, field, None)
            if value is not None:
                part += f",{field}_{int(value)}"
        out += part
    return out


def async_body(
    chain: Chain,
    bucket: str | None,
    key: str,
    *,
    notify_topic: str | None = None,
    inputs: Iterable[Any] = (),
) -> str:
    """The ``x-oss-async-process`` request body. ``inputs`` are ConcatInput-like objects."""
    items = list(inputs)
    check_concat_inputs(chain, len(items))
    body = f"x-oss-async-process={process_string(chain)}{_segments(items)}|{saveas(bucket, key)}"
    if notify_topic:
        body += f"/notify,topic_{b64encode(notify_topic)}"
    return body


# The parameters of the system operations: sys/saveas takes o (required) and b
# (help.aliyun.com/zh/oss/sys-or-saveas), notify takes topic (required; "消息通知",
# help.aliyun.com/zh/oss/message-notification). Another key was taken and ignored (zz_MQ) or named
# as bad base64 (zz_1), so a typo saved somewhere the user did not mean.
SYS_PARAMS: dict[str, tuple[str, ...]] = {"saveas": ("o", "b"), "notify": ("topic",)}


def _parse_sys(part: str) -> tuple[tuple[str | None, str] | None, str | None]:
    saved: tuple[str | None, str] | None = None
    topic: str | None = None
    for segment in [s for s in part.split("/") if s]:
        name, *tokens = segment.split(",")
        if name == "sys":
            continue
        values: dict[str, str] = {}
        for token in tokens:
            k, sep, v = token.partition("_")
            if not sep:
                raise InvalidOperation(
                    _("malformed {name} parameter {token!r}").format(name=name, token=token),
                    hint=_("expected key_value"),
                )
            known = SYS_PARAMS.get(name)
            if known is not None and k not in known:
                raise InvalidOperation(
                    _("{name}: unknown parameter {key!r}").format(name=name, key=k),
                    hint=_("{name} takes: {keys}").format(name=name, keys=", ".join(known)),
                )
            try:
                values[k] = b64decode(v)
            except ValueError as exc:
                raise InvalidOperation(
                    _("{name}: {k}_{v} is not valid URL-safe base64 ({reason})").format(
                        name=name, k=k, v=v[:40], reason=exc
                    ),
                    hint=_("encode names with URL-safe base64"),
                ) from None
        if name == "saveas":
            if "o" not in values:
                raise InvalidOperation(_("sys/saveas without o_<b64 key>"), hint=_("add o_<base64 key>"))
            saved = (values.get("b"), values["o"])
        elif name == "notify":
            topic = values.get("topic")
            if not topic:
                raise InvalidOperation(
                    _("notify without topic_<b64 topic>"), hint=_("add topic_<base64 of the SMQ (MNS) topic name>")
                )
        else:
            raise InvalidOperation(
                _("unknown system operation {name!r}").format(name=name),
                hint=_("expected sys/saveas or notify"),
            )
    return saved, topic


def parse_request_body(
    body: str,
) -> tuple[Chain, tuple[str | None, str] | None, str | None, tuple[ConcatSegment, ...]]:
    """Inverse of ``sync_save_body``/``async_body``: (chain, (bucket, key) or None, topic, inputs).

    The bucket is None when ``b_`` is absent (OSS then saves into the source's bucket).
    """
    text = strip_body_prefix(body)
    ops_part, *rest = text.split("|")
    native = parse_process(ops_part)
    chain = make_chain(native.ops)
    check_concat_inputs(chain, len(native.inputs))
    saved: tuple[str | None, str] | None = None
    topic: str | None = None
    for part in rest:
        s, t = _parse_sys(part)
        saved = s or saved
        topic = t or topic
    return chain, saved, topic, native.inputs
