"""Parsing what the user typed into a validated :class:`Chain`.

Each word is one of:

- the seed grammar, one operation per word: ``resize:w=600``, ``watermark:text="a, b",g=se``
  (double or single quotes protect commas and ``=``; a bare name like ``info`` or ``video/info`` is
  valid);
- a style reference, ``style/NAME`` (:mod:`mediaproc.ops.styles`), the chain stored under NAME;
- a native OSS process string, possibly several operations in one word:
  ``image/resize,w_600/watermark,text_SGVsbG8``, ``video/convert,f_mp4``, optionally with a leading
  ``x-oss-process=``.

Everything returned is validated: types, ranges, enums, required parameters, exclusions,
cross-parameter checks and the chaining rules. Errors are ``InvalidOperation`` (exit 2).
"""

from __future__ import annotations

from collections.abc import Sequence

from mediaproc.errors import InvalidOperation
from mediaproc.i18n import _
from mediaproc.ops.catalog import find_spec, get_spec
from mediaproc.ops.collect import ParamCollector
from mediaproc.ops.model import Chain, Op, OpSpec
from mediaproc.ops.oss import BODY_PREFIXES
from mediaproc.ops.styles import is_reference, parse_reference
from mediaproc.ops.validate import check_process_length, make_chain
from mediaproc.ops.values import to_text

# Parameters whose value may itself contain commas without quotes (the reference skill's
# ``preprocess=resize,P_30+rotate,90``; a watermark key with its own processing,
# ``image=logo.png?x-oss-process=image/resize,P_30``): a following token without '=' continues it.
COMMA_VALUES = frozenset({"preprocess", "image"})


def split_params(text: str, *, op: str = "") -> list[str]:
    """Split ``k=v,k="a, b"`` on top-level commas; quotes are removed, their content kept."""
    tokens: list[str] = []
    current: list[str] = []
    quote: str | None = None
    i = 0
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\" and i + 1 < len(text) and text[i + 1] in (quote, "\\"):
                current.append(text[i + 1])
                i += 2
                continue
            if ch == quote:
                quote = None
            else:
                current.append(ch)
        elif ch in ("'", '"'):
            quote = ch
        elif ch == ",":
            tokens.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    if quote:
        raise InvalidOperation(
            _("{op}: unterminated {quote} quote in {text!r}").format(op=op or "operation", quote=quote, text=text),
            hint=_('close the quote: text="a, b"'),
        )
    tokens.append("".join(current))
    return tokens


def _collect_seed(spec: OpSpec, tokens: Sequence[str], destination: str | None = None) -> Op:
    collect = ParamCollector(spec, destination=destination)
    for token in tokens:
        if token.strip() == "":
            continue  # a trailing or doubled comma
        key, sep, value = token.partition("=")
        if not sep:
            if collect.last is not None and collect.last.key in COMMA_VALUES:
                collect.append(collect.last, token)
                continue
            raise InvalidOperation(
                _("{op}: malformed parameter {token!r}: expected key=value").format(op=spec.name, token=token),
                hint=_("write it as {example}").format(
                    example=f"{spec.name}:{spec.params[0].key}=..." if spec.params else spec.name
                )
                if spec.params
                else _("{op} takes no parameters").format(op=spec.name),
            )
        if key.strip() == "":
            raise InvalidOperation(
                _("{op}: parameter {token!r} has no key").format(op=spec.name, token=token),
                hint=_("write key=value"),
            )
        collect.add(key.strip(), value)
    return collect.op()


def parse_seed(word: str, destination: str | None = None) -> Op:
    """One seed-grammar word (``resize:w=600`` or a bare ``info``) into a validated Op."""
    name, sep, rest = word.partition(":")
    spec = get_spec(name.strip())
    if not sep:
        return _collect_seed(spec, (), destination)
    return _collect_seed(spec, split_params(rest, op=spec.name), destination)


def is_native(word: str) -> bool:
    """Whether a word is a native OSS process string rather than the seed grammar."""
    text = word.strip()
    if text.lower().startswith(BODY_PREFIXES):
        return True
    if ":" in text:
        return False
    return find_spec(text) is None


