"""Plan and execute one operation chain on one source: parse, validate, pick the provider, run.

Every processing command reaches this through ``services.run.run_chain`` (which adds batches and
dry-runs), so all of them share one validation path and one result shape. Everything is checked
before any network call or file write.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path, PurePosixPath

from mediaproc import TYPE_CHECKING
from mediaproc.addressing import choose_provider, parse_location, parse_sibling
from mediaproc.config import Settings
from mediaproc.errors import InvalidOperation, MediaprocError, UsageError, missing_folder
from mediaproc.hygiene import redact_url
from mediaproc.i18n import Message, _
from mediaproc.location import Location, expand_path, is_folder_text
from mediaproc.ops.model import Chain, Family, Produces
from mediaproc.progress import ProgressCallback
from mediaproc.providers.base import ConcatInput, ProcessRequest, Provider
from mediaproc.record import Record, replace
from mediaproc.results import ProcessResult

if TYPE_CHECKING:
    from mediaproc.location import Position

IMAGE_FAMILIES = frozenset({Family.IMAGE, Family.META, Family.AI})


class Plan(Record):
    """Everything decided before execution; dry-run renders it, execution runs it."""

    provider: str
    chain: Chain
    request: ProcessRequest
    warnings: tuple[str, ...]
    verify: bool = False  # read the saved result back and compare it with the request
    strict: bool = False  # ... and fail (exit 9) when it differs
    max_source_size: int | None = None  # cap for URL sources; None: by family (services/sources.py)
    download_to: str | None = None  # also download what was saved in the bucket here (file or folder)
    dry_run: bool = False  # only described: a destination may be left out


class RunOptions(Record):
    """Everything a run needs besides the source and the chain, in one value.

    Every processing command, ``make_plan`` and ``services.run.run_chain`` take this one value, so a
    new option is added once instead of being forwarded by keyword through every layer. The
    defaults are the CLI's defaults; an option a command does not offer keeps its default.
    """

    to: str | None = None  # destination: a file, a folder/prefix for batches, or an object URI
    download_to: str | None = None  # with --to in the bucket: also download the saved result(s) here
    dry_run: bool = False
    url: bool = False  # a signed URL of the result instead of a destination
    expires: int = 3600  # its lifetime, s
    inputs: tuple[str, ...] = ()  # concat: PATH[,ss=MS][,t=MS] after the source
    pre_inputs: tuple[str, ...] = ()  # ... and before it
    wait: bool = True  # async jobs: wait for the end (False: return the task id)
    timeout: float | None = None  # None: settings.wait_timeout
    families: frozenset[Family] | None = None  # the families a command accepts; None: any
    label: str = "processing"  # the progress label of a single run
    concurrency: int | None = None  # batch: items at once; None: by provider (services/batch.py)
    skip_existing: bool = False  # batch: leave items whose destination exists
    verify: bool = False  # read the saved result back and compare it with the request
    strict: bool = False  # ... and fail (exit 9) when it differs; implies verify
    max_source_size: int | str | None = None  # cap for URL sources, bytes or "50MB"
    notify_topic: str | None = None  # OSS async jobs: the MNS topic told when the job ends


def parse_concat_input(
    text: str, settings: Settings, position: Position = "sur", source: Location | None = None
) -> ConcatInput:
    """``PATH[,ss=MS][,t=MS]`` -> ConcatInput. A path containing commas can be quoted by the shell
    only as a whole word, so options are recognised only as trailing ``,ss=``/``,t=`` parts. Beside
    an object ``source`` a bare name is a key in the source's bucket (``addressing.parse_sibling``)."""
    parts = text.split(",")
    opts: dict[str, int] = {}
    while len(parts) > 1 and "=" in parts[-1]:
        key, _sep, value = parts.pop().partition("=")
        key = key.strip()
        if key not in ("ss", "t"):
            raise UsageError(
                _("unknown option {key!r} in input {text!r}").format(key=key, text=text),
                hint=_("inputs take PATH[,ss=MS][,t=MS]"),
            )
        try:
            opts[key] = int(value)
            if opts[key] < 0:
                raise ValueError
        except ValueError:
            raise UsageError(
                _("{key} must be a whole number of milliseconds in input {text!r}").format(key=key, text=text),
                hint=_("for example --input clip.mp4,ss=1000,t=5000"),
            ) from None
    name = ",".join(parts)
    if source is None:
        location = parse_location(name, settings, role="source")
    else:
        location = parse_sibling(name, settings, source)
    return ConcatInput(location=location, position=position, ss=opts.get("ss"), t=opts.get("t"))


