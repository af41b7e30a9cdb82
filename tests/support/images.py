"""Decoding results in tests, and the key every cloud's path tests use: one copy for every test folder."""

from __future__ import annotations

import io
from pathlib import Path

# A key with what URLs, signatures and shells get wrong: non-ASCII, a space, '#', '?', '&' and '%'.
ODD_KEY = "ünï cödé/照片 #1?&%.jpg"


def image_size(source: Path | bytes) -> tuple[int, int]:
    """Width and height of an image file, or of image bytes (a download, a GET body), as Pillow decodes it."""
    from PIL import Image

    with Image.open(io.BytesIO(source) if isinstance(source, bytes) else source) as im:
        return im.size
