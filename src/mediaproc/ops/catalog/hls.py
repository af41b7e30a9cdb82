"""HLS "transcode while playing" playlist (OSS ``hls/m3u8``, synchronous).

The prefix is ``hls/m3u8`` — no ``video/`` in front. Source: OSS "生成播放列表"
(help.aliyun.com/document_detail/2709281.html, alibabacloud.com/help/tc/oss/user-guide/
generate-video-playlist): "操作说明:hls/m3u8", ``ss``/``t`` in ms (0 = from the start / to the
end), output container ts; only h264/h265 video (reference limitations). The other parameters
follow the reference skill's table; its ``acodec`` list is not given anywhere we could find, so the
choices below (aac, mp3, opus, ac3) are the codecs an MPEG-TS segment can carry — unverified.
"""

from __future__ import annotations

from mediaproc.ops.catalog import _media as m
from mediaproc.ops.catalog._build import bool_, even_size, int_, sets
from mediaproc.ops.model import Family, Mode, OpSpec, Produces

M3U8 = OpSpec(
    name="hls/m3u8",
    family=Family.HLS,
    mode=Mode.SYNC,
    produces=Produces.PLAYLIST,
    summary="An HLS playlist (m3u8) whose segments are transcoded as they are played.",
    params=(
        m.ss(),
        m.t(),
        int_("ta", "segments to transcode ahead of the player (0-100)", 0, 100),
        int_("st", "segment length in ms (1000-60000, default 10000)", 1_000, 60_000, default=10_000),
        int_("initd", "length transcoded before playback starts, in ms", 0, m.MAX_MS),
        m.vcodec(("h264", "h265"), default="h264"),
        m.fps(),
        m.fpsopt(),
        m.pixfmt(),
        m.s_size(),
        m.sopt(),
        m.scaletype(),
        m.arotate(),
        m.vb(),
        m.vbopt(),
        m.crf(),
        int_("maxrate", "peak video bitrate in bit/s (10000-100000000)", 10_000, 100_000_000),
        int_("bufsize", "rate-control buffer in bits (10000-200000000)", 10_000, 200_000_000),
        bool_("an", "1 = drop the audio stream"),
        m.acodec(("aac", "mp3", "opus", "ac3")),
        m.ar(),
        m.ac(),
        m.aq(),
        m.ab(),
        m.abopt(),
    ),
    aliases=("m3u8", "hls", "video/hls", "video/hls/m3u8", "playlist"),
    oss="hls/m3u8",
    standalone=True,
    exclusive=(("aq", "ab"),),
    checks=(even_size("s"),),
    sets=sets(an=m.NO_AUDIO),
    result_info="video/info",
)

SPECS: tuple[OpSpec, ...] = (M3U8,)
