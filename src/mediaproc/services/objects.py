"""Object commands (upload, download, ls, rm, sign) for any provider, as plain functions.

The scheme of the object URI picks the provider (``oss://`` -> oss, ``cos://`` -> cos, a path ->
``--provider``), so the same calls work on a folder-as-bucket with the local provider. Results are
the typed :class:`~mediaproc.results.ProcessResult` / :class:`~mediaproc.results.ObjectInfo` that
``output.py`` renders; nothing here prints.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from mediaproc.addressing import check_key, parse_location
from mediaproc.config import Settings
from mediaproc.errors import Interrupted, NotFound, UsageError, missing_folder
from mediaproc.i18n import _
from mediaproc.location import Location, expand_path, is_folder_text
from mediaproc.progress import ProgressCallback
from mediaproc.providers import get_provider
from mediaproc.providers.base import Provider
from mediaproc.record import replace
from mediaproc.results import ObjectInfo, ProcessResult

if TYPE_CHECKING:  # imported where an upload runs: a listing never needs it (benchmarks/ls.py)
    from mediaproc.objectopts import ObjectOptions


def _object(text: str, settings: Settings, *, what: str, role: str = "source") -> tuple[Location, str]:
    """Parse an object URI (or, with the local provider, a path) and name its provider. A bare key
    stands for an object in the default bucket when the provider is a cloud (``--bucket``); as a
    ``destination`` the key is checked up front (``addressing.check_key``)."""
    loc = parse_location(text, settings, role="source")
    if role == "destination" and loc.is_object:
        check_key(loc.key or "", loc.scheme)
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
    settings: Settings, local: str, dest: str, progress: ProgressCallback | None = None,
    options: ObjectOptions | None = None, *, max_source_size: int | str | None = None,
) -> ProcessResult:
    """Upload one file (multipart and resumable on the clouds). ``dest`` ending in ``/`` is a prefix.

    ``local`` may be an ``http(s)://`` URL (the skill's ``--uri``): it is fetched as URL sources are
    (services/sources.py: the same size cap, at most 5 redirects, the same timeouts, a private
    temporary file removed however the upload ends) and the file is uploaded; its name comes from the
    URL, its Content-Type from the response unless ``--content-type`` is given. ``options`` are
    checked for the destination's provider before anything is fetched or sent."""
    from mediaproc.objectopts import ObjectOptions
    from mediaproc.services import sources
    from mediaproc.services.sourcekind import is_url

    opts = options or ObjectOptions()
    if is_url(local):
        loc, name = _object(dest, settings, what=_("the upload destination"), role="destination")
        opts.check(name)
        limit = sources.parse_size(max_source_size) or sources.DEFAULT_MAX_MEDIA
        with sources.temporary_fetch(local, max_size=limit, progress=progress) as got:
            if opts.content_type is None and got.content_type:
                opts = dataclasses.replace(opts, content_type=got.content_type)
            result = _upload_file(settings, got.path, _into(loc, got.path.name), name, progress, opts)
        return replace(result, source=got.url)
    if max_source_size is not None:
        raise UsageError(_("--max-source-size applies to http(s):// sources"), hint=_("drop it for a local file"))
    path = Path(local).expanduser()
    if path.is_dir():
        raise UsageError(_("{path} is a folder").format(path=path),
                         hint=_("add -r to upload every file under it: mediaproc upload -r {path} DEST/").format(
                             path=path))
    if not path.is_file():
        raise NotFound(
            _("{path} does not exist or is not a file").format(path=path),
            hint=_("check the path (relative paths start in {cwd}); an http(s):// URL is fetched").format(
                cwd=Path.cwd()),
        )
    loc, name = _object(dest, settings, what=_("the upload destination"), role="destination")
    return _upload_file(settings, path, _into(loc, path.name), name, progress, opts.check(name))


def _into(dest: Location, name: str) -> Location:
    """``dest``, or ``name`` inside it when it names a folder (``Location.joined``), with the
    joined key checked up front like the rest of the destination."""
    loc = dest.joined(name)
    if loc.is_object:
        check_key(loc.key or "", loc.scheme)
    return loc


def _upload_file(
    settings: Settings, path: Path, loc: Location, name: str, progress: ProgressCallback | None,
    options: ObjectOptions,
) -> ProcessResult:
    started = time.monotonic()
    try:
        with _provider(name, settings) as provider:
            info = provider.upload(path, loc, progress, options)
    except KeyboardInterrupt:
        raise _upload_interrupted(path, name) from None
    target = f"{loc.scheme}://{loc.bucket}/{info.key}" if loc.is_object else info.key
    extra = {"object_options": _shown(options)} if options else {}
    return ProcessResult(
        success=True, mode="upload", source=str(path), target=target, size=info.size,
        request_id=info.request_id, provider=name, elapsed_seconds=round(time.monotonic() - started, 3),
        extra=extra,
    )


