"""Validation of operations and chains, and what each backend can run.

``make_op`` checks one operation (required, at-least-one-of, mutual exclusions, cross-parameter
checks); ``make_chain`` checks the chaining rules of SPEC.md §1; ``check_backend`` refuses what a
provider cannot run (naming the provider that can) and returns warnings that do not stop the
request. Everything raises ``InvalidOperation`` / ``UnsupportedOperation`` (exit 2) with a one-line
message naming the operation and parameter, and a hint.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType

from mediaproc import TYPE_CHECKING, limits
from mediaproc.errors import InvalidOperation, UnsupportedOperation
from mediaproc.i18n import _
from mediaproc.limits import SHARED
from mediaproc.ops.model import BACKENDS, Chain, Op, OpSpec, Problem
from mediaproc.ops.styles import check_chain as check_styles

if TYPE_CHECKING:
    from typing import Any

MAX_CONCAT_INPUTS = SHARED["concat_inputs"].value  # the source plus up to 10 --input objects (OSS)
_JPEG_LIKE = frozenset({"jpg", "jpeg", "bmp"})
_QUALITY_FORMATS = frozenset({"jpg", "jpeg", "webp"})


def _example(spec: OpSpec, *, words: bool = False) -> str:
    """The required parameters as the user would write them: ``audio/convert:f=...`` in a chain, or
    ``f=...`` for a media command, which takes one ``KEY=VALUE`` word each (``words``)."""
    keys = [p.key for p in spec.params if p.required]
    keys += [group[0] for group in spec.one_of if not set(group) & set(keys)]
    if not keys:
        return spec.name
    if words:
        return " ".join(f"{k}=..." for k in keys)
    return f"{spec.name}:" + ",".join(f"{k}=..." for k in keys)


def op_problems(spec: OpSpec, params: Mapping[str, Any], *, words: bool = False) -> list[Problem]:
    """Everything wrong (or worth a warning) with one operation's parameters, errors first; ``words``:
    examples in a media command's ``KEY=VALUE`` words (:func:`_example`)."""
    problems: list[Problem] = []
    for p in spec.params:
        if p.required and p.key not in params:
            problems.append(
                Problem(
                    _("{op}: missing required parameter {key}").format(op=spec.name, key=p.key),
                    hint=_("{key}: {help}; e.g. {example}").format(key=p.key, help=_(p.help),
                                                                   example=_example(spec, words=words)),
                    ec=p.missing_ec,
                )
            )
    for group in spec.one_of:
        if not any(k in params for k in group):
            problems.append(
                Problem(
                    _("{op}: give at least one of {keys}").format(op=spec.name, keys=", ".join(group)),
                    hint=_("e.g. {example}; `mediaproc ops {op}` shows them all").format(
                        example=_example(spec, words=words), op=spec.name
                    ),
                )
            )
    for group in spec.exclusive:
        given = [k for k in group if k in params]
        if len(given) > 1:
            problems.append(
                Problem(
                    _("{op}: {keys} cannot be used together").format(op=spec.name, keys=" and ".join(given)),
                    hint=_("keep only one of {keys}").format(keys=", ".join(given)),
                )
            )
    for check in spec.checks:
        for problem in check(params):
            problems.append(
                Problem(
                    _("{op}: {message}").format(op=spec.name, message=problem.message),
                    hint=problem.hint,
                    warning=problem.warning,
                )
            )
    problems.sort(key=lambda pr: pr.warning)
    return problems


def _raise_first(problems: Sequence[Problem], spec: OpSpec | None = None) -> None:
    errors = [p for p in problems if not p.warning]
    if errors:
        first = errors[0]
        details: dict[str, Any] = {"problems": [p.message for p in errors]}
        if spec is not None:
            details["operation"] = spec.name
        if first.ec:
            details["ec"] = first.ec  # the serve fronts answer with OSS's detail code
        raise InvalidOperation(first.message, hint=first.hint, details=details)


def make_op(spec: OpSpec, params: Mapping[str, Any], *, words: bool = False) -> Op:
    """A validated Op; raises InvalidOperation on the first error (warnings are kept for later)."""
    _raise_first(op_problems(spec, params, words=words), spec)
    return Op(spec=spec, params=MappingProxyType(dict(params)))


