"""Defects found by using the local CLI as an operator, a CI step and a shell script would: one test
per defect, each driving the real entry point and decoding what it wrote."""

from __future__ import annotations

import io
import os
import shutil
import stat
import threading
from pathlib import Path

import pytest

from support.images import image_size

DATA = Path(__file__).resolve().parents[1] / "data"
ROCKET = DATA / "rocket.jpg"  # 640x427


class FifoReader:
    """Everything written into a named pipe, read by a thread (a writer's ``open`` blocks until a
    reader is there, and a result larger than the pipe's buffer needs one reading as it goes)."""

    def __init__(self, path: Path) -> None:
        os.mkfifo(path)
        self.path = path
        self.data = b""
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        with open(self.path, "rb") as fh:
            self.data = fh.read()

    def result(self) -> bytes:
        self._thread.join()
        return self.data


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_destination_that_is_a_pipe_or_device_is_written_into_not_replaced(cli, here: Path) -> None:
    """``--to /dev/null`` (or /dev/stdout, a named pipe) is written into, as ``cp`` does: the
    atomic rename replaced the special file with a regular one (as root, /dev/null itself), and
    reading the result back to report its format blocked on the pipe forever."""
    from PIL import Image

    shutil.copy(ROCKET, here / "rocket.jpg")
    pipe = FifoReader(here / "pipe")
    r = cli("--json", "process", "rocket.jpg", "resize:w=100", "--to", "pipe")
    assert r.code == 0, r.stderr
    assert stat.S_ISFIFO(os.stat(here / "pipe").st_mode)  # still the pipe, not a file in its place
    with Image.open(io.BytesIO(pipe.result())) as img:
        assert (img.format, img.size) == ("JPEG", (100, 67))
    doc = r.json()
    assert (doc["width"], doc["height"], doc["format"]) == (100, 67, "jpg")
    assert not [p for p in here.iterdir() if p.name.startswith(".mediaproc-")]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_device_destination_leaves_no_temporary_file_in_its_folder(cli, here: Path) -> None:
    """A device's folder is not the user's: /dev (of /dev/null) is root's. The temporary file was
    created beside the destination all the same, so ``--to /dev/null`` failed for everyone but root
    ("cannot write to /dev") and, as root, put its .part files on /dev's small tmpfs. The reader
    looks into the pipe's folder once the writer has opened the pipe: the PNG is larger than the
    pipe's buffer, so the writer is still writing then (and any temporary file it made still there).
    A symlink to the pipe is followed to it, as to /dev/null."""
    from PIL import Image

    shutil.copy(ROCKET, here / "rocket.jpg")
    (here / "dev").mkdir()
    seen: list[list[str]] = []
    data: list[bytes] = []
    os.mkfifo(here / "dev" / "pipe")
    (here / "link.png").symlink_to(here / "dev" / "pipe")

    def read() -> None:
        with open(here / "dev" / "pipe", "rb") as fh:
            seen.append(sorted(os.listdir(here / "dev")))
            seen.append(sorted(os.listdir(here)))
            data.append(fh.read())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    r = cli("process", "rocket.jpg", "format:target=png", "--to", "link.png")
    reader.join()
    assert r.code == 0, r.stderr
    assert len(data[0]) > 1 << 17  # more than a pipe holds: the writer was mid-copy when the reader looked
    assert seen == [["pipe"], ["dev", "link.png", "rocket.jpg"]]
    with Image.open(io.BytesIO(data[0])) as img:
        assert (img.format, img.size) == ("PNG", (640, 427))
    assert (here / "link.png").is_symlink() and stat.S_ISFIFO(os.stat(here / "dev" / "pipe").st_mode)


def test_a_destination_name_longer_than_the_file_system_takes_is_a_usage_error(cli, here: Path) -> None:
    """A 251-character source into a folder as webp names a 256-byte file: the whole encode ran and
    the rename then failed as an "unexpected OSError ... this is a bug" (exit 1); now it is refused
    first, naming the limit (exit 2), with nothing left behind."""
    long = "a" * 251 + ".jpg"
    shutil.copy(ROCKET, here / long)
    (here / "out").mkdir()
    r = cli("process", long, "resize:w=10", "format:target=webp", "--to", "out/")
    assert r.code == 2, r.stderr
    assert "256 bytes" in r.stderr and "255" in r.stderr and "Traceback" not in r.stderr
    r = cli("image", "info", long, "--to", "out/")
    assert r.code == 2, r.stderr
    assert list((here / "out").iterdir()) == []


