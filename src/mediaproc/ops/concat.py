"""Compatibility of concat inputs, judged from their ``video/info`` / ``audio/info`` JSON.

SPEC.md §2: every input (``/pre`` ones too) is checked before submission; differing resolution is
an error unless ``s`` is given (then everything is scaled to it); differing frame rate, codec and
sample rate are warnings. The OSS provider and the local engine both call :func:`check_infos` with
the info documents they fetched, so the rule and its wording live in one place. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

from mediaproc.i18n import _
from mediaproc.ops.model import Op, Problem
from mediaproc.ops.values import reported_int


def _streams(info: Mapping[str, Any], kind: str) -> Sequence[Mapping[str, Any]]:
    streams = info.get("Streams") or {}
    value = streams.get(kind) if isinstance(streams, Mapping) else None
    return value if isinstance(value, list) else []




def _rate(value: Any) -> float | None:
    """``"25"``, ``"29.97"``, ``"30000/1001"`` -> frames per second, rounded to 0.01."""
    try:
        return round(float(Fraction(str(value))), 2)
    except (ValueError, ZeroDivisionError):
        return None


def _describe(values: Mapping[str, Any]) -> str:
    return ", ".join(f"{key}: {value}" for key, value in values.items())


def _even_size(op: Op, size: tuple[int, int]) -> str:
    """A size the operation's ``s`` accepts: each side even and within the catalogue's range of ``s``
    (64..4096; an odd source size is rounded down), so that the hint is a value that passes."""
    param = op.spec.param("s")
    lo, hi = param.bounds if param is not None else (0, 1 << 30)
    w, h = (min(hi, max(lo, v - v % 2)) for v in size)
    return f"{w}x{h}"


def _differs(values: Mapping[str, Any]) -> bool:
    return len({v for v in values.values() if v is not None}) > 1


def check_infos(op: Op, infos: Mapping[str, Mapping[str, Any]]) -> list[Problem]:
    """Problems with joining the inputs described by ``infos`` (object key -> info JSON, in order).

    Errors stop the request; warnings are reported. An empty info (it could not be read) is a
    warning: the service will judge it.
    """
    problems: list[Problem] = []
    video = op.name == "video/concat"
    sizes: dict[str, tuple[int, int] | None] = {}
    rates: dict[str, float | None] = {}
    vcodecs: dict[str, str | None] = {}
    samples: dict[str, int | None] = {}
    acodecs: dict[str, str | None] = {}
    for key, info in infos.items():
        if not info:
            problems.append(
                Problem(
                    _("{key}: no media info, not checked").format(key=key),
                    hint=_("make sure every input exists and is a media file"),
                    warning=True,
                )
            )
            continue
        v = _streams(info, "VideoStream")
        a = _streams(info, "AudioStream")
        if not (v if video else a):  # what the operation joins is missing from this input
            problems.append(
                Problem(_("{key} has no video stream").format(key=key),
                        hint=_("video/concat joins videos; use audio/concat for audio files"))
                if video
                else Problem(_("{key} has no audio stream").format(key=key),
                             hint=_("audio/concat joins audio; check the input"))
            )
            continue
        if video:
            w, h = reported_int(v[0].get("Width")), reported_int(v[0].get("Height"))
            sizes[key] = (w, h) if w and h else None
            rates[key] = _rate(v[0].get("FrameRate") or v[0].get("AvgFrameRate"))
            vcodecs[key] = v[0].get("CodecName")
        if a:
            samples[key] = reported_int(a[0].get("SampleRate"))
            acodecs[key] = a[0].get("CodecName")
    if video and _differs(sizes):
        shown = {k: f"{s[0]}x{s[1]}" for k, s in sizes.items() if s}
        if "s" in op.params:
            problems.append(
                Problem(
                    _("inputs differ in resolution ({sizes}); all are scaled to s").format(sizes=_describe(shown)),
                    hint=_("check that the aspect ratios match, or set scaletype"),
                    warning=True,
                )
            )
        else:
            problems.append(
                Problem(
                    _("inputs differ in resolution ({sizes})").format(sizes=_describe(shown)),
                    hint=_("add s=WxH (e.g. s={first}) to scale every input to one size").format(
                        first=_even_size(op, next(s for s in sizes.values() if s))
                    ),
                )
            )
    if video and _differs(rates) and "fps" not in op.params:
        problems.append(
            Problem(
                _("inputs differ in frame rate ({rates})").format(rates=_describe(rates)),
                hint=_("add fps=N to set one output frame rate"),
                warning=True,
            )
        )
    if video and _differs(vcodecs):
        problems.append(
            Problem(
                _("inputs differ in video codec ({codecs})").format(codecs=_describe(vcodecs)),
                hint=_("they are all re-encoded with vcodec; expect a longer job"),
                warning=True,
            )
        )
    if _differs(samples) and "ar" not in op.params:
        problems.append(
            Problem(
                _("inputs differ in audio sample rate ({rates})").format(rates=_describe(samples)),
                hint=_("add ar=48000 (or another rate) to resample to one rate"),
                warning=True,
            )
        )
    if _differs(acodecs):
        problems.append(
            Problem(
                _("inputs differ in audio codec ({codecs})").format(codecs=_describe(acodecs)),
                hint=_("they are all re-encoded with acodec"),
                warning=True,
            )
        )
    problems.sort(key=lambda p: p.warning)
    return problems


__all__ = ["check_infos"]
