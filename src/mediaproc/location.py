"""Where a source or destination lives, and how a local path is read from what the user typed.

A core module (DESIGN.md, "Layers"): ``addressing`` parses user text into a :class:`Location`,
providers and services consume it, and the local provider expands paths with the same rule, so
both sit below every layer that uses them.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

from mediaproc import TYPE_CHECKING
from mediaproc.errors import UsageError
from mediaproc.i18n import _
from mediaproc.record import Record

if TYPE_CHECKING:  # for annotations only: a plain run does not import typing (mediaproc.TYPE_CHECKING)
    from typing import Literal

    # file: a local path; oss/cos: an object; http/https: a URL source; url: the "give me a signed URL"
    # destination.
    Scheme = Literal["file", "oss", "cos", "http", "https", "url"]
    # Where an extra concat input goes: before (pre) or after (sur) the source, as OSS spells it.
    Position = Literal["pre", "sur"]

# A local file given as the source of a cloud operation is uploaded to a unique temporary key under
# this prefix for the run (DESIGN.md, "Addressing"). Both clouds stage there, dry-run shows it, and
# doctor looks for leftovers under it: one prefix, so a bucket lifecycle rule can expire it.
TEMP_PREFIX = ".mediaproc-tmp/"
MAX_KEY_BYTES = 1023  # the longest key OSS takes (see key_problem)
COS_MAX_KEY_BYTES = 850  # the longest COS takes (cloud.tencent.com/document/product/436/13324)
# COS 13324: "对象键中不支持 ASCII 控制字符中的字符上(↑),字符下(↓),字符右(→),字符左(←)" (CAN, EM, SUB, ESC)
COS_KEY_CONTROLS = frozenset("\x18\x19\x1a\x1b")
TEMP_KEY_PLACEHOLDER = TEMP_PREFIX + "<uuid>/{name}"  # what dry-run shows before the key exists


def temp_folder() -> str:
    """A new temporary folder (key prefix ending in ``/``) of its own: ``.mediaproc-tmp/<uuid>/``."""
    import uuid

    return f"{TEMP_PREFIX}{uuid.uuid4().hex}/"


def temp_key(name: str) -> str:
    """A unique temporary key keeping the last segment of ``name``: ``.mediaproc-tmp/<uuid>/<name>``."""
    return temp_folder() + (PurePosixPath(name).name or "source")


class Location(Record):
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

    @property
    def names_folder(self) -> bool:
        """Whether this destination is a folder (DESIGN.md, "Scripting conventions"; docs/paths.md):
        a key that is empty or ends in ``/``, a path written with a trailing separator, or an
        existing local folder. The one test every writer applies (:meth:`joined`)."""
        if self.is_object:
            return not self.key or self.key.endswith("/")
        if self.is_local and self.path is not None:
            return self.folder or self.path.is_dir()
        return False

    def joined(self, name: str) -> Location:
        """The file or object ``name`` inside this destination when it names a folder
        (:attr:`names_folder`), else this destination itself: ``upload a.jpg oss://b/in/`` writes
        ``in/a.jpg``, ``download oss://b/x/a.jpg dl/`` writes ``dl/a.jpg``."""
        if not self.names_folder:
            return self
        name = PurePosixPath(name).name or name
        if self.is_object:
            return Location(scheme=self.scheme, bucket=self.bucket, key=f"{self.key or ''}{name}")
        assert self.path is not None
        return Location(scheme="file", path=self.path / name)

    def __str__(self) -> str:
        if self.scheme == "file":
            return str(self.path)
        if self.is_url:
            return self.url or ""
        if self.scheme == "url":
            return "<signed url>"
        return f"{self.scheme}://{self.bucket}/{self.key or ''}"



def is_folder_text(text: str) -> bool:
    """A path the user ended with a separator names a folder (``Path`` forgets the separator)."""
    return text.endswith(("/", os.sep))


def key_problem(key: str, cloud: str | None = None) -> str | None:
    """Why an object key cannot be written and read back (None when it can), checked before any
    byte is sent, so that every writer refuses it up front (exit 2) instead of after the upload.

    OSS and COS agree on: UTF-8, no leading ``/`` or ``\\``, at most 1,023 bytes (OSS "Object naming
    conventions", help.aliyun.com/zh/oss/user-guide/object-naming-conventions). COS ("Object Overview",
    cloud.tencent.com/document/product/436/13324) takes at most 850 bytes and no CAN, EM, SUB or ESC:
    with ``cloud="cos"`` those are refused too. A ``.`` or ``..`` segment is
    addressable on neither in practice: HTTP clients and proxies remove dot segments from a URL's path
    (RFC 3986, 5.2.4), and cos-python-sdk-v5 refuses keys that collapse to nothing
    (``cos_comm.path_simplify_check``); the local store refuses them as its security boundary."""
    if "\x00" in key:
        return _("it contains NUL")
    try:
        raw = key.encode("utf-8")
    except UnicodeEncodeError:
        return _("it is not valid UTF-8")
    limit = COS_MAX_KEY_BYTES if cloud == "cos" else MAX_KEY_BYTES
    if len(raw) > limit:
        return _("it is longer than {n} bytes").format(n=limit)
    if key.startswith(("/", "\\")):
        return _("it starts with a slash")
    if any(seg in (".", "..") for seg in key.split("/")):
        return _("it has a '.' or '..' segment")
    if cloud == "cos" and COS_KEY_CONTROLS.intersection(key):
        return _("it holds a control character COS does not take (CAN, EM, SUB or ESC)")
    return None


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