def make_plan(
    settings: Settings, source: str, operations: Sequence[str] | Chain, options: RunOptions | None = None
) -> Plan:
    """Validate everything that can be validated without touching the network or the disk.

    ``options.strict`` implies ``verify``; ``options.max_source_size`` (bytes, or text like
    ``"50MB"``) caps ``http(s)://`` sources, by default according to the chain (services/sources.py).
    A dry-run may leave the destination out (it shows the request without one, as the skill's
    dry-run prints the bare process string); a real run that writes a result needs one. The
    batch-only options (concurrency, skip_existing) do not change the plan."""
    from mediaproc.ops.destination import follow_destination
    from mediaproc.ops.parse import parse_chain
    from mediaproc.ops.styles import references
    from mediaproc.ops.validate import check_backend, check_concat_inputs

    opts = options or RunOptions()
    # the one file written may give a missing f by its extension (``--to out.mkv``: ops.destination)
    named = None if opts.url else opts.to
    chain = operations if isinstance(operations, Chain) else parse_chain(list(operations), destination=named)
    if opts.families is not None:
        wrong = [op.name for op in chain if op.spec.family not in opts.families]
        if wrong:
            raise InvalidOperation(
                _("{names} cannot run here").format(names=", ".join(wrong)),
                hint=_("use `mediaproc process` or the matching command group (video, audio, hls)"),
            )
    src = parse_location(source, settings, role="source")
    save_as: Location | None = None
    if opts.url and opts.to:
        # a blind-watermarked image is saved before it can be signed (OSS): --to names that object
        save_as = parse_location(opts.to, settings, role="destination")
        if not (any(op.name == "blindwatermark-embed" for op in chain) and save_as.scheme == "oss"):
            raise UsageError(_("--url and --to cannot be used together"), hint=_("choose one destination"))
    dest: Location | None
    if opts.url:
        dest = Location(scheme="url")
    elif opts.to:
        dest = parse_location(opts.to, settings, role="destination")
    else:
        dest = None
    provider = choose_provider(src, dest, settings)
    if provider == "local" and references(chain):  # before naming a file in a folder: a style's format
        from mediaproc.services.styles import expand_local  # decides its extension (styles only: lazily)

        chain = expand_local(settings, chain)
    named_folder = dest is not None and dest.is_local and dest.folder
    dest = in_folder(dest, src, chain)
    # with --url, --to names the object saved before it is signed: its name is the one the bytes must match
    chain = follow_destination(chain, location_name(src), location_name(save_as or dest))
    warnings = [p.message for p in check_backend(chain, provider)]
    _check_download_to(chain, dest, provider, opts)
    _check_destination(chain, dest, provider, dry_run=opts.dry_run, named_folder=named_folder)
    extra = tuple(parse_concat_input(t, settings, "pre", src) for t in opts.pre_inputs)
    extra += tuple(parse_concat_input(t, settings, "sur", src) for t in opts.inputs)
    is_concat = any(op.spec.joins for op in chain)
    if extra and not is_concat:
        raise UsageError(
            _("--input only applies to video/concat and audio/concat"),
            hint=_("remove --input, or use `mediaproc video concat`"),
        )
    if is_concat:
        check_concat_inputs(chain, len(extra))
        _check_input_buckets(provider, src, extra)
    request = ProcessRequest(
        source=src,
        chain=chain,
        destination=dest,
        inputs=extra,
        wait=opts.wait,
        timeout=opts.timeout if opts.timeout is not None else settings.wait_timeout,
        expires=opts.expires,
        notify_topic=opts.notify_topic,
        save_as=save_as,
    )
    verify = opts.verify or opts.strict
    if verify:
        _check_verifiable(chain, dest, opts.wait)
    max_source_size: int | None = None
    if opts.max_source_size is not None:  # the URL fetcher's module only when a cap was given
        from mediaproc.services.sources import parse_size

        max_source_size = parse_size(opts.max_source_size)
    return Plan(provider=provider, chain=chain, request=request, warnings=tuple(warnings), verify=verify,
                strict=opts.strict, max_source_size=max_source_size,
                download_to=opts.download_to, dry_run=opts.dry_run)


# What a folder destination receives under the result's own name (a playlist's segments beside it);
# snapshots and sprites write several files and take the folder as their prefix instead.
ONE_RESULT = frozenset({Produces.IMAGE, Produces.MEDIA, Produces.JSON, Produces.PLAYLIST})


