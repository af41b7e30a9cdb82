"""Pipes and ``--json`` on the local provider: one TSV line per item when stdout is not a terminal
(escapes included), a rich table only on a terminal, ``--json`` as one document in every case (a
listing that fails part way, a batch, a usage error raised before any mediaproc code)."""

from __future__ import annotations

import io
import json
import re
import typing
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from mediaproc.errors import ServiceError
from mediaproc.output import Output, tsv_line

ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
DATA = Path(__file__).resolve().parents[1] / "data"


def unescape(cell: str) -> str:
    """The reverse of the documented TSV escapes (README "Scripting")."""
    return re.sub(r"\\(.)", lambda m: {"t": "\t", "n": "\n", "r": "\r", "\\": "\\"}[m.group(1)], cell)


def test_tsv_escapes_keep_one_item_per_line() -> None:
    assert tsv_line(["a\tb\nc\\d\re", None, 3]) == "a\\tb\\nc\\\\d\\re\t\t3\n"


def test_ls_piped_prints_one_tab_separated_line_per_object(cli, tmp_path: Path) -> None:
    bucket = tmp_path / "b"
    (bucket / "deep" / "er").mkdir(parents=True)
    names = ["plain.jpg", "tab\there.jpg", "new\nline.jpg", "back\\slash.jpg", "deep/er/final-approved-version-3.jpg"]
    for i, name in enumerate(names):
        (bucket / name).write_bytes(b"x" * (i + 1))
    r = cli("ls", f"{bucket}/", "-r")
    assert r.code == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == len(names)  # no header, no box, no wrapping
    rows = [line.split("\t") for line in lines]
    assert all(len(row) == 4 for row in rows)
    keys = {Path(unescape(row[0])).relative_to(bucket).as_posix(): row for row in rows}
    assert set(keys) == set(names)
    for i, name in enumerate(names):
        _key, size, modified, _etag = keys[name]
        assert int(size) == i + 1
        assert ISO_UTC.match(modified), modified
    assert sum("final-approved-version-3.jpg" in line for line in lines) == 1  # grep -c works


def test_ls_json_is_one_array(cli, tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "one.txt").write_text("1")
    r = cli("--json", "ls", f"{tmp_path / 'b'}/")
    assert r.code == 0, r.stderr
    [item] = json.loads(r.stdout)
    assert item["size"] == 1 and ISO_UTC.match(item["last_modified"])


@pytest.mark.parametrize("args", [["config", "list"], ["ops"]])
def test_other_listings_are_plain_lines_on_a_pipe(cli, args: list[str]) -> None:
    if args[0] == "config":
        assert cli("config", "use", "work", "--create").code == 0
        assert cli("config", "set", "region", "cn-shanghai", "--profile", "work").code == 0
    r = cli(*args)
    assert r.code == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines and not any(c in r.stdout for c in "┏━│┃─")
    widths = {len(line.split("\t")) for line in lines}
    assert len(widths) == 1 and widths.pop() > 1
    doc = cli("--json", *args)
    assert len(doc.json()) == len(lines)
    if args[0] == "config":
        assert lines[0].split("\t")[:2] == ["work", "*"] and "cn-shanghai" in lines[0].split("\t")


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_rich_table_only_on_a_terminal() -> None:
    tty, pipe = _Terminal(), io.StringIO()
    for stream in (tty, pipe):
        Output(stdout=stream).table(["key", "size"], [("a.jpg", 1), ("b.jpg", 2)])
    assert "a.jpg" in tty.getvalue() and any(c in tty.getvalue() for c in "┃│")
    assert pipe.getvalue() == "a.jpg\t1\nb.jpg\t2\n"


def _failing_listing(n: int) -> Iterator[tuple[str, int]]:
    for i in range(n):
        yield (f"k{i}", i)
    raise ServiceError("the listing broke", code="InternalError")


def test_json_array_ends_with_an_error_element_when_a_listing_fails_part_way() -> None:
    out, err = io.StringIO(), io.StringIO()
    output = Output(json_mode=True, stdout=out, stderr=err)
    with pytest.raises(ServiceError) as caught:
        output.table(["key", "size"], _failing_listing(2))
    output.error(caught.value)  # what the entry point does next: it ends the array with the error
    doc = json.loads(out.getvalue())
    assert doc[:2] == [{"key": "k0", "size": 0}, {"key": "k1", "size": 1}]
    assert doc[-1] == {"error": caught.value.to_dict()} and doc[-1]["error"]["code"] == "InternalError"
    assert "Error: the listing broke" in err.getvalue()


