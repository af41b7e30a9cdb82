"""``mediaproc audio``: convert, concat, info (``KEY=VALUE`` parameters from the operation model)."""

from __future__ import annotations

import typer

from mediaproc.cli.options import media_command

app = typer.Typer(help="Audio: convert, concat, info.", no_args_is_help=True)

# The help text is each command's own; everything else follows from the catalogue (media_command).
for _name, _op, _doc in (
    (
        "convert",
        "audio/convert",
        "Transcode audio: f (mp3, aac, flac, oga, ac3, opus, amr), ab or aq, ar, ac, trim (ss, t).",
    ),
    ("concat", "audio/concat", "Join audio: --pre-input ones, the source, then --input ones (all checked first)."),
    ("info", "audio/info", "Audio metadata (Format, Streams.AudioStream) as the service's JSON."),
):
    media_command(app, _name, _op, _doc)