def test_an_hls_playlist_whose_segment_names_would_be_too_long_is_refused_first(cli, here: Path) -> None:
    """A 246-byte stem makes a legal 251-byte playlist name, but its segments (``<stem>-10.ts`` on) pass
    255 bytes, and ffmpeg failed part way through; the widest segment name is checked up front. A stem
    that leaves room for a million segments is written."""
    from mediaproc.engine.av.synth import make_video

    make_video(here / "clip.mp4", size=(64, 48), duration=1.0, audio=False)
    r = cli("hls", "m3u8", "clip.mp4", "st=1000", "--to", "s" * 246 + ".m3u8")
    assert r.code == 2, r.stderr
    assert "-999999.ts is 256 bytes long" in r.stderr and "Traceback" not in r.stderr
    assert sorted(p.name for p in here.iterdir()) == ["clip.mp4"]
    r = cli("hls", "m3u8", "clip.mp4", "st=1000", "--to", "s" * 245 + ".m3u8")
    assert r.code == 0, r.stderr
    assert (here / ("s" * 245 + "-0.ts")).stat().st_size > 0


def test_a_long_cjk_name_gets_a_temporary_file_the_file_system_takes(cli, here: Path) -> None:
    """83 CJK characters are 249 bytes: a legal name, but the temporary name kept 200 *characters*
    of it (600 bytes) and the run failed with "cannot write to out: File name too long"."""
    name = "中" * 83 + ".jpg"
    shutil.copy(ROCKET, here / name)
    r = cli("process", name, "resize:w=10", "--to", "out/")
    assert r.code == 0, r.stderr
    assert image_size(here / "out" / name) == (10, 7)


def test_a_batch_item_with_a_too_long_name_fails_alone_and_resume_says_why(cli, here: Path) -> None:
    (here / "in").mkdir()
    shutil.copy(ROCKET, here / "in" / ("a" * 251 + ".jpg"))
    shutil.copy(ROCKET, here / "in" / "ok.jpg")
    for extra in ([], ["--skip-existing"]):  # the resume run looked for the destination: OSError
        r = cli("--json", "process", "in/", "resize:w=10", "format:target=webp", "--to", "out/", *extra)
        assert r.code == 8, r.stderr
        failed = [item for item in r.json() if not item["success"]]
        assert len(failed) == 1 and "256 bytes" in failed[0]["error"]["message"], failed
        assert failed[0]["error"]["code"] != "Unexpected"
    assert image_size(here / "out" / "ok.webp") == (10, 7)


def test_download_into_a_folder_names_the_file_in_target_as_process_and_download_r_do(cli, here: Path) -> None:
    """``target`` is the file written for ``process --to out/`` and ``download -r``; a single
    ``download KEY dl/`` reported the folder as typed (``"dl/"``), so a script reading ``target``
    got a different fact from each command."""
    (here / "bk").mkdir()
    shutil.copy(ROCKET, here / "bk" / "rocket.jpg")
    for given in ("dl/", "dl"):
        r = cli("--json", "download", "bk/rocket.jpg", given)
        assert r.code == 0, r.stderr
        doc = r.json()
        assert doc["target"] == os.path.join("dl", "rocket.jpg"), doc
        assert Path(doc["path"]) == here / "dl" / "rocket.jpg"
        assert image_size(here / "dl" / "rocket.jpg") == (640, 427)
    r = cli("--json", "process", "bk/rocket.jpg", "resize:w=10", "--to", "out/")
    assert r.json()["target"] == os.path.join("out", "rocket.jpg")


def test_video_info_of_a_text_file_named_jpg_is_an_error_not_a_0x0_video(cli, here: Path) -> None:
    """FFmpeg's image2 demuxer takes ``notes.jpg`` for a one-frame MJPEG by its name alone; the
    stream it finds has no frame size. ``video info`` reported a 0x0 MJPEG video (exit 0), and
    ``video convert`` failed late as an "async job failed" (exit 6) with a hint about parameters."""
    (here / "notes.jpg").write_text("hello\n")
    for args in (["video", "info", "notes.jpg"], ["video", "convert", "notes.jpg", "f=mp4", "--to", "n.mp4"]):
        r = cli(*args)
        assert r.code == 2, (args, r.stdout, r.stderr)
        assert "cannot read notes.jpg" in r.stderr and "Hint:" in r.stderr
    assert not (here / "n.mp4").exists()
    shutil.copy(ROCKET, here / "photo.jpg")  # a real JPEG is still a one-frame video, as ffprobe says
    r = cli("--json", "video", "info", "photo.jpg")
    assert r.code == 0, r.stderr
    stream = r.json()["data"]["Streams"]["VideoStream"][0]
    assert (stream["Width"], stream["Height"]) == ("640", "427")


