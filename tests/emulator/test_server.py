"""Server life cycle: configuration checks, start/stop, signals, restarts, extra fronts."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest
import requests
from aiohttp import web

from mediaproc.emulator import server
from mediaproc.emulator.jobs import TaskRegistry
from mediaproc.emulator.server import ServeConfig, start_background
from mediaproc.errors import ConfigError
from support.emulator import Emulator, running_emulator


def test_config_is_checked(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        ServeConfig(root=tmp_path, access_key_id="", access_key_secret="s")
    with pytest.raises(ConfigError):
        ServeConfig(root=tmp_path, access_key_id="a", access_key_secret="s", port=70000)
    with pytest.raises(ConfigError):
        ServeConfig(root=tmp_path, access_key_id="a", access_key_secret="s", workers=0)


def test_a_busy_port_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        config = ServeConfig(root=tmp_path, access_key_id="a", access_key_secret="s", port=port)
        with pytest.raises(ConfigError) as err:
            start_background(config)
        assert str(port) in err.value.message


def test_stop_frees_the_port(tmp_path: Path) -> None:
    server = start_background(ServeConfig(root=tmp_path, access_key_id="a", access_key_secret="s", port=0))
    assert requests.get(f"{server.url}/_mediaproc/health").json() == {"ok": True}
    server.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{server.url}/_mediaproc/health", timeout=2)


def test_sigterm_shuts_the_process_down_cleanly(tmp_path: Path) -> None:
    with running_emulator(tmp_path / "root", subprocess=True) as emu:
        proc = emu.process
        assert proc is not None
        emu.oss_bucket("alive").put_object("k", b"v")
    assert proc.returncode == 0


def test_interrupted_tasks_come_back_failed(tmp_path: Path) -> None:
    release = threading.Event()
    first = TaskRegistry(tmp_path / "tasks", workers=1)
    task = first.submit("MediaConvert", "proj", lambda _progress, _cancel: release.wait(10) and None)
    assert first.get(task.task_id).status == "Running"
    second = TaskRegistry(tmp_path / "tasks", workers=1)  # what a restarted server reads
    reloaded = second.get(task.task_id)
    assert reloaded is not None and reloaded.status == "Failed" and reloaded.code == "InternalError"
    release.set()
    first.shutdown()
    second.shutdown()


def test_another_protocol_can_join_the_port(emulator: Emulator) -> None:
    assert emulator.server is not None and emulator.server.emulator is not None

    async def hello(request: web.Request) -> web.Response:
        return web.Response(text="other protocol")

    emulator.server.emulator.add_front(lambda r: r.host.startswith("other."), hello)
    resp = requests.get(f"{emulator.url}/x", headers={"Host": "other.example"})
    assert resp.text == "other protocol"
    assert requests.get(f"{emulator.url}/x").status_code == 403  # everything else is still OSS


def test_a_front_that_fails_to_load_fails_the_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No silent degradation: the error of a front's import reaches whoever starts the server."""
    (tmp_path / "mediaproc_broken_front.py").write_text('raise RuntimeError("the broken front cannot load")\n')
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(server, "FRONTS", (server.FRONTS[0], "mediaproc_broken_front", *server.FRONTS[1:]))
    config = ServeConfig(root=tmp_path / "root", access_key_id="a", access_key_secret="s", port=0)
    with pytest.raises(RuntimeError, match="the broken front cannot load"):
        server.Emulator(config)
    with pytest.raises(RuntimeError, match="the broken front cannot load"):
        start_background(config)


def test_every_front_joins_through_the_table(emulator: Emulator) -> None:
    assert emulator.server is not None and emulator.server.emulator is not None
    assert sorted(emulator.server.emulator.fronts) == ["cos", "imm", "oss"]