def in_folder(dest: Location | None, src: Location, chain: Chain) -> Location | None:
    """``--to out/`` (or an existing folder, or ``oss://b/out/``) for one result is
    ``out/<source name>`` with the extension the chain asks for (``ops.destination.result_name``):
    the one folder rule of every writer (docs/paths.md)."""
    if dest is None or dest.scheme == "url" or chain.produces not in ONE_RESULT or not dest.names_folder:
        return dest
    from mediaproc.addressing import check_key
    from mediaproc.ops.destination import result_name

    name = PurePosixPath(location_name(src) or "").name or "result"
    joined = dest.joined(result_name(name, chain))
    if joined.is_object:
        check_key(joined.key or "", joined.scheme)
    elif dest.folder and joined.path is not None:
        joined = replace(joined, folder=False)
    return joined


def location_name(loc: Location | None) -> str | None:
    """The file or key name a location ends in (what its extension is read from), None for none."""
    if loc is None or loc.scheme == "url":
        return None
    if loc.is_object:
        return loc.key
    if loc.is_url:
        from urllib.parse import urlsplit

        return urlsplit(str(loc.url)).path
    return loc.path.name if loc.path is not None else None


def _check_input_buckets(provider: str, src: Location, inputs: tuple[ConcatInput, ...]) -> None:
    """OSS names a concat input by key only (``/pre,o_<b64 key>``, OSS "视频拼接",
    help.aliyun.com/zh/oss/user-guide/video-stitching; the reference skill's segment syntax has no
    bucket parameter), so an input in another bucket cannot be expressed: refused here, before any
    request, instead of silently becoming a key in the source's bucket. COS names each fragment by
    a full URL (``ConcatFragment/Url``), which carries its bucket: accepted there."""
    if provider != "oss" or not src.is_object:
        return
    for item in inputs:
        loc = item.location
        if loc.scheme == "oss" and loc.bucket != src.bucket:
            import shlex

            raise UsageError(
                _("OSS concat inputs must be in the source's bucket ({bucket}), not {loc}").format(
                    bucket=src.bucket, loc=loc
                ),
                hint=_("download it first (`mediaproc download {loc} clip.mp4`) and pass --input ./clip.mp4, "
                       "which is uploaded beside the source for the job").format(loc=shlex.quote(str(loc))),
            )


def _check_verifiable(chain: Chain, dest: Location | None, wait: bool) -> None:
    """--verify reads a persisted result back; say so up front when there will be none."""
    if chain.produces is Produces.JSON:
        raise UsageError(
            _("{name} returns a JSON document: there is no saved result to verify").format(name=chain[-1].name),
            hint=_("drop --verify"),
        )
    if dest is not None and dest.scheme == "url":
        raise UsageError(
            _("--verify needs a saved result, but --url only returns a signed URL"),
            hint=_("save the result (--to oss://BUCKET/KEY or --to FILE) to verify it"),
        )
    if not wait and chain.mode.value == "async":
        raise UsageError(
            _("--verify needs the finished result, but --no-wait does not wait for it"),
            hint=_("drop --no-wait, or verify later with `mediaproc process RESULT info`"),
        )


def _check_destination(chain: Chain, dest: Location | None, provider: str, *, dry_run: bool = False,
                       named_folder: bool = False) -> None:
    """Refuse, before any request, a destination that cannot take the result. ``named_folder``: the
    user wrote ``--to DIR/``, which is created (as ``aws s3 cp`` and ``rclone`` do)."""
    kind = chain.produces
    if kind is Produces.JSON:
        if dest is not None and dest.scheme == "url":
            raise UsageError(
                _("{name} returns JSON, not a file: --url does not apply").format(name=chain[-1].name),
                hint=_("drop --url; use --json to get the document"),
            )
        return
    if dest is None:
        if dry_run:
            return  # the request is shown without a destination; a real run asks for one
        from mediaproc.providers.base import no_destination

        raise no_destination(chain)
    if dest.scheme == "url" and provider == "local":
        raise UsageError(
            _("--url needs a cloud provider: the local provider has nothing to sign"),
            hint=_("use --to FILE, or process an oss:// or cos:// object"),
        )
    if dest.is_local and dest.path is not None and kind is not Produces.FILES:
        from mediaproc.atomic import check_name_length

        check_name_length(dest.path)  # before the folder checks: stat() of such a name fails too
        if kind is Produces.PLAYLIST:  # its segments are files beside it, with longer names
            from mediaproc.ops.destination import WIDEST_SEGMENT_INDEX, segment_name

            widest = segment_name(dest.path.stem, WIDEST_SEGMENT_INDEX)
            check_name_length(dest.path.with_name(widest))
        parent = dest.path.resolve().parent
        if not parent.is_dir() and not named_folder:
            raise missing_folder(parent)
        if dest.path.is_dir():
            raise UsageError(
                _("the destination {path} is a folder").format(path=dest.path),
                hint=_("name the output file, e.g. --to {path}/result.jpg").format(path=dest.path),
            )


