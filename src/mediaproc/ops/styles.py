"""Styles: a named chain stored on the bucket, referenced as ``style/NAME`` wherever a chain stands.

A reference is one word of a chain (``style/thumb-600``), parsed into an :class:`Op` of
:data:`STYLE_SPEC` so that it travels through validation, dry-run and the providers like any other
operation; the encoders write it as the cloud's own reference (``x-oss-process=style/NAME``, the CI
rule ``style/NAME``) and the local provider replaces it with the stored chain before the engine runs.

What each cloud documents, and therefore what is checked here before any request:

- OSS ("Image styles", alibabacloud.com/help/en/oss/user-guide/image-styles; errors
  0017-00000250 and 0017-00000251): a name is 1-63 characters of letters, digits, ``_``, ``-``
  and ``.``; a style is used as ``x-oss-process=style/NAME`` (also with ``|sys/saveas``). The
  pages show a style alone; none shows it followed by more operations, so a chain that continues
  after a style is refused on OSS rather than sent to fail there.
- COS / Cloud Infinite (AddStyle, cloud.tencent.com/document/api/436/119416; Pic-Operations:
  "若按指定样式处理,则以 style/ 开头,后加样式名"): the API pages give no name rule; the console's
  (letters, digits, ``_``, ``-``, ``.``, at most 128 characters) is applied (*unverified* against
  the API). The pages show ``style/NAME`` as the whole rule: a continuation is refused as on OSS.
- local: styles are kept beside the bucket folder; the engine runs the stored chain, so a chain may
  continue after the style there.

A style holds an image chain (both clouds' styles are image processing presets), never another
style.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from types import MappingProxyType

from mediaproc.errors import InvalidOperation, MediaprocError, NotFound, UnsupportedOperation
from mediaproc.i18n import _
from mediaproc.ops.model import Chain, Family, Mode, Op, OpSpec, Param, Produces, PType
from mediaproc.record import Record

PREFIX = "style/"
LIST_HINT = "mediaproc style ls"

STYLE_SPEC = OpSpec(
    name="style",
    family=Family.IMAGE,
    mode=Mode.SYNC,
    produces=Produces.IMAGE,
    summary="A named style stored on the bucket (style/NAME).",
    params=(Param("name", PType.STR, "The style's name.", required=True, positional=True),),
    oss="style",
)


class NameRule(Record):
    """One cloud's rule for style names. The pattern is compiled on first use (``re``'s cache), not
    on every start: a plain run checks no style name."""

    max_len: int
    chars: str  # the pattern's text
    chars_described: str  # the pattern in words

    @property
    def pattern(self) -> re.Pattern[str]:
        return re.compile(self.chars)

    @property
    def described(self) -> str:
        """The rule in words, for the refusal's hint (from the rule itself, so it cannot disagree)."""
        return f"1-{self.max_len} characters: {self.chars_described}"


_CHARS = r"^[A-Za-z0-9_.\-]+$"
_CHARS_DESCRIBED = "letters, digits, _ - ."
NAME_RULES: Mapping[str, NameRule] = MappingProxyType(
    {
        "oss": NameRule(63, _CHARS, _CHARS_DESCRIBED),
        "cos": NameRule(128, _CHARS, _CHARS_DESCRIBED),
        "local": NameRule(63, _CHARS, _CHARS_DESCRIBED),
    }
)
MAX_STYLES = {"oss": 50}  # OSS: "You can create up to 50 image styles for a bucket"


def check_name(name: str, provider: str = "local") -> str:
    """``name`` if it is a valid style name on ``provider``; InvalidOperation (exit 2) otherwise."""
    rule = NAME_RULES.get(provider, NAME_RULES["local"])
    if not name or len(name) > rule.max_len or not rule.pattern.match(name):
        raise InvalidOperation(
            _("{name!r} is not a valid style name on {provider}").format(name=name, provider=provider),
            hint=_("a style name is {rule}").format(rule=rule.described),
            details={"style": name},
        )
    return name


NO_SUCH_STYLE = "NoSuchStyle"  # OSS's code for a style that does not exist (serve answers it on both fronts)


def _bucket_of(where: str) -> str:
    """``oss://b/key`` -> ``oss://b``: styles live on the bucket, not on an object."""
    if "://" in where:
        scheme, _sep, rest = where.partition("://")
        return f"{scheme}://{rest.split('/', 1)[0]}"
    return where


def list_command(where: str = "") -> str:
    """The command that lists the styles of ``where`` (``oss://b/key`` -> ``--in oss://b``; a folder)."""
    import shlex

    if "://" in where:
        return f"{LIST_HINT} --in {_bucket_of(where)}"
    return f"{LIST_HINT} --in {shlex.quote(where)}" if where else LIST_HINT


