"""Reading sources: header probe with limits, then decoding into frames.

Everything a user can get wrong about a source (missing, not an image, corrupt, truncated, too big)
becomes a ``mediaproc.errors`` error here. The probe reads the header only, so oversized images and
decompression bombs are refused before a single pixel is decoded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyvips

from mediaproc.engine.image.result import MAX_PIXELS, MAX_SIDE, too_large
from mediaproc.errors import MediaError, NotFound
from mediaproc.i18n import _

# libvips loader name -> canonical format name (the ``Format`` of ``image/info``).
_LOADER_FORMATS = {
    "jpegload": "jpg",
    "pngload": "png",
    "gifload": "gif",
    "webpload": "webp",
    "tiffload": "tiff",
    "svgload": "svg",
    "uhdrload": "jpg",
}
# Pillow format name -> canonical format name, for what libvips cannot read (BMP above all).
_PIL_FORMATS = {"BMP": "bmp", "DIB": "bmp", "ICO": "ico", "PPM": "ppm", "TGA": "tga", "PCX": "pcx"}
# OSS decodes TIFF sources of at most this many px a side (error 0040-00000018).
MAX_TIFF_SIDE = 16_384
# Tolerate warnings (odd but decodable files), refuse real decode errors and truncation.
FAIL_ON = "error"


@dataclass
class Source:
    """What the header says about a source, plus lazily computed facts the pipeline may need."""

    path: Path
    format: str  # canonical: jpg, png, gif, webp, tiff, avif, heic, bmp, ...
    width: int
    height: int  # of one frame
    pages: int  # frames of an animation (1 for still images)
    via_pillow: bool  # libvips has no loader for it
    orientation: int = 1  # EXIF orientation (1-8) from the header
    _quality: int | None = field(default=None, repr=False)
    _quality_done: bool = field(default=False, repr=False)

    @property
    def animated(self) -> bool:
        return self.pages > 1

    @property
    def jpeg_quality(self) -> int | None:
        """Estimated quality of a JPEG source (None for other formats), computed once."""
        if not self._quality_done:
            from mediaproc.engine.image.jpegq import estimate_quality

            self._quality = estimate_quality(self.path) if self.format == "jpg" else None
            self._quality_done = True
        return self._quality


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("unable to call"):
            return line
    return text.splitlines()[0] if text else type(err).__name__


def media_error(path: Path, err: BaseException) -> MediaError:
    """A decode/processing failure, worded for the user (the libvips detail kept on one line)."""
    return MediaError(
        _("cannot process image {path}: {detail}").format(path=str(path), detail=_first_line(err)),
        hint=_("check that the file is a complete, supported image (jpg, png, webp, gif, bmp, tiff, avif)"),
    )


def check_limits(path: Path, width: int, height: int, pages: int) -> None:
    if width > MAX_SIDE or height > MAX_SIDE:
        raise too_large(
            _("source image {path} is {w}x{h} px: a side exceeds {limit} px").format(
                path=str(path), w=width, h=height, limit=MAX_SIDE
            ),
            _("downscale the image before processing it (OSS refuses it too)"),
        )
    if width * height * max(1, pages) > MAX_PIXELS:
        raise too_large(
            _("source image {path} has {mp} megapixels (limit {limit})").format(
                path=str(path), mp=round(width * height * max(1, pages) / 1e6, 1), limit=MAX_PIXELS // 1_000_000
            ),
            _("downscale the image or drop frames before processing it (OSS refuses it too)"),
        )
    if width < 1 or height < 1:
        raise MediaError(_("source image {path} is empty").format(path=str(path)))


def _vips_format(img: pyvips.Image) -> str:
    loader = img.get("vips-loader") if img.get_typeof("vips-loader") else ""
    for prefix, fmt in _LOADER_FORMATS.items():
        if loader.startswith(prefix):
            return fmt
    if loader.startswith("heifload"):
        comp = img.get("heif-compression") if img.get_typeof("heif-compression") else "hevc"
        return "avif" if comp == "av1" else "heic"
    return loader.removesuffix("load").removesuffix("_source") or "unknown"


def probe(src: Path) -> Source:
    """Header-only look at ``src``: format, size, frame count; refuses what exceeds the limits."""
    src = Path(src)
    if not src.is_file():
        raise NotFound(
            _("source file not found: {path}").format(path=str(src)),
            hint=_("check the path; a folder is not an image"),
        )
    try:
        head = pyvips.Image.new_from_file(str(src), access="sequential")
    except pyvips.Error as vips_err:
        return _probe_pillow(src, vips_err)
    fmt = _vips_format(head)
    pages = 1
    height = head.height
    if fmt in ("gif", "webp") and head.get_typeof("n-pages"):
        pages = max(1, int(head.get("n-pages")))
    if pages > 1 and head.get_typeof("page-height"):
        height = int(head.get("page-height"))
    check_limits(src, head.width, height, pages)
    if fmt == "tiff" and max(head.width, height) > MAX_TIFF_SIDE:
        raise too_large(
            _("TIFF source {path} is {w}x{h} px: a side exceeds {limit} px").format(
                path=str(src), w=head.width, h=height, limit=MAX_TIFF_SIDE
            ),
            _("convert it to PNG or JPEG, or downscale it, before processing (OSS refuses it too)"),
        )
    orientation = int(head.get("orientation")) if head.get_typeof("orientation") else 1
    return Source(
        path=src,
        format=fmt,
        width=head.width,
        height=height,
        pages=pages,
        via_pillow=False,
        orientation=orientation,
    )


def _probe_pillow(src: Path, vips_err: BaseException) -> Source:
    import warnings

    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            # Our own limits (checked next) replace Pillow's bomb warning.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(src)
        with im:
            fmt = _PIL_FORMATS.get(im.format or "")
            if fmt is None:
                raise media_error(src, vips_err)
            check_limits(src, im.width, im.height, 1)
            return Source(path=src, format=fmt, width=im.width, height=im.height, pages=1, via_pillow=True)
    except Image.DecompressionBombError as err:
        raise too_large(
            _("source image {path} is too large: {detail}").format(path=str(src), detail=_first_line(err)),
            _("downscale the image before processing it (OSS refuses it too)"),
        ) from err
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as err:
        raise MediaError(
            _("{path} is not a readable image ({detail})").format(path=str(src), detail=_first_line(vips_err)),
            hint=_("check that the file is a complete, supported image (jpg, png, webp, gif, bmp, tiff, avif)"),
        ) from err


def normalise(img: pyvips.Image) -> pyvips.Image:
    """8-bit sRGB with 3 or 4 bands: the one pixel layout every operation below can rely on."""
    interp = img.interpretation
    if interp != "srgb" or img.format != "uchar" or img.bands not in (3, 4):
        try:
            img = img.colourspace("srgb")
        except pyvips.Error:
            # No colourspace to convert from (e.g. "multiband"): take the bands as they are.
            img = img.copy(interpretation="srgb")
        if img.format != "uchar":
            img = img.cast("uchar")
        if img.bands > 4:
            img = img.extract_band(0, n=4)
        elif img.bands < 3:
            img = img.bandjoin([img[0], img[0]]) if img.bands == 1 else img[0].bandjoin([img[0], img[0], img[1]])
            img = img.copy(interpretation="srgb")
    if interp == "cmyk" and img.get_typeof("icc-profile-data"):
        img = img.copy()
        img.remove("icc-profile-data")  # the CMYK profile no longer describes these pixels
    return img


@dataclass
class Canvas:
    """The working image: one frame for stills, one image per frame for animations."""

    frames: list[pyvips.Image]
    delays: list[int] | None = None  # ms per frame
    loop: int = 0

    @property
    def animated(self) -> bool:
        return len(self.frames) > 1

    @property
    def width(self) -> int:
        return int(self.frames[0].width)

    @property
    def height(self) -> int:
        return int(self.frames[0].height)

    def map(self, fn: Any) -> None:
        self.frames = [fn(f) for f in self.frames]


def load(source: Source) -> Canvas:
    """Decode ``source`` (lazily for libvips) into a :class:`Canvas` of normalised frames."""
    if source.via_pillow:
        return Canvas([_load_pillow(source.path)])
    try:
        if source.animated:
            img = pyvips.Image.new_from_file(str(source.path), n=-1, fail_on=FAIL_ON)
            ph = source.height
            frames = [_still(normalise(img.crop(0, i * ph, img.width, ph))) for i in range(source.pages)]
            delays = list(img.get("delay")) if img.get_typeof("delay") else None
            loop = int(img.get("loop")) if img.get_typeof("loop") else 0
            return Canvas(frames, delays=delays, loop=loop)
        img = pyvips.Image.new_from_file(str(source.path), fail_on=FAIL_ON)
        return Canvas([normalise(img)])
    except pyvips.Error as err:
        raise media_error(source.path, err) from err


_ANIMATION_FIELDS = ("page-height", "n-pages", "delay", "loop", "gif-delay", "gif-loop")


def _still(frame: pyvips.Image) -> pyvips.Image:
    """A frame without the animation metadata of the strip it was cut from (save re-adds it)."""
    frame = frame.copy()
    for name in _ANIMATION_FIELDS:
        if frame.get_typeof(name):
            frame.remove(name)
    return frame


def _load_pillow(path: Path) -> pyvips.Image:
    """Decode with Pillow (formats libvips lacks), refusing decompression bombs."""
    import warnings

    import numpy as np
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # limits already checked
            im = Image.open(path)
        with im:
            im.load()
            mode = "RGBA" if ("A" in im.getbands() or "transparency" in im.info) else "RGB"
            arr = np.asarray(im.convert(mode))
    except Image.DecompressionBombError as err:
        raise MediaError(
            _("source image {path} looks like a decompression bomb").format(path=str(path)),
            hint=_("downscale the image before processing it"),
            code="ImageTooLarge",
        ) from err
    except (OSError, SyntaxError, ValueError) as err:
        raise media_error(path, err) from err
    return pyvips.Image.new_from_array(arr).copy(interpretation="srgb")


def load_image(path: Path) -> pyvips.Image:
    """First frame of any readable image, normalised and fully decoded (for watermark images)."""
    source = probe(path)
    canvas = load(source)
    try:
        return canvas.frames[0].copy_memory()
    except pyvips.Error as err:
        raise media_error(path, err) from err
