"""``mediaproc style``: named chains stored on a bucket (OSS bucket styles, COS image styles, the local
style book), and their export to / import from a TOML file.

Which bucket: ``--in oss://BUCKET``, ``--in cos://BUCKET-APPID`` or ``--in FOLDER`` (local); without
it, ``--provider`` and ``--bucket`` as for a bare key (the local provider: the ``--bucket`` folder,
else the working directory). A name is checked against the cloud's rule before any request
(:mod:`mediaproc.ops.styles`); a chain is validated and encoded into the cloud's own form, which is
also the capability check (:mod:`mediaproc.ops.stylebook`).

The export file, one table per style, keeps our syntax (what every provider can read back) and,
for reference, the form it was stored in::

    # mediaproc styles
    [styles.thumb]
    chain = ["resize:w=600", "quality:Q=80"]
    stored = "image/resize,w_600/quality,Q_80"
    provider = "oss"

Import reads ``chain`` only, encodes it for the target and refuses the whole file (exit 2, naming the
style and the operation) before storing anything when one style cannot be expressed there.
Listing names are cached briefly for shell completion (:func:`cached_names`).
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mediaproc.config import Settings
from mediaproc.errors import InvalidOperation, MediaprocError, UsageError
from mediaproc.i18n import _
from mediaproc.location import expand_path
from mediaproc.ops.model import Chain

COMPLETION_TTL = 60.0  # seconds a cached list of names is offered to the shell
COMPLETION_TIMEOUT = 1.5  # seconds completion may wait for a listing before it answers from the cache


@dataclass(frozen=True)
class StyleTarget:
    """Where the styles are: a provider and its bucket (a folder for the local provider)."""

    provider: str
    bucket: str

    @property
    def label(self) -> str:
        return f"{self.provider}://{self.bucket}" if self.provider != "local" else self.bucket


def target(settings: Settings, where: str | None = None) -> StyleTarget:
    """``--in`` (or --provider/--bucket) -> the StyleTarget; a cloud without a bucket is exit 2."""
    text = (where or "").strip()
    for scheme in ("oss", "cos"):
        if text.lower().startswith(f"{scheme}://"):
            bucket, _sep, rest = text[len(scheme) + 3 :].partition("/")
            if not bucket or rest.strip("/"):
                raise UsageError(
                    _("{text!r} does not name a bucket").format(text=text),
                    hint=_("write {scheme}://BUCKET (styles belong to a bucket, not to a key)").format(scheme=scheme),
                )
            return StyleTarget(scheme, bucket)
    if text:
        return StyleTarget("local", str(expand_path(text)))
    provider = settings.provider
    if provider == "local":
        folder = expand_path(settings.bucket) if settings.bucket else Path.cwd()
        return StyleTarget("local", str(folder))
    if not settings.bucket:
        raise UsageError(
            _("which bucket?"),
            hint=_("add --in {scheme}://BUCKET, or pass --bucket").format(scheme=provider),
        )
    return StyleTarget(provider, settings.bucket)


def _provider(settings: Settings, tgt: StyleTarget) -> Any:
    from mediaproc.providers import get_provider

    return get_provider(tgt.provider, settings.with_(provider=tgt.provider))


def _region(settings: Settings, tgt: StyleTarget) -> str | None:
    return settings.region if tgt.provider == "cos" else None


def describe(name: str, stored: str, provider: str, *, created: float | None = None,
             modified: float | None = None) -> dict[str, Any]:
    """One style for output: our syntax (decoded from the stored form) beside the stored form."""
    from mediaproc.ops.parse import format_chain
    from mediaproc.ops.stylebook import decode

    out: dict[str, Any] = {"name": name, "provider": provider, "stored": stored}
    try:
        out["chain"] = format_chain(decode(stored, provider))
    except MediaprocError as exc:  # a style made elsewhere with what mediaproc cannot read
        out["chain"] = None
        out["note"] = exc.message
    out["created"] = created
    out["modified"] = modified
    return out


def put(settings: Settings, name: str, words: Sequence[str], where: str | None = None) -> dict[str, Any]:
    """Validate, encode and store one style; returns it as :func:`describe` shows it."""
    from mediaproc.ops.stylebook import encode, parse_words
    from mediaproc.ops.styles import MAX_STYLES, check_name

    tgt = target(settings, where)
    check_name(name, tgt.provider)
    content = encode(parse_words(words, tgt.provider), tgt.provider, bucket=tgt.bucket,
                     region=_region(settings, tgt))
    with _provider(settings, tgt) as provider:
        limit = MAX_STYLES.get(tgt.provider)
        if limit is not None:
            names = {s.name for s in provider.list_styles(tgt.bucket)}
            if name not in names and len(names) >= limit:
                raise InvalidOperation(
                    _("{where} has {n} styles already; {provider} allows {limit} per bucket").format(
                        where=tgt.label, n=len(names), provider=tgt.provider, limit=limit),
                    hint=_("remove one first: mediaproc style rm NAME"),
                )
        provider.put_style(tgt.bucket, name, content.stored)
    _forget(tgt)
    return {**describe(name, content.stored, tgt.provider), "chain": list(content.words), "bucket": tgt.label}


def get(settings: Settings, name: str, where: str | None = None) -> dict[str, Any]:
    from mediaproc.ops.styles import check_name

    tgt = target(settings, where)
    check_name(name, tgt.provider)
    with _provider(settings, tgt) as provider:
        style = provider.get_style(tgt.bucket, name)
    return {**describe(style.name, style.content, tgt.provider, created=style.created, modified=style.modified),
            "bucket": tgt.label}


def ls(settings: Settings, where: str | None = None) -> list[dict[str, Any]]:
    tgt = target(settings, where)
    with _provider(settings, tgt) as provider:
        styles = provider.list_styles(tgt.bucket)
    _remember(tgt, [s.name for s in styles])
    return [{**describe(s.name, s.content, tgt.provider, created=s.created, modified=s.modified),
             "bucket": tgt.label} for s in styles]


def rm(settings: Settings, name: str, where: str | None = None) -> dict[str, Any]:
    from mediaproc.ops.styles import check_name

    tgt = target(settings, where)
    check_name(name, tgt.provider)
    with _provider(settings, tgt) as provider:
        provider.get_style(tgt.bucket, name)  # a missing style is exit 4, whatever the delete answers
        provider.delete_style(tgt.bucket, name)
    _forget(tgt)
    return {"name": name, "bucket": tgt.label, "deleted": True}


def expand_local(settings: Settings, chain: Chain) -> Chain:
    """On the local provider, the chain with each ``style/NAME`` replaced by the stored operations,
    at plan time: the format a style asks for then names batch outputs and a dry-run shows what
    runs (the clouds resolve their own styles, so their chains keep the reference)."""
    from mediaproc.ops.styles import check_chain, references

    if not references(chain):
        return chain
    check_chain(chain, "local")
    from mediaproc.providers.local.provider import LocalProvider

    return LocalProvider(settings.with_(provider="local")).expand_styles(chain)


# -- export / import ------------------------------------------------------------------------------


def export_text(settings: Settings, where: str | None = None) -> tuple[str, int]:
    """The TOML document of every style of the target, and how many styles it holds."""
    import tomli_w

    styles = ls(settings, where)
    table: dict[str, Any] = {}
    for s in styles:
        if s.get("chain") is None:
            raise InvalidOperation(
                _("style {name!r} cannot be exported: {reason}").format(name=s["name"], reason=s.get("note")),
                hint=_("mediaproc reads the operations it can write; rewrite the style with mediaproc style put"),
            )
        table[s["name"]] = {"chain": list(s["chain"]), "stored": s["stored"], "provider": s["provider"]}
    return "# mediaproc styles (mediaproc style export / import)\n" + tomli_w.dumps({"styles": table}), len(table)


def export(settings: Settings, file: str | None, where: str | None = None) -> dict[str, Any]:
    """Write the export to ``file`` (atomically), or return it for stdout when ``file`` is None or -."""
    from mediaproc.atomic import write_text_atomic

    text, count = export_text(settings, where)
    tgt = target(settings, where)
    if file in (None, "-"):
        return {"text": text, "count": count, "bucket": tgt.label}
    path = expand_path(str(file))
    write_text_atomic(path, text)
    return {"path": str(path.resolve()), "count": count, "bucket": tgt.label}


def _read_file(file: str) -> dict[str, list[str]]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # Python 3.10
        import tomli as tomllib
    try:
        raw = sys.stdin.read() if file == "-" else expand_path(file).read_text(encoding="utf-8")
        data = tomllib.loads(raw)
    except FileNotFoundError:
        from mediaproc.errors import NotFound

        raise NotFound(_("{file} does not exist").format(file=file),
                       hint=_("write one with mediaproc style export FILE")) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(_("{file} is not a TOML styles file: {reason}").format(file=file, reason=exc),
                         hint=_("write one with mediaproc style export FILE")) from None
    styles = data.get("styles")
    if not isinstance(styles, dict) or not styles:
        raise UsageError(_("{file} holds no [styles.NAME] table").format(file=file),
                         hint=_('e.g. [styles.thumb] chain = ["resize:w=600"]'))
    out: dict[str, list[str]] = {}
    for name, entry in styles.items():
        chain = entry.get("chain") if isinstance(entry, dict) else None
        if isinstance(chain, str):
            chain = [chain]
        if not isinstance(chain, list) or not chain or not all(isinstance(w, str) for w in chain):
            raise UsageError(_("style {name!r} in {file} has no chain").format(name=name, file=file),
                             hint=_('write chain = ["resize:w=600", ...]'))
        out[str(name)] = chain
    return out


def import_(settings: Settings, file: str, where: str | None = None, *, dry_run: bool = False) -> dict[str, Any]:
    """Encode every style of ``file`` for the target first (all or nothing), then store them."""
    from mediaproc.ops.stylebook import encode, parse_words
    from mediaproc.ops.styles import check_name

    tgt = target(settings, where)
    entries = _read_file(file)
    ready: list[tuple[str, str, tuple[str, ...]]] = []
    for name, words in entries.items():
        try:
            check_name(name, tgt.provider)
            content = encode(parse_words(words, tgt.provider), tgt.provider, bucket=tgt.bucket,
                             region=_region(settings, tgt))
        except InvalidOperation as exc:
            exc.message = _("style {name!r}: {message}").format(name=name, message=exc.message)
            raise
        ready.append((name, content.stored, content.words))
    done = [{"name": n, "stored": s, "chain": list(w)} for n, s, w in ready]
    if not dry_run:
        with _provider(settings, tgt) as provider:
            for name, stored, _words in ready:
                provider.put_style(tgt.bucket, name, stored)
        _forget(tgt)
    return {"bucket": tgt.label, "provider": tgt.provider, "imported": done, "dry_run": dry_run}


# -- completion cache -----------------------------------------------------------------------------


def _cache_file(tgt: StyleTarget) -> Path:
    import hashlib

    from platformdirs import user_cache_dir

    digest = hashlib.sha256(f"{tgt.provider}\0{tgt.bucket}".encode()).hexdigest()[:24]
    return Path(user_cache_dir("mediaproc")) / "styles" / f"{digest}.json"


def _remember(tgt: StyleTarget, names: list[str]) -> None:
    """Keep the names just listed for completion (best effort: a cache that cannot be written is no
    cache)."""
    from mediaproc.atomic import write_json_atomic

    try:
        path = _cache_file(tgt)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_json_atomic(path, {"at": time.time(), "names": names})
    except (OSError, MediaprocError):
        pass


def _forget(tgt: StyleTarget) -> None:
    with contextlib.suppress(OSError):
        _cache_file(tgt).unlink()


def _cached(tgt: StyleTarget, *, any_age: bool = False) -> list[str] | None:
    try:
        data = json.loads(_cache_file(tgt).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("names"), list):
        return None
    if not any_age and time.time() - float(data.get("at") or 0) > COMPLETION_TTL:
        return None
    return [str(n) for n in data["names"]]


def cached_names(settings: Settings, where: str | None = None) -> list[str]:
    """Style names for shell completion: the cache when it is fresh, else one listing that may take
    :data:`COMPLETION_TIMEOUT` at most (then the stale cache, or nothing). Never raises."""
    import threading

    try:
        tgt = target(settings, where)
    except MediaprocError:
        return []
    fresh = _cached(tgt)
    if fresh is not None:
        return fresh
    found: list[str] = []
    listed = threading.Event()

    def fetch() -> None:
        with contextlib.suppress(Exception):  # completion must never fail the shell
            found.extend(s["name"] for s in ls(settings, where))
            listed.set()

    worker = threading.Thread(target=fetch, daemon=True)
    worker.start()
    worker.join(COMPLETION_TIMEOUT if tgt.provider != "local" else 5.0)
    if listed.is_set():
        return found
    return _cached(tgt, any_age=True) or []  # too slow or unreachable: what was listed last


__all__ = [
    "COMPLETION_TTL",
    "StyleTarget",
    "cached_names",
    "describe",
    "export",
    "export_text",
    "get",
    "import_",
    "ls",
    "put",
    "rm",
    "target",
]
