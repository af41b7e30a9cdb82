"""http(s):// URL sources: fetched once in the service layer, for the local and the OSS provider."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from support.images import image_size

from .conftest import DATA, CliResult, OssBucket, Served

CHELSEA = (DATA / "chelsea.png").read_bytes()  # 451x300


def _leftovers(scratch: Path) -> list[str]:
    return sorted(str(p.relative_to(scratch)) for p in scratch.rglob("*"))


def test_local_provider_processes_a_url(
    cli: Callable[..., CliResult], http_server: Served, tmp_path: Path, scratch: Path
) -> None:
    url = http_server.add("/img/chelsea.png", body=CHELSEA, content_type="image/png")
    out = tmp_path / "small.png"
    res = cli("--json", "process", url + "?X-Amz-Signature=topsecret&token=abc", "resize:w=200", "--to", str(out))
    assert res.code == 0, res.stderr
    assert image_size(out) == (200, 133)
    doc = res.json()
    assert doc["source"] == url + "?<redacted>"
    assert "topsecret" not in res.stdout + res.stderr
    assert http_server.sent["/img/chelsea.png"] == len(CHELSEA)
    assert _leftovers(scratch) == []  # the fetched copy is gone


def test_url_source_in_the_table_is_redacted(
    cli: Callable[..., CliResult], http_server: Served, tmp_path: Path
) -> None:
    url = http_server.add("/chelsea.png", body=CHELSEA)
    res = cli("process", url + "?sig=topsecret", "rotate:angle=90", "--to", str(tmp_path / "r.png"))
    assert res.code == 0, res.stderr
    assert "topsecret" not in res.stdout + res.stderr
    assert "/chelsea.png?<redacted>" in res.stdout
    assert image_size(tmp_path / "r.png") == (300, 451)


def test_oversized_content_length_is_refused_before_the_body(
    cli: Callable[..., CliResult], http_server: Served, tmp_path: Path, scratch: Path
) -> None:
    body = b"\0" * (3 * 1024 * 1024)
    url = http_server.add("/huge.png", body=body, hold_after=0)
    res = cli("--json", "process", url, "resize:w=10", "--to", str(tmp_path / "o.png"), "--max-source-size", "1MB")
    assert res.code == 2, res.stderr
    err = res.json()["error"]
    assert err["code"] == "SourceTooLarge"
    assert "1 MB" in err["message"] and "3.1 MB" in err["message"]
    assert http_server.sent.get("/huge.png", 0) == 0  # the client hung up before any body byte
    assert not (tmp_path / "o.png").exists()
    assert _leftovers(scratch) == []


def test_oversized_stream_without_length_stops_at_the_cap(
    cli: Callable[..., CliResult], http_server: Served, tmp_path: Path, scratch: Path
) -> None:
    cap = 100_000
    body = b"\1" * (4 * 1024 * 1024)
    url = http_server.add("/stream.png", body=body, length=False, hold_after=cap + 1)
    res = cli("process", url, "resize:w=10", "--to", str(tmp_path / "o.png"), "--max-source-size", "100k")
    assert res.code == 2, res.stderr
    assert "larger than the 100 kB source limit" in res.stderr
    assert http_server.sent["/stream.png"] <= cap + 1  # never read past the cap
    assert _leftovers(scratch) == []


def test_default_cap_for_images_is_20_mb(
    cli: Callable[..., CliResult], http_server: Served, tmp_path: Path
) -> None:
    url = http_server.add("/big.jpg", body=b"\0" * (20_000_001), hold_after=0)
    res = cli("process", url, "resize:w=10", "--to", str(tmp_path / "o.png"))
    assert res.code == 2
    assert "over the 20 MB source limit" in res.stderr
    assert http_server.sent.get("/big.jpg", 0) == 0


@pytest.mark.parametrize(("status", "code"), [(404, 4), (410, 4), (403, 5), (500, 5), (503, 5)])
def test_http_errors_map_to_exit_codes(
    cli: Callable[..., CliResult], http_server: Served, tmp_path: Path, status: int, code: int
) -> None:
    url = http_server.add(f"/s{status}.png", body=b"nope", status=status)
    res = cli("--json", "process", url + "?sig=x", "resize:w=10", "--to", str(tmp_path / "o.png"))
    assert res.code == code, res.stderr
    err = res.json()["error"]
    assert f"HTTP {status}" in err["message"]
    assert err["http_status"] == status
    assert "sig=x" not in res.stdout + res.stderr


def test_missing_url_exits_4_with_the_status(cli: Callable[..., CliResult], http_server: Served,
                                              tmp_path: Path) -> None:
    res = cli("process", http_server.url("/nothing-here.png"), "resize:w=10", "--to", str(tmp_path / "o.png"))
    assert res.code == 4
    assert "HTTP 404" in res.stderr


def test_redirects_are_followed_but_bounded(
    cli: Callable[..., CliResult], http_server: Served, tmp_path: Path
) -> None:
    http_server.add("/final.png", body=CHELSEA)
    http_server.add("/r1", status=302, location=http_server.url("/final.png"))
    http_server.add("/r2", status=301, location=http_server.url("/r1"))
    ok = cli("process", http_server.url("/r2"), "resize:w=100", "--to", str(tmp_path / "a.png"))
    assert ok.code == 0, ok.stderr
    assert image_size(tmp_path / "a.png") == (100, 67)
    http_server.add("/loop", status=302, location=http_server.url("/loop"))
    loop = cli("process", http_server.url("/loop"), "resize:w=100", "--to", str(tmp_path / "b.png"))
    assert loop.code == 5
    assert "redirected more than 5 times" in loop.stderr
    assert http_server.hits["/loop"] == 6  # the first request and 5 redirects


def test_connection_refused_exits_5(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    res = cli("process", f"http://127.0.0.1:{port}/x.png", "resize:w=10", "--to", str(tmp_path / "o.png"))
    assert res.code == 5
    assert "cannot connect to" in res.stderr


def test_batch_mode_refuses_urls(cli: Callable[..., CliResult], http_server: Served, tmp_path: Path) -> None:
    res = cli("process", http_server.url("/photos/*.jpg"), "resize:w=10", "--to", str(tmp_path))
    assert res.code == 2
    assert "batch mode does not take URLs" in res.stderr
    assert http_server.hits == {}


def test_dry_run_fetches_nothing_and_redacts(cli: Callable[..., CliResult], http_server: Served) -> None:
    url = http_server.add("/chelsea.png", body=CHELSEA)
    res = cli("--json", "--provider", "oss", "--bucket", "b-dry", "process", url + "?sig=secret", "resize:w=10",
              "--to", "oss://b-dry/out.png", "--dry-run")
    assert res.code == 0, res.stderr
    assert "secret" not in res.stdout
    assert http_server.hits == {}


def test_ctrl_c_during_the_fetch_removes_the_temporary_file(
    http_server: Served, tmp_path: Path, scratch: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mediaproc.config import Settings
    from mediaproc.progress import ProgressEvent
    from mediaproc.services import process as svc

    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    url = http_server.add("/slow.png", body=CHELSEA * 4)
    settings = Settings()
    plan = svc.make_plan(settings, url, ["resize:w=10"], svc.RunOptions(to=str(tmp_path / "o.png")))
    seen: list[Any] = []

    def interrupt(event: ProgressEvent) -> None:
        seen.append(event)
        if event.unit == "bytes":
            assert _leftovers(scratch), "the partial download should exist while it runs"
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        svc.execute(settings, plan, interrupt)
    assert seen
    assert _leftovers(scratch) == []
    assert not (tmp_path / "o.png").exists()


def test_oss_provider_processes_a_url_and_removes_the_temporary_object(
    cli: Callable[..., CliResult], oss: OssBucket, http_server: Served, scratch: Path
) -> None:
    url = http_server.add("/in/chelsea.png", body=CHELSEA, content_type="image/png")
    res = cli("--json", "process", url + "?token=abc", "resize:w=120", "--to", oss.uri("out/small.png"))
    assert res.code == 0, res.stderr
    doc = res.json()
    assert doc["provider"] == "oss"
    assert doc["source"] == url + "?<redacted>"
    assert image_size(oss.get("out/small.png")) == (120, 80)
    assert oss.keys() == ["out/small.png"]  # the temporary upload is gone
    assert _leftovers(scratch) == []


def test_oss_provider_url_to_a_local_file(
    cli: Callable[..., CliResult], oss: OssBucket, http_server: Served, tmp_path: Path
) -> None:
    url = http_server.add("/chelsea.png", body=CHELSEA)
    out = tmp_path / "down.png"
    res = cli("process", url, "crop:w=100,h=50,g=c", "--to", str(out))
    assert res.code == 0, res.stderr
    assert image_size(out) == (100, 50)
    assert oss.keys() == []


def test_oss_provider_url_404(cli: Callable[..., CliResult], oss: OssBucket, http_server: Served) -> None:
    res = cli("process", http_server.url("/gone.png"), "resize:w=10", "--to", oss.uri("x.png"))
    assert res.code == 4
    assert "HTTP 404" in res.stderr
    assert oss.keys() == []
