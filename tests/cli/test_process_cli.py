"""`mediaproc process` end to end in-process: golden OSS strings via --dry-run, the invalid-input matrix,
exit codes, and real local processing checked by decoding the output."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[1] / "data"


def norm(process: str) -> list[tuple[str, list[str]]]:
    """OSS ignores parameter order inside a segment (not between segments): compare that way."""
    out = []
    for seg in process.split("/"):
        parts = seg.split(",")
        out.append((parts[0], sorted(parts[1:])))
    return out


GOLDEN = [
    (["resize:w=600"], "image/resize,w_600"),
    (["resize:w=400,h=300,mode=fill"], "image/resize,m_fill,w_400,h_300"),
    (["crop:w=200,h=200,g=c"], "image/crop,w_200,h_200,g_center"),
    (["rotate:angle=90"], "image/rotate,90"),
    (["resize:w=800", "quality:Q=80", "format:target=webp"], "image/resize,w_800/quality,Q_80/format,webp"),
    (["watermark:text=Hello World"], "image/watermark,text_SGVsbG8gV29ybGQ"),
    (["watermark:image=panda.png,P=30"], "image/watermark,image_cGFuZGEucG5n,P_30"),
    (["blur:r=3,s=2"], "image/blur,r_3,s_2"),
    (["circle:r=100", "format:target=png"], "image/circle,r_100/format,png"),
    (["video/snapshot:t=17000,f=jpg,w=800,h=600"], "video/snapshot,t_17000,f_jpg,w_800,h_600"),
]


@pytest.mark.parametrize(("ops", "expected"), GOLDEN)
def test_golden_strings_from_dry_run(cli, tmp_path: Path, ops: list[str], expected: str) -> None:
    # a destination without an extension asks for no format (a chain's own format must agree with one)
    r = cli("process", "oss://my-bucket/in.jpg", *ops, "--to", str(tmp_path / "out"), "--dry-run", "--json")
    assert r.code == 0, r.stderr
    data = r.json()["data"]
    assert norm(data["process"]) == norm(expected)
    assert data["query"] == f"x-oss-process={data['process']}"
    # the human form prints the request line with the same string
    r = cli("process", "oss://my-bucket/in.jpg", *ops, "--to", str(tmp_path / "out"), "--dry-run")
    assert r.code == 0
    assert r.stdout.startswith("GET /in.jpg?x-oss-process=")


def test_golden_info_dry_run(cli) -> None:
    r = cli("process", "oss://my-bucket/in.jpg", "info", "--dry-run", "--json")
    assert r.code == 0, r.stderr
    assert r.json()["data"]["process"] == "image/info"


def test_golden_async_body_with_saveas(cli) -> None:
    r = cli("process", "oss://my-bucket/in.mp4", "video/convert:f=mp4,vcodec=h264,s=1920x1080",
            "--to", "oss://my-bucket/out/v.mp4", "--dry-run", "--json")
    assert r.code == 0, r.stderr
    body = r.json()["data"]["body"]
    head, saveas = body.split("|")
    assert head.split("=", 1)[0] == "x-oss-async-process"
    assert norm(head.split("=", 1)[1]) == norm("video/convert,f_mp4,vcodec_h264,s_1920x1080")
    assert saveas == "sys/saveas,o_b3V0L3YubXA0,b_bXktYnVja2V0"
    r = cli("process", "oss://my-bucket/in.mp4", "video/convert:f=mp4,vcodec=h264,s=1920x1080",
            "--to", "oss://my-bucket/out/v.mp4", "--dry-run")
    assert r.stdout.splitlines()[0].startswith("POST /in.mp4?x-oss-async-process")
    assert r.stdout.splitlines()[1] == body


def test_native_oss_string_is_accepted(cli, tmp_path: Path) -> None:
    r = cli("process", "oss://my-bucket/in.jpg", "image/resize,w_800/quality,Q_80/format,webp",
            "--to", str(tmp_path / "o.webp"), "--dry-run", "--json")
    assert r.code == 0, r.stderr
    assert norm(r.json()["data"]["process"]) == norm("image/resize,w_800/quality,Q_80/format,webp")


def test_dry_run_needs_no_credentials_for_every_family(cli, tmp_path: Path) -> None:
    cases = [
        ["audio/convert:f=mp3,ab=128000"],
        ["hls/m3u8:st=4000,vcodec=h264"],
        ["video/snapshots:f=jpg,inter=1000"],
        ["video/sprite:f=jpg,sw=160,sh=90,inter=1000"],
        ["video/animation:f=gif,w=320,h=180"],
        ["faces"],
    ]
    for ops in cases:
        args = ["process", "oss://my-bucket/in.mp4", *ops, "--dry-run", "--json"]
        if ops[0] != "faces":
            args += ["--to", "oss://my-bucket/out/x"]
        r = cli(*args)
        assert r.code == 0, (ops, r.stderr)
        assert r.json()["data"]["process"]


# -- invalid input: one line, a hint, the right exit code, no traceback ------------------------------------


def bad(cli, *args: str, code: int = 2, contains: str | None = None) -> str:
    r = cli(*args)
    assert r.code == code, (args, r.code, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert lines[0].startswith("Error: ")
    assert any(line.startswith("Hint: ") for line in lines), r.stderr
    if contains:
        assert contains in r.stderr, r.stderr
    return r.stderr


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    p = tmp_path / "photo.jpg"
    shutil.copy(DATA / "rocket.jpg", p)
    return p


def test_unknown_operation_suggests(cli, photo: Path) -> None:
    bad(cli, "process", str(photo), "resizee:w=10", "--to", str(photo.with_name("o.jpg")), contains="resize")


def test_misspelt_parameter_suggests(cli, photo: Path) -> None:
    bad(cli, "process", str(photo), "resize:mdoe=fill,w=10", "--to", str(photo.with_name("o.jpg")), contains="mode")


def test_out_of_range(cli, photo: Path) -> None:
    bad(cli, "process", str(photo), "resize:w=20000", "--to", str(photo.with_name("o.jpg")), contains="16384")


def test_missing_required_parameter(cli, photo: Path) -> None:
    bad(cli, "process", str(photo), "video/animation:w=100,h=100", "--to", str(photo.with_name("anim")),
        contains="f")  # a name without an extension says nothing (o.gif would give f=gif)


def test_forbidden_chain(cli, photo: Path) -> None:
    bad(cli, "process", str(photo), "info", "resize:w=10", "--to", str(photo.with_name("o.jpg")))
    bad(cli, "process", str(photo), "resize:w=10", "video/convert:f=mp4", "--to", str(photo.with_name("o.mp4")))


def test_both_angle_and_degree(cli, photo: Path) -> None:
    bad(cli, "process", str(photo), "rotate:angle=90,degree=90", "--to", str(photo.with_name("o.jpg")),
        contains="degree")


def test_malformed_key_value(cli, photo: Path) -> None:
    bad(cli, "process", str(photo), "resize:w600", "--to", str(photo.with_name("o.jpg")))


def test_bad_base64_in_native_string(cli, photo: Path) -> None:
    bad(cli, "process", str(photo), "image/watermark,text_@@@", "--to", str(photo.with_name("o.jpg")))


def test_unreadable_source(cli, tmp_path: Path) -> None:
    src = tmp_path / "not-an-image.jpg"
    src.write_text("this is text, not a JPEG\n")
    out = tmp_path / "o.jpg"
    bad(cli, "process", str(src), "resize:w=10", "--to", str(out))
    assert not out.exists()


def test_missing_source_is_not_found(cli, tmp_path: Path) -> None:
    bad(cli, "process", str(tmp_path / "nope.jpg"), "resize:w=10", "--to", str(tmp_path / "o.jpg"), code=4)


def test_destination_folder_missing(cli, photo: Path, tmp_path: Path) -> None:
    bad(cli, "process", str(photo), "resize:w=10", "--to", str(tmp_path / "no" / "such" / "o.jpg"),
        contains="does not exist")


def test_the_mkdir_hint_can_be_pasted_into_a_shell(cli, photo: Path, tmp_path: Path) -> None:
    import shlex
    import subprocess

    folder = tmp_path / "a b" / "it's $HOME"
    res = cli("--json", "process", str(photo), "resize:w=10", "--to", str(folder / "o.jpg"))
    assert res.code == 2
    hint = res.json()["error"]["hint"]
    command = hint[hint.index("(") + 1 : hint.rindex(")")]
    assert shlex.split(command) == ["mkdir", "-p", str(folder)]
    subprocess.run(["sh", "-c", command], check=True)
    assert folder.is_dir()


def test_unsupported_output_format(cli, photo: Path, tmp_path: Path) -> None:
    bad(cli, "process", str(photo), "resize:w=10", "--to", str(tmp_path / "o.xyz"))
    assert not (tmp_path / "o.xyz").exists()
    bad(cli, "process", str(photo), "format:target=psd", "--to", str(tmp_path / "o.psd"))


def test_operation_not_available_locally(cli, photo: Path) -> None:
    bad(cli, "process", str(photo), "labels", contains="oss")


def test_url_needs_a_cloud(cli, photo: Path) -> None:
    bad(cli, "process", str(photo), "resize:w=10", "--url")


def test_image_process_refuses_media_ops(cli, photo: Path, tmp_path: Path) -> None:
    bad(cli, "image", "process", str(photo), "video/convert:f=mp4", "--to", str(tmp_path / "o.mp4"))


def test_json_error_document(cli, tmp_path: Path) -> None:
    r = cli("process", str(tmp_path / "nope.jpg"), "resize:w=10", "--to", str(tmp_path / "o.jpg"), "--json")
    assert r.code == 4
    doc = r.json()
    assert doc["success"] is False
    assert doc["error"]["code"] and doc["error"]["message"] and doc["error"]["hint"]


# -- real local processing ---------------------------------------------------------------------------------


def test_local_resize_writes_decodable_image(cli, photo: Path, tmp_path: Path) -> None:
    from PIL import Image

    out = tmp_path / "small.webp"
    r = cli("process", str(photo), "resize:w=300", "--to", str(out), "--json")
    assert r.code == 0, r.stderr
    doc = r.json()
    assert doc["success"] is True and doc["path"] == str(out.resolve())
    with Image.open(out) as im:
        assert im.format == "WEBP"
        assert im.size == (300, 200)  # 640x427 * 300/640 = 200.16 -> 200
    assert doc["size"] == out.stat().st_size
    assert (doc["width"], doc["height"]) == (300, 200)


def test_image_info_and_hue(cli, photo: Path) -> None:
    r = cli("image", "info", str(photo), "--json")
    assert r.code == 0, r.stderr
    info = r.json()["data"]
    assert info["ImageWidth"] == {"value": "640"} and info["ImageHeight"] == {"value": "427"}
    assert info["Format"] == {"value": "jpg"}
    r = cli("image", "hue", str(photo), "--json")
    assert r.code == 0, r.stderr
    rgb = r.json()["data"]["RGB"]
    assert rgb.startswith("0x") and len(rgb) == 8


def test_human_table_on_success(cli, photo: Path, tmp_path: Path) -> None:
    out = tmp_path / "t.png"
    r = cli("process", str(photo), "resize:w=100", "format:target=png", "--to", str(out))
    assert r.code == 0, r.stderr
    assert "completed" in r.stdout and str(out.resolve()) in r.stdout.replace("\n", "")
    assert "100x67" in r.stdout


def test_ops_listing_and_table(cli) -> None:
    r = cli("ops", "--json")
    assert r.code == 0
    names = {row["name"] for row in r.json()}
    assert {"resize", "watermark", "video/convert", "audio/concat", "hls/m3u8", "faces"} <= names
    r = cli("ops", "resize", "--json")
    keys = {row["key"] for row in r.json()}
    assert {"w", "h", "l", "s", "p", "mode", "limit", "color"} <= keys


def test_golden_dry_runs_of_wire_fixes(cli, tmp_path: Path) -> None:
    """Dry-runs of requests issue 17 changed: each shows exactly what the real run sends."""
    def data(*args: str) -> dict:
        r = cli("process", *args, "--dry-run", "--json")
        assert r.code == 0, r.stderr
        return r.json()["data"]

    # flip is an OSS operation (help.aliyun.com/zh/oss/flip-image)
    assert data("oss://my-bucket/in.jpg", "flip:v=1", "--to", str(tmp_path / "o.jpg"))["process"] == "image/flip,1"
    # the destination's format is asked for when the source's name implies another
    assert data("oss://my-bucket/in.png", "resize:w=600", "--to", str(tmp_path / "o.jpg"))["query"] == (
        "x-oss-process=image/resize,w_600/format,jpg"
    )
    assert data("oss://my-bucket/in.png", "resize:w=600", "--to", "oss://my-bucket/o.webp")["body"] == (
        "x-oss-process=image/resize,w_600/format,webp|sys/saveas,o_by53ZWJw,b_bXktYnVja2V0"
    )
    assert data("oss://my-bucket/in.mp4", "video/snapshot:t=0", "--to", str(tmp_path / "f.png"))["process"] == (
        "video/snapshot,t_0,f_png"
    )
    # a bare --input is a key beside the source
    body = data("oss://my-bucket/in.mp4", "video/concat:f=mp4,vcodec=h264,acodec=aac", "--input", "b.mp4",
                "--to", "oss://my-bucket/cat.mp4")["body"]
    assert body == ("x-oss-async-process=video/concat,f_mp4,vcodec_h264,acodec_aac/sur,o_Yi5tcDQ"
                    "|sys/saveas,o_Y2F0Lm1wNA,b_bXktYnVja2V0")
    # blindwatermark-extract is IMM's CreateDecodeBlindWatermarkTask, not an x-oss-async-process request
    got = data("oss://my-bucket/m.png", "blindwatermark-extract:s=high,model=fft")
    assert got["imm"] == {
        "action": "CreateDecodeBlindWatermarkTask",
        "version": "2020-09-30",
        "params": {"ProjectName": "<IMM project bound to my-bucket>", "SourceURI": "oss://my-bucket/m.png",
                   "Model": "FFT", "StrengthLevel": "high"},
    }
    assert "x-oss-async-process" not in str(got)
    named = cli("--imm-project", "proj", "process", "oss://my-bucket/m.png", "blindwatermark-extract", "--dry-run")
    assert named.code == 0, named.stderr
    assert "(IMM CreateDecodeBlindWatermarkTask, x-acs-action)" in named.stdout.splitlines()[0]
    assert named.stdout.splitlines()[1] == '{"ProjectName": "proj", "SourceURI": "oss://my-bucket/m.png"}'


def test_an_option_after_double_dash_is_named_as_an_option(cli, here: Path, photo: Path) -> None:
    (here / "-x.jpg").write_bytes(photo.read_bytes())
    res = cli("--json", "process", "--", "-x.jpg", "resize:w=10", "--to", "y.jpg")
    assert res.code == 2
    assert res.json()["error"]["message"] == "'--to' is an option, not an operation"
    assert "before `--`" in res.json()["error"]["hint"]
    assert not (here / "y.jpg").exists()
    res = cli("--json", "process", "--to", "y.jpg", "--", "-x.jpg", "resize:w=10")  # as the hint says
    assert res.code == 0, res.stderr
    assert res.json()["width"] == 10
