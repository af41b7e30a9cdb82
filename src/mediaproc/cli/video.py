"""``mediaproc video``: convert, snapshot(s), sprite, animation, concat, info.

Each command takes the operation's parameters as ``KEY=VALUE`` words after the source — exactly the
keys the operation model defines (validated and shell-completed from it) — and runs through the
same service as ``mediaproc process``; ``mediaproc ops video/convert`` lists the keys. The shared
options (destination, waiting, batches, verification, ...) come from ``cli.options.chain_command``.
"""

from __future__ import annotations

import typer

from mediaproc.cli.options import media_command

app = typer.Typer(help="Video: convert, snapshot(s), sprite, animation, concat, info.", no_args_is_help=True)

# The help text is each command's own; everything else follows from the catalogue (media_command).
for _name, _op, _doc in (
    (
        "convert",
        "video/convert",
        """Transcode: container (f), codecs, size (s, scaletype), bitrate, crf, fps, trim (ss, t).

    Without vcodec the video stream is copied (remuxed), as on OSS.""",
    ),
    (
        "snapshot",
        "video/snapshot",
        "One frame at t ms as jpg/png (t=0 first frame; m=fast: the keyframe at or before t).",
    ),
    (
        "snapshots",
        "video/snapshots",
        """Many frames (every inter ms, num evenly, or keyframes) as PREFIX_0_1.jpg, PREFIX_0_2.jpg, ...

    --to is a key prefix without extension, or a folder.""",
    ),
    (
        "sprite",
        "video/sprite",
        "Sprite sheets: tw x th cells of sw x sh, pad between cells, margin around; more sheets if needed.",
    ),
    (
        "animation",
        "video/animation",
        "An animated GIF or WebP from a stretch of video (ss, t; frames by num, inter, fps).",
    ),
    (
        "concat",
        "video/concat",
        "Join videos: --pre-input ones, the source, then --input ones (all checked first; at most 11).",
    ),
    ("info", "video/info", "Video metadata (Format, Streams.VideoStream, Streams.AudioStream) as the service's JSON."),
):
    media_command(app, _name, _op, _doc)
