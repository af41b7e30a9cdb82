"""The styles serve keeps, shared by its OSS and COS fronts, and the one place a ``style/NAME``
reference in a process string or rule is replaced by what is stored under NAME.

Styles live in ``<root>/.mediaproc/styles/<bucket>.json``
(:class:`~mediaproc.providers.local.styles.StyleBook`), one kind per front (``oss``: PutStyle's
process strings; ``cos``: AddStyle's rules), so they persist across restarts (DeleteBucket removes
them with the bucket). They are read and written in the server's main process, before a request is
handed to the processing entry (:mod:`mediaproc.emulator.processing`): what reaches the engine is an
ordinary process string or rule, wherever the engine runs.
"""

from __future__ import annotations

from mediaproc.errors import InvalidOperation, NotFound
from mediaproc.ops.styles import NO_SUCH_STYLE, PREFIX
from mediaproc.providers.local.store import LocalStore
from mediaproc.providers.local.styles import StoredStyle, StyleBook


class Styles:
    """The styles of every bucket of one store."""

    def __init__(self, store: LocalStore) -> None:
        self.store = store

    def book(self, bucket: str) -> StyleBook:
        return StyleBook.for_bucket(self.store.hidden_dir, bucket)

    def list(self, kind: str, bucket: str) -> list[StoredStyle]:
        self.store.require_bucket(bucket)
        return self.book(bucket).list(kind)

    def get(self, kind: str, bucket: str, name: str) -> StoredStyle | None:
        self.store.require_bucket(bucket)
        return self.book(bucket).get(kind, name)

    def put(self, kind: str, bucket: str, name: str, content: str) -> StoredStyle:
        self.store.require_bucket(bucket)
        return self.book(bucket).put(kind, name, content)

    def delete(self, kind: str, bucket: str, name: str) -> bool:
        self.store.require_bucket(bucket)
        return self.book(bucket).delete(kind, name)

    def count(self, kind: str, bucket: str) -> int:
        return self.book(bucket).count(kind)

    def resolve(self, kind: str, bucket: str, text: str, *, tail: str = "") -> str:
        """``text`` with a leading ``style/NAME`` replaced by what is stored under NAME; anything
        else unchanged. ``tail`` is what may follow the reference (OSS: ``|`` for ``sys/saveas``; CI:
        nothing). A missing style is NotFound ``NoSuchStyle`` (each front answers it in its own
        shape); a reference followed by more is InvalidOperation (InvalidArgument on the wire)."""
        ref = split_reference(text.strip())
        if ref is None:
            return text
        name, rest = ref
        if rest and not (tail and rest.startswith(tail)):
            raise InvalidOperation(f"A style is used alone: {PREFIX}{name}" + (f", optionally followed by {tail}"
                                                                           if tail else "") + ".")
        style = self.get(kind, bucket, name)
        if style is None:
            raise NotFound("The specified style does not exist.", code=NO_SUCH_STYLE, status=404)
        return style.content + rest


def split_reference(text: str) -> tuple[str, str] | None:
    """``style/NAME<rest>`` -> (NAME, rest), where rest is empty or starts with ``|`` or ``/``;
    None when ``text`` is no style reference."""
    if not text.lower().startswith(PREFIX):
        return None
    body = text[len(PREFIX):]
    cut = min((i for i in (body.find("|"), body.find("/")) if i >= 0), default=len(body))
    return body[:cut], body[cut:]


__all__ = ["Styles", "split_reference"]
