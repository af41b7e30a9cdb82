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

Nothing here prints; PyAV is imported only when a file is probed.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

from mediaproc.engine.av.common import ConcatPart, MediaOutput
from mediaproc.engine.av.concat import check_concat_inputs, run_concat
from mediaproc.engine.av.convert import run_convert, run_hls, segment_durations
from mediaproc.engine.av.frames import run_animation, run_snapshot, run_snapshots, run_sprite
from mediaproc.engine.av.probe import MediaInfo, check_media, locate_frame, media_info, probe
from mediaproc.engine.av.runner import Cancelled, ffmpeg_exe
from mediaproc.errors import InvalidOperation, UnsupportedOperation
from mediaproc.i18n import _
from mediaproc.ops.model import Op
from mediaproc.progress import ProgressCallback

_RUNNERS = {
    "video/convert": run_convert,
    "audio/convert": run_convert,
    "video/snapshot": run_snapshot,
    "video/snapshots": run_snapshots,
    "video/sprite": run_sprite,
    "video/animation": run_animation,
    "hls/m3u8": run_hls,
}

MEDIA_OPERATIONS: tuple[str, ...] = (*_RUNNERS, "video/concat", "audio/concat")


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

    The source is probed once, here, and the runner plans from that probe: a probe opens the file
    and decodes a frame (for the rotation), and a second one would be time a one-shot command
    spends before ffmpeg starts."""
    src, dst = Path(src), Path(dst)
    info = media_info(src)
    check_media(info)
    for part in inputs:
        check_media(media_info(part.path))
    if op.name in ("video/concat", "audio/concat"):
        return run_concat(op, src, dst, inputs, progress=progress, cancel=cancel)
    if inputs:
        raise InvalidOperation(_("extra inputs only apply to video/concat and audio/concat"), hint=_("remove --input"))
    runner = _RUNNERS.get(op.name)
    if runner is None:
        raise UnsupportedOperation(
            _("{name} is not a media operation the local engine runs").format(name=op.name),
            hint=_("media operations: {names}").format(names=", ".join(MEDIA_OPERATIONS)),
        )
    return runner(op, src, dst, info=info, progress=progress, cancel=cancel)


__all__ = [
    "MEDIA_OPERATIONS",
    "Cancelled",
    "ConcatPart",
    "MediaInfo",
    "MediaOutput",
    "check_concat_inputs",
    "ffmpeg_exe",
    "locate_frame",
    "media_info",
    "probe",
    "run_media",
    "segment_durations",
]
