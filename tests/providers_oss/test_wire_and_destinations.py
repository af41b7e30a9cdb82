"""OSS requests as the documentation spells them, and results that match their destination.

Each test drives the real oss2 / IMM clients (through mediaproc or directly) against ``mediaproc
serve`` and decodes what was written: pixels, formats, frame names.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from providers_oss.conftest import DATA, CliResult, OssEnv


def rgb(data: bytes | Path) -> np.ndarray:
    img = Image.open(io.BytesIO(data) if isinstance(data, bytes) else data)
    return np.asarray(img.convert("RGB"), dtype=np.int16)


@pytest.mark.parametrize(("v", "flipper"), [(0, np.flipud), (1, np.fliplr), (2, lambda a: a[::-1, ::-1])])
def test_flip_is_served_as_oss_documents_it(
    oss_env: OssEnv, cli: Callable[..., CliResult], tmp_path: Path, v: int, flipper: Callable[..., np.ndarray]
) -> None:
    # help.aliyun.com/zh/oss/flip-image: ?x-oss-process=image/flip,<value>
    oss_env.put("in/chelsea.png", DATA / "chelsea.png")
    raw = oss_env.sdk_bucket().get_object("in/chelsea.png", process=f"image/flip,{v}").read()
    assert np.array_equal(rgb(raw), flipper(rgb(DATA / "chelsea.png")))
    out = tmp_path / "flipped.png"
    res = cli("process", oss_env.uri("in/chelsea.png"), f"flip:v={v}", "--to", str(out), "--json")
    assert res.code == 0, res.stderr
    assert res.json()["operations"] == f"image/flip,{v}"
    assert np.array_equal(rgb(out), flipper(rgb(DATA / "chelsea.png")))
