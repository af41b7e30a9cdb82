"""Paths as operators expect them (docs/paths.md), locally, through the real CLI: literal before glob
and ``--literal``, folders as destinations, ``--to -`` on stdout, files written as ``cp`` writes them.
Every result is decoded (PIL, PyAV), never trusted from our own report."""

from __future__ import annotations

import io
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from support.images import image_size

DATA = Path(__file__).resolve().parents[1] / "data"
ROCKET = DATA / "rocket.jpg"  # 640x427


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2 s of 160x120 test pattern with a tone, H.264/AAC, named as the issue names it."""
    import imageio_ffmpeg

    out = tmp_path_factory.mktemp("clip") / "clip (final) [v2].mp4"
    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y",
         "-f", "lavfi", "-i", "testsrc=size=160x120:rate=15", "-f", "lavfi", "-i", "sine=frequency=440",
         "-t", "2", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-g", "15", "-c:a", "aac", "-shortest", str(out)],
        check=True,
    )
    return out


def probe(path: Path) -> tuple[str, int, int]:
    import av

    with av.open(str(path)) as c:
        v = c.streams.video[0]
        return c.format.name, v.width, v.height


# -- literal before glob ---------------------------------------------------------------------------

def test_a_file_named_like_a_glob_is_that_file(cli, here: Path) -> None:
    shutil.copy(ROCKET, here / "photo [1].jpg")
    r = cli("process", "photo [1].jpg", "resize:w=100", "--to", "p1.jpg")
    assert r.code == 0, r.stderr
    assert image_size(here / "p1.jpg") == (100, 67)
    r = cli("image", "info", "photo [1].jpg", "--json")
    assert r.code == 0, r.stderr
    assert r.json()["data"]["ImageWidth"]["value"] == "640"


def test_what_question_mark_writes_the_file_not_a_folder(cli, here: Path) -> None:
    shutil.copy(ROCKET, here / "what?.jpg")
    shutil.copy(ROCKET, here / "whatX.jpg")  # what the pattern would also match
    (here / "out").mkdir()
    r = cli("process", "what?.jpg", "resize:w=100", "--to", "out/what.jpg", "--json")
    assert r.code == 0, r.stderr
    assert r.json()["mode"] == "file"
    assert (here / "out" / "what.jpg").is_file() and image_size(here / "out" / "what.jpg") == (100, 67)


def test_a_glob_matching_nothing_literally_is_still_a_pattern(cli, here: Path) -> None:
    shutil.copy(ROCKET, here / "whatX.jpg")
    shutil.copy(ROCKET, here / "whatY.jpg")
    r = cli("process", "what?.jpg", "resize:w=50", "--to", "out/", "--json")
    assert r.code == 0, r.stderr
    assert sorted(p.name for p in (here / "out").iterdir()) == ["whatX.jpg", "whatY.jpg"]
    # the escape: [?] matches a literal question mark only
    shutil.copy(ROCKET, here / "what?.png")
    r = cli("process", "what[?].*", "resize:w=50", "--to", "esc/", "--json")
    assert r.code == 0, r.stderr
    assert [p.name for p in (here / "esc").iterdir()] == ["what?.png"]


@pytest.mark.parametrize("where", ["global", "command"])
def test_literal_never_reads_a_pattern(cli, here: Path, where: str) -> None:
    shutil.copy(ROCKET, here / "whatX.jpg")
    args = ["process", "what?.jpg", "resize:w=50", "--to", "one.jpg"]
    r = cli("--literal", *args) if where == "global" else cli(*args, "--literal")
    assert r.code == 4, r.stderr  # no file is called what?.jpg: not found, and no batch ran
    assert "what?.jpg does not exist" in r.stderr
    assert not (here / "one.jpg").exists()


def test_a_folder_named_like_a_glob_is_listed_as_written(cli, here: Path) -> None:
    folder = here / "shots [2024]"
    folder.mkdir()
    shutil.copy(ROCKET, folder / "a.jpg")
    r = cli("process", "shots [2024]/", "resize:w=40", "--to", "thumbs/", "--json")
    assert r.code == 0, r.stderr
    assert image_size(here / "thumbs" / "a.jpg") == (40, 27)


def test_video_convert_of_a_file_with_brackets(cli, here: Path, clip: Path) -> None:
    shutil.copy(clip, here / clip.name)
    r = cli("video", "convert", clip.name, "f=mkv", "--to", "out.mkv", "--json")
    assert r.code == 0, r.stderr
    fmt, w, h = probe(here / "out.mkv")
    assert "matroska" in fmt and (w, h) == (160, 120)


def test_a_name_with_brackets_is_shown_as_written(cli, here: Path) -> None:
    """rich reads ``[v2]`` as markup unless told not to: the table shows the name as typed."""
    shutil.copy(ROCKET, here / "photo [v2].jpg")
    r = cli("process", "photo [v2].jpg", "resize:w=10", "--to", "small [v2].jpg")
    assert r.code == 0, r.stderr
    assert "Source      photo [v2].jpg" in r.stdout  # (the long output path may fold over lines)


# -- folders as destinations ------------------------------------------------------------------------

def test_upload_into_an_existing_folder_and_a_new_one(cli, here: Path) -> None:
    shutil.copy(ROCKET, here / "rocket.jpg")
    (here / "updir").mkdir()
    r = cli("upload", "rocket.jpg", "updir/")
    assert r.code == 0, r.stderr
    assert (here / "updir" / "rocket.jpg").read_bytes() == ROCKET.read_bytes()
    r = cli("upload", "rocket.jpg", "updir")  # an existing folder without the slash: the same
    assert r.code == 0, r.stderr
    r = cli("upload", "rocket.jpg", "newdir/sub/")
    assert r.code == 0, r.stderr
    assert (here / "newdir" / "sub" / "rocket.jpg").read_bytes() == ROCKET.read_bytes()


def test_download_into_a_folder(cli, here: Path) -> None:
    shutil.copy(ROCKET, here / "rocket.jpg")
    r = cli("download", "rocket.jpg", "dl/", "--json")
    assert r.code == 0, r.stderr
    assert (here / "dl" / "rocket.jpg").read_bytes() == ROCKET.read_bytes()
    assert r.json()["path"] == str((here / "dl" / "rocket.jpg").resolve())


def test_download_to_a_missing_folder_without_the_slash_is_refused(cli, here: Path) -> None:
    shutil.copy(ROCKET, here / "rocket.jpg")
    r = cli("download", "rocket.jpg", "nope/x.jpg")
    assert r.code == 2 and "does not exist" in r.stderr
    assert not (here / "nope").exists()


def test_the_mkdir_hint_for_a_folder_named_like_an_option_can_be_pasted(cli, here: Path) -> None:
    """``./-x/f.jpg`` is relative and its folder reads ``-x``: ``mkdir -p -x`` would be an unknown option."""
    import shlex
    import subprocess

    shutil.copy(ROCKET, here / "rocket.jpg")
    r = cli("--json", "download", "rocket.jpg", "./-x/f.jpg")
    assert r.code == 2, r.stderr
    hint = r.json()["error"]["hint"]
    command = hint[hint.index("(") + 1 : hint.rindex(")")]
    assert shlex.split(command) == ["mkdir", "-p", "./-x"]
    subprocess.run(["sh", "-c", command], check=True, cwd=here)
    assert (here / "-x").is_dir()
    assert cli("download", "rocket.jpg", "./-x/f.jpg").code == 0
    assert (here / "-x" / "f.jpg").read_bytes() == ROCKET.read_bytes()


def test_process_into_a_folder_names_the_result_after_the_source(cli, here: Path, clip: Path) -> None:
    shutil.copy(ROCKET, here / "rocket.jpg")
    shutil.copy(clip, here / "clip.mp4")
    assert cli("process", "rocket.jpg", "resize:w=100", "--to", "out/").code == 0
    assert image_size(here / "out" / "rocket.jpg") == (100, 67)
    assert cli("process", "rocket.jpg", "resize:w=100", "format:target=webp", "--to", "out").code == 0
    assert image_size(here / "out" / "rocket.webp") == (100, 67)
    r = cli("image", "info", "rocket.jpg", "--to", "out/")
    assert r.code == 0, r.stderr
    assert '"ImageWidth"' in (here / "out" / "rocket.jpg.json").read_text()
    assert cli("video", "convert", "clip.mp4", "f=mkv", "--to", "v/").code == 0
    assert probe(here / "v" / "clip.mkv")[1:] == (160, 120)
    assert cli("video", "snapshot", "clip.mp4", "t=500", "--to", "v/").code == 0
    assert image_size(here / "v" / "clip.jpg") == (160, 120)
    r = cli("hls", "m3u8", "clip.mp4", "--to", "h/")
    assert r.code == 0, r.stderr
    assert (here / "h" / "clip.m3u8").is_file() and list((here / "h").glob("clip-*.ts"))


# -- --to - -----------------------------------------------------------------------------------------

def _mediaproc(*args: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    return subprocess.run([sys.executable, "-m", "mediaproc", *args], cwd=cwd, env=env, capture_output=True,
                          timeout=300)


def test_to_stdout_pipes_into_a_decoder(here: Path) -> None:
    from PIL import Image

    shutil.copy(ROCKET, here / "rocket.jpg")
    done = _mediaproc("process", "rocket.jpg", "resize:w=120", "format:target=png", "--to", "-", cwd=here)
    assert done.returncode == 0, done.stderr
    with Image.open(io.BytesIO(done.stdout)) as im:
        assert im.format == "PNG" and im.size == (120, 80)
    assert b"completed" in done.stderr  # the summary went to stderr
    assert sorted(p.name for p in here.iterdir()) == ["rocket.jpg"]  # no file named "-", nothing left


def test_to_stdout_with_json_puts_the_document_on_stderr(here: Path) -> None:
    import json

    from PIL import Image

    shutil.copy(ROCKET, here / "rocket.jpg")
    done = _mediaproc("--json", "process", "rocket.jpg", "resize:w=64", "--to", "-", cwd=here)
    assert done.returncode == 0, done.stderr
    with Image.open(io.BytesIO(done.stdout)) as im:
        assert im.size == (64, 43)
    doc = json.loads(done.stderr)
    assert doc["success"] is True and doc["target"] == "-"


def test_to_stdout_refuses_a_batch_and_several_files(cli, here: Path, clip: Path) -> None:
    (here / "in").mkdir()
    shutil.copy(ROCKET, here / "in" / "a.jpg")
    r = cli("process", "in/", "resize:w=10", "--to", "-")
    assert r.code == 2 and "batch" in r.stderr
    shutil.copy(clip, here / "clip.mp4")
    r = cli("video", "snapshots", "clip.mp4", "f=jpg", "num=2", "--to", "-")
    assert r.code == 2 and "several" in r.stderr
    assert not (here / "-").exists()


# -- files as cp writes them ------------------------------------------------------------------------

WRITERS = {
    "download": ["download", "src.jpg", "{dest}"],
    "process": ["process", "src.jpg", "resize:w=50", "--to", "{dest}"],
    "video convert": ["video", "convert", "clip.mp4", "f=mp4", "--to", "{dest}"],
    "video snapshot": ["video", "snapshot", "clip.mp4", "t=100", "--to", "{dest}"],
}


@pytest.mark.parametrize("writer", list(WRITERS))
def test_new_files_honour_the_umask_and_replaced_files_keep_their_mode(
    cli, here: Path, umask_022: None, clip: Path, writer: str
) -> None:
    shutil.copy(ROCKET, here / "src.jpg")
    shutil.copy(clip, here / "clip.mp4")
    dest = here / ("out.mp4" if writer == "video convert" else "out.jpg")
    args = [a.format(dest=dest.name) for a in WRITERS[writer]]
    assert cli(*args).code == 0
    assert mode_of(dest) == 0o644
    for kept in (0o600, 0o755):
        dest.chmod(kept)
        r = cli(*args)
        assert r.code == 0, r.stderr
        assert mode_of(dest) == kept
    assert not [p for p in here.iterdir() if p.name.startswith(".mediaproc-")]


def test_published_frames_and_segments_keep_a_replaced_files_mode(cli, here: Path, umask_022: None,
                                                                  clip: Path) -> None:
    shutil.copy(clip, here / "clip.mp4")
    (here / "h").mkdir()
    assert cli("hls", "m3u8", "clip.mp4", "--to", "h/play.m3u8").code == 0
    segment = next((here / "h").glob("play-*.ts"))
    assert mode_of(segment) == 0o644 and mode_of(here / "h" / "play.m3u8") == 0o644
    segment.chmod(0o600)
    (here / "h" / "play.m3u8").chmod(0o640)
    assert cli("hls", "m3u8", "clip.mp4", "--to", "h/play.m3u8").code == 0
    assert mode_of(segment) == 0o600 and mode_of(here / "h" / "play.m3u8") == 0o640


# -- smaller defects --------------------------------------------------------------------------------

def test_an_unreadable_image_is_named_as_text_not_bytes(cli, here: Path) -> None:
    (here / "bad").mkdir()
    (here / "bad" / "text.jpg").write_text("hello")
    r = cli("process", "bad/text.jpg", "resize:w=10", "--to", "t.jpg")
    assert r.code != 0
    assert "b'" not in r.stderr and "bad/text.jpg" in r.stderr
    assert not (here / "t.jpg").exists()


@pytest.mark.parametrize("command", [
    ["process"], ["image", "process"], ["image", "info"], ["video", "convert"], ["video", "snapshot"],
    ["audio", "convert"], ["hls", "m3u8"], ["cos", "process"], ["cos", "pm3u8"], ["upload"], ["download"],
    ["rm"], ["sign"],
])
def test_every_command_taking_a_source_takes_literal(cli, command: list[str]) -> None:
    r = cli(*command, "--help")
    assert r.code == 0 and "--literal" in r.stdout, r.stdout