def test_config_set_refuses_a_language_and_a_bad_one_in_the_file_can_be_unset(cli, here: Path) -> None:
    """``config set lang fr`` was stored (exit 0), and from then on every command failed with
    "unsupported language 'fr'" (exit 3), ``config unset lang`` too: only editing the TOML by hand
    got the tool back. lang is now checked where provider and output are."""
    config = Path(os.environ["MEDIAPROC_CONFIG"])
    r = cli("config", "set", "lang", "fr")
    assert r.code == 3 and "en, zh" in r.stderr, r.stderr
    assert not config.exists() or "fr" not in config.read_text()
    config.write_text('default = "default"\n\n[profiles.default]\nlang = "fr"\n')
    r = cli("config", "unset", "lang")
    assert r.code == 0, r.stderr
    assert "fr" not in config.read_text()
    shutil.copy(ROCKET, here / "rocket.jpg")
    assert cli("process", "rocket.jpg", "resize:w=10", "--to", "small.jpg").code == 0
    assert cli("config", "set", "lang", "zh").code == 0


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
def test_a_full_disk_is_a_one_line_error_not_a_bug_report(here: Path) -> None:
    """A write the machine refuses (disk full; /dev/full stands in) printed "unexpected OSError" and
    "this is a bug in mediaproc; ... report the traceback"."""
    import subprocess
    import sys

    shutil.copy(ROCKET, here / "rocket.jpg")
    # only stdout is pointed at /dev/full: a --to /dev/full run on a build without the device fix
    # above would, as root, replace the device node
    for args in (["process", "rocket.jpg", "resize:w=10", "--to", "-"], ["image", "info", "rocket.jpg"]):
        with open("/dev/full", "wb") as full:
            proc = subprocess.run([sys.executable, "-m", "mediaproc", *args], cwd=here, stdout=full,
                                  stderr=subprocess.PIPE)
        err = proc.stderr.decode()
        assert proc.returncode == 1, err
        assert "No space left on device" in err and "bug" not in err and "Traceback" not in err, err


@pytest.mark.skipif(os.name != "posix", reason="RLIMIT_FSIZE is POSIX")
def test_a_full_disk_during_the_libvips_encode_is_the_systems_error_not_the_images(here: Path) -> None:
    """The write that fills a disk is most often the encoder's, and libvips reports it as text ("unix
    error: No space left on device"): it became "cannot process image rocket.jpg", hinting to check
    the source image, on every item of a batch that filled the disk. RLIMIT_FSIZE stands in for the
    full disk (the write fails with EFBIG; Python ignores SIGXFSZ); TIFF keeps it off the Pillow path."""
    import resource
    import subprocess
    import sys

    shutil.copy(ROCKET, here / "rocket.jpg")

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))

    (here / "in").mkdir()
    shutil.copy(ROCKET, here / "in" / "a.jpg")
    for args in (["process", "rocket.jpg", "format:target=tiff", "--to", "out.tiff"],
                 ["--json", "process", "in/", "format:target=tiff", "--to", "out/"]):
        proc = subprocess.run([sys.executable, "-m", "mediaproc", *args], cwd=here, capture_output=True,
                              preexec_fn=small_files)
        err = proc.stderr.decode()
        if args[0] == "process":
            assert proc.returncode == 1, err
            assert "File too large" in err and "check that the file" not in err and "Traceback" not in err, err
            assert "free some space" in err
        else:
            import json

            assert proc.returncode == 8, err
            (item,) = json.loads(proc.stdout)
            assert item["error"]["code"] == "SystemError" and "File too large" in item["error"]["message"], item
    assert not (here / "out.tiff").exists() and list(here.rglob(".mediaproc-*")) == []
    assert not (here / "out").exists() or list((here / "out").iterdir()) == []


