"""Paths on OSS through serve (docs/paths.md): literal keys before globs, folders (prefixes) as
destinations, ``--to -``, downloads written as ``cp`` writes files, and keys checked before any byte is
sent. The bucket is arranged and inspected with oss2 itself; every image is decoded."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import urllib.request
from pathlib import Path

from providers_oss.conftest import DATA, OssEnv
from support.images import ODD_KEY, image_size

ROCKET = DATA / "rocket.jpg"  # 640x427



def requests(env: OssEnv, name: str) -> int:
    return int(env.stats()["requests"].get(name, 0))


def test_keys_named_like_globs_are_those_objects(cli, oss_env: OssEnv, here: Path) -> None:
    oss_env.put("in/photo [1].jpg", ROCKET)
    oss_env.put("in/what?.jpg", ROCKET)
    oss_env.put("in/whatX.jpg", ROCKET)
    r = cli("process", oss_env.uri("in/photo [1].jpg"), "resize:w=100", "--to", "p1.jpg")
    assert r.code == 0, r.stderr
    assert image_size((here / "p1.jpg").read_bytes()) == (100, 67)
    (here / "out").mkdir()
    r = cli("process", oss_env.uri("in/what?.jpg"), "resize:w=100", "--to", "out/what.jpg", "--json")
    assert r.code == 0, r.stderr
    assert r.json()["mode"] != "batch" and image_size((here / "out" / "what.jpg").read_bytes()) == (100, 67)
    r = cli("image", "info", oss_env.uri("in/photo [1].jpg"), "--json")
    assert r.code == 0, r.stderr
    assert r.json()["data"]["ImageWidth"]["value"] == "640"


def test_a_key_pattern_matching_nothing_literally_is_a_batch_unless_literal(cli, oss_env: OssEnv) -> None:
    oss_env.put("g/whatX.jpg", ROCKET)
    oss_env.put("g/whatY.jpg", ROCKET)
    r = cli("process", oss_env.uri("g/what?.jpg"), "resize:w=50", "--to", oss_env.uri("thumbs/"), "--json")
    assert r.code == 0, r.stderr
    assert oss_env.object_keys("thumbs/") == ["thumbs/whatX.jpg", "thumbs/whatY.jpg"]
    r = cli("--literal", "process", oss_env.uri("g/what?.jpg"), "resize:w=50", "--to", oss_env.uri("one.jpg"))
    assert r.code == 4, r.stderr
    assert not oss_env.exists("one.jpg")


def test_an_odd_key_processes_describes_downloads_and_signs(cli, oss_env: OssEnv, here: Path) -> None:
    oss_env.put(ODD_KEY, ROCKET)
    uri = oss_env.uri(ODD_KEY)
    r = cli("process", uri, "resize:w=120", "--to", "small.jpg")
    assert r.code == 0, r.stderr
    assert image_size((here / "small.jpg").read_bytes()) == (120, 80)
    r = cli("image", "info", uri, "--json")
    assert r.code == 0, r.stderr
    assert r.json()["data"]["ImageHeight"]["value"] == "427"
    r = cli("download", uri, "dl/")
    assert r.code == 0, r.stderr
    assert (here / "dl" / "照片 #1?&%.jpg").read_bytes() == ROCKET.read_bytes()
    r = cli("sign", uri, url=True)
    assert r.code == 0, r.stderr
    with urllib.request.urlopen(r.stdout.strip(), timeout=30) as resp:
        assert resp.read() == ROCKET.read_bytes()


def test_upload_into_prefixes(cli, oss_env: OssEnv, here: Path) -> None:
    (here / "rocket.jpg").write_bytes(ROCKET.read_bytes())
    r = cli("upload", "rocket.jpg", oss_env.uri("updir/"))
    assert r.code == 0, r.stderr
    r = cli("upload", "rocket.jpg", "newdir/sub/")  # a bare key in the default bucket
    assert r.code == 0, r.stderr
    assert oss_env.get_bytes("updir/rocket.jpg") == ROCKET.read_bytes()
    assert oss_env.get_bytes("newdir/sub/rocket.jpg") == ROCKET.read_bytes()
    assert not oss_env.exists("newdir/sub")


def test_download_and_process_into_folders(cli, oss_env: OssEnv, here: Path) -> None:
    oss_env.put("photos/rocket.jpg", ROCKET)
    r = cli("download", oss_env.uri("photos/rocket.jpg"), "dl/")
    assert r.code == 0, r.stderr
    assert (here / "dl" / "rocket.jpg").read_bytes() == ROCKET.read_bytes()
    r = cli("process", oss_env.uri("photos/rocket.jpg"), "resize:w=90", "--to", oss_env.uri("out/"))
    assert r.code == 0, r.stderr
    assert image_size(oss_env.get_bytes("out/rocket.jpg")) == (90, 60)
    r = cli("process", oss_env.uri("photos/rocket.jpg"), "resize:w=80", "format:target=png", "--to", "local/")
    assert r.code == 0, r.stderr
    assert image_size((here / "local" / "rocket.png").read_bytes()) == (80, 53)


def test_an_invalid_key_is_refused_before_the_upload(cli, oss_env: OssEnv, here: Path) -> None:
    (here / "rocket.jpg").write_bytes(ROCKET.read_bytes())
    puts = requests(oss_env, "PutObject"), requests(oss_env, "InitiateMultipartUpload")
    for dest in (oss_env.uri("a/../.."), oss_env.uri("x/./y.jpg")):
        r = cli("upload", "rocket.jpg", dest)
        assert r.code == 2, r.stderr
        assert "invalid object key" in r.stderr and "Traceback" not in r.stderr
    r = cli("process", "rocket.jpg", "resize:w=10", "--to", oss_env.uri("a/../b.jpg"))
    assert r.code == 2, r.stderr
    assert (requests(oss_env, "PutObject"), requests(oss_env, "InitiateMultipartUpload")) == puts


def test_to_stdout_streams_the_processed_object(oss_env: OssEnv, here: Path) -> None:
    oss_env.put(ODD_KEY, ROCKET)
    work = here / "work"
    work.mkdir()
    env = {**os.environ, **oss_env.env(), "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    done = subprocess.run([sys.executable, "-m", "mediaproc", "process", oss_env.uri(ODD_KEY), "resize:w=50",
                           "--to", "-"], env=env, capture_output=True, timeout=300, cwd=work)
    assert done.returncode == 0, done.stderr
    assert image_size(done.stdout) == (50, 33)
    done = subprocess.run([sys.executable, "-m", "mediaproc", "download", oss_env.uri(ODD_KEY), "-"],
                          env=env, capture_output=True, timeout=300, cwd=work)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ROCKET.read_bytes()
    assert list(work.iterdir()) == []  # no file named "-"


def test_downloads_are_written_as_cp_writes(cli, oss_env: OssEnv, here: Path, umask_022: None) -> None:
    oss_env.put("m/rocket.jpg", ROCKET)
    for args in (["download", oss_env.uri("m/rocket.jpg"), "got.jpg"],
                 ["process", oss_env.uri("m/rocket.jpg"), "resize:w=30", "--to", "made.jpg"]):
        dest = here / args[-1]
        assert cli(*args).code == 0
        assert stat.S_IMODE(dest.stat().st_mode) == 0o644
        for kept in (0o600, 0o755):
            dest.chmod(kept)
            assert cli(*args).code == 0
            assert stat.S_IMODE(dest.stat().st_mode) == kept


def test_video_convert_of_a_key_with_brackets_into_a_prefix(bound: OssEnv, cli, small_video: Path,
                                                            here: Path) -> None:
    import av

    bound.put("in/clip (final) [v2].mp4", small_video)
    r = cli("video", "convert", bound.uri("in/clip (final) [v2].mp4"), "f=mp4", "vcodec=h264", "s=96x64",
            "--to", bound.uri("out/"), "--json")
    assert r.code == 0, r.stderr
    assert r.json()["generated_keys"] == ["out/clip (final) [v2].mp4"]
    (here / "v.mp4").write_bytes(bound.get_bytes("out/clip (final) [v2].mp4"))
    with av.open(str(here / "v.mp4")) as c:
        assert (c.streams.video[0].width, c.streams.video[0].height) == (96, 64)


def test_a_key_pattern_matches_as_a_folder_pattern_does(cli, oss_env: OssEnv, tmp_path: Path) -> None:
    """``*`` stays within one level, ``**`` spans levels, a hidden name needs its dot written: what
    ``glob`` takes from the same tree in a folder. fnmatch's ``*`` crossed ``/``, so ``in/*.jpg``
    took ``in/sub/...`` (and ``.mediaproc-tmp/`` objects of runs in progress) on a cloud only."""
    keys = ["in/a.jpg", "in/.hidden.jpg", "in/b.png", "in/sub/c.jpg", "in/sub/deep/d.jpg", "in/.mediaproc-tmp/x/e.jpg"]
    folder = tmp_path / "tree"
    for key in keys:
        oss_env.put(key, DATA / "rocket.jpg")
        (folder / key).parent.mkdir(parents=True, exist_ok=True)
        (folder / key).write_bytes((DATA / "rocket.jpg").read_bytes())
    for pattern in ("in/*.jpg", "in/**/*.jpg", "in/*/*.jpg", "in/**", "in/.*.jpg"):
        local = cli("--provider", "local", "process", str(folder / pattern), "resize:w=8", "--to",
                    str(tmp_path / "l" / pattern.replace("*", "S")) + "/", "--json")
        cloud = cli("process", oss_env.uri(pattern), "resize:w=8", "--to", oss_env.uri("out/"), "--json")
        assert (local.code, cloud.code) == (0, 0), (pattern, local.stderr, cloud.stderr)
        taken = sorted(x["source"].removeprefix(oss_env.uri("")) for x in cloud.json())
        assert taken == sorted(str(Path(x["source"]).relative_to(folder)) for x in local.json()), pattern
    assert taken == ["in/.hidden.jpg"]
