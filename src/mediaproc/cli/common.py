"""What every command shares: the resolved settings, the one Output, and common option types.

Commands stay thin: they read the state, call one service function and hand the result to
``state.output``. Nothing heavy is imported here (completion imports this on every Tab press).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:  # imported for real only when a command runs: completion never needs them
    from mediaproc.config import Settings
    from mediaproc.output import Output


@dataclass
class AppState:
    settings: Settings
    output: Output


_current: AppState | None = None


def set_current(state: AppState) -> None:
    global _current
    _current = state
    lang = getattr(state.settings, "lang", None)
    if lang:  # --lang / MEDIAPROC_LANG / a profile's lang, once settings are resolved
        from mediaproc.errors import ConfigError
        from mediaproc.i18n import LANGUAGES, _, normalize, set_language

        if normalize(lang) is None:
            raise ConfigError(
                _("unsupported language {lang!r}").format(lang=lang),
                hint=_("use one of: {languages}").format(languages=", ".join(LANGUAGES)),
            )
        set_language(lang)


def current() -> AppState | None:
    return _current


def state(ctx: typer.Context, *, json: bool = False, quiet: bool = False) -> AppState:
    """The root callback's state, with command-level ``--json``/``--quiet`` applied on top."""
    st: AppState | None = ctx.find_object(AppState) or _current
    if st is None:  # a command invoked without the root callback (direct Python use)
        from mediaproc.config import resolve_settings

        settings = resolve_settings()
        from mediaproc.output import Output

        st = AppState(settings, Output())
        set_current(st)
    if json and not st.settings.json:
        st.settings = st.settings.with_(output="json")
        st.output.json_mode = True
    if quiet and not st.settings.quiet:
        st.settings = st.settings.with_(quiet=True)
        st.output.quiet = True
    return st


JsonOpt = Annotated[bool, typer.Option("--json", help="Print exactly one JSON document on stdout.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print only results and errors.")]
ToOpt = Annotated[
    str | None,
    typer.Option(
        "--to",
        "-o",
        help="Destination: a local file, or oss://BUCKET/KEY / cos://BUCKET-APPID/KEY to save in the bucket.",
    ),
]
DryRunOpt = Annotated[
    bool,
    typer.Option("--dry-run", help="Print the exact request that would be sent; needs no credentials."),
]
UrlOpt = Annotated[bool, typer.Option("--url", help="Return a signed URL of the result (cloud providers).")]
ExpiresOpt = Annotated[int, typer.Option("--expires", min=1, max=7 * 24 * 3600, help="Signed URL lifetime, s.")]
WaitOpt = Annotated[
    bool, typer.Option("--wait/--no-wait", help="Wait for async jobs (--no-wait prints the task id).")
]
TimeoutOpt = Annotated[
    float | None, typer.Option("--timeout", min=0.1, help="Give up waiting after this many seconds (exit 7).")
]


VerifyOpt = Annotated[
    bool,
    typer.Option("--verify", help="Read the saved result back and report its real properties beside the request."),
]
StrictOpt = Annotated[
    bool,
    typer.Option("--strict", help="With --verify: exit 9 when a verified property differs from the request."),
]
MaxSourceSizeOpt = Annotated[
    str | None,
    typer.Option(
        "--max-source-size",
        metavar="SIZE",
        help="Largest http(s):// source to fetch, e.g. 50MB (default: 20MB for images, 5GB for video/audio).",
        show_default=False,
    ),
]


