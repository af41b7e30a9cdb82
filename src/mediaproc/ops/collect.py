"""Collecting one operation's parameters, whatever grammar they came in.

Both grammars (seed ``w=600`` and native ``w_600``) resolve keys here, so misspelt keys get the same
did-you-mean hint, duplicates and alias clashes (``angle`` + ``degree``) the same distinct messages.
"""

from __future__ import annotations

from mediaproc import TYPE_CHECKING
from mediaproc.errors import InvalidOperation
from mediaproc.i18n import _
from mediaproc.ops.model import Op, OpSpec, Param
from mediaproc.ops.validate import make_op
from mediaproc.ops.values import coerce

if TYPE_CHECKING:
    from typing import Any

# Spelled-out names people type for the one-letter OSS keys; used only for did-you-mean hints.
LONG_NAMES = {
    "width": "w",
    "height": "h",
    "percent": "p",
    "percentage": "p",
    "scale": "p",
    "long": "l",
    "short": "s",
    "radius": "r",
    "sigma": "s",
    "value": "v",
    "format": "f",
    "quality": "q",
    "start": "ss",
    "duration": "t",
    "time": "t",
    "gravity": "g",
    "position": "g",
    "transparency": "t",
    "alpha": "t",
    "font": "type",
    "fontsize": "size",
    "colour": "color",
    "angle": "angle",
    "index": "i",
    "resolution": "s",
    "framerate": "fps",
    "bitrate": "vb",
    "samplerate": "ar",
    "channels": "ac",
    "strength": "s",
    "text": "content",
}


def _names(param: Param, native: bool) -> tuple[str, ...]:
    return (param.wire, *param.names) if native else (*param.names, param.wire)


def resolve_param(spec: OpSpec, key: str, *, native: bool = False) -> Param:
    """The parameter ``key`` names: exact spelling first (``q`` vs ``Q``), then case-insensitive."""
    for param in spec.params:
        if key in _names(param, native):
            return param
    folded = [p for p in spec.params if key.lower() in {n.lower() for n in _names(p, native)}]
    if len(folded) == 1:
        return folded[0]
    raise unknown_param(spec, key)


def unknown_param(spec: OpSpec, key: str) -> InvalidOperation:
    spellings: dict[str, str] = {}
    for p in spec.params:
        for name in (*p.names, p.wire):
            spellings.setdefault(name, p.key)
    valid = ", ".join(p.key for p in spec.params)
    import difflib  # only on the error path

    close = difflib.get_close_matches(key, list(spellings), n=3, cutoff=0.5)
    if not close:
        close = difflib.get_close_matches(key.lower(), [s.lower() for s in spellings], n=3, cutoff=0.5)
    suggestions: list[str] = []
    keys = set(spec.param_keys)
    for long in difflib.get_close_matches(key.lower(), list(LONG_NAMES), n=2, cutoff=0.75):
        if LONG_NAMES[long] in keys and LONG_NAMES[long] not in suggestions:
            suggestions.append(LONG_NAMES[long])
    for c in close:
        canonical = spellings.get(c) or next(v for k, v in spellings.items() if k.lower() == c)
        if canonical not in suggestions:
            suggestions.append(canonical)
    if not spec.params:
        hint = _("{op} takes no parameters").format(op=spec.name)
    elif suggestions:
        hint = _("did you mean {names}? {op} takes: {valid}").format(
            names=" or ".join(repr(s) for s in suggestions), op=spec.name, valid=valid
        )
    else:
        hint = _("{op} takes: {valid}").format(op=spec.name, valid=valid)
    return InvalidOperation(
        _("{op}: unknown parameter {key!r}").format(op=spec.name, key=key),
        hint=hint,
        details={"operation": spec.name, "parameter": key},
    )


class ParamCollector:
    """Accumulates typed values for one operation, refusing duplicates."""

    def __init__(self, spec: OpSpec, *, native: bool = False, destination: str | None = None,
                 words: bool = False) -> None:
        self.spec = spec
        self.native = native
        self.words = words  # KEY=VALUE words (a media command): hints show that spelling
        self.destination = destination  # a name whose extension may give a missing ``f`` (ops.destination)
        self.values: dict[str, Any] = {}
        self.spelled: dict[str, str] = {}
        self.last: Param | None = None

    def add(self, key: str, raw: str) -> Param:
        param = resolve_param(self.spec, key.strip(), native=self.native)
        self._store(param, key.strip(), raw)
        return param

    def add_positional(self, raw: str) -> Param:
        param = next((p for p in self.spec.params if p.positional), None)
        if param is None:
            raise InvalidOperation(
                _("{op}: malformed parameter {token!r} (expected key_value)").format(op=self.spec.name, token=raw),
                hint=_("{op} takes: {valid}").format(
                    op=self.spec.name, valid=", ".join(p.wire for p in self.spec.params) or "no parameters"
                ),
            )
        if param.key in self.values and self.native:
            from mediaproc.ops.catalog.image import ONE_VALUE_EC, ONE_VALUE_OPS

            details = {"operation": self.spec.name, "parameter": param.key}
            if self.spec.name in ONE_VALUE_OPS:
                details["ec"] = ONE_VALUE_EC  # the serve fronts answer with OSS's detail code
            raise InvalidOperation(
                _("{op} takes one value; {raw!r} is a second one").format(op=self.spec.name, raw=raw),
                hint=_("keep one value, e.g. {op},{value}").format(
                    op=self.spec.oss or self.spec.name, value=self.values[param.key]
                ),
                details=details,
            )
        self._store(param, param.key, raw)
        return param

    def append(self, param: Param, more: str) -> None:
        """Continue a comma-containing value (``preprocess=resize,P_30``)."""
        self.values[param.key] = f"{self.values[param.key]},{more}"

    def _store(self, param: Param, spelled: str, raw: str) -> None:
        if param.key in self.values:
            before = self.spelled[param.key]
            if before == spelled:
                raise InvalidOperation(
                    _("{op}: {key} is given twice").format(op=self.spec.name, key=spelled),
                    hint=_("keep one {key}=... value").format(key=spelled),
                    details={"operation": self.spec.name, "parameter": param.key},
                )
            raise InvalidOperation(
                _("{op}: {a} and {b} are the same parameter; give one").format(op=self.spec.name, a=before, b=spelled),
                hint=_("keep only {key}=...").format(key=param.key),
                details={"operation": self.spec.name, "parameter": param.key},
            )
        self.values[param.key] = coerce(self.spec, param, raw, native=self.native)
        self.spelled[param.key] = spelled
        self.last = param

    def op(self) -> Op:
        if self.destination:
            from mediaproc.ops.destination import implied_params

            return make_op(self.spec, {**implied_params(self.spec, self.values, self.destination), **self.values},
                           words=self.words)
        return make_op(self.spec, self.values, words=self.words)
