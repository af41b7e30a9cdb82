"""What a source names: one file, object or URL, or a batch (a folder, prefix or pattern).

Why a module of its own: every processing run asks this first (``services.run.run_chain``), and a
plain one-shot run must not pay for importing the batch engine (``services/batch.py``) or the URL
fetcher (``services/sources.py``) only to learn that it needs neither. Both import their rules from
here.
"""

from __future__ import annotations

import re

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
