"""The Pillow path for small stills (``engine.image.small``) against the libvips path it stands in for.

Each case runs one chain on one source both ways and decodes both results: the same size, format,
mode, encoder settings (quality, chroma subsampling, progressive), ICC profile and orientation, and
pixels within what two Lanczos-3 implementations and two JPEG encodes differ by. Then the gate: what
is too large, animated, CMYK, palette, 16-bit or outside the operation list is not taken.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, JpegImagePlugin

from mediaproc.engine.image import encode_image, process_image
from mediaproc.engine.image.jpegq import estimate_from_tables
from mediaproc.engine.image.pipeline import encode_image as pipeline_encode
from mediaproc.engine.image.small import SMALL_PIXELS, encode_small
from mediaproc.errors import InvalidOperation
from mediaproc.ops.parse import parse_chain

from .helpers import DATA


def _photo(size: tuple[int, int], name: str = "astronaut.png", mode: str = "RGB") -> Image.Image:
    with Image.open(DATA / name) as im:
        return im.convert("RGB").resize(size, Image.Resampling.LANCZOS).convert(mode)


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("small")
    with Image.open(DATA / "astronaut.png") as im:
        icc = im.info["icc_profile"]
    out: dict[str, Path] = {}
    exif = Image.Exif()
    exif[0x0112] = 6  # stored landscape, shown portrait
    exif[0x010F] = "mediaproc test camera"
    out["jpg_exif_icc"] = d / "oriented.jpg"
    _photo((200, 150)).save(out["jpg_exif_icc"], quality=87, exif=exif.tobytes(), icc_profile=icc)
    out["jpg_odd"] = d / "odd.jpg"  # sides no DCT scale divides: Pillow's decode is cropped to libvips' size
    _photo((333, 251)).save(out["jpg_odd"], quality=90)
    out["jpg_grey"] = d / "grey.jpg"
    _photo((180, 120), "coffee.png", "L").save(out["jpg_grey"], quality=80)
    out["png_rgb"] = d / "rgb.png"
    _photo((240, 160), "chelsea.png").save(out["png_rgb"])
    upside_down = Image.Exif()
    upside_down[0x0112] = 3
    out["png_exif"] = d / "turned.png"
    _photo((150, 100), "chelsea.png").save(out["png_exif"], exif=upside_down.tobytes())
    rgba = _photo((160, 120), "coffee.png").convert("RGBA")
    alpha = np.tile(np.linspace(0, 255, 160, dtype=np.uint8), (120, 1))
    rgba.putalpha(Image.fromarray(alpha))
    out["png_rgba"] = d / "rgba.png"
    rgba.save(out["png_rgba"])
    return out


def _decode(data: bytes) -> Image.Image:
    im = Image.open(io.BytesIO(data))
    im.load()
    return im


def _premultiplied(im: Image.Image) -> np.ndarray:
    """Colour where it can be seen: under alpha 0 the RGB values are arbitrary on either path."""
    x = np.asarray(im, dtype=np.float64)
    if x.ndim == 3 and x.shape[2] == 4:
        x = np.concatenate([x[:, :, :3] * x[:, :, 3:] / 255.0, x[:, :, 3:]], axis=2)
    return x


def _psnr(a: Image.Image, b: Image.Image) -> float:
    x, y = _premultiplied(a), _premultiplied(b)
    mse = float(np.mean((x - y) ** 2))
    return 99.0 if mse == 0 else 10 * np.log10(255.0**2 / mse)


CASES = [
    ("jpg_exif_icc", ["resize:w=80"]),
    ("jpg_exif_icc", ["auto-orient", "resize:w=60,h=60,m=fill"]),
    ("jpg_exif_icc", ["resize:w=100,h=100,m=pad,color=FF0000", "quality:Q=95"]),
    ("jpg_exif_icc", ["crop:w=120,h=90,g=center", "resize:p=50", "interlace:mode=1"]),
    ("jpg_exif_icc", ["resize:l=64", "format:target=webp"]),
    ("jpg_exif_icc", ["rotate:angle=90", "flip:v=1", "quality:q=70"]),
    ("jpg_odd", ["resize:w=100"]),  # decoded at 1/2
    ("jpg_odd", ["resize:w=50"]),  # decoded at 1/4
    ("jpg_odd", ["auto-orient", "resize:w=60,h=60,m=fill", "format:target=png"]),
    ("jpg_grey", ["resize:w=90"]),
    ("jpg_grey", ["resize:w=30", "format:target=png"]),
    ("png_rgb", ["resize:w=120,h=120,m=mfit", "format:target=jpg"]),
    ("png_rgb", ["crop:w=100,h=100,g=se,x=5,y=5", "flip:v=2"]),
    ("png_exif", ["auto-orient", "resize:w=64"]),
    ("png_exif", ["resize:w=64", "format:target=jpg"]),
    ("png_rgba", ["resize:w=80"]),
    ("png_rgba", ["resize:w=80,h=80,m=pad,color=00FF00"]),
    ("png_rgba", ["resize:w=100", "format:target=jpg"]),
    ("png_rgba", ["resize:w=100", "format:target=webp", "quality:Q=80"]),
]


@pytest.mark.parametrize(("source", "words"), CASES, ids=[f"{s}-{'|'.join(w)}" for s, w in CASES])
def test_same_result_as_libvips(sources: dict[str, Path], source: str, words: list[str]) -> None:
    ops = parse_chain(words).ops
    fast = encode_small(sources[source], ops)
    assert fast is not None, "the Pillow path should take this source and chain"
    ref = pipeline_encode(sources[source], ops, small=False)
    assert (fast.width, fast.height, fast.format) == (ref.width, ref.height, ref.format)
    a, b = _decode(fast.data), _decode(ref.data)
    assert a.format == b.format and a.size == b.size == (ref.width, ref.height)
    assert a.mode == b.mode  # grey sources become RGB on both paths; alpha kept where the format has it
    assert a.info.get("icc_profile") == b.info.get("icc_profile")
    assert a.getexif().get(0x0112, 1) == b.getexif().get(0x0112, 1)  # a viewer turns both the same way
    if a.format == "JPEG":
        assert JpegImagePlugin.get_sampling(a) == JpegImagePlugin.get_sampling(b)
        assert bool(a.info.get("progressive")) == bool(b.info.get("progressive"))
        assert estimate_from_tables(a.quantization) == estimate_from_tables(b.quantization)
    lossless = a.format == "PNG"
    assert _psnr(a, b) >= (45.0 if lossless else 36.0)  # measured: 52-53 and 38-43 dB (99: identical)


def test_pad_colour_and_alpha_edges(sources: dict[str, Path]) -> None:
    """The pad canvas is the asked colour, opaque; the resized transparent edge keeps no dark fringe
    (Lanczos over premultiplied alpha on both paths)."""
    out = encode_small(sources["png_rgba"], parse_chain(["resize:w=80,h=80,m=pad,color=00FF00"]).ops)
    assert out is not None
    px = np.asarray(_decode(out.data))
    assert px.shape == (80, 80, 4)
    assert px[0, 40].tolist() == [0, 255, 0, 255]  # 80x60 image centred: rows 0-9 are padding
    inner = px[20:60, :, :]
    assert int(inner[:, 0, 3].max()) <= 8  # the left edge was transparent and stays so


def test_orientation_is_applied_once_and_dropped(sources: dict[str, Path]) -> None:
    out = encode_small(sources["jpg_exif_icc"], parse_chain(["auto-orient", "resize:w=75"]).ops)
    assert out is not None
    im = _decode(out.data)
    assert im.size == (75, 100)  # 200x150 stored, orientation 6: upright it is 150x200
    assert im.getexif().get(0x0112, 1) == 1
    assert im.getexif().get(0x010F) == "mediaproc test camera"  # the rest of the EXIF is kept


def test_quality_follows_the_source(sources: dict[str, Path]) -> None:
    """No quality op: min(90, source quality) as on libvips; q_ is relative to the source's 87."""
    plain = encode_small(sources["jpg_exif_icc"], parse_chain(["resize:w=80"]).ops)
    rel = encode_small(sources["jpg_exif_icc"], parse_chain(["resize:w=80", "quality:q=50"]).ops)
    assert plain is not None and rel is not None
    assert estimate_from_tables(_decode(plain.data).quantization) == 87
    assert estimate_from_tables(_decode(rel.data).quantization) == 44