def chain_problems(ops: Sequence[Op]) -> list[Problem]:
    """SPEC.md §1 chaining rules."""
    if not ops:
        return [Problem(_("no operation given"), hint=_("e.g. resize:w=600, or `mediaproc ops` for the list"))]
    problems: list[Problem] = []
    media = [op for op in ops if op.spec.family.is_media]
    if media and len(ops) > 1:
        first = media[0].name
        if len(media) > 1:
            message = _("only one video/audio/hls operation per request ({names})").format(
                names=", ".join(op.name for op in media)
            )
        else:
            message = _("{name} cannot be chained with image operations").format(name=first)
        problems.append(Problem(message, hint=_("run each media operation as its own request")))
        return problems
    for i, op in enumerate(ops):
        if op.spec.standalone and len(ops) > 1:
            others = ", ".join(o.name for j, o in enumerate(ops) if j != i)
            problems.append(
                Problem(
                    _("{name} must be used alone (chained with {others})").format(name=op.name, others=others),
                    hint=_("run {name} as a separate request").format(name=op.name),
                )
            )
            break
        if op.spec.last and i != len(ops) - 1:
            problems.append(
                Problem(
                    _("{name} must be the last operation of the chain").format(name=op.name),
                    hint=_("move {name} to the end, after {after}").format(name=op.name, after=ops[-1].name),
                )
            )
            break
    return problems


def check_chain_length(count: int) -> None:
    """Refuse a chain of more than ``chain_ops`` operations (each one is a pass over every pixel)."""
    limits.check(
        "chain_ops", count, _("the chain ({n} operations)").format(n=count), _("split it into several requests")
    )


def check_process_length(text: str) -> None:
    """Refuse a process string or rule longer than ``process_chars`` before it is parsed."""
    limits.check(
        "process_chars",
        len(text),
        _("the process string ({n} characters)").format(n=len(text)),
        _("shorten it, or store it as a style and name the style"),
    )


def make_chain(ops: Sequence[Op]) -> Chain:
    """A validated Chain (length, chaining rules); raises InvalidOperation (LimitExceeded)."""
    check_chain_length(len(ops))
    _raise_first(chain_problems(ops))
    return Chain(ops=tuple(ops))


def _providers_with(spec: OpSpec) -> str:
    return ", ".join(b for b in BACKENDS if b in spec.backends)


def _final_format(chain: Chain, source_format: str | None) -> str | None:
    fmt = source_format.lower().lstrip(".") if source_format else None
    for op in chain:
        if op.name == "format":
            fmt = op.params["target"]
    return fmt


def _check_oss_watermarks(chain: Chain) -> None:
    """OSS draws text with its own fonts only (``catalog.image.OSS_FONTS``; another ``type`` is
    0040-00000251) and takes at most three image watermarks in one request (``limits.OSS``,
    0040-00000026): both are refused before anything is sent, and by serve, as OSS does."""
    from mediaproc import limits
    from mediaproc.ops.catalog.image import FONT_EC, OSS_FONTS

    images = sum(1 for op in chain if op.name == "watermark" and "image" in op.params)
    limit = limits.OSS["image_watermarks"]
    if images > limit.value:
        raise limits.exceeded(limit, _("the process string"), images, _("put the logos into fewer images"))

    for op in chain:
        font = op.params.get("type") if op.name == "watermark" else None
        if font is not None and font not in OSS_FONTS:
            raise InvalidOperation(
                _("watermark: OSS has no font {font!r}").format(font=font),
                hint=_("choose one of: {fonts}").format(fonts=", ".join(OSS_FONTS)),
                details={"operation": op.name, "parameter": "type", "ec": FONT_EC},
            )


