"""``imageView2`` on the COS front, as the "Quick Thumbnail Template" page documents it
(tencentcloud.com/document/product/436/36379): modes 1-5 with w/h, /format, /q, /rq, through
qcloud_cos's ``ci_get_object`` (a GET with the rule as the query), the output decoded; what the
emulator does not run is ``400 InvalidArgument``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from qcloud_cos import CosServiceError

from cos.conftest import BUCKET, DATA


@pytest.fixture
def sources(sdk: Any, prefix: str, tmp_path: Path) -> dict[str, str]:
    """A 400x200 (landscape) and a 200x400 (portrait) JPEG."""
    keys = {}
    with Image.open(DATA / "rocket.jpg") as im:
        for name, size in (("land", (400, 200)), ("port", (200, 400))):
            path = tmp_path / f"{name}.jpg"
            im.convert("RGB").resize(size).save(path, quality=90)
            keys[name] = f"{prefix}{name}.jpg"
            with path.open("rb") as fh:
                sdk.put_object(Bucket=BUCKET, Body=fh, Key=keys[name])
    return keys


def view(sdk: Any, key: str, rule: str, tmp_path: Path) -> tuple[str | None, tuple[int, int]]:
    out = tmp_path / "out.img"
    sdk.ci_get_object(Bucket=BUCKET, Key=key, DestImagePath=str(out), Rule=rule)
    with Image.open(out) as im:
        return im.format, im.size


@pytest.mark.parametrize(("source", "rule", "size"), [
    ("land", "imageView2/1/w/100/h/80", (100, 80)),  # fill: scale to cover, centre-crop
    ("land", "imageView2/1/w/100", (100, 100)),  # one side: a square
    ("land", "imageView2/2/w/100/h/80", (100, 50)),  # within both maxima
    ("land", "imageView2/2/h/50", (100, 50)),  # one side: the other follows
    ("land", "imageView2/2/w/1000", (400, 200)),  # a maximum never enlarges
    ("land", "imageView2/3/w/100/h/80", (160, 80)),  # both sides at least the minima
    ("land", "imageView2/3/w/100", (200, 100)),  # one side: the other the same value
    ("land", "imageView2/4/w/300/h/100", (300, 150)),  # long side >= 300, short side >= 100
    ("land", "imageView2/5/w/120/h/60", (120, 60)),  # long x short, oriented like the source
    ("port", "imageView2/5/w/120/h/60", (60, 120)),
    ("port", "imageView2/1/w/50/h/50", (50, 50)),
])
def test_modes(sdk: Any, sources: dict[str, str], tmp_path: Path, source: str, rule: str,
               size: tuple[int, int]) -> None:
    assert view(sdk, sources[source], rule, tmp_path) == ("JPEG", size)


def test_format_and_quality(sdk: Any, sources: dict[str, str], tmp_path: Path) -> None:
    assert view(sdk, sources["land"], "imageView2/format/png", tmp_path) == ("PNG", (400, 200))
    assert view(sdk, sources["land"], "imageView2/2/w/200/format/webp", tmp_path) == ("WEBP", (200, 100))
    big = tmp_path / "big.jpg"
    small = tmp_path / "small.jpg"
    sdk.ci_get_object(Bucket=BUCKET, Key=sources["land"], DestImagePath=str(big), Rule="imageView2/q/90")
    sdk.ci_get_object(Bucket=BUCKET, Key=sources["land"], DestImagePath=str(small), Rule="imageView2/rq/30")
    assert small.stat().st_size < big.stat().st_size


@pytest.mark.parametrize("rule", [
    "imageView2/0/w/100", "imageView2/6/w/100", "imageView2/1/w/0", "imageView2/1/w/10000",
    "imageView2/lq/80", "imageView2/2", "imageView2/format/tiff", "imageView2/q/0", "imageView2/w/100",
])
def test_refused_as_invalid_argument(sdk: Any, sources: dict[str, str], tmp_path: Path, rule: str) -> None:
    with pytest.raises(CosServiceError) as err:
        view(sdk, sources["land"], rule, tmp_path)
    assert err.value.get_status_code() == 400
    assert "<Code>InvalidArgument</Code>" in err.value.get_origin_msg()
