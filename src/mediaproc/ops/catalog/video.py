"""Video operations (OSS ``video/<name>``; one media operation per request).

Sources: OSS "视频转码" (help.aliyun.com/zh/oss/user-guide/video-transcoding: ``video/convert`` is
asynchronous only, ``vcodec`` defaults to ``copy``, fps 0-240, ``s`` even 64-4096, pixfmt list),
OSS "视频截帧" (document_detail/64555: ``video/snapshot`` t/w/h/m/f/ar, w/h 0 = automatic, ``m``
only ``fast``, ``f`` jpg|png, ``ar`` auto|h|w), OSS "视频转动图" (``video/animation``: ``f`` gif|webp
required, ``num``/``inter`` default unlimited/every frame, fps 0-240 — documented as a float; kept an
int here per the team contract), OSS "视频截雪碧图" (help.aliyun.com/zh/oss/video-cut-sprite: ``m``
default inter, ``avg`` needs num, ``thr`` 0-100 for dhash, ``num``/``inter`` 0 = unlimited,
``sw``/``sh`` 32-4096, ``psw``/``psh`` (0,200] default 100, sheet at most 16384 px), the reference
skill's tables (``t`` for animation comes from its recipes), and SPEC.md §2. ``f`` is required for
``video/convert`` too: the transcoding page lists it without a default and the container names the
output (an inference; the page's "required" column did not survive the docs extract)
(t=0 and fps=0 valid, required f for animation/snapshots/sprite, f+vcodec+acodec for concat, num
or inter for sprite, the ranges).

IMM task types (the prefix of the TaskId that ``x-oss-async-process`` returns; ``GetTask`` needs
it): every OSS video/audio async operation is carried out by IMM's media-convert pipeline, and its
task ids read ``MediaConvert-<uuid>`` (SPEC.md §7; OSS "异步处理" / IMM CreateMediaConvertTask,
whose Targets cover video, audio, snapshots and sprites). A docs search found no separate task
type for snapshots, sprites, animation or concat, so they are recorded as ``MediaConvert`` too;
the OSS provider should still read the prefix from the returned TaskId rather than trust this.
"""

from __future__ import annotations

from mediaproc import TYPE_CHECKING
from mediaproc.i18n import _
from mediaproc.ops.catalog import _media as m
from mediaproc.ops.catalog._build import Params, audio_depth, bool_, enum, even_size, int_, sets
from mediaproc.ops.catalog.formats import AUDIO_CONTAINERS, VIDEO_CONTAINERS
from mediaproc.ops.model import Family, Mode, OpSpec, Param, Problem, Produces, SizeEffect

if TYPE_CHECKING:
    from typing import Any

SNAPSHOT_FORMATS = ("jpg", "png")
JPG_ALIASES = {"jpeg": "jpg"}


def _video(name: str, summary: str, params: tuple[Param, ...], **kw: Any) -> OpSpec:
    kw.setdefault("result_info", "video/info")
    return m.media_spec(name, Family.VIDEO, summary, params, **kw)


CONVERT = _video(
    "video/convert",
    "Transcode: container, codecs, size, bitrate, frame rate, trimming.",
    (
        enum(
            "f",
            "output container: " + ", ".join(VIDEO_CONTAINERS + AUDIO_CONTAINERS),
            VIDEO_CONTAINERS + AUDIO_CONTAINERS,
            required=True,
        ),
        m.vcodec(default="copy"),
        m.acodec(),
        m.s_size(),
        m.scaletype(),
        m.fps(),
        m.vb(),
        m.ab(),
        m.crf(),
        m.ss(),
        m.t(),
        bool_("vn", "1 = drop the video stream"),
        bool_("an", "1 = drop the audio stream"),
        bool_("sn", "1 = drop subtitle streams"),
        bool_("videoslim", "1 = narrow-band HD compression (needs vcodec)"),
        m.pixfmt(),
        m.ar(),
        m.ac(),
        m.fpsopt(),
        m.sopt(),
        m.vbopt(),
        m.abopt(),
        m.arotate(),
        m.aq(),
        m.adepth(),
    ),
    aliases=("convert", "transcode", "video-convert"),
    exclusive=(("aq", "ab"),),
    checks=(even_size("s"), m.needs_vcodec, audio_depth("f", "acodec")),
    sets=sets(
        f=m.CONTAINER, vcodec=m.VIDEO_CODEC, acodec=m.AUDIO_CODEC, fps=m.FRAME_RATE, vb=m.VIDEO_BITRATE,
        ab=m.AUDIO_BITRATE, ar=m.SAMPLE_RATE, ac=m.CHANNELS, t=m.DURATION_MS, vn=m.NO_VIDEO, an=m.NO_AUDIO,
    ),
    size_effect=SizeEffect.FRAME,
)

SNAPSHOT = _video(
    "video/snapshot",
    "One frame at time t (ms) as an image; t=0 is the first frame.",
    (
        int_("t", "time of the frame in ms (0 = first frame; past the end = last frame)", 0, m.MAX_MS, required=True),
        enum("f", "image format: jpg (default) or png", SNAPSHOT_FORMATS, JPG_ALIASES, default="jpg"),
        int_("w", "width in px (0 = from the height, keeping aspect; both 0 = source size)", 0, 4096),
        int_("h", "height in px (0 = from the width, keeping aspect)", 0, 4096),
        enum("m", "fast = the keyframe at or before t (faster, less exact)", ("fast",)),
        enum(
            "ar",
            "rotation: auto = honour rotation metadata, h = force portrait, w = force landscape",
            ("auto", "h", "w"),
        ),
    ),
    mode=Mode.SYNC,
    produces=Produces.IMAGE,
    aliases=("snapshot", "frame", "video-snapshot"),
    sets=sets(f=m.IMAGE_FORMAT),
    size_effect=SizeEffect.SIDES,
    result_info="info",
)