def test_an_interrupted_json_batch_ends_with_the_summary_and_the_resume_command() -> None:
    from mediaproc.cli.session import AppState, guarded, set_current
    from mediaproc.config import Settings
    from mediaproc.errors import BatchInterrupted
    from mediaproc.results import ProcessResult

    out = io.StringIO()
    output = Output(json_mode=True, stdout=out, stderr=io.StringIO())
    set_current(AppState(settings=Settings(), output=output))
    words = ["--json", "process", "in/", "resize:w=10", "--to", "out/"]

    def body() -> None:
        with output.batch_report() as emit:
            emit(ProcessResult(success=True, mode="file", source="in/a.jpg", path="out/a.jpg"))
            raise BatchInterrupted("interrupted: 1 finished", finished=["in/a.jpg"], failed=[], stopped=["in/b.jpg"],
                                   not_started=["in/c.jpg"], task_ids=[])

    with pytest.raises(SystemExit) as exited:
        guarded(body, words=words)
    assert exited.value.code == 130
    doc = json.loads(out.getvalue())
    assert doc[0]["source"] == "in/a.jpg"
    error = doc[-1]["error"]
    assert error["code"] == "Interrupted" and error["not_started"] == ["in/c.jpg"]
    assert error["resume_command"].endswith("--skip-existing")


def test_a_listing_that_fails_before_its_first_item_is_an_error_document() -> None:
    out = io.StringIO()
    output = Output(json_mode=True, stdout=out, stderr=io.StringIO())
    with pytest.raises(ServiceError) as caught:
        output.table(["key"], _failing_listing(0))
    output.error(caught.value)
    assert json.loads(out.getvalue())["error"]["code"] == "InternalError"


@pytest.mark.parametrize(
    "args",
    [
        ["--json", "process"],  # no source
        ["process", "--json"],  # --json after the command
        ["--json", "process", "a.jpg", "resize:w=1", "--no-such-flag"],
        ["process", "a.jpg", "resize:w=1", "-j", "0", "--json"],  # a bad option value
        ["--json", "no-such-command"],
        ["--json", "ls"],
    ],
)
def test_usage_errors_are_one_json_document(cli, args: list[str]) -> None:
    r = cli(*args)
    assert r.code == 2
    doc = json.loads(r.stdout)
    assert doc["success"] is False and doc["error"]["code"] == "usage"
    assert doc["error"]["message"] and "--help" in doc["error"]["hint"]
    assert "Traceback" not in r.stderr and r.stderr.startswith("Error: ")


def test_usage_error_without_json_keeps_stdout_empty(cli) -> None:
    r = cli("process")
    assert r.code == 2 and r.stdout == "" and "Missing argument" in r.stderr


@pytest.fixture
def images(tmp_path: Path) -> Path:
    src = tmp_path / "in"
    src.mkdir()
    with Image.open(DATA / "rocket.jpg") as im:
        for i in range(3):
            im.resize((60 + i, 40)).save(src / f"img{i}.jpg")
    (src / "zz-broken.jpg").write_bytes(b"not a jpeg")
    return src


