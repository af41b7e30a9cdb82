"""What a source names: one file, object or URL, or a batch (a folder, prefix or pattern).

Why a module of its own: every processing run asks this first (``services.run.run_chain``), and a
plain one-shot run must not pay for importing the batch engine (``services/batch.py``) or the URL
fetcher (``services/sources.py``) only to learn that it needs neither. Both import their rules from
here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from mediaproc import TYPE_CHECKING
from mediaproc.addressing import parse_location

if TYPE_CHECKING:
    from mediaproc.config import Settings
    from mediaproc.location import Location

GLOB_CHARS = "*?["


def is_url(text: str) -> bool:
    """Whether a source is an ``http(s)://`` URL (case-insensitive scheme), fetched by ``services/sources.py``."""
    return bool(re.match(r"^https?://", text, re.IGNORECASE))


def has_wildcards(text: str) -> bool:
    """Whether ``text`` holds a wildcard character (``*``, ``?``, ``[``): a pattern if nothing is
    named by it literally (docs/paths.md)."""
    return any(c in text for c in GLOB_CHARS)


def key_pattern(pattern: str) -> re.Pattern[str]:
    """A cloud key pattern read as a local source pattern is (``glob.glob(..., recursive=True)``):
    ``*``, ``?`` and ``[...]`` stay within one ``/``-separated segment and a ``**`` segment spans any
    number of them (neither matches a hidden name's leading ``.``). So ``oss://b/in/*.jpg`` takes
    what ``in/*.jpg`` takes in a folder, the objects directly under ``in/`` (as gsutil reads it), and
    ``in/**/*.jpg`` every depth. fnmatch's ``*`` crossed ``/``: the same command took sub-folders,
    and a destination inside them, on a cloud only."""
    parts = pattern.split("/")
    out = []
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if part == "**":
            out.append(r"(?:(?!\.)[^/]*(?:/(?!\.)[^/]*)*)?" if last else r"(?:(?!\.)[^/]*/)*")
        else:
            out.append(_segment_regex(part) + ("" if last else "/"))
    return re.compile("".join(out) + r"\Z", re.DOTALL)


def _segment_regex(part: str) -> str:
    """One path segment of a glob as a regular expression that never matches ``/``; as in a folder,
    a wildcard does not match the leading ``.`` of a hidden name (nor so ``.mediaproc-tmp/``)."""
    out: list[str] = [r"(?!\.)"] if part[:1] in ("*", "?", "[") else []
    i, n = 0, len(part)
    while i < n:
        c = part[i]
        i += 1
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            j = i + 1 if i < n and part[i] in "!^" else i
            j = j + 1 if j < n and part[j] == "]" else j
            while j < n and part[j] != "]":
                j += 1
            if j >= n:
                out.append(re.escape(c))
                continue
            body, i = part[i:j], j + 1
            negate = body[:1] in ("!", "^")
            body = (body[1:] if negate else body).replace("\\", "\\\\").replace("[", "\\[")
            out.append(f"[^/{body}]" if negate else f"[{body}]")
        else:
            out.append(re.escape(c))
    return "".join(out)


def own_destination_check(dest_root: Location | None) -> Callable[[Location, str], bool]:
    """Whether an item (``rel`` below the batch's source folder or prefix) lies in the destination folder
    ``dest_root``, and that folder is a sub-folder of the source (``process oss://b/ ... --to
    oss://b/thumbs/``). Such an item is a result of this batch or of an earlier run: taken as a source, a
    re-run made ``thumbs/thumbs/``, and since a listing is read while the batch writes, one run over more
    than a page of keys could feed on its own results. A destination equal to the source (rewrite in
    place) is not a sub-folder and changes nothing. One check per batch: the folders are resolved once,
    not three paths per item (63 us an item, twice for a local batch, once in the counting pass before any
    worker starts), and an item's own path only when the destination is inside the source at all."""
    resolved: dict[Path, Path] = {}

    def resolve(path: Path) -> Path:
        found = resolved.get(path)
        if found is None:
            found = resolved[path] = path.resolve()
        return found

    def check(item: Location, rel: str) -> bool:
        if dest_root is None:
            return False
        if item.is_local and item.path is not None:
            if not dest_root.is_local or dest_root.path is None:
                return False
            depth = len(PurePosixPath(rel).parts)
            source_root = resolve(item.path.parents[depth - 1] if depth else item.path)
            dest = resolve(dest_root.path.expanduser())
            if dest == source_root or not dest.is_relative_to(source_root):
                return False
            return item.path.resolve().is_relative_to(dest)
        if (item.scheme, item.bucket) != (dest_root.scheme, dest_root.bucket) or item.key is None:
            return False
        dest_prefix = dest_root.key or ""
        if dest_prefix and not dest_prefix.endswith("/"):
            dest_prefix += "/"
        source_prefix = item.key[: len(item.key) - len(rel)]
        return (dest_prefix != source_prefix and dest_prefix.startswith(source_prefix)
                and item.key.startswith(dest_prefix))

    return check


def is_batch_source(text: str, settings: Settings, *, look: bool = True) -> bool:
    """Whether ``text`` names every item under it (a batch) or one file or object.

    A trailing slash or an existing local folder is a batch. Literal before glob: a source with
    wildcards that exists as written (a file ``photo [1].jpg``, an object ``what?.jpg``) is that one
    file or object; it is a pattern only when nothing has that name, and never with ``--literal``.
    ``look=False`` (dry-run, which never touches the network) asks no cloud whether the key exists,
    so a cloud key with wildcards is a pattern there unless ``--literal`` is given."""
    if text.endswith("/"):
        return True
    src = parse_location(text, settings, role="source")
    if src.is_local and src.path is not None:
        if src.path.is_dir():
            return True
        if settings.literal or src.path.exists():
            return False
        return has_wildcards(text)
    if not src.is_object or settings.literal or not has_wildcards(src.key or ""):
        return False
    return not (look and _object_exists(settings, src))


def _object_exists(settings: Settings, loc: Location) -> bool:
    """One HEAD: whether the object ``loc`` names exists as written (literal before glob)."""
    from mediaproc.errors import NotFound
    from mediaproc.providers import get_provider

    with get_provider(str(loc.scheme), settings) as provider:
        try:
            provider.head(loc)
        except NotFound:
            return False
    return True
