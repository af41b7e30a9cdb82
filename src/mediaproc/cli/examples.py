"""Examples in ``--help`` for the commands an operator meets first, in one table.

Each is a command that works as printed against a bucket named ``media`` (and, for COS,
``media-1250000000``); ``tests/cli/test_help_examples.py`` parses every one with the real command
tree, so an example cannot name an option that does not exist. They are added to the built Click
tree (:func:`add_examples`) as an epilog paragraph Click leaves unwrapped (``\\b``).
"""

from __future__ import annotations

from typing import Any

from mediaproc.i18n import N_

HEADING = N_("Examples:")

# command path (words after `mediaproc`) -> example command lines, without the leading `mediaproc`
EXAMPLES: dict[str, tuple[str, ...]] = {
    "process": (
        "process photo.jpg resize:w=600 --to thumb.jpg",
        "process photo.jpg resize:w=600 format:target=webp quality:q=80 --to thumb.webp",
        "process 'photos/*.jpg' resize:w=300 --to thumbs/ -j 8",
        "process oss://media/a.jpg image/resize,w_100 --to oss://media/thumbs/a.jpg",
        "process oss://media/v.mp4 video/convert:f=mp4,vcodec=h264 --to oss://media/out.mp4 --no-wait",
        "process photo.jpg resize:w=600 --to oss://media/t.jpg --dry-run",
    ),
    "upload": (
        "upload photo.jpg oss://media/photos/",
        "upload video.mp4 cos://media-1250000000/videos/video.mp4 --storage-class ia",
    ),
    "download": (
        "download oss://media/photos/photo.jpg photo.jpg",
        "download cos://media-1250000000/videos/video.mp4 ./video.mp4",
    ),
    "ls": (
        "ls oss://media/",
        "ls oss://media/photos/ -r --json",
    ),
    "rm": (
        "rm oss://media/thumbs/a.jpg",
        "rm -r oss://media/old-thumbs/ --dry-run",
        "rm -r oss://media/.mediaproc-tmp/ --yes",
    ),
    "serve": (
        "serve --port 9000 --root ./buckets",
        "serve --port 0 --root ./buckets --create --error-rate 0.2",
    ),
    "job status": ("job status MediaConvert-1b2c3d4e-0000-4000-8000-000000000000",),
    "job wait": (
        "job wait MediaConvert-1b2c3d4e-0000-4000-8000-000000000000 --timeout 600",
        "job wait j0123456789abcdef0123456789abcdef --provider cos --bucket media-1250000000",
    ),
    "job cancel": ("job cancel j0123456789abcdef0123456789abcdef --provider cos --bucket media-1250000000",),
    "cos process": (
        "cos process cos://media-1250000000/a.jpg -r 'imageMogr2/thumbnail/600x>' "
        "--to cos://media-1250000000/thumbs/a.jpg",
        "cos process photo.jpg --on-upload --upload-to cos://media-1250000000/a.jpg "
        "-r resize:w=300 --to cos://media-1250000000/a_300.jpg",
    ),
}


def epilog(lines: tuple[str, ...]) -> str:
    return HEADING + "\n\n\b\n" + "\n".join(f"  mediaproc {line}" for line in lines)


def add_examples(root: Any) -> None:
    """Put the examples of :data:`EXAMPLES` in the epilog of each command present in ``root``'s tree."""
    for path, lines in EXAMPLES.items():
        cmd = root
        for word in path.split():
            cmd = (getattr(cmd, "commands", None) or {}).get(word)
            if cmd is None:
                break
        if cmd is None or HEADING in (cmd.epilog or ""):
            continue
        cmd.epilog = epilog(lines) + (f"\n\n{cmd.epilog}" if cmd.epilog else "")
