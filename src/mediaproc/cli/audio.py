"""``mediaproc audio``: convert, concat, info (``KEY=VALUE`` parameters from the operation model)."""

from __future__ import annotations

from typing import Annotated

import typer

from mediaproc.cli.common import Runner
from mediaproc.cli.options import InputOpt, PreInputOpt, SourceArg, chain_command, params_arg

app = typer.Typer(help="Audio: convert, concat, info.", no_args_is_help=True)


@app.command("convert")
@chain_command("audio/convert")
def convert(
    source: SourceArg, params: Annotated[list[str] | None, params_arg("audio/convert")] = None, *, run: Runner
) -> None:
    """Transcode audio: f (mp3, aac, flac, oga, ac3, opus, amr), ab or aq, ar, ac, trim (ss, t)."""
    run.op(source, params)


@app.command("concat")
@chain_command("audio/concat")
def concat(
    source: SourceArg,
    params: Annotated[list[str] | None, params_arg("audio/concat")] = None,
    inputs: InputOpt = None,
    pre_inputs: PreInputOpt = None,
    *,
    run: Runner,
) -> None:
    """Join audio: --pre-input ones, the source, then --input ones (all checked first)."""
    run.op(source, params, inputs=inputs, pre_inputs=pre_inputs)


@app.command("info")
@chain_command("audio/info")
def info(source: SourceArg, *, run: Runner) -> None:
    """Audio metadata (Format, Streams.AudioStream) as the service's JSON."""
    run(source, ["audio/info"])
