"""Audio operations (OSS ``audio/<name>``; one media operation per request).

Sources: the reference skill's audio tables and SPEC.md §2: ``f`` required for convert and
concat, ``aq`` and ``ab`` mutually exclusive, ``adepth`` 16|24 for flac only, ``ac`` 1-8.
Asynchronous operations run as IMM ``MediaConvert`` tasks (see ``catalog/video.py``). Every
result is read back with ``audio/info``.
"""

from __future__ import annotations

from mediaproc import TYPE_CHECKING
from mediaproc.ops.catalog import _media as m
from mediaproc.ops.catalog._build import audio_depth, enum, int_, sets
from mediaproc.ops.catalog.formats import AUDIO_CONTAINERS
from mediaproc.ops.model import Family, Mode, OpSpec, Param, Produces

if TYPE_CHECKING:
    from typing import Any

_FORMAT_HELP = "output format: " + ", ".join(AUDIO_CONTAINERS)


def _audio(name: str, summary: str, params: tuple[Param, ...], **kw: Any) -> OpSpec:
    return m.media_spec(name, Family.AUDIO, summary, params, result_info="audio/info", **kw)


CONVERT = _audio(
    "audio/convert",
    "Transcode audio: format, bitrate or quality, sample rate, channels, trimming.",
    (
        enum("f", _FORMAT_HELP, AUDIO_CONTAINERS, required=True),
        m.ss(),
        m.t(),
        m.ar(),
        m.ac(),
        m.aq(),
        m.ab(),
        m.abopt(),
        m.adepth(),
    ),
    aliases=("audio-convert",),
    exclusive=(("aq", "ab"),),
    checks=(audio_depth("f"),),
    sets=sets(f=m.CONTAINER, ar=m.SAMPLE_RATE, ac=m.CHANNELS, ab=m.AUDIO_BITRATE, t=m.DURATION_MS),
)

CONCAT = _audio(
    "audio/concat",
    "Join audio files: the source plus --input objects before (pre) or after (sur) it.",
    (
        enum("f", _FORMAT_HELP, AUDIO_CONTAINERS, required=True),
        m.ar(),
        m.ac(),
        m.aq(),
        m.ab(),
        m.abopt(),
        int_("align", "index of the input whose sample rate/channels the output follows (0-10)", 0, 10),
        m.adepth(),
    ),
    aliases=("audio-concat",),
    joins=True,
    exclusive=(("aq", "ab"),),
    checks=(audio_depth("f"),),
    sets=sets(f=m.CONTAINER, ar=m.SAMPLE_RATE, ac=m.CHANNELS),
)

INFO = _audio(
    "audio/info",
    "Audio metadata: format, duration, streams (JSON).",
    (),
    mode=Mode.SYNC,
    produces=Produces.JSON,
    aliases=("audio-info", "audioinfo"),
)

SPECS: tuple[OpSpec, ...] = (CONVERT, CONCAT, INFO)