def run_chain(
    st: AppState,
    source: str,
    operations: list[str],
    *,
    to: str | None = None,
    dry_run: bool = False,
    url: bool = False,
    expires: int = 3600,
    inputs: list[str] | None = None,
    pre_inputs: list[str] | None = None,
    wait: bool = True,
    timeout: float | None = None,
    families: frozenset | None = None,
    label: str = "processing",
    concurrency: int | None = None,
    skip_existing: bool = False,
    verify: bool = False,
    strict: bool = False,
    max_source_size: str | None = None,
) -> None:
    """The shared body of every processing command: plan, then dry-run or execute, then render.

    A glob, prefix or folder as the source switches to batch mode (one result per item); an
    ``http(s)://`` URL is always one source. ``--strict`` exits 9 after rendering when ``--verify``
    found a difference (the result, with the verified values, is still printed)."""
    from mediaproc.services import process as svc
    from mediaproc.services.batch import is_batch_source
    from mediaproc.services.sources import is_url

    if is_url(source):
        _refuse_url_batch(source)
    elif is_batch_source(source) and not dry_run:
        if verify or strict:
            from mediaproc.errors import UsageError
            from mediaproc.i18n import _

            raise UsageError(_("--verify checks one result at a time; it does not apply to batch mode"),
                             hint=_("drop --verify, or process the items one by one"))
        run_batch(st, source, operations, to=to, timeout=timeout, concurrency=concurrency,
                  skip_existing=skip_existing, families=families)
        return

    plan = svc.make_plan(
        st.settings,
        source,
        operations,
        to=to,
        url=url,
        expires=expires,
        inputs=inputs or (),
        pre_inputs=pre_inputs or (),
        wait=wait,
        timeout=timeout,
        families=families,
        verify=verify,
        strict=strict,
        max_source_size=max_source_size,
    )
    if dry_run:
        from mediaproc.services.dryrun import dry_run as describe_run

        st.output.dry_run(describe_run(st.settings, plan))
        return
    with st.output.progress(label) as progress:
        result = svc.execute(st.settings, plan, progress)
    st.output.result(result)
    if plan.strict:
        from mediaproc.services.verify import mismatch

        exc = mismatch(result)
        if exc is not None:
            exc.rendered = True  # the result above already shows what differs
            raise exc


def _refuse_url_batch(source: str) -> None:
    """A URL names one file: there is no listing to expand a pattern or folder against."""
    from urllib.parse import urlsplit

    path = urlsplit(source).path
    if any(c in path for c in "*[") or (path.endswith("/") and path != "/"):
        from mediaproc.errors import UsageError
        from mediaproc.i18n import _

        raise UsageError(
            _("batch mode does not take URLs: {url}").format(url=source.split("?", 1)[0]),
            hint=_("name one file per URL, or download the files and process the folder"),
        )


def run_batch(
    st: AppState,
    source: str,
    operations: list[str],
    *,
    to: str | None,
    timeout: float | None = None,
    concurrency: int | None = None,
    skip_existing: bool = False,
    families: frozenset | None = None,
) -> None:
    from mediaproc.errors import InvalidOperation, PartialFailure
    from mediaproc.i18n import _
    from mediaproc.providers import get_provider
    from mediaproc.services import batch

    provider_name, chain = batch.plan_batch(st.settings, source, operations, to)
    if families is not None and any(op.spec.family not in families for op in chain):
        raise InvalidOperation(_("these operations cannot run here"), hint=_("use `mediaproc process`"))
    lister = get_provider(provider_name, st.settings)
    try:
        items = batch.expand(st.settings, source, to, chain, lister)
    finally:
        lister.close()
    if not items:
        from mediaproc.errors import NotFound

        raise NotFound(_("nothing matches {source}").format(source=source),
                       hint=_("check the prefix or pattern (globs: *, ?, [..])"))
    workers = concurrency or batch.default_concurrency(provider_name, st.settings)
    with st.output.progress(_("batch")) as progress:
        results = batch.run(
            st.settings, items, chain, provider_name=provider_name,
            make_provider=lambda: get_provider(provider_name, st.settings), concurrency=workers,
            skip_existing=skip_existing, timeout=timeout if timeout is not None else st.settings.wait_timeout,
            progress=progress,
        )
    st.output.batch(results)
    failed = [r for r in results if not r.success]
    if failed:
        exc = PartialFailure(
            _("{failed} of {total} items failed").format(failed=len(failed), total=len(results)),
            hint=_("the failed items are listed above; fix them and run again with --skip-existing"),
        )
        exc.rendered = True  # the JSON array already says which items failed
        raise exc


ConcurrencyOpt = Annotated[
    int | None,
    typer.Option("--concurrency", "-j", min=1, max=256,
                 help="Batch: items processed at once (default: CPU count locally, 16 for clouds)."),
]
SkipExistingOpt = Annotated[
    bool, typer.Option("--skip-existing", help="Batch: skip items whose destination already exists (resume).")
]
