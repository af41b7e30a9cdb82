"""Image metadata operations: read-only, JSON out, stand alone (OSS ``image/info``,
``image/average-hue``; COS ``?imageInfo`` / ``?imageAve``)."""

from __future__ import annotations

from mediaproc.ops.model import Family, Mode, OpSpec, Produces

INFO = OpSpec(
    name="info",
    family=Family.META,
    mode=Mode.SYNC,
    produces=Produces.JSON,
    summary="Image metadata: size, format, file size, EXIF (JSON).",
    oss="info",
    standalone=True,
    aliases=("image-info", "imageinfo"),
)

AVERAGE_HUE = OpSpec(
    name="average-hue",
    family=Family.META,
    mode=Mode.SYNC,
    produces=Produces.JSON,
    summary='Average colour of the image as {"RGB": "0xRRGGBB"} (JSON).',
    oss="average-hue",
    standalone=True,
    aliases=("average_hue", "averagehue", "hue", "avg-hue", "imageave"),
)

SPECS: tuple[OpSpec, ...] = (INFO, AVERAGE_HUE)
