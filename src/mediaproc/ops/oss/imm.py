"""What IMM (API 2020-09-30) accepts in the requests mediaproc sends and ``mediaproc serve`` answers.

One place for both sides: the client checks a name before it creates a project
(``services.imm.check_project_name``), serve refuses the same requests the service refuses
(``emulator.imm.front``). Pure: no I/O.

- ``ProjectName``: 1-128 letters, digits, ``-`` and ``_``, starting with a letter or ``_``. The
  API page of CreateProject gives no pattern; ROS's ``ALIYUN::IMM::Project2``, which creates a
  2020-09-30 project, does (help.aliyun.com/zh/ros/developer-reference/aliyun-imm-project2).
- ``CreateDecodeBlindWatermarkTask`` (help.aliyun.com/zh/imm/developer-reference/
  api-imm-2020-09-30-createdecodeblindwatermarktask): ``StrengthLevel`` low, medium or high;
  ``WatermarkType`` text ("图片水印类型暂不支持，因此当前只能为 text"). The page takes ``Model`` and
  ``ImageQuality`` over from the legacy DecodeBlindWatermark, whose page gives their values
  (help.aliyun.com/document_detail/138801.htm): Model FFT, FFT_FULL, DWT or DWT_IBG; ImageQuality
  70-100.
"""

from __future__ import annotations

import re

from mediaproc.i18n import N_
from mediaproc.ops.catalog.ai import STRENGTHS

PROJECT_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,127}")
# The rule in words: serve's message (English, as IMM's) and the client's hint (translated) say it.
PROJECT_NAME_RULE = N_("1-128 letters, digits, '-' and '_', starting with a letter or '_'")

# CreateDecodeBlindWatermarkTask: parameter -> the values the pages allow.
DECODE_WATERMARK_CHOICES: dict[str, tuple[str, ...]] = {
    "StrengthLevel": STRENGTHS,
    "WatermarkType": ("text",),
    "Model": ("FFT", "FFT_FULL", "DWT", "DWT_IBG"),
}
DECODE_WATERMARK_QUALITY = (70, 100)


def valid_project_name(name: str) -> bool:
    return PROJECT_NAME.fullmatch(name) is not None


def decode_watermark_problem(params: dict[str, str]) -> str | None:
    """The first parameter of a CreateDecodeBlindWatermarkTask request the pages do not allow, as a
    sentence naming it and its values; None when every given one is allowed."""
    for name, choices in DECODE_WATERMARK_CHOICES.items():
        value = params.get(name)
        if value and value not in choices:
            return f"The {name} {value!r} is invalid: one of {', '.join(choices)}."
    quality = params.get("ImageQuality")
    if quality:
        lo, hi = DECODE_WATERMARK_QUALITY
        if not quality.strip().isdigit() or not lo <= int(quality) <= hi:
            return f"The ImageQuality {quality!r} is invalid: a whole number {lo}-{hi}."
    return None
