"""Styles on the local provider (the style book beside the bucket folder) through the CLI: put, get,
ls, rm, export, import, ``style/NAME`` in process and batch runs (decoded outputs), and the
completion of style names from the short-lived cache."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest
from PIL import Image

DATA = Path(__file__).resolve().parents[1] / "data"


def _size(path: Path) -> tuple[str | None, tuple[int, int]]:
    with Image.open(path) as im:
        return im.format, im.size


def test_local_styles_put_get_ls_rm_and_process(cli, tmp_path: Path) -> None:
    bucket = tmp_path / "bucket"
    bucket.mkdir()
    shutil.copy(DATA / "rocket.jpg", bucket / "rocket.jpg")  # 640x427
    at = ("--bucket", str(bucket))

    res = cli(*at, "style", "put", "thumb", "resize:w=160", 'watermark:text="a, b"', "format:target=png", "--json")
    assert res.code == 0, res.stderr
    doc = res.json()
    assert doc["chain"] == ["resize:w=160", 'watermark:text="a, b"', "format:target=png"]
    assert (bucket / ".mediaproc-styles.json").is_file()

    got = cli(*at, "style", "get", "thumb", "--json").json()
    assert got["chain"] == doc["chain"] and got["provider"] == "local"
    assert [s["name"] for s in cli(*at, "style", "ls", "--json").json()] == ["thumb"]

    out = tmp_path / "out.png"
    res = cli(*at, "process", str(bucket / "rocket.jpg"), "style/thumb", "--to", str(out))
    assert res.code == 0, res.stderr
    assert _size(out) == ("PNG", (160, 107))

    # locally a chain may continue after the style
    turned = tmp_path / "turned.png"
    res = cli(*at, "process", str(bucket / "rocket.jpg"), "style/thumb", "rotate:angle=90", "--to", str(turned))
    assert res.code == 0, res.stderr
    assert _size(turned) == ("PNG", (107, 160))

    # ... but a style comes first
    res = cli(*at, "process", str(bucket / "rocket.jpg"), "rotate:angle=90", "style/thumb", "--to", str(turned))
    assert res.code == 2 and "must come first" in res.stderr

    # a batch source: every item through the style (the style book is skipped as a source)
    res = cli(*at, "process", str(bucket) + "/*.jpg", "style/thumb", "--to", str(tmp_path / "batch") + "/", "--json")
    assert res.code == 0, res.stderr
    assert [Path(r["path"]).name for r in res.json()] == ["rocket.png"]
    assert _size(tmp_path / "batch" / "rocket.png") == ("PNG", (160, 107))

    res = cli(*at, "process", str(bucket / "rocket.jpg"), "style/nope", "--to", str(tmp_path / "n.png"))
    assert res.code == 4
    assert f"mediaproc style ls --in {bucket}" in res.stderr and "nope" in res.stderr
    assert not (tmp_path / "n.png").exists()

    assert cli(*at, "style", "put", "bad/name", "resize:w=1").code == 2
    assert cli(*at, "style", "put", "nested", "style/thumb").code == 2
    assert cli(*at, "style", "put", "info", "info").code == 2

    assert cli(*at, "style", "rm", "thumb").code == 0
    assert cli(*at, "style", "ls", "--json").json() == []
    assert cli(*at, "style", "rm", "thumb").code == 4


def test_export_and_import_between_folders(cli, tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    assert cli("style", "put", "small", "resize:w=64", "--in", str(a)).code == 0
    assert cli("style", "put", "big.v2", "resize:w=300", "quality:Q=70", "--in", str(a)).code == 0
    shown = cli("style", "export", "--in", str(a))
    assert shown.code == 0 and "[styles.small]" in shown.stdout and '[styles."big.v2"]' in shown.stdout
    file = tmp_path / "styles.toml"
    assert cli("style", "export", str(file), "--in", str(a)).code == 0

    dry = cli("style", "import", str(file), "--in", str(b), "--dry-run", "--json")
    assert dry.code == 0 and dry.json()["dry_run"] is True
    assert cli("style", "ls", "--in", str(b), "--json").json() == []

    assert cli("style", "import", str(file), "--in", str(b)).code == 0
    assert cli("style", "ls", "--in", str(a), "--json").json()[0]["chain"] == \
        cli("style", "ls", "--in", str(b), "--json").json()[0]["chain"]
    outs = []
    for folder in (a, b):
        out = tmp_path / f"{folder.name}.jpg"
        res = cli("--bucket", str(folder), "process", str(DATA / "coffee.png"), "style/big.v2", "--to", str(out))
        assert res.code == 0, res.stderr
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]

    broken = tmp_path / "broken.toml"
    broken.write_text("[styles.x\n")
    assert cli("style", "import", str(broken), "--in", str(b)).code == 2
    assert cli("style", "import", str(tmp_path / "none.toml"), "--in", str(b)).code == 4


def test_completion_offers_cached_style_names(cli, tmp_path: Path) -> None:
    """``style/`` completes the bucket's names; a fresh cache answers without listing again."""
    from mediaproc.config import Settings
    from mediaproc.services import styles as svc

    folder = tmp_path / "bucket"
    folder.mkdir()
    assert cli("--bucket", str(folder), "style", "put", "thumb", "resize:w=10").code == 0
    settings = Settings(provider="local", bucket=str(folder))
    assert svc.cached_names(settings) == ["thumb"]  # a miss: listed, then cached
    (folder / ".mediaproc-styles.json").unlink()  # the cache (60 s) still answers
    assert svc.cached_names(settings) == ["thumb"]

    cache = next(Path(os.environ["XDG_CACHE_HOME"]).rglob("styles/*.json"))
    stale = json.loads(cache.read_text())
    stale["at"] = time.time() - 3600
    cache.write_text(json.dumps(stale))
    assert svc.cached_names(settings) == []  # stale: listed again (now empty)

    # a cloud that cannot be reached: the names listed last, however old, or nothing
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed once the block ends: nothing listens there
    cloud = Settings(provider="cos", bucket="photos-1250000000", region="ap-guangzhou",
                     endpoint=f"http://127.0.0.1:{port}")
    assert svc.cached_names(cloud) == []
    svc._remember(svc.target(cloud), ["old-style"])
    old = next(p for p in Path(os.environ["XDG_CACHE_HOME"]).rglob("styles/*.json") if "old-style" in p.read_text())
    aged = json.loads(old.read_text())
    aged["at"] = time.time() - 3600
    old.write_text(json.dumps(aged))
    assert svc.cached_names(cloud) == ["old-style"]

    if shutil.which("bash") is None:
        pytest.skip("bash is part of every supported machine")
    assert cli("--bucket", str(folder), "style", "put", "thumb-600", "resize:w=600").code == 0
    from test_completion import bash_complete

    env = {"XDG_CACHE_HOME": os.environ["XDG_CACHE_HOME"]}
    got = bash_complete(f"mediaproc --bucket {folder} process photo.jpg style/th", env)
    assert got == ["style/thumb-600"]
    assert bash_complete(f"mediaproc --bucket {folder} style get th", env) == ["thumb-600"]
