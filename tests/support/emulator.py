"""Start ``mediaproc serve`` for a test: a free loopback port, a temp root, known keys.

Usage (the ``emulator`` fixture in ``tests/conftest.py`` wraps the first form)::

    with running_emulator(tmp_path / "root") as emu:          # in-process, background thread
        bucket = emu.oss_bucket("media")                       # oss2.Bucket, V4-signed, bucket created
        client = emu.imm_client()                              # alibabacloud_imm20200930 Client
        emu.set_faults(error_rate=1.0, error_status=503, times=1)
        emu.stats()["requests"]["PutObject"]

    with running_emulator(tmp_path / "root", subprocess=True) as emu:   # separate process (emu.pid):
        ...                                                             # faults/stats via the admin API

Everything a client needs is on the yielded :class:`Emulator`: ``host``, ``port``, ``url``
(``http://127.0.0.1:p``, the oss2 endpoint), ``endpoint`` (``127.0.0.1:p``, the IMM endpoint),
``access_key_id``, ``access_key_secret``, ``region``, ``root``. Stopping is clean: the server
thread (or process) is gone when the block exits.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess as sp
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mediaproc.emulator.faults import FaultSettings
from mediaproc.emulator.server import ADMIN_HEADER, RunningServer, ServeConfig, admin_token, start_background

ACCESS_KEY_ID = "LTAI5tEmulatorTestKey"
ACCESS_KEY_SECRET = "emulator-test-secret-7f3a9c"
REGION = "cn-hangzhou"

_CHILD = """
import json, os, sys
from pathlib import Path
from mediaproc.emulator.server import ServeConfig, serve

args = json.loads(sys.argv[1])
ready_file = Path(args.pop("ready_file"))

def ready(host, port):
    tmp = ready_file.with_suffix(".tmp")
    tmp.write_text(json.dumps({"host": host, "port": port, "pid": os.getpid()}))
    os.replace(tmp, ready_file)

