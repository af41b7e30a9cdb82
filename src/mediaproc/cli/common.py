"""What every command shares: the resolved settings, the one Output, common option types, and the
:class:`Runner` through which processing commands run a chain.

Commands stay thin: they read the state, call one service function and hand the result to
``state.output``. Nothing heavy is imported here (completion imports this on every Tab press).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

import typer

from mediaproc.cli.state import AppState, command_options, current, set_current

__all__ = ["AppState", "current", "set_current", "state"]

if TYPE_CHECKING:  # imported for real only when a command runs: completion never needs them
    from mediaproc.services.process import RunOptions


def state(ctx: typer.Context, *, json: bool = False, quiet: bool = False, literal: bool = False) -> AppState:
    """The root callback's state, with command-level ``--json``/``--quiet``/``--literal`` applied on top."""
    st: AppState | None = ctx.find_object(AppState) or current()
    if st is None:  # a command invoked without the root callback (direct Python use)
        from mediaproc.config import resolve_settings

        settings = resolve_settings()
        from mediaproc.output import Output

        st = AppState(settings, Output())
        set_current(st)
    return command_options(st, json=json, quiet=quiet, literal=literal)


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

    def options(self, **changes: Any) -> RunOptions:
        from mediaproc.services.process import RunOptions

        return RunOptions(**{**self.values, **changes})

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
        from mediaproc.services.run import run_chain

        changes: dict[str, Any] = {"inputs": tuple(inputs or ()), "pre_inputs": tuple(pre_inputs or ())}
        if label is not None:
            changes["label"] = label
        st = self.state
        if self.values.get("to") == "-":  # the result's bytes on stdout, everything else on stderr
            st.output.claim_stdout()
        outcome = run_chain(st.settings, source, operations, self.options(**changes), st.output.progress,
                            st.output.batch_report, stdout=st.output.write_file)
        st.output.outcome(outcome)
        if outcome.error is not None:
            raise outcome.error

    def op(
        self, source: str, params: list[str] | None, *, inputs: Sequence[str] | None = None,
        pre_inputs: Sequence[str] | None = None,
    ) -> None:
        """Validate a media command's ``KEY=VALUE`` words against its operation, then run it."""
        from mediaproc.ops.parse import format_op, parse_op

        if self.op_name is None:
            raise TypeError("Runner.op needs the command's operation (chain_command(op_name))")
        op = parse_op(self.op_name, params or [])
        self(source, [format_op(op)], inputs=inputs, pre_inputs=pre_inputs, label=self.op_name)
