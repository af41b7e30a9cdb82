"""Run a chain the way a processing command does: one source or a batch, dry-run or real.

``mediaproc process``, ``image process`` and every media command are this function plus rendering,
so anything they do is reachable from Python without Typer. It decides single versus batch, refuses
what cannot apply to a batch, and returns a :class:`RunOutcome`: what to render, and the error to
raise after rendering (a batch with failed items, a ``--strict`` mismatch), because those exit codes
must not hide the results that explain them.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

from mediaproc import TYPE_CHECKING
from mediaproc.config import Settings
from mediaproc.errors import MediaprocError, UsageError
from mediaproc.i18n import _
from mediaproc.ops.model import Chain
from mediaproc.progress import ProgressCallback
from mediaproc.record import Record, replace
from mediaproc.results import ProcessResult
from mediaproc.services.process import ONE_RESULT, Plan, RunOptions

if TYPE_CHECKING:
    from typing import Literal

# label -> a context that yields the progress callback for one run (Output.progress is one)
ProgressFactory = Callable[[str], AbstractContextManager[ProgressCallback | None]]
# a context that yields where a batch hands each result as it finishes (Output.batch_report is one)
ReportFactory = Callable[[], AbstractContextManager[Callable[[ProcessResult], None]]]


class RunOutcome(Record):
    """The results of one run and the error its exit code comes from, once they are rendered.

    ``kind`` says how to render them: ``dry-run`` (the request that would be sent), ``result`` (one
    source) or ``batch`` (one result per item, in input order). ``streamed``: the batch's results were
    handed to the report as they finished, and ``results`` holds only the failed ones."""

    kind: Literal["dry-run", "result", "batch"]
    results: tuple[ProcessResult, ...]
    error: MediaprocError | None = None
    streamed: bool = False

    @property
    def result(self) -> ProcessResult:
        """The one result of a single run or a dry-run."""
        return self.results[0]


def _no_progress(label: str) -> AbstractContextManager[ProgressCallback | None]:
    return nullcontext(None)


STDOUT = "-"  # ``--to -``: the result's bytes go to stdout (docs/paths.md)
StdoutSink = Callable[[Path], None]  # writes a finished result file's bytes to stdout (Output.write_file)


def run_chain(
    settings: Settings,
    source: str,
    operations: Sequence[str] | Chain,
    options: RunOptions | None = None,
    progress: ProgressFactory | None = None,
    report: ReportFactory | None = None,
    stdout: StdoutSink | None = None,
) -> RunOutcome:
    """Plan, then describe (dry-run) or execute, on one source or on every item a pattern names.

    A glob, prefix or folder as the source switches to batch mode (one result per item), unless a
    file or object has the glob's name as written (literal before glob, docs/paths.md); an
    ``http(s)://`` URL is always one source. With ``strict``, a verified difference becomes the
    outcome's error (exit 9); the result, with the verified values, is still there to render.
    With ``report``, a batch hands each item's result to it as the item finishes (see
    :class:`RunOutcome`)."""
    from mediaproc.services import process as svc
    from mediaproc.services.sourcekind import is_batch_source, is_url

    opts = options or RunOptions()
    progress = progress or _no_progress
    if opts.to == STDOUT:
        return _run_to_stdout(settings, source, operations, opts, progress, stdout)
    if is_url(source):
        _refuse_url_batch(source)
    elif is_batch_source(source, settings, look=not opts.dry_run):
        _refuse_single_source_options(opts)
        if opts.dry_run:
            from mediaproc.services.dryrun import dry_run_batch

            return RunOutcome("dry-run", (dry_run_batch(settings, source, operations, opts),))
        return _run_batch(settings, source, operations, opts, progress, report)
    plan = svc.make_plan(settings, source, operations, opts)
    if opts.dry_run:
        from mediaproc.services.dryrun import dry_run

        return RunOutcome("dry-run", (dry_run(settings, plan),))
    if opts.skip_existing and (skipped := _skipped_if_exists(settings, plan)) is not None:
        return RunOutcome("result", (skipped,))
    with progress(opts.label) as callback:
        result = svc.execute(settings, plan, callback)
    error: MediaprocError | None = None
    if plan.strict:
        from mediaproc.services.verify import mismatch

        error = mismatch(result)
        if error is not None:
            error.rendered = True  # the result shows what differs
    return RunOutcome("result", (result,), error)


def _skipped_if_exists(settings: Settings, plan: Plan) -> ProcessResult | None:
    """``--skip-existing`` with one source: skipped when the destination exists, as a batch item is
    (a shell loop over files resumes the same way); it used to be dropped silently and the result
    replaced. Only a run with one result is skipped: snapshots and sprites name their files as they
    write them, so their destination is a folder or a prefix, and a folder made beforehand (empty)
    skipped the whole run, exit 0, nothing written."""
    from mediaproc.providers import get_provider
    from mediaproc.services.batch import destination_exists

    dest = plan.request.destination
    if dest is None or dest.scheme == "url" or plan.chain.produces not in ONE_RESULT:
        return None
    with get_provider(plan.provider, settings) as provider:
        if not destination_exists(provider, dest):
            return None
    return ProcessResult(success=True, mode="skipped", source=str(plan.request.source), target=str(dest),
                         path=str(dest.path.resolve()) if dest.is_local and dest.path is not None else None,
                         status="skipped", provider=plan.provider)


def _run_to_stdout(
    settings: Settings, source: str, operations: Sequence[str] | Chain, opts: RunOptions,
    progress: ProgressFactory, stdout: StdoutSink | None,
) -> RunOutcome:
    """``--to -``: one result, made in a private temporary folder and then handed to ``stdout``
    whole, so that a failed run writes no byte of a partial result; the temporary folder is removed
    however the run ends. A batch (many results), several files (snapshots, sprites, playlists),
    ``--url`` and ``--download-to`` are refused (exit 2): stdout holds one file (a JSON document, for
    info or detection)."""
    import shutil
    import tempfile
    from pathlib import PurePosixPath

    from mediaproc.addressing import parse_location
    from mediaproc.ops.destination import result_name
    from mediaproc.ops.model import Produces
    from mediaproc.ops.parse import parse_chain
    from mediaproc.services.process import location_name
    from mediaproc.services.sourcekind import is_batch_source, is_url

    if not is_url(source) and is_batch_source(source, settings, look=not opts.dry_run):
        raise UsageError(_("--to - writes one result to stdout, but {source} names a batch").format(source=source),
                         hint=_("process one file, or give --to FOLDER/ for a batch"))
    chain = operations if isinstance(operations, Chain) else parse_chain(list(operations))
    if chain.produces in (Produces.FILES, Produces.PLAYLIST):
        raise UsageError(_("--to - writes one file to stdout, but {name} writes several").format(name=chain[-1].name),
                         hint=_("give --to FOLDER/ instead"))
    for given, option in ((opts.url, "--url"), (opts.download_to, "--download-to")):
        if given:
            raise UsageError(_("{option} cannot be used with --to -").format(option=option),
                             hint=_("choose one destination"))
    if opts.dry_run:
        return run_chain(settings, source, chain, replace(opts, to=None), progress)
    if stdout is None:
        raise TypeError("run_chain(..., to='-') needs stdout=, the function that writes the result's bytes")
    name = PurePosixPath(location_name(parse_location(source, settings, role="source")) or "").name
    folder = Path(tempfile.mkdtemp(prefix=".mediaproc-stdout-"))
    try:
        path = folder / result_name(name or "result", chain)
        outcome = run_chain(settings, source, chain, replace(opts, to=str(path)), progress)
        stdout(path)  # a --strict difference (outcome.error, exit 9) still delivers the result, as --to FILE does
        shown = tuple(replace(r, target=STDOUT, path=None, generated_keys=()) for r in outcome.results)
        return replace(outcome, results=shown)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _refuse_url_batch(source: str) -> None:
    """A URL names one file: there is no listing to expand a pattern or folder against."""
    from urllib.parse import urlsplit

    path = urlsplit(source).path
    if any(c in path for c in "*[") or (path.endswith("/") and path != "/"):
        raise UsageError(
            _("batch mode does not take URLs: {url}").format(url=source.split("?", 1)[0]),
            hint=_("name one file per URL, or download the files and process the folder"),
        )


def _refuse_single_source_options(opts: RunOptions) -> None:
    """Options that only mean something for one source are refused, not silently dropped."""
    if opts.verify or opts.strict:
        raise UsageError(_("--verify checks one result at a time; it does not apply to batch mode"),
                         hint=_("drop --verify, or process the items one by one"))
    for given, option in ((opts.url, "--url"), (opts.inputs, "--input"), (opts.pre_inputs, "--pre-input"),
                          (opts.download_to, "--download-to")):
        if given:
            raise UsageError(_("{option} does not apply to batch mode").format(option=option),
                             hint=_("drop {option}, or process the items one by one").format(option=option))


def _run_batch(
    settings: Settings, source: str, operations: Sequence[str] | Chain, opts: RunOptions, progress: ProgressFactory,
    report: ReportFactory | None = None,
) -> RunOutcome:
    """Every item under a folder, prefix or pattern; the outcome's error is exit 8 if any failed."""
    from mediaproc.errors import InvalidOperation, NotFound, PartialFailure
    from mediaproc.providers import get_provider
    from mediaproc.services import batch

    _refuse_single_source_options(opts)
    provider_name, chain = batch.plan_batch(settings, source, operations, opts.to)
    if opts.families is not None and any(op.spec.family not in opts.families for op in chain):
        raise InvalidOperation(_("these operations cannot run here"), hint=_("use `mediaproc process`"))
    # The items stream from the listing (nothing is kept per item). Locally a counting pass over the
    # folder walk gives the progress bar its total first; a cloud prefix is listed once (a second
    # listing would double the LIST requests): its total is known when the listing ends.
    with get_provider(provider_name, settings) as lister:
        items = batch.expand(settings, source, opts.to, chain, lister)
        total: int | None = None
        source_bytes = 0
        if provider_name == "local":
            total, source_bytes = batch.survey(items)
            items = batch.expand(settings, source, opts.to, chain, lister)
            empty = total == 0
        else:
            first = next(items, None)
            empty = first is None
            items = itertools.chain([first] if first is not None else [], items)
        if empty:
            raise NotFound(_("nothing matches {source}").format(source=source),
                           hint=_("check the prefix or pattern (globs: *, ?, [..])"))
        workers = opts.concurrency or batch.default_concurrency(provider_name, settings)
        reporting: AbstractContextManager[Callable[[ProcessResult], None] | None] = (
            report() if report is not None else nullcontext(None))
        processes = batch.worker_processes(settings, chain, provider_name=provider_name, concurrency=workers,
                                           count=total or 0, source_bytes=source_bytes)
        try:
            with reporting as on_result, progress(_("batch")) as callback:
                results = batch.run(
                    settings, items, chain,
                    provider_name=provider_name,
                    make_provider=lambda: get_provider(provider_name, settings), concurrency=workers,
                    skip_existing=opts.skip_existing,
                    timeout=opts.timeout if opts.timeout is not None else settings.wait_timeout, progress=callback,
                    on_result=on_result, total=total, processes=processes,
                )
        finally:
            if processes is not None:
                processes.shutdown(wait=True, cancel_futures=True)
    failed = [r for r in results if not r.success]
    error: MediaprocError | None = None
    if failed:
        error = PartialFailure(
            _("{failed} of {total} items failed").format(failed=len(failed), total=results.total),
            hint=_("the failed items are listed above; fix them and run again with --skip-existing"),
        )
        error.rendered = True  # the rendered batch already says which items failed
    if on_result is not None:
        return RunOutcome("batch", tuple(failed), error, streamed=True)
    return RunOutcome("batch", tuple(results), error)
