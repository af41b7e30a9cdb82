"""Audio operations (OSS ``audio/<name>``; one media operation per request).

Sources: the reference skill's audio tables and SPEC.md §2: ``f`` required for convert and
concat, ``aq`` and ``ab`` mutually exclusive, ``adepth`` 16|24 for flac only, ``ac`` 1-8.
Asynchronous operations run as IMM ``MediaConvert`` tasks (see ``catalog/video.py``).
"""

from __future__ import annotations

from mediaproc.ops.catalog import _media as m
from mediaproc.ops.catalog._build import audio_depth, enum, int_
from mediaproc.ops.model import Family, Mode, OpSpec, Produces

_FORMAT_HELP = "output format: " + ", ".join(m.AUDIO_CONTAINERS)

CONVERT = OpSpec(
    name="audio/convert",
    family=Family.AUDIO,
    mode=Mode.ASYNC,
    produces=Produces.MEDIA,
    summary="Transcode audio: format, bitrate or quality, sample rate, channels, trimming.",
    params=(
        enum("f", _FORMAT_HELP, m.AUDIO_CONTAINERS, required=True),
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
    oss="audio/convert",
    standalone=True,
    exclusive=(("aq", "ab"),),
    checks=(audio_depth("f"),),
    imm_task="MediaConvert",
)

CONCAT = OpSpec(
    name="audio/concat",
    family=Family.AUDIO,
    mode=Mode.ASYNC,
    produces=Produces.MEDIA,
    summary="Join audio files: the source plus --input objects before (pre) or after (sur) it.",
    params=(
        enum("f", _FORMAT_HELP, m.AUDIO_CONTAINERS, required=True),
        m.ar(),
        m.ac(),
        m.aq(),
        m.ab(),
        m.abopt(),
        int_("align", "index of the input whose sample rate/channels the output follows (0-10)", 0, 10),
        m.adepth(),
    ),
    aliases=("audio-concat",),
    oss="audio/concat",
    standalone=True,
    exclusive=(("aq", "ab"),),
    checks=(audio_depth("f"),),
    imm_task="MediaConvert",
)

INFO = OpSpec(
    name="audio/info",
    family=Family.AUDIO,
    mode=Mode.SYNC,
    produces=Produces.JSON,
    summary="Audio metadata: format, duration, streams (JSON).",
    aliases=("audio-info", "audioinfo"),
    oss="audio/info",
    standalone=True,
)

SPECS: tuple[OpSpec, ...] = (CONVERT, CONCAT, INFO)
