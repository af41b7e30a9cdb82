"""Issue 4 through the CLI: detection JSON in IMM's field names, smart crop in a chain, and the
operations the local provider cannot run refused before any work."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

DATA = Path(__file__).resolve().parents[1] / "data"


def test_detect_faces_on_astronaut(cli) -> None:
    r = cli("image", "detect", str(DATA / "astronaut.png"), "--kind", "faces", "--json")
    assert r.code == 0, r.stderr
    faces = r.json()["data"]["Faces"]
    assert len(faces) == 1
    b = faces[0]["Boundary"]
    # the face is around x 178..272, y 82..180 in the 512x512 portrait
    assert 150 < b["Left"] + b["Width"] / 2 < 300 and 60 < b["Top"] + b["Height"] / 2 < 200


def test_detect_through_process_and_score_range(cli) -> None:
    r = cli("process", str(DATA / "coffee.png"), "score", "--json")
    assert r.code == 0, r.stderr
    score = r.json()["data"]["ImageScore"]["OverallQualityScore"]
    assert 0.0 <= float(score) <= 1.0


def test_cars_and_labels_are_refused_locally(cli) -> None:
    for kind in ("cars", "labels"):
        r = cli("image", "detect", str(DATA / "rocket.jpg"), "--kind", kind)
        assert r.code == 2, r.stderr
        assert r.first_stderr_line == f"Error: {kind} is not available on the local provider"
        assert "oss" in r.stderr and "cos" in r.stderr
        assert "Hint:" in r.stderr


def test_smart_crop_in_a_chain(cli, tmp_path: Path) -> None:
    out = tmp_path / "crop.jpg"
    r = cli("process", str(DATA / "chelsea.png"), "crop:g=auto,w=200,h=200", "resize:w=100", "--to", str(out),
            "--json")
    assert r.code == 0, r.stderr
    with Image.open(out) as im:
        assert im.size == (100, 100)


def test_blind_watermark_round_trip_through_the_cli(cli, tmp_path: Path) -> None:
    marked = tmp_path / "marked.png"
    r = cli("process", str(DATA / "astronaut.png"), "resize:w=400", "blindwatermark-embed:content=mediaproc,s=high",
            "--to", str(marked))
    assert r.code == 0, r.stderr
    jpg = tmp_path / "marked.jpg"
    with Image.open(marked) as im:
        im.convert("RGB").save(jpg, quality=80)
    r = cli("process", str(jpg), "blindwatermark-extract:s=high", "--json")
    assert r.code == 0, r.stderr
    assert r.json()["data"]["Content"] == "mediaproc"
