"""codes: QR codes (made by the qrcode library) and barcodes (python-barcode) composited into photographs."""

from __future__ import annotations

import io
from pathlib import Path

import barcode
import qrcode
from barcode.writer import ImageWriter
from PIL import Image

from mediaproc.engine.vision import analyze

from .helpers import DATA, boundary, contains, iou, make_op


def _qr(text: str, box_size: int = 4) -> Image.Image:
    return qrcode.make(text, box_size=box_size, border=4).convert("RGB")


def _bar(kind: str, value: str) -> Image.Image:
    buf = io.BytesIO()
    options = {
        "module_width": 0.33,
        "module_height": 10,
        "quiet_zone": 3,
        "font_size": 0,
        "text_distance": 1,
        "dpi": 150,
    }
    barcode.get(kind, value, writer=ImageWriter()).write(buf, options)
    return Image.open(buf).convert("RGB")


def _composite(tmp_path: Path, base: str, parts: list[tuple[Image.Image, tuple[int, int]]], fmt: str = "png") -> Path:
    photo = Image.open(DATA / base).convert("RGB")
    for part, pos in parts:
        photo.paste(part, pos)
    path = tmp_path / f"codes.{fmt}"
    photo.save(path, quality=85) if fmt == "jpg" else photo.save(path)
    return path


def test_qr_code_in_a_photo_is_decoded_with_content_type_and_position(tmp_path: Path) -> None:
    text = "https://example.com/mediaproc?id=42&lang=en"
    qr = _qr(text)
    path = _composite(tmp_path, "coffee.png", [(qr, (380, 30))])
    codes = analyze(make_op("codes"), path)["Codes"]
    assert len(codes) == 1
    code = codes[0]
    assert code["Content"] == text
    assert code["Type"] == "qrcode"
    assert code["Format"] == "QRCode"
    pasted = (380, 30, qr.width, qr.height)
    symbol = (380 + 16, 30 + 16, qr.width - 32, qr.height - 32)  # inside the 4-module white border
    assert contains(pasted, boundary(code["Boundary"]))
    assert iou(boundary(code["Boundary"]), symbol) >= 0.9


def test_qr_and_barcodes_together_after_jpeg(tmp_path: Path) -> None:
    qr, ean, c128 = _qr("MEDIAPROC-QR-7"), _bar("ean13", "590123412345"), _bar("code128", "MEDIAPROC-42")
    parts = [(qr, (440, 20)), (ean, (20, 200)), (c128, (150, 320))]
    path = _composite(tmp_path, "rocket.jpg", parts, fmt="jpg")
    codes = analyze(make_op("codes"), path)["Codes"]
    by_content = {c["Content"]: c for c in codes}
    assert set(by_content) == {"MEDIAPROC-QR-7", "5901234123457", "MEDIAPROC-42"}  # EAN-13 gains its check digit
    assert by_content["MEDIAPROC-QR-7"]["Type"] == "qrcode"
    assert (by_content["5901234123457"]["Type"], by_content["5901234123457"]["Format"]) == ("barcode", "EAN13")
    assert (by_content["MEDIAPROC-42"]["Type"], by_content["MEDIAPROC-42"]["Format"]) == ("barcode", "Code128")
    for (part, (x, y)), content in zip(parts, ["MEDIAPROC-QR-7", "5901234123457", "MEDIAPROC-42"], strict=True):
        assert contains((x, y, part.width, part.height), boundary(by_content[content]["Boundary"]), slack=2)
    assert [c["Boundary"]["Top"] for c in codes] == sorted(c["Boundary"]["Top"] for c in codes)


def test_unicode_qr_content_round_trips(tmp_path: Path) -> None:
    text = "媒体处理 ✓ mediaproc"
    path = _composite(tmp_path, "chelsea.png", [(_qr(text, box_size=3), (10, 10))])
    assert [c["Content"] for c in analyze(make_op("codes"), path)["Codes"]] == [text]


def test_no_codes_in_a_plain_photograph() -> None:
    assert analyze(make_op("codes"), DATA / "astronaut.png") == {"Codes": []}
