"""The shape of the image-rule table: what one entry of
:data:`mediaproc.ops.cos.image_rules.IMAGE_RULES` is (:class:`RuleCodec`, an encoder beside its
decoder), the rule being written (:class:`RuleBuilder`) and the rule being read
(:class:`RuleReader`).

Kept apart from the table so that the watermark entries (:mod:`mediaproc.ops.cos.watermarks`) and
the ``imageMogr2`` entries (:mod:`mediaproc.ops.cos.image_rules`) are written the same way without
importing each other. The rule syntax itself: processors joined by ``|``; an ``imageMogr2``
processor is ``imageMogr2/<name>[/<value>]/...`` (``auto-orient`` takes no value); a watermark is
its own processor, ``watermark/<type>/<name>/<value>/...``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from mediaproc.errors import InvalidOperation
from mediaproc.i18n import _
from mediaproc.ops.model import Op

__all__ = ["RuleBuilder", "RuleCodec", "RuleContext", "RuleReader", "Token"]

Token = tuple[str, "str | None"]  # an imageMogr2 parameter and its value (None: a bare name)


@dataclass(frozen=True)
class RuleContext:
    """What an encoder may need besides the op: the source's bucket and region (a watermark image
    is an object of the same bucket, named by its full COS URL)."""

    bucket: str | None = None
    region: str | None = None


@dataclass
class RuleBuilder:
    """The processors of one rule, in chain order.

    Consecutive ``imageMogr2`` operations share one processor, in chain order; a watermark, or a
    parameter that repeats, starts a new one. Output settings (format, quality, interlace) go to
    the last ``imageMogr2`` processor, because every processor re-encodes and only the last
    encoding is kept; a processor marked ``last`` (the blind watermark) stays after them.
    """

    processors: list[list[Token] | str] = field(default_factory=list)
    output: dict[str, Token] = field(default_factory=dict)
    tail: list[str] = field(default_factory=list)

    def mogr(self, *tokens: Token) -> None:
        names = {t[0] for t in tokens}
        current = self.processors[-1] if self.processors else None
        if isinstance(current, list) and not names & {t[0] for t in current}:
            current.extend(tokens)
            return
        self.processors.append(list(tokens))

    def raw(self, text: str, *, last: bool = False) -> None:
        """A processor of its own (a watermark); ``last`` keeps it after the output settings."""
        (self.tail if last else self.processors).append(text)

    def set_output(self, slot: str, token: Token, *, replaces: tuple[str, ...] = ()) -> None:
        """An output setting; a later one of the same ``slot`` (or one it ``replaces``) wins."""
        for other in replaces:
            self.output.pop(other, None)
        self.output[slot] = token

    def render(self) -> str:
        procs = list(self.processors)
        if self.output:
            if procs and isinstance(last := procs[-1], list):
                procs[-1] = [*last, *self.output.values()]
            else:
                procs.append(list(self.output.values()))
        procs += self.tail
        if not procs:
            procs.append([("rotate", "0")])  # a chain that changes nothing
        return "|".join(p if isinstance(p, str) else _mogr_text(p) for p in procs)


def _mogr_text(tokens: list[Token]) -> str:
    parts = ["imageMogr2"]
    for name, value in tokens:
        parts.append(name)
        if value is not None:
            parts.append(value)
    return "/".join(parts)


class RuleReader:
    """The tokens of one processor after its head (``imageMogr2`` or ``watermark/<type>``), read
    left to right by the decoders; ``pending`` carries a value to a later parameter (a ``gravity``
    written before its ``crop``)."""

    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.at = 0
        self.pending: dict[str, str] = {}

    def __bool__(self) -> bool:
        return self.at < len(self.tokens)

    def name(self) -> str:
        name = self.tokens[self.at]
        self.at += 1
        return name

    def value(self) -> str:
        """The value of the parameter just read."""
        if self.at >= len(self.tokens):
            raise InvalidOperation(
                _("imageMogr2/{name} needs a value").format(name=self.tokens[self.at - 1]),
                hint=_("e.g. imageMogr2/rotate/90"),
            )
        value = self.tokens[self.at]
        self.at += 1
        return value

    def follows(self, *names: str) -> bool:
        """Whether a ``name/value`` pair with one of ``names`` comes next."""
        return self.at + 1 < len(self.tokens) and self.tokens[self.at] in names

    def options(self, *names: str) -> dict[str, str]:
        """The ``name/value`` pairs among ``names`` that come next (``thumbnail/../pad/1/color/..``)."""
        out: dict[str, str] = {}
        while self.follows(*names):
            key = self.name()
            out[key] = self.value()
        return out

    def pairs(self) -> dict[str, str]:
        """All that is left, as ``name/value`` pairs (a watermark's parameters)."""
        rest = self.tokens[self.at :]
        if len(rest) % 2:
            raise InvalidOperation(_("watermark parameters come in name/value pairs"), hint=_("e.g. gravity/southeast"))
        self.at = len(self.tokens)
        return dict(zip(rest[::2], rest[1::2], strict=True))


Encoder = Callable[[RuleBuilder, Op, RuleContext], None]
Decoder = Callable[[str, RuleReader], "Op | None"]
Joiner = Callable[[Op, Op], "Op | None"]


@dataclass(frozen=True)
class RuleCodec:
    """One operation in the rule table: ``encode`` writes it into the rule, after ``checks`` (in
    order; :class:`~mediaproc.ops.cos.common.Refuse` among them names the parameters CI never
    takes); ``decode`` reads it back from any of the wire names in ``reads`` (``imageMogr2``
    parameters, or ``watermark/<n>``) and returns the Op (None when the name only sets up a later
    one); ``join``, where one operation is spelt as two, merges a decoded op with the one read after
    it (None: no merge)."""

    encode: Encoder
    reads: tuple[str, ...]
    decode: Decoder
    join: Joiner | None = None
    checks: tuple[Callable[[Op], None], ...] = ()