serve(ServeConfig(root=Path(args.pop("root")), **args), ready=ready)
"""


@dataclass
class Emulator:
    host: str
    port: int
    root: Path
    access_key_id: str
    access_key_secret: str
    region: str
    pid: int
    server: RunningServer | None = None  # in-process mode only
    process: sp.Popen[bytes] | None = None  # subprocess mode only
    _buckets: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def endpoint(self) -> str:
        return f"{self.host}:{self.port}"

    # -- clients ------------------------------------------------------------------------------
    def oss_auth(self, *, v4: bool = True, secret: str | None = None, key_id: str | None = None) -> Any:
        import oss2

        ak, sk = key_id or self.access_key_id, secret or self.access_key_secret
        return oss2.AuthV4(ak, sk) if v4 else oss2.Auth(ak, sk)

    def oss_cli_env(self, bucket: str | None = None) -> dict[str, str]:
        """The environment that points mediaproc's OSS provider (and IMM) at this server: its key pair,
        no credential lookups elsewhere (metadata server, aliyun CLI profile), its region and endpoints."""
        env = {
            "ALIBABA_CLOUD_ACCESS_KEY_ID": self.access_key_id,
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET": self.access_key_secret,
            "ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true",
            "ALIBABA_CLOUD_CLI_PROFILE_DISABLED": "true",
            "MEDIAPROC_PROVIDER": "oss",
            "MEDIAPROC_REGION": self.region,
            "MEDIAPROC_ENDPOINT": self.url,
            "MEDIAPROC_IMM_ENDPOINT": self.url,
        }
        if bucket:
            env["MEDIAPROC_BUCKET"] = bucket
        return env

    def oss_bucket(self, name: str = "test-bucket", *, v4: bool = True, create: bool = True, **auth: Any) -> Any:
        """An ``oss2.Bucket`` on this server (created unless ``create=False``)."""
        import oss2

        bucket = oss2.Bucket(self.oss_auth(v4=v4, **auth), self.url, name, region=self.region)
        if create:
            bucket.create_bucket()
        return bucket

    def imm_client(self, *, secret: str | None = None, key_id: str | None = None) -> Any:
        from alibabacloud_imm20200930.client import Client
        from alibabacloud_tea_openapi.models import Config

        return Client(
            Config(
                access_key_id=key_id or self.access_key_id,
                access_key_secret=secret or self.access_key_secret,
                endpoint=self.endpoint,
                protocol="http",
                region_id=self.region,
            )
        )

    # -- faults and counters -------------------------------------------------------------------
    def admin_headers(self) -> dict[str, str]:
        """The header the ``/_mediaproc/`` admin endpoints require."""
        return {ADMIN_HEADER: admin_token(self.access_key_secret)}

    def _admin(self, method: str, name: str, payload: dict[str, Any] | None = None) -> Any:
        data = None if payload is None else json.dumps(payload).encode("utf-8")
        req = urllib.request.Request(
            f"{self.url}/_mediaproc/{name}",
            data=data,
            method=method,
            headers={**self.admin_headers(), "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read())

    def set_faults(self, **settings: Any) -> dict[str, Any]:
        """Replace the fault settings (unnamed settings go back to their defaults)."""
        if self.server is not None:
            self.server.faults.configure(FaultSettings.from_dict(settings))
            return self.server.faults.settings.to_dict()
        self._admin("DELETE", "faults")
        return self._admin("PUT", "faults", settings)

    def clear_faults(self) -> None:
        if self.server is not None:
            self.server.faults.clear()
        else:
            self._admin("DELETE", "faults")

    def stats(self) -> dict[str, Any]:
        if self.server is not None:
            return self.server.stats()
        return self._admin("GET", "stats")

    def reset_stats(self) -> None:
        if self.server is not None:
            self.server.faults.reset_stats()
        else:
            self._admin("DELETE", "stats")


@contextlib.contextmanager
def running_emulator(
    root: Path | None = None,
    *,
    subprocess: bool = False,
    access_key_id: str = ACCESS_KEY_ID,
    access_key_secret: str = ACCESS_KEY_SECRET,
    region: str = REGION,
    workers: int = 1,
    job_threads: int = 2,
    require_imm_binding: bool = True,
    allow_callbacks: bool = False,
    faults: dict[str, Any] | None = None,
    timeout: float = 30.0,
) -> Iterator[Emulator]:
    """Run a server for the duration of the block (see the module docstring)."""
    with contextlib.ExitStack() as stack:
        if root is None:
            root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="mediaproc-emu-")))
        root.mkdir(parents=True, exist_ok=True)
        if not subprocess:
            config = ServeConfig(
                root=root,
                access_key_id=access_key_id,
                access_key_secret=access_key_secret,
                region=region,
                port=0,
                workers=workers,
                job_threads=job_threads,
                require_imm_binding=require_imm_binding,
                allow_callbacks=allow_callbacks,
                faults=FaultSettings.from_dict(faults or {}),
            )
            server = start_background(config)
            stack.callback(server.stop)
            yield Emulator(
                server.host, server.port, root, access_key_id, access_key_secret, region, os.getpid(), server
            )
            return
        ready_file = root.parent / f".{root.name}.ready-{os.getpid()}-{time.monotonic_ns()}"
        args = {
            "root": str(root),
            "access_key_id": access_key_id,
            "access_key_secret": access_key_secret,
            "region": region,
            "port": 0,
            "workers": workers,
            "job_threads": job_threads,
            "require_imm_binding": require_imm_binding,
            "allow_callbacks": allow_callbacks,
            "ready_file": str(ready_file),
        }
        proc = sp.Popen([sys.executable, "-c", _CHILD, json.dumps(args)], stdin=sp.DEVNULL)
        stack.callback(_stop_process, proc)
        stack.callback(lambda: ready_file.unlink(missing_ok=True))
        deadline = time.monotonic() + timeout
        while not ready_file.exists():
            if proc.poll() is not None:
                raise RuntimeError(f"mediaproc serve exited early with status {proc.returncode}")
            if time.monotonic() > deadline:
                raise TimeoutError("mediaproc serve did not start in time")
            time.sleep(0.05)
        info = json.loads(ready_file.read_text())
        emu = Emulator(
            info["host"], info["port"], root, access_key_id, access_key_secret, region, proc.pid, process=proc
        )
        if faults:
            emu.set_faults(**faults)
        yield emu


def _stop_process(proc: sp.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()  # SIGTERM: the server shuts down cleanly
        try:
            proc.wait(timeout=15)
        except sp.TimeoutExpired:
            proc.kill()
            proc.wait()