def name_missing(exc: MediaprocError, chain: Chain | Iterable[Op]) -> MediaprocError:
    """A cloud's ``NoSuchStyle`` answer to a processing request names no style (the service's
    message need not say which): the chain does, since a cloud runs a style alone. Any other error
    is returned unchanged."""
    if exc.code != NO_SUCH_STYLE or (exc.details or {}).get("style"):
        return exc
    names = references(chain)
    if len(names) != 1:
        return exc
    return missing(names[0], str((exc.details or {}).get("where") or ""), request_id=exc.request_id)


def missing(name: str | None, where: str = "", *, request_id: str | None = None) -> NotFound:
    """The error (exit 4) for a style that does not exist, with the command that lists them."""
    where = _bucket_of(where)
    at = f" in {where}" if where else ""
    text = (
        _("style {name!r} does not exist{at}").format(name=name, at=at)
        if name
        else _("a style of the chain does not exist{at}").format(at=at)
    )
    return NotFound(
        text,
        hint=_("`{cmd}` lists the bucket's styles; `mediaproc style put NAME CHAIN` creates one").format(
            cmd=list_command(where)
        ),
        code=NO_SUCH_STYLE,
        request_id=request_id,
        status=404,
        details={"style": name, "where": where} if name else {"where": where},
    )


def is_reference(word: str) -> bool:
    """Whether a chain word is a style reference (``style/NAME``)."""
    return word.strip().lower().startswith(PREFIX)


def style_op(name: str) -> Op:
    """The Op that stands for ``style/NAME`` in a chain (the name checked by the loosest rule; each
    cloud's own is checked when the request is planned)."""
    if not name or "/" in name or not re.match(_CHARS, name):
        raise InvalidOperation(
            _("{name!r} is not a valid style name").format(name=name),
            hint=_("write style/NAME with letters, digits, _ - . in NAME"),
        )
    return Op(spec=STYLE_SPEC, params=MappingProxyType({"name": name}))


def parse_reference(word: str) -> Op:
    """``style/NAME`` -> its Op."""
    text = word.strip()
    return style_op(text[len(PREFIX):])


def is_style(op: Op) -> bool:
    return op.spec is STYLE_SPEC


def references(ops: Iterable[Op]) -> list[str]:
    """The style names a chain refers to, in order."""
    return [str(op.params["name"]) for op in ops if is_style(op)]


def reference_text(op: Op) -> str:
    """``style/NAME``: how both clouds spell a reference."""
    return f"{PREFIX}{op.params['name']}"


def check_chain(chain: Chain | Iterable[Op], provider: str) -> None:
    """Where a reference may stand: first in the chain everywhere; alone on OSS and COS (see the
    module docstring). Raises UnsupportedOperation (exit 2)."""
    ops = list(chain)
    for i, op in enumerate(ops):
        if not is_style(op):
            continue
        check_name(str(op.params["name"]), provider)
        if i:
            raise InvalidOperation(
                _("{ref} must come first in the chain").format(ref=reference_text(op)),
                hint=_("write the style first, then the operations that continue it"),
            )
        if len(ops) > 1 and provider in ("oss", "cos"):
            raise UnsupportedOperation(
                _("{provider} runs a style alone: {ref} cannot be followed by {others}").format(
                    provider=provider, ref=reference_text(op), others=", ".join(o.name for o in ops[1:])
                ),
                hint=_("put the operations into the style (mediaproc style put), or use --provider local"),
                details={"operation": "style", "provider": provider},
            )


def sole_style(chain: Chain | Iterable[Op]) -> str | None:
    """The name when the chain is one ``style/NAME`` (what a cloud's engine runs by name), None when
    it holds no style; a style with other operations is refused (exit 2): both clouds run a style
    alone."""
    ops = list(chain)
    names = references(ops)
    if not names:
        return None
    if len(ops) > 1:
        raise UnsupportedOperation(
            _("a cloud runs a style alone: {ref} cannot be combined with {others}").format(
                ref=f"{PREFIX}{names[0]}", others=", ".join(o.name for o in ops if not is_style(o))
            ),
            hint=_("put the operations into the style (mediaproc style put), or use --provider local"),
            details={"operation": "style"},
        )
    return names[0]


def check_content(ops: Iterable[Op]) -> None:
    """What a style may hold: an image chain without another style (exit 2 otherwise)."""
    for op in ops:
        if is_style(op):
            raise InvalidOperation(
                _("a style cannot refer to another style ({ref})").format(ref=reference_text(op)),
                hint=_("copy that style's operations instead"),
            )
        if op.spec.family is not Family.IMAGE:
            raise InvalidOperation(
                _("{name} cannot be part of a style").format(name=op.name),
                hint=_("a style holds image operations (resize, crop, watermark, format, ...)"),
                details={"operation": op.name},
            )


__all__ = [
    "LIST_HINT",
    "MAX_STYLES",
    "NAME_RULES",
    "NO_SUCH_STYLE",
    "PREFIX",
    "STYLE_SPEC",
    "check_chain",
    "check_content",
    "check_name",
    "is_reference",
    "is_style",
    "list_command",
    "missing",
    "parse_reference",
    "reference_text",
    "references",
    "sole_style",
    "style_op",
]