def test_batch_report_is_a_line_per_item_on_a_pipe(cli, images: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    r = cli("process", str(images), "resize:w=20", "--to", str(out), "-j", "2")
    assert r.code == 8
    rows = [line.split("\t") for line in r.stdout.splitlines()]
    assert [Path(row[1]).name for row in rows] == ["img0.jpg", "img1.jpg", "img2.jpg", "zz-broken.jpg"]  # input order
    assert [row[0] for row in rows] == ["ok", "ok", "ok", "failed"]
    for _status, _source, output, detail in rows[:3]:
        assert int(detail) == Path(output).stat().st_size
        with Image.open(output) as im:
            assert im.width == 20
    assert rows[3][3]  # the error message
    assert "failed: " in r.stderr and "zz-broken.jpg" in r.stderr and "1 of 4 items failed" in r.stderr


def test_batch_json_is_one_streamed_array(cli, images: Path, tmp_path: Path) -> None:
    r = cli("--json", "process", str(images), "resize:w=20", "--to", str(tmp_path / "out"))
    assert r.code == 8
    doc = json.loads(r.stdout)
    assert [x["success"] for x in doc] == [True, True, True, False]
    assert doc[-1]["error"]["message"]


def test_batch_quiet_prints_only_failures(cli, images: Path, tmp_path: Path) -> None:
    r = cli("-q", "process", str(images), "resize:w=20", "--to", str(tmp_path / "out"))
    assert r.code == 8 and r.stdout == ""
    assert "zz-broken.jpg" in r.stderr


def test_iso_utc_is_the_one_timestamp_format() -> None:
    import datetime as dt

    from mediaproc.output import iso_utc

    assert iso_utc(None) is None
    for ts in (1.0, 86399.9, 86400, 1796644800, 1796644800 + 3661.5, 4102444799):
        expected = dt.datetime.fromtimestamp(int(ts), dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        assert iso_utc(ts) == expected


def test_a_streamed_batch_keeps_only_its_failures(images: Path, tmp_path: Path) -> None:
    """run_chain with a report: every result goes to the report in input order as it finishes; the
    outcome holds the failed ones only (memory flat in the item count)."""
    from contextlib import contextmanager

    from mediaproc.config import Settings
    from mediaproc.results import ProcessResult
    from mediaproc.services.process import RunOptions
    from mediaproc.services.run import run_chain

    seen: list[ProcessResult] = []

    @contextmanager
    def report() -> Iterator[typing.Callable[[ProcessResult], None]]:
        yield seen.append

    outcome = run_chain(Settings(), str(images), ["resize:w=10"],
                        RunOptions(to=str(tmp_path / "out"), concurrency=3), report=report)
    assert outcome.streamed and outcome.kind == "batch"
    assert [Path(r.source).name for r in seen] == ["img0.jpg", "img1.jpg", "img2.jpg", "zz-broken.jpg"]
    assert [Path(r.source).name for r in outcome.results] == ["zz-broken.jpg"]
    assert outcome.error is not None and outcome.error.exit_code == 8


def test_batch_report_on_a_terminal_is_a_readable_line_per_item() -> None:
    from mediaproc.results import ProcessResult

    tty, err = _Terminal(), io.StringIO()
    results = [ProcessResult(success=True, mode="file", source="a.jpg", path="out/a.jpg", size=2048),
               ProcessResult(success=False, mode="failed", source="b.jpg", error={"message": "not an image"})]
    Output(stdout=tty, stderr=err).batch(results)
    assert tty.getvalue().splitlines() == ["ok  a.jpg  out/a.jpg  2.0 kB (2048 B)", "failed  b.jpg  not an image"]
    assert err.getvalue() == "failed: b.jpg: not an image\n"


def test_quiet_prints_every_object_a_cloud_run_wrote_as_an_address() -> None:
    """``--quiet`` of a snapshots run on a cloud: each frame's object as ``oss://BUCKET/KEY`` (a script pastes
    it into the next command), where it printed the target prefix only."""
    from mediaproc.results import ProcessResult

    out = io.StringIO()
    Output(quiet=True, stdout=out, stderr=io.StringIO()).result(ProcessResult(
        success=True, mode="file", source="oss://media/clip.mp4", target="oss://media/frames/",
        generated_keys=("frames/clip_0_1.jpg", "frames/clip_0_2.jpg")))
    assert out.getvalue() == "oss://media/frames/clip_0_1.jpg\noss://media/frames/clip_0_2.jpg\n"


def test_quiet_prints_the_one_object_a_cloud_run_saved_under_a_prefix() -> None:
    """A snapshots run that made one frame under ``oss://media/frames/``: the frame's object, not the prefix."""
    from mediaproc.results import ProcessResult

    out = io.StringIO()
    Output(quiet=True, stdout=out, stderr=io.StringIO()).result(ProcessResult(
        success=True, mode="save", source="oss://media/clip.mp4", target="oss://media/frames/",
        generated_keys=("frames/clip_0_1.jpg",), status="Succeeded"))
    assert out.getvalue() == "oss://media/frames/clip_0_1.jpg\n"
