"""QR code and barcode reading (IMM DetectImageCodes shape).

Decoder: ZXing-C++ through its PyPI wheel ``zxing-cpp`` (Apache-2.0, no dependencies, no model
files). It reads QR Code, Micro QR, rMQR, Data Matrix, Aztec, PDF417, MaxiCode and the linear
formats (EAN-8/13, UPC-A/E, Code 39/93/128, Codabar, ITF, DataBar). OpenCV's own readers were
tried first: its barcode reader does not decode Code 128 and needs wide quiet zones.

Fields: ``Type`` is IMM's enumeration (``qrcode`` for the QR family, ``barcode`` for everything
else); ``Content`` the decoded text; ``Boundary`` the axis-aligned box around the symbol's four
corners. ``Format`` (``QRCode``, ``EAN13``, ``Code128``, ...) is an extra, provider-neutral field.
IMM's ``Confidence`` is left out: ZXing reports a symbol only when its checksum / error correction
verifies, and has no graded score to give.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mediaproc.engine.vision.common import Box, to_rgb

if TYPE_CHECKING:
    import pyvips

QR_FAMILY = frozenset({"QRCode", "QRCodeModel1", "QRCodeModel2", "MicroQRCode", "RMQRCode"})


def analyze(img: pyvips.Image) -> dict[str, Any]:
    """``{"Codes": [{"Type", "Content", "Boundary", "Format"}, ...]}`` in reading order."""
    import zxingcpp

    rgb = to_rgb(img)
    h, w = rgb.shape[:2]
    codes: list[dict[str, Any]] = []
    for found in zxingcpp.read_barcodes(rgb):
        if not found.valid:
            continue
        pos = found.position
        xs = [pos.top_left.x, pos.top_right.x, pos.bottom_right.x, pos.bottom_left.x]
        ys = [pos.top_left.y, pos.top_right.y, pos.bottom_right.y, pos.bottom_left.y]
        box = Box(min(xs), min(ys), max(xs) - min(xs) + 1, max(ys) - min(ys) + 1).clip(w, h)
        fmt = found.format.name
        codes.append(
            {
                "Type": "qrcode" if fmt in QR_FAMILY else "barcode",
                "Content": found.text,
                "Boundary": box.boundary(),
                "Format": fmt,
            }
        )
    codes.sort(key=lambda c: (c["Boundary"]["Top"], c["Boundary"]["Left"]))
    return {"Codes": codes}
