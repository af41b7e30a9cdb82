"""Small constructors shared by the catalogue modules.

They keep each ``OpSpec`` readable as a table: one line per parameter, with its range or choices
right there, so a reviewer can hold the catalogue against SPEC.md line by line.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

from mediaproc import TYPE_CHECKING
from mediaproc.i18n import _
from mediaproc.limits import OSS
from mediaproc.ops.model import Family, Mode, OpSpec, Param, Problem, Produces, PType, ResultProperty

if TYPE_CHECKING:
    from typing import Any

Params = Mapping[str, "Any"]  # a string: typing is imported for type checkers only

# Canonical OSS gravity names, and the spellings users type for them.
GRAVITY: tuple[str, ...] = ("nw", "north", "ne", "west", "center", "east", "sw", "south", "se")
GRAVITY_ALIASES: Mapping[str, str] = MappingProxyType(
    {
        "n": "north",
        "w": "west",
        "c": "center",
        "e": "east",
        "s": "south",
        "centre": "center",
        "middle": "center",
        "northwest": "nw",
        "northeast": "ne",
        "southwest": "sw",
        "southeast": "se",
        "top-left": "nw",
        "top": "north",
        "top-right": "ne",
        "left": "west",
        "right": "east",
        "bottom-left": "sw",
        "bottom": "south",
        "bottom-right": "se",
    }
)

MAX_SIDE = OSS["source_side"].value  # the largest source side OSS takes bounds crop/indexcrop sizes


def _frozen(m: Mapping[str, str] | None) -> Mapping[str, str]:
    return MappingProxyType(dict(m or {}))


def int_(
    key: str,
    help: str,
    lo: int | None = None,
    hi: int | None = None,
    **kw: Any,
) -> Param:
    return Param(key=key, type=PType.INT, help=help, min=lo, max=hi, **kw)


def bool_(key: str, help: str, **kw: Any) -> Param:
    return Param(key=key, type=PType.BOOL, help=help, min=0, max=1, **kw)


def enum(
    key: str,
    help: str,
    choices: tuple[str, ...],
    value_aliases: Mapping[str, str] | None = None,
    wire_values: Mapping[str, str] | None = None,
    **kw: Any,
) -> Param:
    return Param(
        key=key,
        type=PType.ENUM,
        help=help,
        choices=choices,
        choice_aliases=_frozen(value_aliases),
        wire_values=_frozen(wire_values),
        **kw,
    )


def gravity(help: str, extra: tuple[str, ...] = (), **kw: Any) -> Param:
    return enum("g", help, GRAVITY + extra, GRAVITY_ALIASES, **kw)


def size(key: str, help: str, lo: int, hi: int, **kw: Any) -> Param:
    """A ``WxH`` value; ``lo``/``hi`` bound each side."""
    return Param(key=key, type=PType.SIZE, help=help, min=lo, max=hi, **kw)


def text(key: str, help: str, **kw: Any) -> Param:
    return Param(key=key, type=PType.TEXT, help=help, **kw)


def key_(key: str, help: str, **kw: Any) -> Param:
    return Param(key=key, type=PType.KEY, help=help, **kw)


def str_(key: str, help: str, **kw: Any) -> Param:
    return Param(key=key, type=PType.STR, help=help, **kw)


def color(key: str, help: str, **kw: Any) -> Param:
    return Param(key=key, type=PType.COLOR, help=help, **kw)


def json_op(name: str, family: Family, summary: str, aliases: tuple[str, ...], **kw: Any) -> OpSpec:
    """A synchronous operation that stands alone and answers with a JSON document (image info,
    detection), spelled on OSS as here."""
    return OpSpec(
        name=name,
        family=family,
        mode=Mode.SYNC,
        produces=Produces.JSON,
        summary=summary,
        oss=name,
        standalone=True,
        aliases=aliases,
        **kw,
    )


def sets(**props: ResultProperty) -> Mapping[str, ResultProperty]:
    """``sets(f=CONTAINER, ar=SAMPLE_RATE)``: parameter -> the result property it asks for."""
    return MappingProxyType(props)


# -- reusable cross-parameter checks ---------------------------------------------------------------


def only_with(param: str, other: str, values: tuple[str, ...]) -> Callable[[Params], list[Problem]]:
    """``param`` is meaningful only when ``other`` is one of ``values`` (crop p needs g=face)."""

    def check(params: Params) -> list[Problem]:
        if param in params and params.get(other) not in values:
            need = "|".join(values)
            return [
                Problem(
                    _("{param} is only valid with {other}={need}").format(param=param, other=other, need=need),
                    hint=_("add {other}={first} or remove {param}").format(other=other, first=values[0], param=param),
                )
            ]
        return []

    return check


def even_size(param: str) -> Callable[[Params], list[Problem]]:
    """Video encoders need even frame sides (4:2:0 chroma)."""

    def check(params: Params) -> list[Problem]:
        value = params.get(param)
        if value is not None and (value[0] % 2 or value[1] % 2):
            w, h = value
            return [
                Problem(
                    _("{param}={w}x{h}: width and height must be even").format(param=param, w=w, h=h),
                    hint=_("try {param}={ew}x{eh}").format(param=param, ew=w + w % 2, eh=h + h % 2),
                )
            ]
        return []

    return check


def audio_depth(*format_keys: str) -> Callable[[Params], list[Problem]]:
    """``adepth`` is 16 or 24 and exists only for FLAC output (``f=flac``, or ``acodec=flac``)."""
    keys = format_keys or ("f",)

    def check(params: Params) -> list[Problem]:
        if "adepth" not in params:
            return []
        depth = params["adepth"]
        if depth not in (16, 24):
            return [
                Problem(
                    _("adepth={depth} is not a supported bit depth").format(depth=depth),
                    hint=_("use adepth=16 or adepth=24"),
                )
            ]
        if not any(params.get(k) == "flac" for k in keys):
            fmt = params.get(keys[0])
            return [
                Problem(
                    _("adepth only applies to flac output (f={fmt})").format(fmt=fmt or "?"),
                    hint=_("use f=flac or remove adepth"),
                )
            ]
        return []

    return check
