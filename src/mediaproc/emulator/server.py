"""``mediaproc serve``: one aiohttp server speaking OSS REST, IMM RPC and COS on the same port.

Routing: paths under ``/_mediaproc/`` are the admin endpoints; every other request goes to the
first front that claims it, in the order of :data:`FRONTS`: COS claims its virtual hosts
(``<bucket>.cos.<region>.myqcloud.com``), IMM the POP calls (an ``x-acs-action`` header), and OSS,
the fallback, everything else, path-style (``/<bucket>/<key>``), which is how oss2 addresses an IP
or ``localhost`` endpoint. Each front joins through its module's ``install(emulator)``, so this
module knows none of the protocols; a front that cannot be imported or installed fails the server,
because a server quietly missing a protocol passes for a working one until a client hits it.

Public API::

    config = ServeConfig(root=Path("data"), access_key_id="AK", access_key_secret="SK", port=0)
    serve(config, ready=lambda host, port: ...)      # blocking; stops on SIGINT/SIGTERM
    running = start_background(config)               # a thread; running.url, running.stop()

Admin endpoints (JSON; only from a loopback peer, and only with the header
``x-mediaproc-admin: <admin_token(secret)>``, an HMAC of the configured secret, so no other local
user or process without the key can change faults or read counters):

- ``GET /_mediaproc/health``: ``{"ok": true}`` (loopback only, no token: a readiness probe)
- ``GET|DELETE /_mediaproc/stats``: requests per operation, faults fired, async jobs created
- ``GET|PUT|DELETE /_mediaproc/faults``: read, change (a partial JSON object) or clear the faults

In-process callers (tests) can use :attr:`RunningServer.faults` directly instead, and reach each
front's object as ``emulator.fronts[name]`` (``"cos"``, ``"imm"``, ``"oss"``).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import importlib
import ipaddress
import logging
import signal
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web

from mediaproc.emulator.admission import DEFAULT_MAX_PROCESSING, DEFAULT_MAX_QUEUE, Admission
from mediaproc.emulator.auth import Credentials
from mediaproc.emulator.background import Background
from mediaproc.emulator.errors import hide_root
from mediaproc.emulator.events import ObjectEvents
from mediaproc.emulator.faults import Faults, FaultSettings
from mediaproc.emulator.imm.state import ImmState
from mediaproc.emulator.jobs import TaskRegistry
from mediaproc.errors import ConfigError, MediaprocError
from mediaproc.i18n import _
from mediaproc.providers.local.keys import HIDDEN
from mediaproc.providers.local.store import LocalStore

if TYPE_CHECKING:
    from mediaproc.emulator.processing import Processor

log = logging.getLogger("mediaproc.emulator")

Matcher = Callable[[web.Request], bool]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# The fronts, in the order they are offered a request (see the module docstring). Each module has
# an install(emulator) that calls Emulator.add_front; the last one is the fallback.
FRONTS: tuple[str, ...] = (
    "mediaproc.emulator.cos.front",
    "mediaproc.emulator.imm.front",
    "mediaproc.emulator.oss.front",
)

ACCESS_LOG = logging.getLogger("mediaproc.serve.access")
ACCESS_LOG_FORMAT = '%a "%r" %s %b %Tfs'  # peer, request line, status, body bytes sent, seconds
CLIENT_GONE = 499
ADMIN_PREFIX = "/_mediaproc/"
ADMIN_HEADER = "x-mediaproc-admin"
MAX_RPC_BODY = 1024 * 1024
MAX_HEADER_FIELD = 16 * 1024  # aiohttp's default is 8190 bytes


@dataclass(kw_only=True)
class ServeConfig:
    """Settings of one server. ``port=0`` picks a free port (read it from ``ready``/``RunningServer``)."""

    root: Path
    access_key_id: str
    access_key_secret: str
    host: str = "127.0.0.1"
    port: int = 9000
    region: str = "cn-hangzhou"
    workers: int = 1  # processes that run the pixel work (engine_pool.py); 1: in the request's thread
    job_threads: int = 2  # threads that run async jobs (IMM tasks, COS media jobs)
    faults: FaultSettings = field(default_factory=FaultSettings)
    require_imm_binding: bool = True
    allow_callbacks: bool = False  # OSS upload callbacks are POSTed, to loopback URLs only
    max_processing: int = DEFAULT_MAX_PROCESSING  # processing requests run at once (admission.py)
    max_queue: int = DEFAULT_MAX_QUEUE  # more may wait; past that: 503 SlowDown
    access_log: bool = False  # one line per request on the "mediaproc.serve.access" logger

    def __post_init__(self) -> None:
        self.root = Path(self.root).expanduser()
        if not self.access_key_id or not self.access_key_secret:
            raise ConfigError(
                _("the server needs an access key id and secret"),
                hint=_("pass --access-key-id and --access-key-secret (clients sign with the same pair)"),
            )
        if not 0 <= self.port <= 65535:
            raise ConfigError(_("port {port} is out of range").format(port=self.port), hint=_("use 0-65535"))
        if self.workers < 1:
            raise ConfigError(_("workers must be at least 1"), hint=_("e.g. --workers 2"))
        if self.job_threads < 1:
            raise ConfigError(_("job threads must be at least 1"), hint=_("e.g. --job-threads 2"))
        if self.max_processing < 1:
            raise ConfigError(_("max-processing must be at least 1"), hint=_("e.g. --max-processing 16"))
        if self.max_queue < 0:
            raise ConfigError(_("max-queue cannot be negative"), hint=_("e.g. --max-queue 256"))


def admin_token(access_key_secret: str) -> str:
    """The value of the ``x-mediaproc-admin`` header: proves the caller knows the secret."""
    return hmac.new(access_key_secret.encode("utf-8"), b"mediaproc-admin", hashlib.sha256).hexdigest()


class Emulator:
    """Holds the store, the fronts, the task pool and the fault controller of one server.

    The Alibaba fronts share the key pair (``creds``), IMM's projects and bindings
    (``imm_state``), its task pool (``tasks``) and the OSS data processor (``processor``), so those
    live here, beside what every front uses (``config``, ``store``, ``faults``, the processing
    pool ``admission``, the ``background`` runner of cloud-side batches and the ``events`` by
    which the fronts announce new objects to triggers and workflows).
    """

    def __init__(self, config: ServeConfig) -> None:
        self.config = config
        config.root.mkdir(parents=True, exist_ok=True)
        hide_root(config.root)
        self.store = LocalStore(config.root)
        self.creds = Credentials(config.access_key_id, config.access_key_secret, config.region)
        self.faults = Faults(config.faults)
        imm_dir = self.store.root / HIDDEN / "imm"
        self.tasks = TaskRegistry(imm_dir / "tasks", workers=config.job_threads)
        self.admission = Admission(config.max_processing, config.max_queue, workers=config.workers)
        self.background = Background(self.admission)  # cloud-side batches, triggers and workflows
        self.events = ObjectEvents()  # the fronts announce clients' new objects to them
        self.imm_state = ImmState(imm_dir)
        self.processor = _make_processor(self)
        self.fronts: dict[str, object] = {}
        self._admin_token = admin_token(config.access_key_secret)
        self._routes: list[tuple[Matcher, Handler]] = []
        self._fallback: Handler | None = None
        self._closers: list[Callable[[], None]] = []
        try:
            _install_fronts(self)
        except BaseException:
            self.close()  # the worker pools already run
            raise

    def add_front(
        self, matches: Matcher | None, handler: Handler, close: Callable[[], None] | None = None
    ) -> None:
        """Route requests for which ``matches(request)`` is true to ``handler``.

        Fronts are asked in the order they were added; ``matches=None`` makes ``handler`` the
        fallback (at most one), asked last, for whatever no front claims. ``close`` runs when the
        server stops.
        """
        if matches is None:
            if self._fallback is not None:
                raise ValueError("the server already has a fallback front")
            self._fallback = handler
        else:
            self._routes.append((matches, handler))
        if close is not None:
            self._closers.append(close)

    def app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_RPC_BODY)
        app.router.add_route("*", "/{tail:.*}", self.dispatch)
        return app

    def close(self) -> None:
        self.background.close()
        for close in self._closers:
            with contextlib.suppress(Exception):
                close()
        self.tasks.shutdown()
        self.admission.close()

    # -- routing ----------------------------------------------------------------------------------
    async def dispatch(self, request: web.Request) -> web.StreamResponse:
        try:
            return await self._route(request)
        except ConnectionError:
            # The client went away in the middle of its answer: nothing can reach it any more, and it
            # is the client's doing, not an error of ours. aiohttp logs the request once, in the
            # access log, with this status (nginx's "client closed request"), instead of a traceback.
            return web.Response(status=CLIENT_GONE)

    async def _route(self, request: web.Request) -> web.StreamResponse:
        if request.path.startswith(ADMIN_PREFIX):
            return await self.admin(request)
        for matches, handler in self._routes:
            if matches(request):
                return await handler(request)
        if self._fallback is None:
            return web.json_response({"Code": "NotFound", "Message": "No front serves this request."}, status=404)
        return await self._fallback(request)

    # -- admin ------------------------------------------------------------------------------------
    def _loopback(self, request: web.Request) -> bool:
        try:
            return ipaddress.ip_address(request.remote or "").is_loopback
        except ValueError:
            return False

    async def admin(self, request: web.Request) -> web.Response:
        def deny(status: int, code: str, message: str) -> web.Response:
            return web.json_response({"Code": code, "Message": message}, status=status)

        if not self._loopback(request):
            return deny(403, "AccessDenied", "The admin endpoints answer loopback clients only.")
        name = request.path[len(ADMIN_PREFIX) :].strip("/")
        if name == "health":
            return web.json_response({"ok": True})
        token = request.headers.get(ADMIN_HEADER, "")
        if not hmac.compare_digest(token, self._admin_token):
            return deny(403, "AccessDenied", f"Send the {ADMIN_HEADER} header (see admin_token()).")
        if name == "stats":
            if request.method == "DELETE":
                self.faults.reset_stats()
            return web.json_response(self.faults.stats())
        if name == "faults":
            try:
                if request.method in ("PUT", "POST"):
                    changes = await request.json()
                    if not isinstance(changes, dict):
                        return deny(400, "InvalidArgument", "Send a JSON object of fault settings.")
                    self.faults.update(**changes)
                elif request.method == "DELETE":
                    self.faults.clear()
            except (ValueError, TypeError, MediaprocError) as exc:
                return deny(400, "InvalidArgument", getattr(exc, "message", str(exc)))
            return web.json_response(self.faults.settings.to_dict())
        return deny(404, "NotFound", f"No admin endpoint {name!r}.")


def _install_fronts(emulator: Emulator) -> None:
    """Import each module of :data:`FRONTS` and call its ``install(emulator)``. Nothing is caught:
    a front that fails to load fails the server, loudly, with its own error."""
    for name in FRONTS:
        module = importlib.import_module(name)
        module.install(emulator)


def _make_processor(emu: Emulator) -> Processor:
    from mediaproc.emulator.processing import Processor

    return Processor(
        emu.store,
        emu.tasks,
        emu.imm_state,
        on_job_created=emu.faults.job_created,
        require_binding=emu.config.require_imm_binding,
        engine=emu.admission.engine,
    )


# ------------------------------------------------------------------------------------------------
# running


async def _run(
    config: ServeConfig,
    ready: Callable[[str, int], None] | None,
    stop: asyncio.Event,
    on_emulator: Callable[[Emulator], None] | None = None,
) -> None:
    emulator = Emulator(config)
    if on_emulator is not None:
        on_emulator(emulator)
    runner = web.AppRunner(
        emulator.app(),
        access_log=ACCESS_LOG if config.access_log else None,
        access_log_format=ACCESS_LOG_FORMAT,
        handle_signals=False,
        # a header of up to 8 KB must reach the fronts, so that OSS's own limit on x-oss-meta-* (8 KB,
        # help.aliyun.com/en/oss/user-guide/0011-00000002) answers in OSS XML, not aiohttp's bare 400
        max_field_size=MAX_HEADER_FIELD,
    )
    await runner.setup()
    try:
        site = web.TCPSite(runner, config.host, config.port, reuse_address=True)
        try:
            await site.start()
        except OSError as exc:
            raise ConfigError(
                _("cannot listen on {host}:{port}: {reason}").format(
                    host=config.host, port=config.port, reason=exc.strerror or exc
                ),
                hint=_("choose another --port (0 picks a free one) or stop what uses it"),
            ) from None
        host, port = runner.addresses[0][:2]
        await asyncio.to_thread(emulator.admission.engine.warm)  # the workers' imports, before "ready"
        if ready is not None:
            ready(str(host), int(port))
        await stop.wait()
    finally:
        await runner.cleanup()
        await emulator.background.aclose()
        emulator.close()


def serve(config: ServeConfig, ready: Callable[[str, int], None] | None = None) -> None:
    """Run in the foreground until SIGINT or SIGTERM; ``ready(host, port)`` once listening."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, stop.set)
        await _run(config, ready, stop)

    asyncio.run(main())