def test_public_entry_points_use_it(sources: dict[str, Path], tmp_path: Path) -> None:
    """encode_image and process_image give the small path's bytes for a qualifying chain."""
    ops = parse_chain(["resize:w=80"]).ops
    fast = encode_small(sources["png_rgb"], ops)
    assert fast is not None
    assert encode_image(sources["png_rgb"], ops).data == fast.data
    out = process_image(sources["png_rgb"], ops, tmp_path / "out.png")
    assert out.path.read_bytes() == fast.data
    assert (out.width, out.height, out.size) == (80, 53, len(fast.data))
    assert [p.name for p in tmp_path.iterdir()] == ["out.png"]  # no temp file left beside it


def test_invalid_chain_fails_the_same_way(sources: dict[str, Path]) -> None:
    ops = parse_chain(["crop:w=10,h=10,x=500"]).ops
    with pytest.raises(InvalidOperation) as fast:
        encode_small(sources["png_rgb"], ops)
    with pytest.raises(InvalidOperation) as ref:
        pipeline_encode(sources["png_rgb"], ops, small=False)
    assert fast.value.message == ref.value.message


def _gif(path: Path) -> Path:
    frames = [_photo((64, 48)).convert("P") for _ in range(2)]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100)
    return path


@pytest.mark.parametrize(
    "case",
    ["large", "large-canvas", "enlarge", "cmyk", "palette", "png16", "gif", "xmp", "blur", "rotate-45", "tiff-out",
     "missing"],
)
def test_what_it_leaves_to_libvips(case: str, tmp_path: Path) -> None:
    words = ["resize:w=80"]
    src = tmp_path / "src.jpg"
    side = int((SMALL_PIXELS * 4) ** 0.5)
    if case == "large":  # 4x the limit even at a 1/8 DCT scale: decoded too large
        _photo((side * 8, side * 8)).save(src, quality=85)
        words = ["resize:w=" + str(side * 4)]
    elif case == "large-canvas":  # a 600x20 strip shrinks to 400x13, padded onto a 400x400 canvas
        _photo((600, 20)).save(src, quality=85)
        words = ["resize:w=400,h=400,m=pad"]
    elif case == "enlarge":  # small enough, but libvips and Pillow upsample on different grids
        _photo((120, 90)).save(src, quality=85)
        words = ["resize:p=150"]
    elif case == "cmyk":
        _photo((120, 90)).convert("CMYK").save(src, quality=85)
    elif case == "palette":
        src = tmp_path / "src.png"
        _photo((120, 90)).convert("P").save(src)
    elif case == "png16":
        src = tmp_path / "src.png"
        Image.fromarray(np.full((90, 120), 40000, dtype=np.uint16)).save(src)
    elif case == "gif":
        src = _gif(tmp_path / "src.gif")
    elif case == "xmp":
        _photo((120, 90)).save(src, quality=85, xmp=b"<x:xmpmeta xmlns:x='adobe:ns:meta/'/>")
    else:
        _photo((120, 90)).save(src, quality=85)
        words = {"blur": ["blur:r=3,s=2"], "rotate-45": ["rotate:angle=45"], "tiff-out": ["format:target=tiff"],
                 "missing": words}[case]
        if case == "missing":
            src = tmp_path / "nothing-here.jpg"
    assert encode_small(src, parse_chain(words).ops) is None
    if case != "missing":
        ref = encode_image(src, parse_chain(words).ops)  # and libvips does it
        assert ref.width >= 1


def test_corrupt_body_is_reported_by_libvips(tmp_path: Path) -> None:
    """A JPEG whose header reads but whose body is cut short: Pillow gives up, libvips says why."""
    from mediaproc.errors import MediaError

    buf = io.BytesIO()
    _photo((160, 120)).save(buf, "JPEG", quality=85)
    src = tmp_path / "cut.jpg"
    src.write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    ops = parse_chain(["resize:w=80"]).ops
    assert encode_small(src, ops) is None
    with pytest.raises(MediaError):
        encode_image(src, ops)
