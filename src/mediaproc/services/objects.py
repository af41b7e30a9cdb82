"""Object commands (upload, download, ls, rm, sign) for any provider, as plain functions.

The scheme of the object URI picks the provider (``oss://`` -> oss, ``cos://`` -> cos, a path ->
``--provider``), so the same calls work on a folder-as-bucket with the local provider. Results are
the typed :class:`~mediaproc.results.ProcessResult` / :class:`~mediaproc.results.ObjectInfo` that
``output.py`` renders; nothing here prints.
"""

from __future__ import annotations

import time
from pathlib import Path, PurePosixPath

from mediaproc.addressing import parse_location
from mediaproc.config import Settings
from mediaproc.errors import NotFound, UsageError
from mediaproc.i18n import _
from mediaproc.location import Location
from mediaproc.progress import ProgressCallback
from mediaproc.providers import get_provider
from mediaproc.providers.base import Provider
from mediaproc.results import ObjectInfo, ProcessResult


def _object(text: str, settings: Settings, *, what: str) -> tuple[Location, str]:
    """Parse an object URI (or, with the local provider, a path) and name its provider. A bare key
    stands for an object in the default bucket when the provider is a cloud (``--bucket``)."""
    loc = parse_location(text, settings, role="source")
    if loc.is_object:
        return loc, str(loc.scheme)
    if loc.is_local and settings.provider == "local":
        return loc, "local"
    raise UsageError(
        _("{what} must be an object URI, not {text!r}").format(what=what, text=text),
        hint=_("write oss://BUCKET/KEY or cos://BUCKET-APPID/KEY"),
    )


def _provider(name: str, settings: Settings) -> Provider:
    return get_provider(name, settings)


def upload(
    settings: Settings, local: str, dest: str, progress: ProgressCallback | None = None
) -> ProcessResult:
    """Upload one file (multipart and resumable on the clouds). ``dest`` ending in ``/`` is a prefix."""
    path = Path(local).expanduser()
    if not path.is_file():
        raise NotFound(
            _("{path} does not exist or is not a file").format(path=path),
            hint=_("check the path (relative paths start in {cwd})").format(cwd=Path.cwd()),
        )
    loc, name = _object(dest, settings, what=_("the upload destination"))
    started = time.monotonic()
    with _provider(name, settings) as provider:
        info = provider.upload(path, loc, progress)
    target = f"{loc.scheme}://{loc.bucket}/{info.key}" if loc.is_object else info.key
    return ProcessResult(
        success=True, mode="upload", source=str(path), target=target, size=info.size,
        request_id=info.request_id, provider=name, elapsed_seconds=round(time.monotonic() - started, 3),
    )


def download(
    settings: Settings, src: str, local: str, progress: ProgressCallback | None = None
) -> ProcessResult:
    """Download one object, streamed and atomic (nothing is left at ``local`` if it fails)."""
    loc, name = _object(src, settings, what=_("the download source"))
    dest = Path(local).expanduser()
    if dest.is_dir() and loc.key:
        dest = dest / PurePosixPath(loc.key).name
    if not dest.parent.is_dir():
        raise UsageError(
            _("the destination folder {folder} does not exist").format(folder=dest.parent),
            hint=_("create it first (mkdir -p {folder})").format(folder=dest.parent),
        )
    started = time.monotonic()
    with _provider(name, settings) as provider:
        info = provider.download(loc, dest, progress)
    return ProcessResult(
        success=True, mode="download", source=src, target=str(local), path=str(dest.resolve()),
        size=info.size, request_id=info.request_id, provider=name,
        elapsed_seconds=round(time.monotonic() - started, 3),
    )


def ls(settings: Settings, prefix: str, *, recursive: bool = False) -> list[ObjectInfo]:
    """Objects under a prefix; without ``recursive`` one level, with "folders" as prefix entries."""
    loc, name = _object(prefix, settings, what=_("the listing prefix"))
    with _provider(name, settings) as provider:
        return list(provider.list_objects(loc, recursive=recursive))


def rm(settings: Settings, target: str, *, recursive: bool = False) -> ProcessResult:
    """Delete one object, or everything under a prefix with ``recursive``. A missing object is exit 4."""
    loc, name = _object(target, settings, what=_("the object to delete"))
    deleted: list[str] = []
    with _provider(name, settings) as provider:
        if recursive:
            keys = [o.key for o in provider.list_objects(loc, recursive=True) if not o.is_prefix]
            if not keys:
                raise NotFound(
                    _("nothing under {target}").format(target=target),
                    hint=_("check the prefix with `mediaproc ls`"),
                )
            for key in keys:
                provider.delete(_with_key(loc, key))
                deleted.append(key)
        else:
            if loc.is_object and (not loc.key or loc.key.endswith("/")):
                raise UsageError(
                    _("{target} is a prefix").format(target=target),
                    hint=_("add -r to delete everything under it"),
                )
            provider.delete(loc)
            deleted.append(loc.key or str(loc.path))
    return ProcessResult(
        success=True, mode="delete", source=target, provider=name, generated_keys=tuple(deleted),
        extra={"deleted": len(deleted)},
    )


def _with_key(loc: Location, key: str) -> Location:
    if loc.is_object:
        return Location(scheme=loc.scheme, bucket=loc.bucket, key=key)
    return Location(scheme="file", path=Path(key))


def sign(
    settings: Settings, target: str, *, expires: int = 3600, operations: list[str] | None = None
) -> ProcessResult:
    """A pre-signed GET URL, optionally with a processing chain (checked like any other chain)."""
    loc, name = _object(target, settings, what=_("the object to sign"))
    if not loc.is_object:
        raise UsageError(_("only cloud objects can be signed"), hint=_("write oss://BUCKET/KEY"))
    process = None
    if operations:
        from mediaproc.ops.parse import parse_chain

        chain = parse_chain(list(operations))
        if name == "oss":
            from mediaproc.ops.oss import encode as enc

            process = enc.process_string(chain)
        else:
            raise UsageError(
                _("processing in a signed URL is only supported for OSS here"),
                hint=_("sign the plain object, or use `mediaproc process ... --url`"),
            )
    with _provider(name, settings) as provider:
        url = provider.sign(loc, expires=expires, process=process)
    return ProcessResult(
        success=True, mode="url", source=target, target="<signed url>", url=url, provider=name,
        operations=process, extra={"expires_at": int(time.time()) + int(expires)},
    )