def parse_word(word: str, destination: str | None = None) -> list[Op]:
    text = word.strip()
    if not text:
        raise InvalidOperation(_("empty operation"), hint=_("e.g. resize:w=600"))
    if text.startswith("-"):  # an option after ``--``, where every word is a source or an operation
        raise InvalidOperation(
            _("{word!r} is an option, not an operation").format(word=text),
            hint=_("options go before `--`; after it every word is a source or an operation"),
        )
    if is_reference(text):
        return [parse_reference(text)]
    if is_native(text):
        head = text.split("=", 1)[0]
        if "=" in text and not text.lower().startswith(BODY_PREFIXES) and not any(c in head for c in ",/_"):
            raise InvalidOperation(
                _("{word!r} has no operation name").format(word=text),
                hint=_("write NAME:key=value, e.g. resize:{word}").format(word=text),
            )
        from mediaproc.ops.oss.native import parse_process  # only for a native string

        native = parse_process(text, destination=destination)
        if native.inputs:
            raise InvalidOperation(
                _("concat inputs (/pre, /sur) are not part of the operation here"),
                hint=_("name them with --input KEY[,ss=MS][,t=MS] (or --pre-input for /pre)"),
            )
        return list(native.ops)
    return [parse_seed(text, destination)]


def parse_chain(words: Sequence[str], *, destination: str | None = None) -> Chain:
    """Parse and validate a request's operations (seed words and/or native process strings).

    ``destination``: the one file the result is written to, whose extension may give a missing ``f``
    (``ops.destination.implied_params``)."""
    if isinstance(words, str):
        words = [words]
    check_process_length(" ".join(words))
    ops: list[Op] = []
    for word in words:
        ops.extend(parse_word(word, destination))
    return make_chain(ops)


def parse_op(name: str, kv_words: Sequence[str], *, destination: str | None = None) -> Op:
    """One operation from separate ``KEY=VALUE`` words (``f=mp4 vcodec=h264``), validated.
    ``destination`` as for :func:`parse_chain`.

    Each word is one parameter; its value is taken verbatim (commas included, no quoting needed).
    """
    spec = get_spec(name)
    if isinstance(kv_words, str):
        kv_words = [kv_words]
    collect = ParamCollector(spec, destination=destination, words=True)
    for word in kv_words:
        key, sep, value = word.partition("=")
        if not sep or not key.strip():
            raise InvalidOperation(
                _("{op}: malformed parameter {word!r}: expected KEY=VALUE").format(op=spec.name, word=word),
                hint=_("e.g. {example}").format(
                    example=" ".join(f"{p.key}=..." for p in spec.params if p.required)
                    or (f"{spec.params[0].key}=..." if spec.params else spec.name)
                ),
            )
        try:
            collect.add(key.strip(), value)
        except InvalidOperation as exc:
            split = _comma_joined(spec, key.strip(), value)
            if split is None:
                raise
            raise InvalidOperation(exc.message, hint=_("one parameter per word: {words}").format(
                words=" ".join(split)), details=exc.details) from None
    op = collect.op()
    make_chain([op])
    return op


def _comma_joined(spec: OpSpec, key: str, value: str) -> list[str] | None:
    """``t=1000,f=jpg`` given as one word (the chain grammar's spelling pasted into a media command):
    the words it meant, when every piece after a comma is ``KEY=...`` with a key of ``spec``; else None."""
    pieces = value.split(",")
    if len(pieces) < 2:
        return None
    keys = {p.key for p in spec.params} | {a for p in spec.params for a in p.aliases}
    if not all(piece.partition("=")[1] and piece.partition("=")[0].strip() in keys for piece in pieces[1:]):
        return None
    return [f"{key}={pieces[0]}", *pieces[1:]]


def _quote(text: str) -> str:
    if text and not any(c in text for c in ",'\"\\") and text == text.strip():
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def format_op(op: Op) -> str:
    """The seed-grammar spelling of a validated op (``resize:mode=fill,w=400``); parses back equal."""
    parts = []
    for param in op.spec.params:
        if param.key in op.params:
            parts.append(f"{param.key}={_quote(to_text(param, op.params[param.key]))}")
    return f"{op.name}:{','.join(parts)}" if parts else op.name


def format_chain(chain: Chain) -> list[str]:
    """One seed word per operation (for dry-run output and error reports)."""
    return [format_op(op) for op in chain]


__all__ = ["format_chain", "format_op", "is_native", "parse_chain", "parse_op", "parse_seed", "split_params"]
