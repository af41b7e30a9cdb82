"""A style's content in each provider's stored form, and back (pure: no I/O).

- OSS keeps the process string (PutStyle ``<Style><Content>image/resize,w_600/...``), written by
  :func:`mediaproc.ops.oss.encode.process_string` and read back by ``parse_process``.
- COS keeps the CI rule (AddStyle ``<StyleBody>imageMogr2/thumbnail/600x>|watermark/2/...``),
  written by :func:`mediaproc.ops.cos.image_rule` and read back by ``parse_rule``.
- local keeps the seed words, shell-quoted into one line (``resize:w=600 'watermark:text=a b'``).

Encoding is the capability check: what a cloud cannot express is refused by that cloud's encoder
(UnsupportedOperation, exit 2, naming the operation), exactly as for a processing request, so
``style put`` and ``style import`` refuse what ``process`` would.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass

from mediaproc.errors import InvalidOperation
from mediaproc.i18n import _
from mediaproc.ops.model import Chain
from mediaproc.ops.parse import format_chain, parse_chain
from mediaproc.ops.styles import check_content
from mediaproc.ops.validate import check_backend, make_chain


@dataclass(frozen=True)
class StyleContent:
    """A style ready to store: the validated chain, our spelling of it, the provider's stored form."""

    chain: Chain
    words: tuple[str, ...]
    stored: str


def _is_cos_rule(text: str) -> bool:
    from mediaproc.ops.cos import is_rule

    return is_rule(text.strip()) or text.strip().startswith("ci-process=")


def parse_words(words: Sequence[str], provider: str) -> Chain:
    """The chain a user gave for a style: our syntax, a pasted OSS process string, or (for COS) a CI
    rule, validated as a style's content."""
    if not words or not any(w.strip() for w in words):
        raise InvalidOperation(_("a style needs operations"), hint=_("e.g. mediaproc style put thumb resize:w=600"))
    if len(words) == 1 and _is_cos_rule(words[0]):
        from mediaproc.ops.cos import parse_rule

        chain = make_chain(parse_rule(words[0]))
    else:
        chain = parse_chain(list(words))
    check_content(chain)
    return chain


def encode(chain: Chain, provider: str, *, bucket: str | None = None, region: str | None = None) -> StyleContent:
    """``chain`` in ``provider``'s stored form; refuses (exit 2) what the provider cannot express."""
    check_content(chain)
    check_backend(chain, provider)
    words = tuple(format_chain(chain))
    if provider == "oss":
        from mediaproc.ops.oss.encode import process_string

        stored = process_string(chain)
    elif provider == "cos":
        from mediaproc.ops.cos import check_chain, image_rule

        check_chain(chain, bucket=bucket, region=region)
        stored = image_rule(chain.ops, bucket=bucket, region=region)
    else:
        stored = shlex.join(words)
    return StyleContent(chain=chain, words=words, stored=stored)


def decode(stored: str, provider: str) -> Chain:
    """A stored style back into a chain (what ``style get`` and ``style export`` show)."""
    if provider == "oss":
        from mediaproc.ops.oss.native import parse_process

        return make_chain(parse_process(stored).ops)
    if provider == "cos":
        from mediaproc.ops.cos import parse_rule

        return make_chain(parse_rule(stored))
    try:
        words = shlex.split(stored)
    except ValueError as exc:
        raise InvalidOperation(
            _("the stored style {text!r} cannot be read ({reason})").format(text=stored[:60], reason=exc),
            hint=_("put the style again: mediaproc style put NAME CHAIN"),
        ) from None
    return parse_chain(words)


__all__ = ["StyleContent", "decode", "encode", "parse_words"]