def _upload_interrupted(path: Path, provider: str) -> Interrupted:
    """Ctrl-C during an upload. On the clouds a multipart upload keeps its checkpoint (oss2's
    resumable upload in the cache dir; COS's ``upload_file`` finds the upload it had begun), so the
    same command resumes from the parts already stored; a file small enough for one request, and the
    local provider's atomic copy, simply start again (nothing partial is left under the name)."""
    if provider == "local":
        return Interrupted(_("the upload of {path} was interrupted; nothing was written").format(path=path),
                           hint=_("run the same command again"))
    return Interrupted(
        _("the upload of {path} was interrupted").format(path=path),
        hint=_("run the same command again: a multipart upload resumes from the parts already stored"),
    )


def _shown(options: ObjectOptions) -> dict[str, object]:
    """The options set, for ``--json`` (metadata as a mapping)."""
    out: dict[str, object] = {}
    for field_name in options.given():
        value = getattr(options, field_name)
        out[field_name] = dict(value) if field_name == "meta" else value
    return out


def download(
    settings: Settings, src: str, local: str, progress: ProgressCallback | None = None,
    stdout: Callable[[Path], None] | None = None,
) -> ProcessResult:
    """Download one object, streamed and atomic (nothing is left at ``local`` if it fails).

    ``local`` ``-`` hands the downloaded file to ``stdout`` (``Output.write_file``) once complete,
    as ``--to -`` does for processing (docs/paths.md)."""
    loc, name = _object(src, settings, what=_("the download source"))
    if loc.is_object and (not loc.key or loc.key.endswith("/")):
        raise UsageError(_("{src} names no object").format(src=src),
                         hint=_("name one object, e.g. {scheme}://BUCKET/KEY, or add -r to download everything "
                                "under the prefix").format(scheme=loc.scheme))
    if local == "-":
        if stdout is None:
            raise TypeError("download(..., '-') needs stdout=, the function that writes the bytes")
        import shutil
        import tempfile

        folder = Path(tempfile.mkdtemp(prefix=".mediaproc-stdout-"))
        try:
            result = download(settings, src, str(folder) + "/", progress)
            stdout(Path(str(result.path)))
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return replace(result, target="-", path=None)
    target = Location(scheme="file", path=expand_path(local), folder=is_folder_text(local))
    source_name = loc.key if loc.is_object else loc.path.name if loc.path is not None else ""
    dest = target.joined(PurePosixPath(str(source_name)).name).path
    assert dest is not None
    if target.folder:
        dest.parent.mkdir(parents=True, exist_ok=True)  # `download KEY dl/` creates dl/ as aws s3 cp does
    elif not dest.parent.is_dir():
        raise missing_folder(dest.parent)
    started = time.monotonic()
    with _provider(name, settings) as provider:
        info = provider.download(loc, dest, progress)
    return ProcessResult(
        success=True, mode="download", source=src, target=str(local), path=str(dest.resolve()),
        size=info.size, request_id=info.request_id, provider=name,
        elapsed_seconds=round(time.monotonic() - started, 3),
    )


def ls(settings: Settings, prefix: str, *, recursive: bool = False) -> Iterator[ObjectInfo]:
    """Objects under a prefix; without ``recursive`` one level, with "folders" as prefix entries.

    A generator, page by page from the provider: the caller writes each object as it arrives, so
    the first line of a 20,000-object listing comes after the first page, and memory does not grow
    with the listing. Nothing runs (not even the argument check) until it is iterated."""
    loc, name = _object(prefix, settings, what=_("the listing prefix"))
    with _provider(name, settings) as provider:
        yield from provider.list_objects(loc, recursive=recursive)


def rm(settings: Settings, target: str) -> ProcessResult:
    """Delete one object; a missing object is exit 4. ``rm -r`` is :func:`mediaproc.services.transfer.remove`
    (listed, confirmed, batched deletes)."""
    loc, name = _object(target, settings, what=_("the object to delete"))
    if loc.is_object and (not loc.key or loc.key.endswith("/")):
        raise UsageError(
            _("{target} is a prefix").format(target=target),
            hint=_("add -r to delete everything under it"),
        )
    with _provider(name, settings) as provider:
        provider.delete(loc)
    return ProcessResult(
        success=True, mode="delete", source=target, provider=name,
        generated_keys=(loc.key or str(loc.path),), extra={"deleted": 1},
    )


def refuse_batch_options(**given: object) -> None:
    """Options that only mean something with ``-r`` are refused without it, not silently dropped."""
    for name, value in given.items():
        if value:
            option = "--" + name.replace("_", "-")
            raise UsageError(_("{option} applies to -r (many objects)").format(option=option),
                             hint=_("add -r, or drop {option}").format(option=option))


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
