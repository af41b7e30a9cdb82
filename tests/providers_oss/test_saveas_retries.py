"""A throttled or failing sync save-in-bucket (``x-oss-process`` with ``sys/saveas``) is retried like
every other idempotent call: ten runs against a server failing 40% of its requests all succeed, and
the server saw the retries (issue 18)."""

from __future__ import annotations

import io
from collections.abc import Callable

from PIL import Image

from providers_oss.conftest import DATA, CliResult, OssEnv


def test_ten_saves_at_error_rate_0_4_all_succeed(
    oss_env: OssEnv, cli: Callable[..., CliResult], fast_backoff: list[float]
) -> None:
    oss_env.put("a.jpg", DATA / "rocket.jpg")
    oss_env.faults(error_rate=0.4, error_status=503, operations=("ProcessObject",), seed=7)
    for n in range(10):
        res = cli("process", oss_env.uri("a.jpg"), "resize:w=100", "--to", oss_env.uri(f"b{n}.jpg"))
        assert res.code == 0, res.stderr
    fired = oss_env.stats()["faults_fired"]
    oss_env.clear_faults()
    assert sum(fired.values()) > 0 and fast_backoff, "no fault fired: the test proves nothing"
    assert oss_env.stats()["requests"]["ProcessObject"] == 10 + sum(fired.values())  # one retry per fault
    for n in range(10):
        with Image.open(io.BytesIO(oss_env.get_bytes(f"b{n}.jpg"))) as im:
            assert im.format == "JPEG" and im.width == 100
