"""COS tests: the real qcloud_cos client and the real CLI against ``mediaproc serve``'s COS front.

One server per test module (starting one is cheap, but the media fixtures are not); every test
works under its own key prefix. ``cli`` runs the CLI in-process with COS credentials and the
server's endpoint in the environment, as a user would configure it (see ``tests/support/cli.py``).
"""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support.cli import Cli, CliResult

BUCKET = "media-1250000000"
REGION = "ap-guangzhou"
DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="module")
def emu(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from support.emulator import running_emulator

    with running_emulator(tmp_path_factory.mktemp("cos-emulator")) as server:
        yield server


@pytest.fixture(scope="module")
def front(emu: Any) -> Any:
    """The COS front inside the running server (jobs, credentials, request counters)."""
    assert emu.server is not None and emu.server.emulator is not None
    return emu.server.emulator.fronts["cos"]


def make_client(emu: Any, *, secret: str | None = None, token: str | None = None, retry: int = 1) -> Any:
    from qcloud_cos import CosConfig, CosS3Client

    conf = CosConfig(
        Region=REGION,
        SecretId=emu.access_key_id,
        SecretKey=secret or emu.access_key_secret,
        Token=token,
        IP="127.0.0.1",
        Port=emu.port,
        Scheme="http",
    )
    return CosS3Client(conf, retry=retry)


@pytest.fixture(scope="module")
def sdk(emu: Any) -> Any:
    client = make_client(emu)
    client.create_bucket(Bucket=BUCKET)
    return client


@pytest.fixture
def prefix() -> str:
    return f"t-{uuid.uuid4().hex[:8]}/"


def put(sdk: Any, key: str, path: Path) -> str:
    with path.open("rb") as fh:
        sdk.put_object(Bucket=BUCKET, Body=fh, Key=key)
    return f"cos://{BUCKET}/{key}"


@pytest.fixture
def cos_env(monkeypatch: pytest.MonkeyPatch, emu: Any, sdk: Any) -> dict[str, str]:
    """COS credentials and the server's endpoint, on top of the clean environment (``isolated_env``)."""
    env = {
        "TENCENTCLOUD_SECRET_ID": emu.access_key_id,
        "TENCENTCLOUD_SECRET_KEY": emu.access_key_secret,
        "MEDIAPROC_ENDPOINT": emu.url,
        "MEDIAPROC_REGION": REGION,
        "CI": "1",
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return env


@pytest.fixture
def cli(cli: Cli, cos_env: dict[str, str], emu: Any) -> Cli:
    """The suite's ``cli`` with COS credentials and the server's endpoint. Every run is checked for leaks
    (and handed to the secret scan); ``url=True`` is for runs that print a signed URL (or signed playlist)
    on stdout, which the user asked for."""
    return cli.checked(lambda res, url: assert_no_leak(res, emu, url_ok=url))


@pytest.fixture(scope="session")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2 s of 160x120 test pattern at 15 fps (keyframe every second) with a 440 Hz tone."""
    import imageio_ffmpeg

    out = tmp_path_factory.mktemp("media") / "clip.mp4"
    subprocess.run(
        [
            imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y",
            "-f", "lavfi", "-i", "testsrc=size=160x120:rate=15",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
            "-t", "2", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-g", "15", "-c:a", "aac", "-shortest", str(out),
        ],
        check=True,
    )  # fmt: skip
    return out


def probe(path: Path) -> dict[str, Any]:
    """Container duration and the first video/audio stream, decoded by PyAV (not by our code)."""
    import av

    with av.open(str(path)) as c:
        v = next((s for s in c.streams if s.type == "video"), None)
        a = next((s for s in c.streams if s.type == "audio"), None)
        return {
            "duration": (c.duration or 0) / 1_000_000,
            "video": None if v is None else {"codec": v.codec_context.name, "w": v.width, "h": v.height},
            "audio": None if a is None else {"codec": a.codec_context.name, "rate": a.rate},
            "frames": sum(1 for _ in c.decode(video=0)) if v is not None else 0,
        }


def pixels(path: Path) -> Any:
    """The decoded image as a float array (RGB, alpha flattened on white) for comparisons."""
    import numpy as np
    from PIL import Image

    with Image.open(path) as im:
        im = im.convert("RGBA")
        bg = Image.new("RGBA", im.size, (255, 255, 255, 255))
        return np.asarray(Image.alpha_composite(bg, im).convert("RGB"), dtype=np.float64)


def mean_abs_diff(a: Path, b: Path) -> float:
    pa, pb = pixels(a), pixels(b)
    assert pa.shape == pb.shape, (pa.shape, pb.shape)
    return float(abs(pa - pb).mean())


SIGNATURE_MARKS = ("q-signature=", "q-signature%3D", "q-ak=")


def assert_no_leak(result: CliResult, emu: Any, *, url_ok: bool = False, extra: tuple[str, ...] = ()) -> None:
    """The secret (and any token) never shows; a signature only on stdout, only when a URL was asked for."""
    for text in (result.stdout, result.stderr):
        assert emu.access_key_secret not in text
        for secret in extra:
            assert secret not in text
    for mark in SIGNATURE_MARKS:
        assert mark not in result.stderr
        if not url_ok:
            assert mark not in result.stdout
