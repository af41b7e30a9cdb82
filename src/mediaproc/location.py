"""Where a source or destination lives, and how a local path is read from what the user typed.

A core module (DESIGN.md, "Layers"): ``addressing`` parses user text into a :class:`Location`,
providers and services consume it, and the local provider expands paths with the same rule, so
both sit below every layer that uses them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Literal

from mediaproc.errors import UsageError
from mediaproc.i18n import _

# file: a local path; oss/cos: an object; http/https: a URL source; url: the "give me a signed URL"
# destination.
Scheme = Literal["file", "oss", "cos", "http", "https", "url"]
# Where an extra concat input goes: before (pre) or after (sur) the source, as OSS spells it.
Position = Literal["pre", "sur"]

# A local file given as the source of a cloud operation is uploaded to a unique temporary key under
# this prefix for the run (DESIGN.md, "Addressing"). Both clouds stage there, dry-run shows it, and
# doctor looks for leftovers under it: one prefix, so a bucket lifecycle rule can expire it.
TEMP_PREFIX = ".mediaproc-tmp/"
TEMP_KEY_PLACEHOLDER = TEMP_PREFIX + "<uuid>/{name}"  # what dry-run shows before the key exists


def temp_folder() -> str:
    """A new temporary folder (key prefix ending in ``/``) of its own: ``.mediaproc-tmp/<uuid>/``."""
    import uuid

    return f"{TEMP_PREFIX}{uuid.uuid4().hex}/"


def temp_key(name: str) -> str:
    """A unique temporary key keeping the last segment of ``name``: ``.mediaproc-tmp/<uuid>/<name>``."""
    return temp_folder() + (PurePosixPath(name).name or "source")


@dataclass(frozen=True)
class Location:
    """Where a source or destination lives.

    ``scheme`` is ``file`` (a local path), ``oss``, ``cos``, ``http``/``https`` (a URL source) or
    ``url`` (the "give me a signed URL" destination). For object stores ``bucket`` and ``key`` are
    set; for files ``path``; for URLs ``url``. ``folder`` records a local path written with a
    trailing ``/`` (``--to newdir/``), which ``Path`` drops: a folder even before it exists.
    """

    scheme: Scheme
    bucket: str | None = None
    key: str | None = None
    path: Path | None = None
    url: str | None = None
    folder: bool = False

    @property
    def is_local(self) -> bool:
        return self.scheme == "file"

    @property
    def is_object(self) -> bool:
        return self.scheme in ("oss", "cos")

    @property
    def is_url(self) -> bool:
        return self.scheme in ("http", "https")

    def __str__(self) -> str:
        if self.scheme == "file":
            return str(self.path)
        if self.is_url:
            return self.url or ""
        if self.scheme == "url":
            return "<signed url>"
        return f"{self.scheme}://{self.bucket}/{self.key or ''}"



def expand_path(text: str) -> Path:
    """``~`` expanded when it names a known home; otherwise the text is taken literally (``~0``).

    A NUL byte is refused here, where every local path passes: no file system takes one, and the OS
    call would fail with a bare ValueError wherever the path is first used."""
    if "\0" in text:
        raise UsageError(
            _("the path {text!r} contains a NUL character").format(text=text),
            hint=_("no file name can hold one; check how the path was produced (quoting, xargs -0)"),
        )
    path = Path(text)
    try:
        return path.expanduser()
    except RuntimeError:  # "Could not determine home directory" for ~unknownuser
        return path
