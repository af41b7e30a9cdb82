"""What every command shares: the resolved settings, the one Output, common option types, and the
:class:`Runner` through which processing commands run a chain.

Commands stay thin: they read the state, call one service function and hand the result to
``state.output``. Nothing heavy is imported here (completion imports this on every Tab press).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

import typer

from mediaproc.cli.session import AppState, current, run_and_render, run_op, set_current, with_command_flags

__all__ = ["AppState", "Runner", "current", "set_current", "state"]


def state(ctx: typer.Context, *, json: bool = False, quiet: bool = False, literal: bool = False) -> AppState:
    """The root callback's state, with command-level ``--json``/``--quiet``/``--literal`` applied on top."""
    st: AppState | None = ctx.find_object(AppState) or current()
    if st is None:  # a command invoked without the root callback (direct Python use)
        from mediaproc.config import resolve_settings

        settings = resolve_settings()
        from mediaproc.output import Output

        st = AppState(settings, Output())
        set_current(st)
    return with_command_flags(st, json=json, quiet=quiet, literal=literal)


JsonOpt = Annotated[bool, typer.Option("--json", help="Print exactly one JSON document on stdout.")]
# One option, given before the command (``mediaproc --literal process ...``) or after it: the same rule
# (docs/paths.md) for every command that takes a source.
LITERAL_OPTION = typer.Option(
    "--literal", help="Take every source as written: *, ? and [ are never wildcards (docs/paths.md).")
LiteralOpt = Annotated[bool, LITERAL_OPTION]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print only results and errors.")]
# A list so that a second --to is seen and refused (``cli.options``) instead of silently replacing the first.
ToOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--to",
        "-o",
        help="Destination: a local file, oss://BUCKET/KEY / cos://BUCKET-APPID/KEY to save in the bucket, "
             "a folder (ending in /: the result keeps the source's name), or - for stdout.",
        show_default=False,
    ),
]
DownloadToOpt = Annotated[
    str | None,
    typer.Option(
        "--download-to",
        metavar="PATH",
        help="With --to in the bucket: also download the saved result(s) here (a file, or a folder for several).",
        show_default=False,
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


ConcurrencyOpt = Annotated[
    int | None,
    typer.Option("--concurrency", "-j", min=1, max=256,
                 help="Batch: items processed at once (default: CPU count locally, 16 for clouds)."),
]
SkipExistingOpt = Annotated[
    bool, typer.Option("--skip-existing", help="Batch: skip items whose destination already exists (resume).")
]


@dataclass(frozen=True)
class Runner:
    """What a processing command gets from ``cli.options.chain_command``: run a chain and render it.

    ``values`` are the shared options the command offers, by their ``RunOptions`` field names; the
    ``RunOptions`` value itself is built when the command runs (the services stay unimported until
    then, for ``--help`` and completion)."""

    state: AppState
    values: Mapping[str, Any]
    op_name: str | None = None  # the one operation of a media command (``video/convert``)
    given: frozenset[str] = frozenset()  # the parameters the command line set (not left at their default)

    def __call__(
        self,
        source: str,
        operations: list[str],
        *,
        inputs: Sequence[str] | None = None,
        pre_inputs: Sequence[str] | None = None,
        label: str | None = None,
    ) -> None:
        """Run the chain (one source, a batch, or a dry-run), render the outcome, then fail if it failed."""
        run_and_render(self.state, self.values, source, operations, inputs=inputs, pre_inputs=pre_inputs, label=label)

    def op(
        self, source: str, params: list[str] | None, *, inputs: Sequence[str] | None = None,
        pre_inputs: Sequence[str] | None = None,
    ) -> None:
        """Validate a media command's ``KEY=VALUE`` words against its operation, then run it."""
        if self.op_name is None:
            raise TypeError("Runner.op needs the command's operation (chain_command(op_name))")
        run_op(self.state, self.values, self.op_name, source, params, inputs=inputs, pre_inputs=pre_inputs)