def test_a_failed_sync_media_operation_reports_no_task_id(cli, here: Path) -> None:
    """Sync operations (snapshot, HLS) run as a local job, but report no task id, as on the clouds;
    a failed one printed "Task ID: Media-..." anyway, an id no command can look up."""
    (here / "empty.mp4").write_bytes(b"")
    r = cli("--json", "video", "snapshot", "empty.mp4", "t=0", "--to", "s.jpg")
    assert r.code == 2, r.stderr
    assert "task_id" not in r.error and "Task ID" not in r.stderr, (r.stdout, r.stderr)
    assert not (here / "s.jpg").exists()


def test_a_chain_spelling_pasted_into_a_media_command_gets_a_hint_that_works(cli, here: Path) -> None:
    """``video snapshot clip.mp4 t=1000,f=jpg`` (the chain grammar's commas, as SPEC and the seed
    write it) failed with the hint for t alone; the hint now names the words, and they work."""
    from mediaproc.engine.av.synth import make_video

    make_video(here / "clip.mp4", size=(160, 120), duration=1.0, audio=False)
    r = cli("video", "snapshot", "clip.mp4", "t=500,f=png", "--to", "a.png")
    assert r.code == 2 and "Hint: one parameter per word: t=500 f=png" in r.stderr, r.stderr
    r = cli("video", "snapshot", "clip.mp4", "t=500", "f=png", "--to", "a.png")  # the hint, pasted
    assert r.code == 0, r.stderr
    assert image_size(here / "a.png") == (160, 120)


def test_a_source_of_dash_says_stdin_is_not_read(cli, here: Path) -> None:
    """``cat a.jpg | mediaproc process - ...`` said "source - does not exist; check the path"."""
    for args in (["process", "-", "resize:w=10", "--to", "x.jpg"], ["upload", "-", "bk/x.jpg"]):
        r = cli(*args)
        assert r.code == 2, r.stderr
        assert "stdin" in r.stderr and "Hint:" in r.stderr, r.stderr
    shutil.copy(ROCKET, here / "-")  # a file named - is that file, as every literal name is
    r = cli("process", "-", "resize:w=10", "--to", "x.jpg")
    assert r.code == 0, r.stderr
    assert image_size(here / "x.jpg") == (10, 7)


def test_the_upload_r_hint_for_a_folder_with_a_space_can_be_pasted(cli, here: Path) -> None:
    (here / "my dir").mkdir()
    shutil.copy(ROCKET, here / "my dir" / "a.jpg")
    r = cli("upload", "my dir", "bk/")
    assert r.code == 2 and "mediaproc upload -r 'my dir' DEST/" in r.stderr, r.stderr


@pytest.mark.parametrize("args", [
    ["process", "in/*.png", "resize:w=10", "--to", "taken.jpg"],
    ["upload", "-r", "in", "taken.jpg"],
    ["download", "-r", "in/", "taken.jpg"],
])
def test_a_batch_into_an_existing_file_is_refused_before_any_item(cli, here: Path, args: list[str]) -> None:
    """``process 'in/*.png' ... --to taken.jpg`` (a file) failed every item with a bare
    "FileExistsError: [Errno 17]" (exit 8, hint "run again with --skip-existing"); upload -r failed
    every item too. download -r refused it up front: now all three do, with one message."""
    from PIL import Image

    (here / "in").mkdir()
    for name in ("a.png", "b.png"):
        Image.new("RGB", (20, 10)).save(here / "in" / name)
    shutil.copy(ROCKET, here / "taken.jpg")
    r = cli(*args)
    assert r.code == 2, r.stderr
    assert "taken.jpg is a file, not a folder" in r.stderr and "FileExistsError" not in r.stderr, r.stderr
    assert image_size(here / "taken.jpg") == (640, 427)


def test_a_missing_watermark_image_names_each_folder_looked_in_once(cli, here: Path) -> None:
    shutil.copy(ROCKET, here / "rocket.jpg")
    r = cli("process", "rocket.jpg", "watermark:image=logo.png", "--to", "w.jpg")
    assert r.code == 4, r.stderr
    hint = next(line for line in r.stderr.splitlines() if line.startswith("Hint:"))
    assert hint.count(str(here)) == 1 and ", ." not in hint, hint  # was "looked in: /tmp/x, ."
    assert not (here / "w.jpg").exists()
    (here / "logo.png").mkdir()  # a folder of that name: it said "source file not found: .../logo.png"
    r = cli("process", "rocket.jpg", "watermark:image=logo.png", "--to", "w.jpg")
    assert r.code == 4 and "watermark image 'logo.png' was not found" in r.stderr, r.stderr