def _check_download_to(chain: Chain, dest: Location | None, provider: str, opts: RunOptions) -> None:
    """``--download-to`` is the second destination of the skill's "save, then download" recipes: the
    result is saved where ``--to`` says (the bucket) and then downloaded. Refuse, before any request,
    every combination where there would be nothing saved to download."""
    if opts.download_to is None:
        return
    if dest is not None and dest.scheme == "url":
        raise UsageError(_("--download-to and --url cannot be used together"),
                         hint=_("save the result with --to oss://BUCKET/KEY, then --download-to PATH"))
    if dest is None:
        raise UsageError(
            _("--download-to downloads what is saved in the bucket, but no --to was given"),
            hint=_("add --to oss://BUCKET/KEY (or cos://...); to only download, use --to FILE"),
        )
    if chain.produces is Produces.JSON:
        raise UsageError(
            _("{name} returns a JSON document: there is no saved result to download").format(name=chain[-1].name),
            hint=_("drop --download-to; --to FILE writes the document"),
        )
    if dest.is_local and provider != "local":
        raise UsageError(
            _("--to {dest} already writes a local file; --download-to goes with a result saved in the bucket")
            .format(dest=dest),
            hint=_("use --to oss://BUCKET/KEY --download-to {path}").format(path=opts.download_to),
        )
    if not opts.wait and chain.mode.value == "async":
        raise UsageError(
            _("--download-to needs the finished result, but --no-wait does not wait for it"),
            hint=_("drop --no-wait, or download later with `mediaproc download`"),
        )
    target = expand_path(opts.download_to)
    # a folder (several files go there) is created when its parent exists; a file's folder must exist
    is_folder = _is_folder(opts.download_to, target) or chain.produces is Produces.FILES
    parent = target if is_folder and target.is_dir() else target.parent
    if not parent.is_dir():
        raise missing_folder(parent)
    if not is_folder:  # the downloaded file is named too: its name must not say another format
        from mediaproc.ops.destination import check_destination_format

        check_destination_format(chain, target.name)


def _is_folder(text: str, path: Path) -> bool:
    """A destination ending in ``/``, or an existing folder, is a folder (``Location.names_folder``)."""
    return Location(scheme="file", path=path, folder=is_folder_text(text)).names_folder


def download_results(provider: Provider, plan: Plan, result: ProcessResult,
                     progress: ProgressCallback | None = None) -> ProcessResult:
    """Download every object a run saved (``generated_keys``, in order, or the ``--to`` object) to
    ``plan.download_to``: one result to the file named there (or into the folder named there), several
    (snapshots, sprites, playlists) into that folder under their own names. The result keeps its
    ``save`` mode; ``path`` becomes the local copy and ``downloaded`` lists every file written."""
    dest = plan.request.destination
    if plan.download_to is None or dest is None:
        return result
    if dest.is_object:
        keys = result.generated_keys or (str(dest.key),)
        objects = [Location(scheme=dest.scheme, bucket=dest.bucket, key=k) for k in keys]
        names = [PurePosixPath(k).name for k in keys]
    else:  # the local provider: its "bucket" is this machine's folders
        paths = result.generated_keys or ((result.path,) if result.path else ())
        objects = [Location(scheme="file", path=Path(p)) for p in paths]
        names = [Path(p).name for p in paths]
    target = expand_path(plan.download_to)
    folder = (_is_folder(plan.download_to, target) or len(objects) > 1
              or plan.chain.produces is Produces.FILES)
    if folder:
        target.mkdir(exist_ok=True)
    written: list[str] = []
    for loc, name in zip(objects, names, strict=True):
        path = target / name if folder else target
        provider.download(loc, path, progress)
        written.append(str(path.resolve()))
        if plan.chain.produces is Produces.PLAYLIST and name.endswith(".m3u8"):
            written += _download_segments(provider, loc, path, {Path(w).name for w in written}, progress)
    return replace(result, path=str(target.resolve()), extra={**result.extra, "downloaded": written})


