"""Local image engine: runs an image operation chain with libvips (Pillow where libvips lacks a codec,
and for small stills, chosen from the file's header: ``small``).

The public functions are resolved lazily (PEP 562) so that ``import mediaproc.engine.image`` stays cheap:
pyvips, numpy and Pillow are imported on the first use of a function, never when the CLI merely imports
this package. ``process_image``/``encode_image`` run a chain to a file or to memory (``pipeline``);
``image_info``/``average_hue`` answer OSS's JSON operations (``info``).
"""

from __future__ import annotations

from mediaproc import TYPE_CHECKING
from mediaproc.lazy import lazy_attributes

if TYPE_CHECKING:
    from mediaproc.engine.image.info import average_hue, image_info
    from mediaproc.engine.image.pipeline import encode_image, process_image
    from mediaproc.engine.image.result import OUTPUT_FORMATS, EncodedImage, ImageOutput

_LAZY = {
    "OUTPUT_FORMATS": "mediaproc.engine.image.result",  # the result types too: ``image info`` needs none
    "EncodedImage": "mediaproc.engine.image.result",
    "ImageOutput": "mediaproc.engine.image.result",
    "process_image": "mediaproc.engine.image.pipeline",
    "encode_image": "mediaproc.engine.image.pipeline",
    "image_info": "mediaproc.engine.image.info",
    "average_hue": "mediaproc.engine.image.info",
}


__getattr__ = lazy_attributes(__name__, _LAZY)


__all__ = [
    "OUTPUT_FORMATS",
    "EncodedImage",
    "ImageOutput",
    "average_hue",
    "encode_image",
    "image_info",
    "process_image",
]
