"""``mediaproc hls m3u8``: a VOD playlist plus segments of st ms (``KEY=VALUE`` parameters)."""

from __future__ import annotations

import typer

from mediaproc.cli.options import media_command

app = typer.Typer(help="HLS: VOD playlists with segments.", no_args_is_help=True)

# The help text is each command's own; everything else follows from the catalogue (media_command).
for _name, _op, _doc in (
    (
        "m3u8",
        "hls/m3u8",
        "Playlist --to NAME.m3u8 and segments NAME-0.ts, NAME-1.ts ... of st ms beside it (the last may be shorter).",
    ),
):
    media_command(app, _name, _op, _doc)
