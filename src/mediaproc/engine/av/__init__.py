"""Local audio/video engine: the static ffmpeg from imageio-ffmpeg, PyAV for probing.

Public API (TEAM.md contract):

- :func:`run_media` runs one media operation (video/convert, video/snapshot, video/snapshots,
  video/sprite, video/animation, video/concat, audio/convert, audio/concat, hls/m3u8) from ``src``
  to ``dst`` and returns a :class:`MediaOutput` listing every file written. Outputs are atomic;
  progress goes to the callback; a set ``cancel`` event or Ctrl-C stops ffmpeg and removes partial
  output (raising :class:`~mediaproc.errors.Interrupted`; a cancel raises its subclass
  :class:`Cancelled`).
- :func:`probe` returns the OSS ``video/info`` / ``audio/info`` JSON shape.
- :func:`check_concat_inputs` probes concat inputs and returns :class:`~mediaproc.ops.model.Problem`
  s (errors have ``warning=False``).

Nothing here prints; PyAV is imported only when a file that is not a plain MP4/MOV is probed (those
are read by :mod:`mediaproc.engine.av.mp4`), and each module of the engine only when a run needs it
(``video info`` imports the probe alone).
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Sequence
from pathlib import Path

from mediaproc import TYPE_CHECKING
from mediaproc.engine.av.common import ConcatPart, MediaOutput, local_file

# Every operation probes, and ``probe`` is both a module and a function here: imported eagerly so
# the function, bound after its module, is what ``mediaproc.engine.av.probe`` names as an attribute.
from mediaproc.engine.av.probe import MediaInfo, check_media, locate_frame, media_info, probe
from mediaproc.errors import UnsupportedOperation
from mediaproc.i18n import _
from mediaproc.lazy import lazy_attributes
from mediaproc.ops.model import Op
from mediaproc.progress import ProgressCallback
from mediaproc.record import replace

if TYPE_CHECKING:
    from mediaproc.engine.av.concat import check_concat_inputs
    from mediaproc.engine.av.convert import segment_durations
    from mediaproc.engine.av.runner import Cancelled, ffmpeg_exe

# The rest resolved on first use (PEP 562): ``video info`` needs the probe alone, a snapshot the
# probe and the frame runners, and neither should import (and a one-shot run pay for) the others.
_LAZY = {
    "check_concat_inputs": "mediaproc.engine.av.concat",
    "segment_durations": "mediaproc.engine.av.convert",
    "Cancelled": "mediaproc.engine.av.runner",
    "ffmpeg_exe": "mediaproc.engine.av.runner",
}
__getattr__ = lazy_attributes(__name__, _LAZY)

# operation -> (module, function); the module is imported when the operation runs.
_RUNNERS: dict[str, tuple[str, str]] = {
    "video/convert": ("mediaproc.engine.av.convert", "run_convert"),
    "audio/convert": ("mediaproc.engine.av.convert", "run_convert"),
    "video/snapshot": ("mediaproc.engine.av.frames", "run_snapshot"),
    "video/snapshots": ("mediaproc.engine.av.frames", "run_snapshots"),
    "video/sprite": ("mediaproc.engine.av.frames", "run_sprite"),
    "video/animation": ("mediaproc.engine.av.frames", "run_animation"),
    "hls/m3u8": ("mediaproc.engine.av.convert", "run_hls"),
}

MEDIA_OPERATIONS: tuple[str, ...] = (*_RUNNERS, "video/concat", "audio/concat")


if TYPE_CHECKING:  # the runners' protocol, and mypy holds every runner of the table to it (typing is not
    # imported at run time: mediaproc.TYPE_CHECKING)
    from typing import Protocol

    class Runner(Protocol):
        """One operation's runner: plans from the probe ``info`` of ``src`` and writes ``dst``."""

        def __call__(
            self,
            op: Op,
            src: Path,
            dst: Path,
            *,
            info: MediaInfo,
            progress: ProgressCallback | None,
            cancel: threading.Event | None,
        ) -> MediaOutput: ...

    from mediaproc.engine.av.convert import run_convert, run_hls
    from mediaproc.engine.av.frames import run_animation, run_snapshot, run_snapshots, run_sprite

    _TYPED: tuple[Runner, ...] = (run_convert, run_hls, run_snapshot, run_snapshots, run_sprite, run_animation)


def run_media(
    op: Op,
    src: Path,
    dst: Path,
    *,
    inputs: Sequence[ConcatPart] = (),
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
) -> MediaOutput:
    """Run one media operation locally; see the module docstring. Every source's header is checked
    against the limits (``media_seconds``, frame size) before ffmpeg reads it.

    The source (and each extra input) is probed once, here, and the runner plans from that probe: a
    PyAV probe opens the file and decodes a frame (for the rotation), and a second one would be time
    a one-shot command spends before ffmpeg starts."""
    src, dst = Path(local_file(src)), Path(local_file(dst))  # a relative "clip:1.mp4" would read as a URL
    inputs = [replace(part, path=Path(local_file(part.path))) for part in inputs]
    info = media_info(src)
    check_media(info)
    infos = {src: info}
    for part in inputs:
        infos[part.path] = infos.get(part.path) or media_info(part.path)
        check_media(infos[part.path])
    if op.spec.joins:  # the catalogue says which operations take extra inputs
        from mediaproc.engine.av.concat import run_concat

        return run_concat(op, src, dst, inputs, progress=progress, cancel=cancel, infos=infos)
    if inputs:
        from mediaproc.ops.model import Chain
        from mediaproc.ops.validate import check_concat_inputs as check_joins

        check_joins(Chain(ops=(op,)), len(inputs))  # validation's own refusal: this operation joins nothing
    where = _RUNNERS.get(op.name)
    if where is None:
        raise UnsupportedOperation(
            _("{name} is not a media operation the local engine runs").format(name=op.name),
            hint=_("media operations: {names}").format(names=", ".join(MEDIA_OPERATIONS)),
        )
    runner: Runner = getattr(importlib.import_module(where[0]), where[1])
    return runner(op, src, dst, info=info, progress=progress, cancel=cancel)


__all__ = [
    "MEDIA_OPERATIONS",
    "Cancelled",
    "ConcatPart",
    "MediaInfo",
    "MediaOutput",
    "check_concat_inputs",
    "check_media",
    "ffmpeg_exe",
    "locate_frame",
    "media_info",
    "probe",
    "run_media",
    "segment_durations",
]