def check_backend(chain: Chain, backend: str, *, source_format: str | None = None) -> list[Problem]:
    """Raise UnsupportedOperation when ``backend`` cannot run the chain; return the warnings.

    ``source_format`` (e.g. ``jpg``) sharpens the warnings that depend on the output format.
    """
    if backend not in BACKENDS:
        raise InvalidOperation(
            _("unknown provider {name!r}").format(name=backend),
            hint=_("choose one of: {names}").format(names=", ".join(BACKENDS)),
        )
    check_styles(chain, backend)
    for op in chain:
        if backend not in op.spec.backends:
            hint = op.spec.not_local_hint if backend == "local" and op.spec.not_local_hint else None
            raise UnsupportedOperation(
                _("{name} is not available on the {backend} provider").format(name=op.name, backend=backend),
                hint=hint
                or _("use --provider {names}").format(
                    names=" or --provider ".join(b for b in BACKENDS if b in op.spec.backends)
                ),
                details={"operation": op.name, "providers": _providers_with(op.spec)},
            )
    if backend == "oss":
        _check_oss_watermarks(chain)
    warnings: list[Problem] = []
    for op in chain:
        warnings.extend(p for p in op_problems(op.spec, op.params) if p.warning)
    fmt = _final_format(chain, source_format)
    names = {op.name for op in chain}
    for shape in ("circle", "rounded-corners"):
        if shape in names and fmt in _JPEG_LIKE:
            warnings.append(
                Problem(
                    _("{name} to {fmt} gives white corners ({fmt} has no transparency)").format(name=shape, fmt=fmt),
                    hint=_("add format:target=png (or webp) at the end for transparent corners"),
                    warning=True,
                )
            )
    for op in chain:
        if op.name == "quality":
            if "q" in op.params and "Q" in op.params:
                warnings.append(
                    Problem(
                        _("quality: q and Q both given; Q (absolute) wins"),
                        hint=_("give only q (relative) or only Q (absolute)"),
                        warning=True,
                    )
                )
            if fmt is not None and fmt not in _QUALITY_FORMATS:
                warnings.append(
                    Problem(
                        _("quality has no effect on {fmt} output").format(fmt=fmt),
                        hint=_("quality applies to jpg and webp"),
                        warning=True,
                    )
                )
        if op.name == "interlace" and fmt is not None and fmt not in ("jpg", "jpeg"):
            warnings.append(
                Problem(
                    _("interlace only applies to jpg output (here {fmt})").format(fmt=fmt),
                    hint=_("add format:target=jpg or remove interlace"),
                    warning=True,
                )
            )
    return warnings


def needs_imm(chain: Chain) -> bool:
    """Whether OSS runs this chain through IMM (the bucket must be bound to an IMM project).

    True for the intelligent operations, every video/audio/hls operation, smart and face crop
    (``crop g=auto|face``) and face blur (``blur g=face|faces``) — the reference skill's list.
    """
    for op in chain:
        spec = op.spec
        if spec.family.is_media or spec.family.value == "image-ai":
            return True
        if op.name == "crop" and op.params.get("g") in ("auto", "face"):
            return True
        if op.name == "blur" and "g" in op.params:
            return True
    return False


def check_concat_inputs(chain: Chain, count: int) -> None:
    """Extra concat inputs only make sense for concat; a concat joins the source with at least one
    of them (alone there is nothing to join: refused rather than run as a plain transcode), and at
    most 11 sources in all."""
    op = chain[-1] if len(chain) else None
    if count and (op is None or not op.spec.joins):
        raise InvalidOperation(
            _("extra inputs only apply to video/concat and audio/concat"),
            hint=_("remove the inputs, or use video/concat or audio/concat"),
        )
    if not count and op is not None and op.spec.joins:
        raise InvalidOperation(
            _("{name} joins the source with other inputs, but none was given").format(name=op.name),
            hint=_("add --input KEY (after the source) or --pre-input KEY (before it)"),
        )
    if count + 1 > MAX_CONCAT_INPUTS:
        raise InvalidOperation(
            _("{name}: {n} inputs in all; at most {limit} can be joined").format(
                name=op.name if op else "concat", n=count + 1, limit=MAX_CONCAT_INPUTS
            ),
            hint=_("join in several steps (concatenate the result with the rest)"),
        )


__all__ = [
    "MAX_CONCAT_INPUTS",
    "chain_problems",
    "check_backend",
    "check_chain_length",
    "check_concat_inputs",
    "check_process_length",
    "make_chain",
    "make_op",
    "needs_imm",
    "op_problems",
]
