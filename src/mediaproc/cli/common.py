"""What every command shares: the resolved settings, the one Output, and common option types.

Commands stay thin: they read the state, call one service function and hand the result to
``state.output``. Nothing heavy is imported here (completion imports this on every Tab press).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import typer

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


def current() -> AppState | None:
    return _current


def state(ctx: typer.Context, *, json: bool = False, quiet: bool = False) -> AppState:
    """The root callback's state, with command-level ``--json``/``--quiet`` applied on top."""
    st: AppState | None = ctx.find_object(AppState) or _current
    if st is None:  # a command invoked without the root callback (direct Python use)
        from mediaproc.config import resolve_settings

        settings = resolve_settings()
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
) -> None:
    """The shared body of every processing command: plan, then dry-run or execute, then render."""
    from mediaproc.services import process as svc

    the_plan = svc.plan(
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
    )
    if dry_run:
        st.output.dry_run(svc.dry_run(st.settings, the_plan))
        return
    with st.output.progress(label) as progress:
        result = svc.execute(st.settings, the_plan, progress)
    st.output.result(result)