class RunningServer:
    """A server on a background thread. ``stop()`` (or leaving the ``with`` block) shuts it down."""

    def __init__(self, config: ServeConfig) -> None:
        self.config = config
        self.host = ""
        self.port = 0
        self.emulator: Emulator | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name="mediaproc-serve", daemon=True)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def endpoint(self) -> str:
        """``host:port``, the form IMM's ``Config(endpoint=...)`` takes."""
        return self.url[len("http://") :]

    @property
    def faults(self) -> Faults:
        assert self.emulator is not None
        return self.emulator.faults

    def stats(self) -> dict[str, Any]:
        return self.faults.stats()

    def admin_headers(self) -> dict[str, str]:
        return {ADMIN_HEADER: admin_token(self.config.access_key_secret)}

    def _main(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        self._stop = asyncio.Event()

        def ready(host: str, port: int) -> None:
            self.host, self.port = host, port
            self._ready.set()

        def keep(emulator: Emulator) -> None:
            self.emulator = emulator

        try:
            loop.run_until_complete(_run(self.config, ready, self._stop, keep))
        except BaseException as exc:
            self._error = exc
        finally:
            self._ready.set()
            loop.close()

    def start(self, timeout: float = 30.0) -> RunningServer:
        self._thread.start()
        if not self._ready.wait(timeout):
            raise ConfigError(_("the server did not start in time"), hint=_("see the log for errors"))
        if self._error is not None:
            raise self._error
        return self

    def stop(self, timeout: float = 10.0) -> None:
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(stop.set)
        self._thread.join(timeout)

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_background(config: ServeConfig) -> RunningServer:
    """Start a server on a daemon thread and wait until it listens."""
    return RunningServer(config).start()