INFO = _video(
    "video/info",
    "Video metadata: format, duration, streams (JSON).",
    (),
    mode=Mode.SYNC,
    produces=Produces.JSON,
    aliases=("video-info", "videoinfo", "probe"),
)


def _animation_frames(params: Params) -> list[Problem]:
    if "num" in params and "inter" in params and "fps" in params:
        return [
            Problem(
                _("num, inter and fps together over-determine the animation"),
                hint=_("give two of them at most"),
                warning=True,
            )
        ]
    return []


ANIMATION = _video(
    "video/animation",
    "Turn a stretch of video into an animated GIF or WebP.",
    (
        enum("f", "output format: gif or webp", ("gif", "webp"), required=True),
        m.ss(),
        m.t("length of the stretch in ms (default: to the end)"),
        m.num(),
        m.inter("interval between frames in ms (0 = every frame, default)"),
        m.fps("output frame rate (0-240; 0 = keep the source rate)"),
        m.frame_w("w", "width in px"),
        m.frame_w("h", "height in px"),
        m.scaletype(),
    ),
    aliases=("animation", "gif", "video-animation"),
    checks=(_animation_frames,),
    sets=sets(f=m.IMAGE_FORMAT),
    size_effect=SizeEffect.SIDES,
    result_info="info",
)

SNAPSHOTS = _video(
    "video/snapshots",
    "Many frames as images under a key prefix (the target key has no extension).",
    (
        enum("f", "image format: jpg or png", SNAPSHOT_FORMATS, JPG_ALIASES, required=True),
        m.ss(),
        m.frame_mode(),
        m.num(),
        m.inter(),
        m.frame_w("w", "frame width in px"),
        m.frame_w("h", "frame height in px"),
        m.percent("pw", "frame width in percent of the source"),
        m.percent("ph", "frame height in percent of the source"),
        m.scaletype(),
        m.thr(),
    ),
    produces=Produces.FILES,
    aliases=("snapshots", "frames", "video-snapshots"),
    checks=(m.thr_needs_dhash, m.avg_needs_num),
    result_info="info",
)

SPRITE = _video(
    "video/sprite",
    "A sprite sheet: a grid of tw x th frames; give num or inter (m=key takes the keyframes).",
    (
        enum("f", "image format: jpg or png", SNAPSHOT_FORMATS, JPG_ALIASES, required=True),
        m.ss(),
        m.frame_mode(),
        m.thr(),
        m.num("number of frames (0 = no limit); num = tw*th fills the grid"),
        m.inter(),
        m.frame_w("sw", "tile width in px"),
        m.frame_w("sh", "tile height in px"),
        m.percent("psw", "tile width in percent of the source"),
        m.percent("psh", "tile height in percent of the source"),
        m.scaletype(),
        int_("tw", "tiles per row (1-100, default 6)", 1, 100, default=6),
        int_("th", "tiles per column (1-100, default 6)", 1, 100, default=6),
        int_("pad", "space between tiles in px (0-100, default 2)", 0, 100, default=2),
        int_("margin", "border around the sheet in px (0-100, default 2)", 0, 100, default=2),
    ),
    produces=Produces.IMAGE,
    aliases=("sprite", "sprites", "video-sprite"),
    checks=(m.thr_needs_dhash, m.avg_needs_num, m.interval_needs_num_or_inter),
    sets=sets(f=m.IMAGE_FORMAT),
    result_info="info",
)

CONCAT = _video(
    "video/concat",
    "Join videos: the source plus --input objects before (pre) or after (sur) it; at most 11 in all.",
    (
        enum("f", "output container: " + ", ".join(VIDEO_CONTAINERS), VIDEO_CONTAINERS, required=True),
        m.vcodec(("h264", "h265", "vp9"), required=True),
        m.acodec(tuple(c for c in m.ACODECS if c != "copy"), required=True),
        m.fps(),
        m.vb(),
        m.ab(),
        m.ar(),
        m.ac(),
        m.s_size(),
        int_("align", "index of the input whose resolution/frame rate the output follows (0-10)", 0, 10),
        m.scaletype(),
        m.crf(),
        m.pixfmt(),
        m.vbopt(),
        m.abopt(),
        m.aq(),
        bool_("an", "1 = drop the audio stream"),
    ),
    aliases=("concat", "join", "video-concat"),
    joins=True,
    exclusive=(("aq", "ab"),),
    checks=(even_size("s"),),
    sets=sets(
        f=m.CONTAINER, vcodec=m.VIDEO_CODEC, acodec=m.AUDIO_CODEC, ar=m.SAMPLE_RATE, ac=m.CHANNELS, an=m.NO_AUDIO
    ),
    size_effect=SizeEffect.FRAME,
)

SPECS: tuple[OpSpec, ...] = (CONVERT, SNAPSHOT, INFO, ANIMATION, SNAPSHOTS, SPRITE, CONCAT)
