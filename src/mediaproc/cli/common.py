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
    """Run the chain through ``services.run`` and render the outcome, then fail if it failed."""
    from mediaproc.services.process import RunOptions
    from mediaproc.services.run import run_chain as run

    options = RunOptions(
        to=to, dry_run=dry_run, url=url, expires=expires, inputs=tuple(inputs or ()),
        pre_inputs=tuple(pre_inputs or ()), wait=wait, timeout=timeout, families=families, label=label,
        concurrency=concurrency, skip_existing=skip_existing, verify=verify, strict=strict,
        max_source_size=max_source_size,
    )
    outcome = run(st.settings, source, operations, options, st.output.progress)
    st.output.outcome(outcome)
    if outcome.error is not None:
        raise outcome.error


ConcurrencyOpt = Annotated[
    int | None,
    typer.Option("--concurrency", "-j", min=1, max=256,
                 help="Batch: items processed at once (default: CPU count locally, 16 for clouds)."),
]
SkipExistingOpt = Annotated[
    bool, typer.Option("--skip-existing", help="Batch: skip items whose destination already exists (resume).")
]
