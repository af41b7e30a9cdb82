"""--verify / --strict: the saved result is read back and compared with what the chain asked for."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import DATA, CliResult, OssBucket

CHELSEA = str(DATA / "chelsea.png")  # 451x300


def test_resize_beyond_a_smaller_source_is_flagged(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    out = tmp_path / "out.png"
    res = cli("--json", "process", CHELSEA, "resize:w=500", "--to", str(out), "--verify")
    assert res.code == 0, res.stderr
    v = res.json()["verified"]
    assert v["object"] == str(out.resolve())
    assert v["method"] == "info"
    assert v["requested"] == {"width": 500, "format": "png"}  # out.png asks for PNG bytes too
    assert v["found"] == {"format": "png", "width": 451, "height": 300, "size": out.stat().st_size}
    assert v["differences"] == [
        {"property": "width", "requested": 500, "found": 451, "relation": "eq", "origin": "resize w"}
    ]
    warnings = res.json()["warnings"]
    assert "verified width is 451, not the requested 500" in warnings
    assert any("limit=0" in w for w in warnings)
    human = cli("process", CHELSEA, "resize:w=500", "--to", str(out), "--verify")
    assert human.code == 0
    assert "Warning: verified width is 451, not the requested 500" in human.stderr


def test_strict_exits_9_and_still_prints_one_result(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    res = cli("--json", "process", CHELSEA, "resize:w=500", "--to", str(tmp_path / "o.png"), "--strict")
    assert res.code == 9
    doc = res.json()  # exactly one JSON document: the result, with what differs
    assert doc["success"] is True
    assert doc["verified"]["differences"][0]["found"] == 451
    assert "Error: the result differs from the request: width" in res.stderr


def test_table_shows_the_verified_values_beside_the_request(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    res = cli("process", CHELSEA, "resize:w=500", "--to", str(tmp_path / "o.png"), "--verify")
    assert res.code == 0
    lines = res.stdout.splitlines()
    assert any(line.startswith("Verified") for line in lines)
    assert "(info)" in res.stdout
    width = next(line for line in lines if line.strip().startswith("width"))
    assert "451" in width and "✗" in width and "500" in width
    height = next(line for line in lines if line.strip().startswith("height"))
    assert "300" in height


def test_matching_result_passes_strict(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    out = tmp_path / "o.webp"
    res = cli("--json", "process", CHELSEA, "resize:w=200", "format:target=webp", "--to", str(out), "--strict")
    assert res.code == 0, res.stderr
    v = res.json()["verified"]
    assert v["requested"] == {"format": "webp", "width": 200}
    assert v["found"]["width"] == 200 and v["found"]["height"] == 133 and v["found"]["format"] == "webp"
    assert v["differences"] == []
    assert "Warning" not in res.stderr


@pytest.mark.parametrize(
    ("ops", "requested", "different"),
    [
        (["resize:w=100,h=100"], {"fit": [100, 100]}, []),  # lfit: 100x67 touches the box
        (["resize:w=1000,h=1000"], {"fit": [1000, 1000]}, ["fit"]),  # limit 1: the source stays 451x300
        (["resize:l=200"], {"long_side": 200}, []),
        (["resize:w=200", "rotate:angle=90"], {"height": 200}, []),
        (["crop:w=1000,h=100"], {"width": 1000, "height": 100}, ["width"]),  # clipped at the edge
        (["resize:p=50"], {}, []),  # relative: nothing absolute was asked
    ],
)
def test_expectations_from_the_chain(
    cli: Callable[..., CliResult], tmp_path: Path, ops: list[str], requested: dict, different: list[str]
) -> None:
    res = cli("--json", "process", CHELSEA, *ops, "--to", str(tmp_path / "o.png"), "--verify")
    assert res.code == 0, res.stderr
    v = res.json()["verified"]
    assert v["requested"] == {**requested, "format": "png"}  # the destination's extension is asked too
    assert [d["property"] for d in v["differences"]] == different


def test_without_verify_nothing_claims_verification(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    res = cli("--json", "process", CHELSEA, "resize:w=500", "--to", str(tmp_path / "o.png"))
    assert res.code == 0
    assert res.json()["verified"] is None
    table = cli("process", CHELSEA, "resize:w=500", "--to", str(tmp_path / "p.png"))
    assert "Verified" not in table.stdout + table.stderr
    assert "verified" not in table.stderr.lower()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([CHELSEA, "info", "--verify"], "info returns a JSON document: there is no saved result to verify"),
        (["oss://bkt-x/a.png", "resize:w=10", "--url", "--verify"],
         "--verify needs a saved result, but --url only returns a signed URL"),
        (["oss://bkt-x/a.mp4", "video/convert:f=mp4,vcodec=h264", "--to", "oss://bkt-x/b.mp4", "--no-wait",
          "--verify"], "--verify needs the finished result, but --no-wait does not wait for it"),
    ],
)
def test_verify_refuses_what_it_cannot_read_back(
    cli: Callable[..., CliResult], args: list[str], message: str
) -> None:
    res = cli("process", *args)
    assert (res.code, res.first_stderr_line) == (2, f"Error: {message}")


def test_verify_is_refused_in_batch_mode(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    res = cli("process", str(DATA / "*.png"), "resize:w=10", "--to", str(tmp_path), "--verify")
    assert (res.code, res.first_stderr_line) == (
        2, "Error: --verify checks one result at a time; it does not apply to batch mode"
    )


def test_oss_verify_reads_the_saved_object_through_the_provider(
    cli: Callable[..., CliResult], oss: OssBucket
) -> None:
    oss.sdk().put_object_from_file("in/chelsea.png", CHELSEA)
    oss.emulator.reset_stats()
    res = cli("--json", "process", oss.uri("in/chelsea.png"), "resize:w=500", "--to", oss.uri("out/o.png"),
              "--verify")
    assert res.code == 0, res.stderr
    v = res.json()["verified"]
    assert v["object"] == oss.uri("out/o.png")
    assert v["method"] == "info"
    assert v["found"]["width"] == 451 and v["found"]["height"] == 300
    assert v["found"]["size"] == len(oss.get("out/o.png"))
    assert [d["property"] for d in v["differences"]] == ["width"]
    assert oss.emulator.stats()["requests"].get("GetObjectWithProcess", 0) == 1  # the info read-back
    strict = cli("--json", "process", oss.uri("in/chelsea.png"), "resize:w=500", "--to", oss.uri("out/p.png"),
                 "--strict")
    assert strict.code == 9
    assert strict.json()["verified"]["differences"][0]["found"] == 451


def test_oss_download_is_verified_from_the_local_file(
    cli: Callable[..., CliResult], oss: OssBucket, tmp_path: Path
) -> None:
    oss.sdk().put_object_from_file("in/chelsea.png", CHELSEA)
    out = tmp_path / "d.png"
    res = cli("--json", "process", oss.uri("in/chelsea.png"), "resize:w=120", "--to", str(out), "--strict")
    assert res.code == 0, res.stderr
    v = res.json()["verified"]
    assert v["object"] == str(out.resolve())
    assert v["found"]["width"] == 120 and v["differences"] == []


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """1 s of 160x120 test pattern at 25 fps with a 44.1 kHz stereo tone."""
    import imageio_ffmpeg

    path = tmp_path_factory.mktemp("media") / "clip.mp4"
    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y",
         "-f", "lavfi", "-i", "testsrc=size=160x120:rate=25:duration=1",
         "-f", "lavfi", "-i", "sine=frequency=440:duration=1:sample_rate=44100",
         "-ac", "2", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac",
         "-shortest", str(path)],
        check=True,
    )
    return path


def test_video_convert_verified_locally(cli: Callable[..., CliResult], clip: Path, tmp_path: Path) -> None:
    out = tmp_path / "v.mp4"
    res = cli("--json", "process", str(clip), "video/convert:f=mp4,vcodec=h264,s=96x64,fps=10,ar=22050,ac=1",
              "--to", str(out), "--strict")
    assert res.code == 0, res.stderr
    v = res.json()["verified"]
    assert v["method"] == "video/info"
    assert v["requested"] == {"format": "mp4", "video_codec": "h264", "frame_rate": 10, "sample_rate": 22050,
                              "channels": 1, "width": 96, "height": 64}
    found = v["found"]
    assert (found["width"], found["height"], found["video_codec"]) == (96, 64, "h264")
    assert found["sample_rate"] == 22050 and found["channels"] == 1
    assert "mp4" in found["format"]
    assert v["differences"] == []


def test_audio_convert_verified_locally(cli: Callable[..., CliResult], clip: Path, tmp_path: Path) -> None:
    out = tmp_path / "a.mp3"
    res = cli("--json", "process", str(clip), "audio/convert:f=mp3,ar=22050,ac=1,ab=64000", "--to", str(out),
              "--verify")
    assert res.code == 0, res.stderr
    v = res.json()["verified"]
    assert v["method"] == "audio/info"
    assert v["found"]["sample_rate"] == 22050 and v["found"]["channels"] == 1
    assert v["found"]["audio_codec"] == "mp3"
    assert v["differences"] == []


def test_media_comparison_rules() -> None:
    """Tolerances and names, on documents shaped like OSS video/info answers."""
    from mediaproc.ops.parse import parse_chain
    from mediaproc.services.verify import compare, expectations, found_media

    info = {
        "Format": {"FormatName": "mov,mp4,m4a,3gp,3g2,mj2", "Duration": "4.96", "Size": "1000", "Bitrate": "9"},
        "Streams": {
            "VideoStream": [{"CodecName": "hevc", "Width": "640", "Height": "360", "FrameRate": "24.0",
                             "BitRate": "1200000"}],
            "AudioStream": [{"CodecName": "aac", "SampleRate": "48000", "Channels": "2", "BitRate": "127000"}],
        },
    }
    found = found_media(info)
    ok = expectations(parse_chain(["video/convert:f=mp4,vcodec=h265,s=640x360,vb=1000000,ab=128000,t=5000"]))
    assert compare(ok, found) == []  # h265 == hevc, 1.2 Mb/s within 25 % of 1 Mb/s, 4.96 s within 0.5 s of 5 s
    bad = expectations(parse_chain(["video/convert:f=mkv,vcodec=h264,fps=30,ar=44100,vb=500000"]))
    assert sorted(d["property"] for d in compare(bad, found)) == [
        "format", "frame_rate", "sample_rate", "video_bitrate", "video_codec"]
    gone = expectations(parse_chain(["video/convert:f=mp4,vcodec=h264,vn=1"]))
    assert [d["property"] for d in compare(gone, found) if d["property"] == "video"] == ["video"]


def test_oss_async_video_is_verified_with_video_info(
    cli: Callable[..., CliResult], oss: OssBucket, clip: Path
) -> None:
    assert cli("imm", "setup", "--json").code == 0
    oss.sdk().put_object_from_file("in/clip.mp4", str(clip))
    res = cli("--json", "process", oss.uri("in/clip.mp4"), "video/convert:f=mp4,vcodec=h264,s=96x64,ar=22050",
              "--to", oss.uri("out/v.mp4"), "--strict")
    assert res.code == 0, res.stderr
    v = res.json()["verified"]
    assert v["object"] == oss.uri("out/v.mp4")
    assert v["method"] == "video/info"
    assert (v["found"]["width"], v["found"]["height"], v["found"]["sample_rate"]) == (96, 64, 22050)
    assert v["found"]["size"] == len(oss.get("out/v.mp4"))
    assert v["differences"] == []