def test_a_folder_as_a_concat_input_is_refused_without_a_wrong_hint(cli, here: Path) -> None:
    """The hint said "batch processing of folders takes a glob": a folder *is* a batch source
    (docs/paths.md), and a concat input is never a batch."""
    from mediaproc.engine.av.synth import make_video

    make_video(here / "clip.mp4", size=(160, 120), duration=1.0)
    (here / "parts").mkdir()
    r = cli("video", "concat", "clip.mp4", "f=mp4", "vcodec=h264", "acodec=aac", "--input", "parts", "--to", "c.mp4")
    assert r.code == 2, r.stderr
    assert "is a folder" in r.stderr and "glob" not in r.stderr, r.stderr
    assert not (here / "c.mp4").exists()


def test_a_batch_of_info_without_a_destination_prints_each_document(cli, here: Path) -> None:
    """``image info 'in/*.png'`` (no --to, no --json) printed ``ok  in/a.png`` and nothing else: the
    documents, the one thing asked for, were dropped. The detail column now holds each one."""
    import json

    from PIL import Image

    (here / "in").mkdir()
    Image.new("RGB", (30, 20)).save(here / "in" / "a.png")
    Image.new("RGB", (40, 10)).save(here / "in" / "b.png")
    r = cli("image", "info", "in/*.png")
    assert r.code == 0, r.stderr
    rows = [line.split("\t") for line in r.stdout.splitlines()]
    assert [row[:2] for row in rows] == [["ok", "in/a.png"], ["ok", "in/b.png"]], r.stdout
    widths = [json.loads(row[3])["ImageWidth"]["value"] for row in rows]
    assert widths == ["30", "40"]


def test_skip_existing_with_one_source_skips_as_a_batch_item_does(cli, here: Path) -> None:
    """``for f in *.jpg; do mediaproc process "$f" ... --to "out/$f" --skip-existing; done`` replaced
    every result: with one source the option was dropped silently."""
    shutil.copy(ROCKET, here / "rocket.jpg")
    assert cli("process", "rocket.jpg", "resize:w=10", "--to", "r.jpg").code == 0
    r = cli("--json", "process", "rocket.jpg", "resize:w=20", "--to", "r.jpg", "--skip-existing")
    assert r.code == 0, r.stderr
    assert (r.json()["status"], r.json()["mode"]) == ("skipped", "skipped")
    assert image_size(here / "r.jpg") == (10, 7)  # untouched
    r = cli("process", "rocket.jpg", "resize:w=20", "--to", "new.jpg", "--skip-existing")
    assert r.code == 0 and image_size(here / "new.jpg") == (20, 13)


def test_skip_existing_with_one_source_does_not_skip_frames_into_an_existing_folder(cli, here: Path) -> None:
    """Snapshots name their files as they write them: the destination is the folder, and a folder
    made beforehand (``mkdir frames``) counted as the result existing: skipped, exit 0, no frame."""
    from mediaproc.engine.av.synth import make_video

    make_video(here / "v.mp4", size=(64, 48), duration=2.0, audio=False)
    (here / "frames").mkdir()
    r = cli("--json", "process", "v.mp4", "video/snapshots:f=png,inter=1000", "--to", "frames/", "--skip-existing")
    assert r.code == 0, r.stderr
    assert r.json()["status"] != "skipped", r.stdout
    written = sorted((here / "frames").iterdir())
    assert written and all(image_size(p) == (64, 48) for p in written), written


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_pipe_as_the_source_is_a_usage_error_not_not_found_or_a_crash(cli, here: Path) -> None:
    """``cat a.jpg | mediaproc process /dev/stdin ...`` said "source file not found: /dev/stdin";
    ``video snapshot /dev/stdin`` failed as "unexpected InvalidDataError ... this is a bug"."""
    os.mkfifo(here / "pipe.jpg")  # stat() only: nothing opens it, so nothing blocks
    for args in (["process", "pipe.jpg", "resize:w=10", "--to", "x.jpg"],
                 ["video", "snapshot", "pipe.jpg", "t=0", "--to", "x.jpg"], ["image", "info", "pipe.jpg"]):
        r = cli(*args)
        assert r.code == 2, (args, r.stderr)
        assert "not a regular file" in r.stderr and "bug" not in r.stderr, r.stderr
    assert not (here / "x.jpg").exists()
