"""Locally too, the destination's extension decides the format, and the reported format is read from
the bytes written."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

DATA = Path(__file__).resolve().parents[1] / "data"


def test_local_result_follows_the_destination_and_reports_the_bytes(cli, tmp_path: Path) -> None:
    out = tmp_path / "out.jpg"
    res = cli("--json", "process", str(DATA / "chelsea.png"), "resize:w=100", "--to", str(out), "--verify",
              "--strict")
    assert res.code == 0, res.stderr
    doc = res.json()
    assert Image.open(out).format == "JPEG" and doc["format"] == "jpg"
    assert doc["verified"]["requested"]["format"] == "jpg"
    webp = tmp_path / "o.webp"
    res = cli("--json", "process", str(DATA / "rocket.jpg"), "circle:r=40", "--to", str(webp))
    assert res.code == 0, res.stderr
    assert Image.open(webp).format == "WEBP" and res.json()["format"] == "webp"


# -- a chain that asks for one format and a destination named for another is refused -------------------
VIDEO = "clip.mp4"  # never read: the contradiction is refused before the source is opened


@pytest.mark.parametrize(
    ("words", "to", "message"),
    [
        (["process", "rocket.jpg", "format:target=png"], "out.jpg",
         "format:target=png writes png, but the destination out.jpg is named as .jpg"),
        (["process", "rocket.jpg", "resize:w=10"], "out.mp4",
         "resize writes an image, but the destination out.mp4 is named as .mp4"),
        (["video", "snapshot", VIDEO, "t=1000", "f=png"], "frame.jpeg",
         "video/snapshot:f=png writes png, but the destination frame.jpeg is named as .jpeg"),
        (["video", "snapshot", VIDEO, "t=1000"], "frame.webp",
         "video/snapshot:f=jpg writes jpg, but the destination frame.webp is named as .webp"),
        (["video", "convert", VIDEO, "f=mkv"], "out.mp4",
         "video/convert:f=mkv writes mkv, but the destination out.mp4 is named as .mp4"),
        (["audio", "convert", VIDEO, "f=mp3"], "out.wav",
         "audio/convert:f=mp3 writes mp3, but the destination out.wav is named as .wav"),
        (["process", VIDEO, "video/animation:f=gif"], "out.webp",
         "video/animation:f=gif writes gif, but the destination out.webp is named as .webp"),
        (["process", VIDEO, "hls/m3u8"], "out.mp4",
         "hls/m3u8 writes an m3u8 playlist, but the destination out.mp4 is named as .mp4"),
        (["process", "rocket.jpg", "info"], "out.jpg",
         "info writes a JSON document, but the destination out.jpg is named as .jpg"),
        (["process", VIDEO, "video/convert:f=mp4"], "out.m3u8",
         "video/convert:f=mp4 writes mp4, but the destination out.m3u8 is named as .m3u8"),
        (["process", "rocket.jpg", "resize:w=10"], "out.json",
         "resize writes an image, but the destination out.json is named as .json"),
    ],
)
def test_a_destination_named_for_another_format_is_refused(
    cli, here: Path, words: list[str], to: str, message: str
) -> None:
    (here / "rocket.jpg").write_bytes((DATA / "rocket.jpg").read_bytes())
    (here / VIDEO).write_bytes(b"\x00\x00\x00\x18ftypisom")  # a name to read; the check comes first
    res = cli("--json", *words, "--to", to)
    assert res.code == 2, res.stdout
    error = res.json()["error"]
    assert error["code"] == "UsageError" and error["message"] == message
    assert "name the destination" in error["hint"] or "name it" in error["hint"]
    assert sorted(p.name for p in here.iterdir()) == sorted(["rocket.jpg", VIDEO])  # nothing written


def test_the_same_contradiction_is_refused_for_a_cloud_destination(cli) -> None:
    res = cli("process", "oss://my-bucket/in.jpg", "format:target=webp", "--to", "oss://my-bucket/out.png",
              "--dry-run")
    assert res.code == 2
    assert "format:target=webp writes webp, but the destination out.png is named as .png" in res.stderr


@pytest.mark.parametrize(
    ("words", "to", "fmt"),
    [
        (["process", "rocket.jpg", "format:target=jpg"], "out.JPEG", "JPEG"),  # spellings of one format
        (["process", "rocket.jpg", "format:target=png"], "out", "PNG"),
    ],
)
def test_names_that_agree_or_say_nothing_are_written(cli, here: Path, words: list[str], to: str, fmt: str) -> None:
    (here / "rocket.jpg").write_bytes((DATA / "rocket.jpg").read_bytes())
    res = cli("--json", *words, "--to", to)
    assert res.code == 0, res.stderr
    assert Image.open(here / to).format == fmt


def test_media_names_that_hold_the_format_are_written(cli, here: Path) -> None:
    from mediaproc.engine.av.synth import make_video

    make_video(here / VIDEO, size=(64, 48), fps=10, duration=0.5)
    for words, to in ((["video", "convert", VIDEO, "f=mp4"], "out.m4v"), (["audio", "convert", VIDEO, "f=opus"],
                                                                          "out.ogg")):
        res = cli("--json", *words, "--to", to)
        assert res.code == 0, res.stderr
        head = (here / to).read_bytes()[:40]
        assert (head[4:8] == b"ftyp") if to.endswith(".m4v") else (head[:4] == b"OggS" and b"OpusHead" in head)


@pytest.mark.parametrize(
    ("chain", "to", "download", "message"),
    [
        (["resize:w=10"], "out.webp", "x.png",
         "format:target=webp writes webp, but the destination x.png is named as .png"),
        (["format:target=png"], "out.png", "x.jpg",
         "format:target=png writes png, but the destination x.jpg is named as .jpg"),
    ],
)
def test_a_download_named_for_another_format_is_refused(
    cli, here: Path, chain: list[str], to: str, download: str, message: str
) -> None:
    """--download-to names a file too: saving webp as ``out.webp`` and downloading it as ``x.png`` is the
    same contradiction, refused before any request."""
    res = cli("--json", "process", "oss://my-bucket/in.jpg", *chain, "--to", f"oss://my-bucket/{to}",
              "--download-to", download, "--dry-run")
    assert res.code == 2, res.stdout
    assert res.json()["error"]["message"] == message
    ok = cli("--json", "process", "oss://my-bucket/in.jpg", *chain, "--to", f"oss://my-bucket/{to}",
             "--download-to", f"x.{to.rsplit('.', 1)[1]}", "--dry-run")
    assert ok.code == 0, ok.stderr
    folder = cli("--json", "process", "oss://my-bucket/in.jpg", *chain, "--to", f"oss://my-bucket/{to}",
                 "--download-to", "./", "--dry-run")  # a folder is not a name
    assert folder.code == 0, folder.stderr


def test_the_object_saved_before_signing_follows_its_name(cli) -> None:
    """``--url --to oss://b/out.png`` (a blind-watermarked image is saved, then signed): the saved object's
    name asks for its format as any --to does, and a chain asking for another one is refused."""
    words = ["process", "oss://my-bucket/in.jpg"]
    res = cli(*words, "blindwatermark-embed:content=hi", "--url", "--to", "oss://my-bucket/out.png", "--dry-run")
    assert res.code == 0, res.stderr
    assert "x-oss-process=image/format,png/blindwatermark,content_aGk|sys/saveas" in res.stdout
    res = cli(*words, "format:target=webp", "blindwatermark-embed:content=hi", "--url", "--to",
              "oss://my-bucket/out.png", "--dry-run")
    assert res.code == 2
    assert "format:target=webp writes webp, but the destination out.png is named as .png" in res.stderr


def test_a_json_document_named_json_or_without_extension_is_written(cli, here: Path) -> None:
    import json

    (here / "rocket.jpg").write_bytes((DATA / "rocket.jpg").read_bytes())
    for to in ("info.json", "info"):
        res = cli("process", "rocket.jpg", "info", "--to", to)
        assert res.code == 0, res.stderr
        assert json.loads((here / to).read_text())["ImageWidth"]["value"] == "640"


# -- a missing f is taken from the one file's name --------------------------------------------------------
def test_a_missing_f_is_taken_from_the_destination_locally(cli, here: Path) -> None:
    """``video convert clip.mp4 --to out.mkv`` writes Matroska without ``f=mkv``: the name is the request,
    as ``--to out.png`` is for an image chain; the JSON and the bytes agree."""
    import av

    from mediaproc.engine.av.synth import make_video

    make_video(here / VIDEO, size=(64, 48), fps=10, duration=1.0)
    res = cli("--json", "video", "convert", VIDEO, "t=500", "--to", "out.mkv")
    assert res.code == 0, res.stderr
    with av.open(str(here / "out.mkv")) as media:
        assert "matroska" in media.format.name and media.streams.video[0].width == 64
    res = cli("--json", "process", VIDEO, "video/animation:t=500", "--to", "anim.webp")
    assert res.code == 0, res.stderr
    with Image.open(here / "anim.webp") as image:
        assert image.format == "WEBP" and image.size == (64, 48)
    res = cli("--json", "process", VIDEO, "audio/convert", "--to", "sound.flac")
    assert res.code == 0, res.stderr
    assert (here / "sound.flac").read_bytes()[:4] == b"fLaC"


@pytest.mark.parametrize(
    ("words", "to", "request_"),
    [
        (["process", "oss://my-bucket/in.mov", "video/convert:vcodec=h264"], "oss://my-bucket/out.mp4",
         "video/convert,f_mp4,vcodec_h264"),
        (["process", "oss://my-bucket/in.mov", "video/convert,vcodec_h264"], "oss://my-bucket/out.webm",
         "video/convert,f_webm,vcodec_h264"),  # a native string too
        (["video", "convert", "oss://my-bucket/in.mov", "vcodec=h264"], "oss://my-bucket/out.m4v",
         "video/convert,f_mp4,vcodec_h264"),  # a spelling of mp4
        (["audio", "convert", "oss://my-bucket/in.wav"], "oss://my-bucket/out.mp3", "audio/convert,f_mp3"),
        (["process", "oss://my-bucket/in.mov", "video/sprite:inter=1000"], "oss://my-bucket/sheet.jpeg",
         "video/sprite,f_jpg,inter_1000"),
    ],
)
def test_the_f_a_cloud_destination_implies_is_sent(cli, words: list[str], to: str, request_: str) -> None:
    """The cloud is sent ``f`` itself (OSS requires it; serve stays as strict): ``--dry-run`` shows it."""
    res = cli(*words, "--to", to, "--dry-run")
    assert res.code == 0, res.stderr
    assert f"={request_}|sys/saveas" in res.stdout


@pytest.mark.parametrize(
    ("words", "to"),
    [
        (["audio", "convert", VIDEO], "out.m4a"),  # mp4 is not an audio/convert format
        (["video", "convert", VIDEO], "out.wav"),  # a kind no f writes
        (["video", "convert", VIDEO], "out.bin"),  # says nothing
        (["video", "convert", VIDEO], "out/"),  # a folder says nothing
        (["video", "convert", VIDEO], "clips.mkv/"),  # a folder, whatever its name
    ],
)
def test_a_name_that_does_not_choose_one_f_leaves_it_required(cli, here: Path, words: list[str], to: str) -> None:
    res = cli("--json", *words, "--to", to)
    assert res.code == 2, res.stdout
    assert res.json()["error"]["message"].endswith("missing required parameter f")
    assert sorted(p.name for p in here.iterdir()) == []  # nothing read, nothing written


def test_a_cloud_folder_named_like_a_file_leaves_f_required(cli) -> None:
    """``--to oss://b/dir.mp4/`` is a prefix: the result is named after the source inside it, so the
    prefix's own "extension" chooses nothing."""
    res = cli("--json", "video", "convert", "oss://my-bucket/in.mov", "vcodec=h264", "--to", "oss://my-bucket/dir.mp4/",
              "--dry-run")
    assert res.code == 2, res.stdout
    assert res.json()["error"]["message"].endswith("missing required parameter f")


def test_a_name_that_holds_several_formats_says_which(cli, here: Path) -> None:
    res = cli("--json", "audio", "convert", VIDEO, "--to", "out.ogg")
    assert res.code == 2, res.stdout
    error = res.json()["error"]
    assert error["message"] == "audio/convert: missing required parameter f (out.ogg can hold f=oga or f=opus)"
    assert error["hint"] == "give f=oga or f=opus"
    assert list(here.iterdir()) == []

