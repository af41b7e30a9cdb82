"""A 5xx on a sync save-in-bucket (``POST ?image_process`` with ``Pic-Operations``) is retried like every
other idempotent COS call (qcloud_cos's own policy, the same client, the same budget), and the human
error output names the request id COS gave (issue 18)."""

from __future__ import annotations

import io
import re
from typing import Any

from PIL import Image

from cos.conftest import BUCKET, DATA, put
from support.cli import Cli


def test_ten_saves_at_error_rate_0_4_all_succeed(cli: Cli, emu: Any, sdk: Any, prefix: str) -> None:
    src = put(sdk, f"{prefix}a.jpg", DATA / "rocket.jpg")
    emu.reset_stats()
    emu.set_faults(error_rate=0.4, error_status=503, operations=["ImageProcess"], seed=3)
    try:
        for n in range(10):
            res = cli("process", src, "resize:w=100", "--to", f"cos://{BUCKET}/{prefix}b{n}.jpg")
            assert res.code == 0, res.stderr
        stats = emu.stats()
    finally:
        emu.clear_faults()
    fired = sum(stats["faults_fired"].values())
    assert fired > 0, "no fault fired: the test proves nothing"
    assert stats["requests"]["ImageProcess"] == 10 + fired  # every failed attempt was tried again
    for n in range(10):
        body = sdk.get_object(Bucket=BUCKET, Key=f"{prefix}b{n}.jpg")["Body"].get_raw_stream().read()
        with Image.open(io.BytesIO(body)) as im:
            assert im.width == 100


def test_error_output_names_the_request_id(cli: Cli, emu: Any, sdk: Any, prefix: str) -> None:
    src = put(sdk, f"{prefix}a.jpg", DATA / "rocket.jpg")
    emu.set_faults(error_rate=1.0, error_status=503, operations=["ImageProcess"])
    try:
        res = cli("process", src, "resize:w=100", "--to", f"cos://{BUCKET}/{prefix}b.jpg")
    finally:
        emu.clear_faults()
    assert res.code == 5, res.stderr
    assert re.search(r"(?m)^request id: \S{8,}$", res.stderr), res.stderr
