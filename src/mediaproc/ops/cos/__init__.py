"""The Tencent COS / Cloud Infinite (CI) encoding of a chain, and its inverse for the emulator.

Pure: no I/O, no SDK. The COS provider, ``--dry-run`` and ``mediaproc serve``'s COS front all read
this package, so what is shown is what is sent, and what the emulator understands is exactly what
the provider sends. Each module keeps an encoder beside its decoder, with the documentation it was
checked against:

- :mod:`~mediaproc.ops.cos.image_rules`: sync image processing, the rule a query *key* with an
  empty value (``GET /<key>?imageMogr2/thumbnail/600x>``), and ``ci-process=AIImageCrop``; one table
  (``IMAGE_RULES``) from operation name to encoder and decoder, whose entries have the shape of
  :mod:`~mediaproc.ops.cos.rule_codec`;
- :mod:`~mediaproc.ops.cos.watermarks`: ``watermark/1`` and ``/2`` inside a rule, the blind
  watermark ``/3`` (embed) and ``/4`` (extract): the table's watermark entries;
- :mod:`~mediaproc.ops.cos.pic_operations`: saving, ``POST /<key>?image_process`` or ``PUT /<key>``
  (process on upload) with the ``Pic-Operations`` header;
- :mod:`~mediaproc.ops.cos.info`: metadata, ``?imageInfo`` (+ ``?exif``), ``?imageAve`` and
  ``ci-process=videoinfo``, normalised to the OSS JSON shapes;
- :mod:`~mediaproc.ops.cos.jobs` and :mod:`~mediaproc.ops.cos.job_xml`: media, ``POST /jobs`` with
  a ``<Request>`` body, one table (``MEDIA_JOBS``) of jobs whose fields are declared once in
  :mod:`~mediaproc.ops.cos.job_fields` (key, body path, unit) for both directions;
  :mod:`~mediaproc.ops.cos.snapshot`: the sync ``ci-process=snapshot``;
- :mod:`~mediaproc.ops.cos.ai`: detection, sync ``ci-process`` calls normalised to IMM JSON;
- :mod:`~mediaproc.ops.cos.chains`: which request a chain becomes (``RequestKind``), and the
  refusals and warnings checked before any request;
- :mod:`~mediaproc.ops.cos.common`: what they share (units, colours, COS URLs, the refusal).

Requests as SPEC.md §6 describes them. Most Cloud Infinite pages were read in the docs' source
repository (tencentyun/qcloud-documents); the SDK (cos-python-sdk-v5 1.9.44) was read for the
request shapes. Operations without a Cloud Infinite equivalent are refused before any request
(:class:`~mediaproc.errors.UnsupportedOperation`, exit 2), naming what to use instead.

Callers use this package (``from mediaproc.ops import cos``); the modules import one another
directly, never this package, so that importing it is no circle.
"""

from __future__ import annotations

from mediaproc.ops.cos.ai import AI_PROCESS, ai_params, ai_to_oss, check_qrcode_cover, max_faces, oss_to_ai
from mediaproc.ops.cos.chains import RequestKind, check_chain, request_kind
from mediaproc.ops.cos.common import GRAVITY_FULL, REGION_PLACEHOLDER, cos_host, cos_url
from mediaproc.ops.cos.image_rules import (
    AI_IMAGE_CROP,
    IMAGE_RULES,
    image_rule,
    is_rule,
    parse_rule,
    rule_params,
    sharpen_from_cos,
    sharpen_to_cos,
    smart_crop_rule,
)
from mediaproc.ops.cos.info import ave_from_ci, info_from_ci, mediainfo_to_oss, oss_to_ci_info, oss_to_mediainfo
from mediaproc.ops.cos.job_xml import job_xml, parse_job_xml
from mediaproc.ops.cos.jobs import (
    JOB_STATES,
    MEDIA_JOBS,
    ConcatRef,
    CosJobSpec,
    media_job_request,
    parse_job_request,
)
from mediaproc.ops.cos.pic_operations import MAX_RULES, fileid_for, fileid_key, parse_pic_operations, pic_operations
from mediaproc.ops.cos.snapshot import parse_snapshot_params, snapshot_params
from mediaproc.ops.cos.watermarks import blind_watermark_rule, extract_rule

__all__ = [
    "AI_IMAGE_CROP",
    "AI_PROCESS",
    "GRAVITY_FULL",
    "IMAGE_RULES",
    "JOB_STATES",
    "MAX_RULES",
    "MEDIA_JOBS",
    "REGION_PLACEHOLDER",
    "ConcatRef",
    "CosJobSpec",
    "RequestKind",
    "ai_params",
    "ai_to_oss",
    "ave_from_ci",
    "blind_watermark_rule",
    "check_chain",
    "check_qrcode_cover",
    "cos_host",
    "cos_url",
    "extract_rule",
    "fileid_for",
    "fileid_key",
    "image_rule",
    "info_from_ci",
    "is_rule",
    "job_xml",
    "max_faces",
    "media_job_request",
    "mediainfo_to_oss",
    "oss_to_ai",
    "oss_to_ci_info",
    "oss_to_mediainfo",
    "parse_job_request",
    "parse_job_xml",
    "parse_pic_operations",
    "parse_rule",
    "parse_snapshot_params",
    "pic_operations",
    "request_kind",
    "rule_params",
    "sharpen_from_cos",
    "sharpen_to_cos",
    "smart_crop_rule",
    "snapshot_params",
]
