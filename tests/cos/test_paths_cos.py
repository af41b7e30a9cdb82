"""Paths on COS through serve (docs/paths.md): literal keys before globs, prefixes and folders as
destinations, ``--to -``, keys checked before any byte is sent, downloads written as ``cp`` writes.
The bucket is arranged and inspected with qcloud_cos itself; every image is decoded."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

from cos.conftest import BUCKET, DATA, REGION, CliResult, put
from support.images import ODD_KEY, image_size

ROCKET = DATA / "rocket.jpg"  # 640x427



def get(sdk: Any, key: str) -> bytes:
    return bytes(sdk.get_object(Bucket=BUCKET, Key=key)["Body"].get_raw_stream().read())


def keys(sdk: Any, prefix: str) -> list[str]:
    return sorted(o["Key"] for o in sdk.list_objects(Bucket=BUCKET, Prefix=prefix).get("Contents") or [])


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


Cli = Callable[..., CliResult]


def test_keys_named_like_globs_are_those_objects(cli: Cli, sdk: Any, prefix: str, here: Path) -> None:
    put(sdk, f"{prefix}photo [1].jpg", ROCKET)
    put(sdk, f"{prefix}what?.jpg", ROCKET)
    put(sdk, f"{prefix}whatX.jpg", ROCKET)
    r = cli("process", f"cos://{BUCKET}/{prefix}photo [1].jpg", "resize:w=100", "--to", "p1.jpg")
    assert r.code == 0, r.stderr
    assert image_size((here / "p1.jpg").read_bytes()) == (100, 67)
    (here / "out").mkdir()
    r = cli("process", f"cos://{BUCKET}/{prefix}what?.jpg", "resize:w=100", "--to", "out/what.jpg")
    assert r.code == 0, r.stderr
    assert image_size((here / "out" / "what.jpg").read_bytes()) == (100, 67)
    r = cli("process", f"cos://{BUCKET}/{prefix}what?.jpg", "resize:w=40", "--to", f"cos://{BUCKET}/{prefix}t/",
            "--literal")
    assert r.code == 0, r.stderr
    assert keys(sdk, f"{prefix}t/") == [f"{prefix}t/what?.jpg"]


def test_an_odd_key_processes_describes_downloads_and_signs(cli: Cli, sdk: Any, prefix: str, here: Path) -> None:
    key = prefix + ODD_KEY
    put(sdk, key, ROCKET)
    uri = f"cos://{BUCKET}/{key}"
    r = cli("process", uri, "resize:w=120", "--to", "small.jpg")
    assert r.code == 0, r.stderr
    assert image_size((here / "small.jpg").read_bytes()) == (120, 80)
    r = cli("image", "info", uri, "--json")
    assert r.code == 0, r.stderr
    assert '"640"' in r.stdout
    r = cli("download", uri, "dl/")
    assert r.code == 0, r.stderr
    assert (here / "dl" / "照片 #1?&%.jpg").read_bytes() == ROCKET.read_bytes()
    r = cli("sign", uri, url=True)
    assert r.code == 0, r.stderr
    host = f"{BUCKET}.cos.{REGION}.myqcloud.com"  # an IP endpoint: the bucket travels in Host
    got = requests.get(r.stdout.strip(), headers={"Host": host}, timeout=30)
    assert got.status_code == 200 and got.content == ROCKET.read_bytes()


def test_upload_download_and_process_into_folders(cli: Cli, sdk: Any, prefix: str, here: Path) -> None:
    (here / "rocket.jpg").write_bytes(ROCKET.read_bytes())
    assert cli("upload", "rocket.jpg", f"cos://{BUCKET}/{prefix}updir/").code == 0
    assert get(sdk, f"{prefix}updir/rocket.jpg") == ROCKET.read_bytes()
    r = cli("download", f"cos://{BUCKET}/{prefix}updir/rocket.jpg", "dl/")
    assert r.code == 0, r.stderr
    assert (here / "dl" / "rocket.jpg").read_bytes() == ROCKET.read_bytes()
    r = cli("process", f"cos://{BUCKET}/{prefix}updir/rocket.jpg", "resize:w=90", "--to", f"cos://{BUCKET}/{prefix}o/")
    assert r.code == 0, r.stderr
    assert image_size(get(sdk, f"{prefix}o/rocket.jpg")) == (90, 60)


def test_an_invalid_key_is_refused_before_the_upload(cli: Cli, sdk: Any, prefix: str, here: Path) -> None:
    (here / "rocket.jpg").write_bytes(ROCKET.read_bytes())
    r = cli("upload", "rocket.jpg", f"cos://{BUCKET}/{prefix}a/../..")
    assert r.code == 2 and "invalid object key" in r.stderr, r.stderr
    # what COS takes, not OSS's 1,023 bytes (cloud.tencent.com/document/product/436/13324): at most 850
    # bytes and no ESC: refused here, never sent
    for key in (prefix + ("k" * 199 + "/") * 4 + "k" * 100, f"{prefix}a\x1bb.jpg"):
        r = cli("upload", "rocket.jpg", f"cos://{BUCKET}/{key}")
        assert r.code == 2 and "invalid object key" in r.first_stderr_line, r.stderr
    long = cli("upload", "rocket.jpg", f"cos://{BUCKET}/{prefix}{'k/' * 430}")
    assert "longer than 850 bytes" in long.stderr
    # the hint names the rule that was broken (it listed only the others: dot segments, '/', NUL)
    assert "Hint: rename it: a key is UTF-8 of at most 850 bytes" in long.stderr
    assert keys(sdk, prefix) == []


def test_to_stdout_streams_the_processed_object(sdk: Any, prefix: str, here: Path, cos_env: dict[str, str]) -> None:
    key = prefix + ODD_KEY
    put(sdk, key, ROCKET)
    env = {**os.environ, **cos_env, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    done = subprocess.run([sys.executable, "-m", "mediaproc", "process", f"cos://{BUCKET}/{key}", "resize:w=50",
                           "--to", "-"], env=env, capture_output=True, timeout=300, cwd=here)
    assert done.returncode == 0, done.stderr
    assert image_size(done.stdout) == (50, 33)
    assert list(here.iterdir()) == []


def test_downloads_are_written_as_cp_writes(cli: Cli, sdk: Any, prefix: str, here: Path, umask_022: None) -> None:
    put(sdk, f"{prefix}rocket.jpg", ROCKET)
    uri = f"cos://{BUCKET}/{prefix}rocket.jpg"
    for args in (["download", uri, "got.jpg"], ["process", uri, "resize:w=30", "--to", "made.jpg"]):
        dest = here / args[-1]
        assert cli(*args).code == 0
        assert stat.S_IMODE(dest.stat().st_mode) == 0o644
        for kept in (0o600, 0o755):
            dest.chmod(kept)
            assert cli(*args).code == 0
            assert stat.S_IMODE(dest.stat().st_mode) == kept


def test_cos_process_into_a_prefix_keeps_the_source_name(cli: Cli, sdk: Any, prefix: str) -> None:
    put(sdk, f"{prefix}in/photo [1].jpg", ROCKET)
    r = cli("cos", "process", f"cos://{BUCKET}/{prefix}in/photo [1].jpg", "--rule", "resize:w=70",
            "--to", f"cos://{BUCKET}/{prefix}out/")
    assert r.code == 0, r.stderr
    assert image_size(get(sdk, f"{prefix}out/photo [1].jpg")) == (70, 47)
    r = cli("cos", "process", f"cos://{BUCKET}/{prefix}in/photo [1].jpg", "--rule", "resize:w=70",
            "--to", f"cos://{BUCKET}/{prefix}a/../..")
    assert r.code == 2 and "invalid object key" in r.stderr, r.stderr


def test_video_convert_of_a_key_with_brackets(cli: Cli, sdk: Any, prefix: str, here: Path, clip: Path) -> None:
    import av

    put(sdk, f"{prefix}clip (final) [v2].mp4", clip)
    r = cli("video", "convert", f"cos://{BUCKET}/{prefix}clip (final) [v2].mp4", "f=mkv", "--to", "out/")
    assert r.code == 0, r.stderr
    with av.open(str(here / "out" / "clip (final) [v2].mkv")) as c:
        assert "matroska" in c.format.name and c.streams.video[0].width == 160
