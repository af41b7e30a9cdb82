"""Image metadata operations: read-only, JSON out, stand alone (OSS ``image/info``,
``image/average-hue``; COS ``?imageInfo`` / ``?imageAve``)."""

from __future__ import annotations

from mediaproc.ops.catalog._build import json_op
from mediaproc.ops.model import Family, OpSpec

INFO = json_op(
    "info", Family.META, "Image metadata: size, format, file size, EXIF (JSON).", ("image-info", "imageinfo")
)
AVERAGE_HUE = json_op(
    "average-hue",
    Family.META,
    'Average colour of the image as {"RGB": "0xRRGGBB"} (JSON).',
    ("average_hue", "averagehue", "hue", "avg-hue", "imageave"),
)

SPECS: tuple[OpSpec, ...] = (INFO, AVERAGE_HUE)
