"""Locally too, the destination's extension decides the format, and the reported format is read from
the bytes written."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

DATA = Path(__file__).resolve().parents[1] / "data"


def test_local_result_follows_the_destination_and_reports_the_bytes(cli, tmp_path: Path) -> None:
    out = tmp_path / "out.jpg"
    res = cli("--json", "process", str(DATA / "chelsea.png"), "resize:w=100", "--to", str(out), "--verify",
              "--strict")
    assert res.code == 0, res.stderr
    doc = res.json()
    assert Image.open(out).format == "JPEG" and doc["format"] == "jpg"
    assert doc["verified"]["requested"]["format"] == "jpg"
    webp = tmp_path / "o.webp"
    res = cli("--json", "process", str(DATA / "rocket.jpg"), "circle:r=40", "--to", str(webp))
    assert res.code == 0, res.stderr
    assert Image.open(webp).format == "WEBP" and res.json()["format"] == "webp"
