"""``--dry-run`` golden cases: the exact JSON document, for every family (image, video, audio, hls,
intelligent, a batch source) on every provider (OSS, COS, local), with no destination given.

A dry-run without ``--to`` shows the request as far as it goes without one (``"destination": null``);
the local provider describes the local work (engine, operations, source, output format) instead of
an OSS request. The expected documents live in ``golden/dry_run.json``, one per case id; they were
read and checked by hand against the encoders' golden strings (SPEC.md §3, §6) when written.
Regenerate a case only after checking the new document the same way:
``UPDATE_GOLDEN=1 pytest tests/cli/test_dry_run_golden.py``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

GOLDEN = Path(__file__).with_name("golden") / "dry_run.json"
SOURCES = {"oss": "oss://my-bucket/in", "cos": "cos://media-1250000000/in", "local": "in"}
BATCH = {"oss": "oss://my-bucket/photos/*.jpg", "cos": "cos://media-1250000000/photos/*.jpg", "local": "photos/*.jpg"}
BATCH_TO = {"oss": "oss://my-bucket/out/", "cos": "cos://media-1250000000/out/", "local": "out/"}
FAMILIES = {
    "image": (".jpg", ["resize:w=600", "format:target=webp"]),
    "video": (".mp4", ["video/convert:f=mp4,vcodec=h264,s=640x360"]),
    "audio": (".wav", ["audio/convert:f=mp3,ab=128000"]),
    "hls": (".mp4", ["hls/m3u8:st=4000,vcodec=h264"]),
    "intelligent": (".jpg", ["faces"]),
}
CASES = [f"{p}-{f}" for p in SOURCES for f in (*FAMILIES, "batch")]


def args_of(case: str) -> list[str]:
    provider, family = case.split("-")
    if family == "batch":
        return ["process", BATCH[provider], "resize:w=300", "format:target=webp", "--to", BATCH_TO[provider]]
    ext, ops = FAMILIES[family]
    return ["process", SOURCES[provider] + ext, *ops]


@pytest.fixture(scope="module")
def golden() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(GOLDEN.read_text(encoding="utf-8")) if GOLDEN.exists() else {}
    return doc


@pytest.mark.parametrize("case", CASES)
def test_dry_run_document_is_exact(case: str, cli: Any, golden: dict[str, Any], tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # relative local paths, as typed
    res = cli(*args_of(case), "--dry-run", "--json")
    assert res.code == 0, res.stderr
    doc = res.json()
    if os.environ.get("UPDATE_GOLDEN"):
        golden[case] = doc
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(json.dumps(dict(sorted(golden.items())), indent=2, ensure_ascii=False) + "\n")
    assert doc == golden[case]
    assert doc["data"]["destination"] == (BATCH_TO[case.split("-")[0]] if case.endswith("batch") else None)


def test_human_form_without_destination(cli: Any) -> None:
    """The request line and body, as a person would paste them into curl; nothing else on stdout."""
    res = cli("process", "oss://my-bucket/a.jpg", "resize:w=600", "--dry-run")
    assert res.code == 0, res.stderr
    assert res.stdout == "GET /a.jpg?x-oss-process=image/resize,w_600    (bucket my-bucket)\n"
    res = cli("process", "oss://my-bucket/a.mp4", "video/convert:f=mp4,vcodec=h264", "--dry-run")
    assert res.stdout.splitlines() == [
        "POST /a.mp4?x-oss-async-process    (bucket my-bucket)",
        "x-oss-async-process=video/convert,f_mp4,vcodec_h264",
    ]
    res = cli("process", "in.jpg", "resize:w=600", "--to", "out.webp", "--dry-run")
    # the destination's format is part of the request (ops.destination), locally too
    assert res.stdout == "local image engine: in.jpg -> out.webp (webp): resize:w=600 format:target=webp\n"


def test_a_real_run_still_needs_a_destination(cli: Any, tmp_path: Path) -> None:
    res = cli("process", str(tmp_path / "in.jpg"), "resize:w=600")
    assert res.code == 2 and "no destination was given" in res.first_stderr_line


def test_download_step_is_shown(cli: Any) -> None:
    res = cli("process", "oss://my-bucket/v.mp4", "video/snapshots:f=jpg,inter=1000", "--to",
              "oss://my-bucket/snaps/frame", "--download-to", "frames/", "--dry-run", "--json")
    assert res.code == 0, res.stderr
    data = res.json()["data"]
    assert data["destination"] == "oss://my-bucket/snaps/frame"
    assert data["download"] == {"from": "oss://my-bucket/snaps/frame*", "to": "frames/"}
    assert data["body"].endswith("|sys/saveas,o_c25hcHMvZnJhbWU,b_bXktYnVja2V0")


@pytest.mark.parametrize(("provider", "to"), [("oss", "oss://my-bucket/out.webm"),
                                              ("cos", "cos://media-1250000000/out.webm")])
def test_a_local_source_is_shown_uploaded_to_the_destination_bucket(
    provider: str, to: str, cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The provider uploads a local source to the destination's bucket when no --bucket is set
    (``providers.staging.work_bucket``); the dry-run showed ``<bucket>`` there instead."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MEDIAPROC_BUCKET", raising=False)
    res = cli("--provider", provider, "process", "in.mp4", "video/convert:f=webm", "--to", to, "--dry-run", "--json")
    assert res.code == 0, res.stderr
    request = res.json()["data"]
    bucket = to.split("/")[2]
    assert request["bucket"] == bucket
    assert request["upload"]["to"].startswith(f"{provider}://{bucket}/.mediaproc-tmp/")


@pytest.mark.parametrize(("source", "line"), [
    ("oss://my-bucket/my photo #1.jpg", "GET /my%20photo%20%231.jpg?x-oss-process=image/resize,w_600"),
    ("cos://media-1250000000/dir/a+b 1.jpg", "GET /dir/a%2Bb%201.jpg?imageMogr2/thumbnail/600x>"),
])
def test_the_request_line_names_the_object_as_it_goes_on_the_wire(source: str, line: str, cli: Any) -> None:
    """oss2 and qcloud_cos percent-encode the key; the request line showed it raw, where a ``#`` reads as the
    start of a URL fragment and a ``+`` as a space."""
    res = cli("process", source, "resize:w=600", "--dry-run", "--json")
    assert res.code == 0, res.stderr
    assert res.json()["data"]["request_line"] == line


def test_cos_process_dry_run_names_the_object_as_it_goes_on_the_wire_too(cli: Any) -> None:
    """``cos process --dry-run`` builds its own request line (services/cos.py): it showed the key raw."""
    res = cli("cos", "process", "cos://media-1250000000/my photo #1.jpg", "-r", "imageMogr2/thumbnail/600x>",
              "-o", "cos://media-1250000000/out/a.jpg", "--dry-run", "--json")
    assert res.code == 0, res.stderr
    assert res.json()["data"]["request_line"] == "POST /my%20photo%20%231.jpg?image_process"
