"""``mediaproc upload``: an http(s):// URL is fetched as URL sources are (the skill's ``--uri`` takes
one) and uploaded; the object options reach the object through oss2 against ``mediaproc serve``
(read back with the SDK); options a provider has no equivalent for are refused with exit 2."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import oss2

from support.images import image_size

from .conftest import DATA, CliResult, OssBucket, Served

CHELSEA = (DATA / "chelsea.png").read_bytes()  # 451x300


def test_upload_a_url_to_oss(
    cli: Callable[..., CliResult], oss: OssBucket, http_server: Served, scratch: Path
) -> None:
    url = http_server.add("/img/chelsea.png", body=CHELSEA, content_type="image/png")
    res = cli("upload", url + "?token=topsecret", oss.uri("in/"), "--json")
    assert res.code == 0, res.stderr
    doc = res.json()
    assert doc["target"] == oss.uri("in/chelsea.png") and doc["size"] == len(CHELSEA)
    assert doc["source"] == url + "?<redacted>" and "topsecret" not in res.stdout + res.stderr
    assert oss.get("in/chelsea.png") == CHELSEA
    assert image_size(oss.get("in/chelsea.png")) == (451, 300)
    assert oss.sdk().head_object("in/chelsea.png").headers["Content-Type"] == "image/png"  # from the response
    assert list(scratch.rglob("*")) == []  # the fetched copy is gone


def test_upload_url_limits_are_the_url_source_limits(
    cli: Callable[..., CliResult], oss: OssBucket, http_server: Served, tmp_path: Path
) -> None:
    big = http_server.add("/big.bin", body=b"\0" * 3_000_000, hold_after=0)
    res = cli("upload", big, oss.uri("in/big.bin"), "--max-source-size", "1MB")
    assert res.code == 2 and "source limit" in res.stderr
    assert http_server.sent.get("/big.bin", 0) == 0
    http_server.add("/loop", status=302, location="/loop")
    res = cli("upload", http_server.url("/loop"), oss.uri("in/loop.bin"))
    assert res.code == 5 and "redirected more than 5 times" in res.stderr
    res = cli("upload", http_server.url("/missing.png"), oss.uri("in/x.png"))
    assert res.code == 4
    assert oss.keys("in/") == []


def test_object_options_reach_the_oss_object(
    cli: Callable[..., CliResult], oss: OssBucket, tmp_path: Path
) -> None:
    local = tmp_path / "report.pdf"
    local.write_bytes(b"%PDF-1.4 a tiny report\n" * 50)
    res = cli("upload", str(local), oss.uri("docs/report.pdf"), "--acl", "public-read", "--storage-class",
              "STANDARD_IA", "--meta", "Author=alice", "--meta", "project=launch", "--content-type",
              "application/pdf", "--content-disposition", 'attachment; filename="r.pdf"', "--content-encoding",
              "identity", "--content-language", "en", "--cache-control", "max-age=60", "--expires-header",
              "Wed, 21 Oct 2026 07:28:00 GMT", "--content-md5", "--traffic-limit", "8388608", "--json")
    assert res.code == 0, res.stderr
    assert res.json()["object_options"]["meta"] == {"author": "alice", "project": "launch"}
    head = oss.sdk().head_object("docs/report.pdf").headers
    assert head["x-oss-storage-class"] == "IA"  # the COS spelling was mapped to OSS's
    assert (head["x-oss-meta-author"], head["x-oss-meta-project"]) == ("alice", "launch")
    assert head["Content-Type"] == "application/pdf" and head["Cache-Control"] == "max-age=60"
    assert head["Content-Disposition"] == 'attachment; filename="r.pdf"'
    assert (head["Content-Encoding"], head["Content-Language"]) == ("identity", "en")
    assert head["Expires"] == "Wed, 21 Oct 2026 07:28:00 GMT"
    assert oss.sdk().get_object_acl("docs/report.pdf").acl == oss2.OBJECT_ACL_PUBLIC_READ
    assert oss.get("docs/report.pdf") == local.read_bytes()


def test_object_options_without_an_equivalent_are_refused(
    cli: Callable[..., CliResult], oss: OssBucket, tmp_path: Path
) -> None:
    local = tmp_path / "a.txt"
    local.write_text("hello")
    cases = [
        (["--grant-read", 'id="100"'], "--grant-read: OSS has no equivalent"),
        (["--acl", "everyone"], "is not an object ACL on OSS"),
        (["--storage-class", "intelligent-tiering"], "is not a storage class on OSS"),
        (["--traffic-limit", "100"], "outside 819200-838860800"),
        (["--meta", "no value"], "is not NAME=VALUE"),
        (["--meta", "file_type=jpg"], "with a name of letters, digits and -"),  # OSS 0011-00000004
        (["--meta", "a=" + "v" * 8200], "the user metadata is 8201 bytes; OSS takes at most 8191"),
        (["--expires-header", "tomorrow"], "is not an HTTP date"),
    ]
    for extra, words in cases:
        res = cli("upload", str(local), oss.uri("x/a.txt"), *extra)
        assert res.code == 2, (extra, res.stderr)
        assert words in res.first_stderr_line, (extra, res.stderr)
        assert "Traceback" not in res.stderr
    assert oss.keys("x/") == []
    res = cli("--provider", "local", "upload", str(local), str(tmp_path / "copy.txt"), "--acl", "private")
    assert res.code == 2 and "the local provider stores plain files" in res.first_stderr_line
    assert not (tmp_path / "copy.txt").exists()