def _download_segments(provider: Provider, playlist: Location, local: Path, done: set[str],
                       progress: ProgressCallback | None) -> list[str]:
    """A playlist is played from its folder: the segments it names (relative URIs, as every provider
    writes them) are downloaded beside the downloaded copy, whatever ``generated_keys`` listed."""
    from mediaproc.ops.destination import playlist_segments

    written: list[str] = []
    for name in playlist_segments(local.read_text(encoding="utf-8", errors="replace")):
        if name in done:
            continue
        if playlist.is_object:
            folder = str(PurePosixPath(str(playlist.key)).parent)
            key = name if folder in ("", ".") else f"{folder}/{name}"
            loc = Location(scheme=playlist.scheme, bucket=playlist.bucket, key=key)
        else:
            loc = Location(scheme="file", path=Path(str(playlist.path)).parent / name)
        path = local.parent / name
        path.parent.mkdir(parents=True, exist_ok=True)
        provider.download(loc, path, progress)
        done.add(name)
        written.append(str(path.resolve()))
    return written


def execute(settings: Settings, plan: Plan, progress: ProgressCallback | None = None) -> ProcessResult:
    """Run the plan: fetch URL sources, process, then (with ``verify``) read the result back."""
    from mediaproc.providers import get_provider

    started = time.monotonic()
    with get_provider(plan.provider, settings) as provider:
        with _local_sources(plan, progress) as (request, shown):
            result = provider.process(request, progress)
        _refuse_empty_audio_info(plan, result)
        if shown is not None:
            result = replace(result, source=shown)
        result = download_results(provider, plan, result, progress)
        if plan.verify:
            from mediaproc.services.verify import verify

            result = verify(plan.chain, result, plan.request.destination, provider)
    elapsed = result.elapsed_seconds
    if elapsed is None:
        elapsed = round(time.monotonic() - started, 3)
    return replace(result, provider=plan.provider, elapsed_seconds=elapsed,
                   warnings=(*plan.warnings, *result.warnings))


def _refuse_empty_audio_info(plan: Plan, result: ProcessResult) -> None:
    """``audio info`` of a file without sound is bad input (exit 2 with a hint), whatever the
    backend answered: an empty ``AudioStream`` list would pass for success in a script."""
    if [op.name for op in plan.chain] != ["audio/info"] or not isinstance(result.data, dict):
        return
    from mediaproc.engine.av.common import no_audio  # the media engine: only for audio/info

    streams = result.data.get("Streams")
    if isinstance(streams, dict) and not streams.get("AudioStream"):
        raise no_audio(location_name(plan.request.source) or str(plan.request.source))


@contextmanager
def _local_sources(
    plan: Plan, progress: ProgressCallback | None
) -> Iterator[tuple[ProcessRequest, str | None]]:
    """The request with every ``http(s)://`` source (and concat input) fetched to a temporary file.

    Yields the request and the redacted source URL (None when the source was not a URL). The
    temporary files are deleted when the block exits, however it exits; errors that name a temporary
    file name the (redacted) URL instead.
    """
    request = plan.request
    urls = [request.source, *(i.location for i in request.inputs)]
    if not any(loc.is_url for loc in urls):
        yield request, None
        return
    from mediaproc.services import sources  # the URL fetcher: only when there is a URL to fetch

    limit = plan.max_source_size or sources.default_max_size(plan.chain)
    renames: dict[str, str] = {}
    with ExitStack() as stack:

        def local(loc: Location) -> Location:
            if not loc.is_url:
                return loc
            got = stack.enter_context(sources.temporary_fetch(str(loc.url), max_size=limit, progress=progress))
            renames[str(got.path)] = got.url
            return Location(scheme="file", path=got.path)

        source = local(request.source)
        inputs = tuple(replace(i, location=local(i.location)) for i in request.inputs)
        shown = redact_url(str(request.source.url)) if request.source.is_url else None
        try:
            yield replace(request, source=source, inputs=inputs), shown
        except MediaprocError as exc:
            _rename(exc, renames)
            raise


def _rename(exc: MediaprocError, renames: dict[str, str]) -> None:
    """Replace temporary file paths in an error's text by the URLs they were fetched from."""

    def sub(text: str | None) -> str | None:
        if not text:
            return text
        out, en = str(text), str(getattr(text, "en", text))
        for old, new in renames.items():
            out, en = out.replace(old, new), en.replace(old, new)
        return Message(out, en)

    exc.message = sub(exc.message) or exc.message
    exc.hint = sub(exc.hint)
