"""`mediaproc serve` as a user starts it: a subprocess on a free port that the real oss2 SDK talks to,
with fault injection from the command line, and a clean stop on SIGTERM."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import oss2
import pytest


def start(tmp_path: Path, *extra: str) -> tuple[subprocess.Popen[str], int]:
    env = {**os.environ, "CI": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "mediaproc", "serve", "--port", "0", "--root", str(tmp_path),
                             "--access-key-id", "ak-test", "--access-key-secret", "sk-test-secret", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + 30
    assert proc.stderr is not None
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
        if m:
            return proc, int(m.group(1))
    proc.kill()
    pytest.fail("mediaproc serve did not start")


def test_serve_speaks_oss_and_injects_faults(tmp_path: Path) -> None:
    proc, port = start(tmp_path, "--error-rate", "1.0", "--error-status", "503", "--fault-operation", "GetObject")
    try:
        bucket = oss2.Bucket(oss2.Auth("ak-test", "sk-test-secret"), f"http://127.0.0.1:{port}", "media")
        bucket.create_bucket()
        bucket.put_object("a.txt", b"hello")
        with pytest.raises(oss2.exceptions.ServerError) as info:
            bucket.get_object("a.txt").read()
        assert info.value.status == 503
        assert bucket.head_object("a.txt").content_length == 5
        wrong = oss2.Bucket(oss2.Auth("ak-test", "wrong"), f"http://127.0.0.1:{port}", "media")
        with pytest.raises(oss2.exceptions.ServerError) as info:
            wrong.put_object("b.txt", b"x")
        assert (info.value.status, info.value.code) == (403, "SignatureDoesNotMatch")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
    assert proc.returncode == 0
    assert (tmp_path / "media" / "a.txt").read_bytes() == b"hello"


def test_serve_fails_loudly_when_a_front_cannot_load(tmp_path: Path) -> None:
    """A front that cannot be imported stops `mediaproc serve` with its error and a non-zero exit,
    instead of a server that quietly lacks a protocol."""
    script = (
        "import sys\n"
        "from mediaproc.emulator import server\n"
        "server.FRONTS = (*server.FRONTS, 'mediaproc.emulator.no_such_front')\n"
        "from mediaproc.__main__ import main\n"
        "sys.argv = ['mediaproc', *sys.argv[1:]]\n"
        "main()\n"
    )
    proc = subprocess.run([sys.executable, "-c", script, "serve", "--port", "0", "--root", str(tmp_path),
                           "--access-key-id", "ak-test", "--access-key-secret", "sk-test-secret"],
                          capture_output=True, text=True, env={**os.environ, "CI": "1"}, timeout=60)
    assert proc.returncode == 1, proc.stderr
    assert "ModuleNotFoundError" in proc.stderr and "mediaproc.emulator.no_such_front" in proc.stderr
    assert "listening on" not in proc.stderr


def _descendants(pid: int) -> set[int]:
    found: set[int] = set()
    todo = [pid]
    while todo:
        p = todo.pop()
        for task in Path(f"/proc/{p}/task").glob("*"):
            with open(task / "children") as f:
                kids = {int(k) for k in f.read().split()}
            todo.extend(kids - found)
            found |= kids
    return found


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads /proc to find the worker processes")
def test_serve_workers_process_images_and_stop_with_the_server(tmp_path: Path) -> None:
    import io

    from PIL import Image

    proc, port = start(tmp_path, "--workers", "2")
    try:
        workers = _descendants(proc.pid)
        assert len(workers) >= 2  # the forkserver and its workers
        bucket = oss2.Bucket(oss2.Auth("ak-test", "sk-test-secret"), f"http://127.0.0.1:{port}", "media")
        bucket.create_bucket()
        buf = io.BytesIO()
        Image.new("RGB", (400, 300), (10, 120, 200)).save(buf, "JPEG")
        bucket.put_object("a.jpg", buf.getvalue())
        body = bucket.get_object("a.jpg", process="image/resize,w_100").read()
        assert Image.open(io.BytesIO(body)).size == (100, 75)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
    assert proc.returncode == 0
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(Path(f"/proc/{p}").exists() for p in workers):
        time.sleep(0.1)
    assert not [p for p in workers if Path(f"/proc/{p}").exists()]


def _first_lines(proc: subprocess.Popen[str], n: int) -> list[str]:
    assert proc.stderr is not None
    return [proc.stderr.readline() for _ in range(n)]


def test_serve_prints_the_line_that_points_mediaproc_at_it(tmp_path: Path) -> None:
    """The second line, pasted into a shell, makes `mediaproc ls` list serve's bucket; a secret the user
    chose is never printed (the documented test secret is)."""
    (tmp_path / "media").mkdir()
    (tmp_path / "media" / "a.txt").write_bytes(b"hello")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MEDIAPROC_", "ALIBABA_CLOUD_"))}
    proc = subprocess.Popen([sys.executable, "-m", "mediaproc", "serve", "--port", "0", "--root", str(tmp_path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**env, "CI": "1"})
    try:
        listening, point = _first_lines(proc, 2)
        assert "listening on http://127.0.0.1:" in listening
        assert point.startswith("point mediaproc at it: export ")
        command = point.split(": ", 1)[1].strip()
        bindir = Path(sys.executable).parent
        assert "ALIBABA_CLOUD_SECURITY_TOKEN=''" in command  # a token left in the shell is not sent to serve
        res = subprocess.run(["bash", "-c", f"{command}; {bindir}/mediaproc ls oss://media/"], capture_output=True,
                             text=True, env={**env, "CI": "1", "MEDIAPROC_CONFIG": str(tmp_path / "none.toml"),
                                             "ALIBABA_CLOUD_SECURITY_TOKEN": "sts-token-from-elsewhere"},
                             timeout=60)
        assert res.returncode == 0, res.stderr
        assert res.stdout.split("\t")[0] == "a.txt"
        # the next line does the same for the COS provider (there was none: the variables, region and
        # bucket naming were left to guess)
        cos_line = _first_lines(proc, 1)[0]
        assert cos_line.startswith("or, for COS (buckets named NAME-APPID): export ")
        command = cos_line.split(": ", 1)[1].strip()
        assert "TENCENTCLOUD_SESSION_TOKEN=''" in command
        (tmp_path / "media-1250000000").mkdir()
        (tmp_path / "media-1250000000" / "b.txt").write_bytes(b"hello")
        res = subprocess.run(["bash", "-c", f"{command}; {bindir}/mediaproc ls cos://media-1250000000/"],
                             capture_output=True, text=True, timeout=60,
                             env={**env, "CI": "1", "MEDIAPROC_CONFIG": str(tmp_path / "none.toml")})
        assert res.returncode == 0, res.stderr
        assert res.stdout.split("\t")[0] == "b.txt"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
    proc, _port = start(tmp_path)  # a chosen secret (sk-test-secret)
    try:
        point, cos_point = _first_lines(proc, 2)
        assert "ALIBABA_CLOUD_ACCESS_KEY_ID=ak-test" in point and "sk-test-secret" not in point
        assert "ALIBABA_CLOUD_ACCESS_KEY_SECRET='<your --access-key-secret>'" in point
        assert "TENCENTCLOUD_SECRET_ID=ak-test" in cos_point and "sk-test-secret" not in cos_point
        assert "TENCENTCLOUD_SECRET_KEY='<your --access-key-secret>'" in cos_point
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)


def _ipv6_loopback() -> bool:
    import socket

    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _ipv6_loopback(), reason="no IPv6 loopback here")
def test_an_ipv6_server_prints_urls(tmp_path: Path) -> None:
    """``--host ::1``: a URL holds an IPv6 address in brackets (RFC 3986, 3.2.2); ``http://::1:9000`` is
    no URL. (oss2 itself takes no IPv6 literal endpoint, ``oss2.utils.is_valid_endpoint``, so mediaproc's
    OSS provider cannot use such a server; qcloud_cos and plain HTTP clients can.)"""
    from urllib.parse import urlsplit

    proc = subprocess.Popen([sys.executable, "-m", "mediaproc", "serve", "--host", "::1", "--port", "0", "--root",
                             str(tmp_path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "CI": "1"})
    try:
        listening, point = _first_lines(proc, 2)
        url = re.search(r"listening on (\S+)", listening)
        assert url is not None and urlsplit(url.group(1)).hostname == "::1" and urlsplit(url.group(1)).port
        assert f"MEDIAPROC_ENDPOINT='{url.group(1)}' " in point  # quoted: [ ] are glob characters
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
