"""``mediaproc video``: convert, snapshot(s), sprite, animation, concat, info.

Each command takes the operation's parameters as ``KEY=VALUE`` words after the source — exactly the
keys the operation model defines (validated and shell-completed from it) — and runs through the
same service as ``mediaproc process``; ``mediaproc ops video/convert`` lists the keys. The shared
options (destination, waiting, batches, verification, ...) come from ``cli.options.chain_command``.
"""

from __future__ import annotations

from typing import Annotated

import typer

from mediaproc.cli.common import Runner
from mediaproc.cli.options import InputOpt, PreInputOpt, SourceArg, chain_command, params_arg

app = typer.Typer(help="Video: convert, snapshot(s), sprite, animation, concat, info.", no_args_is_help=True)


@app.command("convert")
@chain_command("video/convert")
def convert(
    source: SourceArg, params: Annotated[list[str] | None, params_arg("video/convert")] = None, *, run: Runner
) -> None:
    """Transcode: container (f), codecs, size (s, scaletype), bitrate, crf, fps, trim (ss, t).

    Without vcodec the video stream is copied (remuxed), as on OSS."""
    run.op(source, params)


@app.command("snapshot")
@chain_command("video/snapshot")
def snapshot(
    source: SourceArg, params: Annotated[list[str] | None, params_arg("video/snapshot")] = None, *, run: Runner
) -> None:
    """One frame at t ms as jpg/png (t=0 first frame; m=fast: the keyframe at or before t)."""
    run.op(source, params)


@app.command("snapshots")
@chain_command("video/snapshots")
def snapshots(
    source: SourceArg, params: Annotated[list[str] | None, params_arg("video/snapshots")] = None, *, run: Runner
) -> None:
    """Many frames (every inter ms, num evenly, or keyframes) as PREFIX_0_1.jpg, PREFIX_0_2.jpg, ...

    --to is a key prefix without extension, or a folder."""
    run.op(source, params)


@app.command("sprite")
@chain_command("video/sprite")
def sprite(
    source: SourceArg, params: Annotated[list[str] | None, params_arg("video/sprite")] = None, *, run: Runner
) -> None:
    """Sprite sheets: tw x th cells of sw x sh, pad between cells, margin around; more sheets if needed."""
    run.op(source, params)


@app.command("animation")
@chain_command("video/animation")
def animation(
    source: SourceArg, params: Annotated[list[str] | None, params_arg("video/animation")] = None, *, run: Runner
) -> None:
    """An animated GIF or WebP from a stretch of video (ss, t; frames by num, inter, fps)."""
    run.op(source, params)


@app.command("concat")
@chain_command("video/concat")
def concat(
    source: SourceArg,
    params: Annotated[list[str] | None, params_arg("video/concat")] = None,
    inputs: InputOpt = None,
    pre_inputs: PreInputOpt = None,
    *,
    run: Runner,
) -> None:
    """Join videos: --pre-input ones, the source, then --input ones (all checked first; at most 11)."""
    run.op(source, params, inputs=inputs, pre_inputs=pre_inputs)


@app.command("info")
@chain_command("video/info")
def info(source: SourceArg, *, run: Runner) -> None:
    """Video metadata (Format, Streams.VideoStream, Streams.AudioStream) as the service's JSON."""
    run(source, ["video/info"])
