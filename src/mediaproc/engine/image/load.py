"""Reading sources: header probe with limits, then decoding into frames.

Everything a user can get wrong about a source (missing, not an image, corrupt, truncated, too big)
becomes a ``mediaproc.errors`` error here. The probe reads the header only, so oversized images and
decompression bombs are refused before a single pixel is decoded.
"""

from __future__ import annotations

import re
from pathlib import Path

import pyvips

from mediaproc import TYPE_CHECKING, limits
from mediaproc.errors import MediaError, MediaprocError, NotFound, system_error_in_text
from mediaproc.i18n import _
from mediaproc.record import Record, field

if TYPE_CHECKING:
    from typing import Any

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
# Tolerate warnings (odd but decodable files), refuse real decode errors and truncation.
FAIL_ON = "error"


class Source(Record, frozen=False):
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


# pyvips names a file as Python bytes (``unable to load from file b'bad/text.jpg'``): shown as the name.
_BYTES_REPR = r"""\bb(['"])(.*?)\1"""  # compiled on the first error (re's cache), not on every start


def _first_line(err: BaseException) -> str:
    text = re.sub(_BYTES_REPR, lambda m: m.group(2), str(err).strip())
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("unable to call"):
            return line
    return text.splitlines()[0] if text else type(err).__name__


def media_error(path: Path, err: BaseException) -> MediaprocError:
    """A decode/processing failure, worded for the user (the libvips detail kept on one line); a write
    the machine refused (a full disk while libvips encodes) is the system's error, not the image's."""
    known = system_error_in_text(str(err))
    if known is not None:
        return known
    return MediaError(
        _("cannot process image {path}: {detail}").format(path=str(path), detail=_first_line(err)),
        hint=_("check that the file is a complete, supported image (jpg, png, webp, gif, bmp, tiff, avif)"),
    )


def check_limits(path: Path, width: int, height: int, pages: int, fmt: str = "") -> None:
    """Refuse a source from its header alone (nothing decoded yet): a side, the pixels of all its
    frames together (OSS and CI count an animation as width x height x frames) and the frame count,
    against the active profile's limits (:mod:`mediaproc.limits`). A decompression bomb - a few bytes
    claiming 100000 x 100000 px, or 10,000 frames - stops here."""
    subject = (
        _("source image {path} ({w}x{h} px, {n} frames)").format(path=path.name, w=width, h=height, n=pages)
        if pages > 1
        else _("source image {path} ({w}x{h} px)").format(path=path.name, w=width, h=height)
    )
    downscale = _("downscale the image before processing it")
    limits.check("source_side", max(width, height), subject, downscale)
    if fmt == "tiff":
        limits.check("tiff_side", max(width, height), subject, _("convert it to PNG or JPEG, or downscale it"))
    limits.check("source_frames", pages, subject, _("drop frames before processing it"))
    limits.check("source_pixels", width * height * max(1, pages), subject, downscale)
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
    check_limits(src, head.width, height, pages, fmt)
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
            check_limits(src, im.width, im.height, getattr(im, "n_frames", 1), fmt)
            return Source(path=src, format=fmt, width=im.width, height=im.height, pages=1, via_pillow=True)
    except Image.DecompressionBombError as err:
        # Pillow refuses a header claiming twice its own limit before ours can look: the same refusal,
        # naming our limit, with the pixel count Pillow read.
        found = re.search(r"\((\d+) pixels\)", str(err))
        limit = limits.get("source_pixels")
        assert limit is not None
        amount = int(found.group(1)) if found else limit.value + 1
        hint = _("downscale the image before processing it")
        if amount > limit.value:
            raise limits.exceeded(limit, _("source image {path}").format(path=src.name), amount, hint) from err
        raise MediaError(  # a raised ceiling, past what Pillow (which reads this format) will open
            _("source image {path} looks like a decompression bomb").format(path=str(src)), hint=hint,
            code="ImageTooLarge",
        ) from err
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as err:
        from mediaproc.ops.oss import EC_SOURCE_FORMAT

        raise MediaError(
            _("{path} is not a readable image ({detail})").format(path=str(src), detail=_first_line(vips_err)),
            hint=_("check that the file is a complete, supported image (jpg, png, webp, gif, bmp, tiff, avif)"),
            details={"ec": EC_SOURCE_FORMAT},  # what OSS answers such a source with (serve says the same)
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


class Canvas(Record, frozen=False):
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
