"""``mediaproc serve``: the OSS, IMM and COS protocols over the local store, for offline tests."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mediaproc.cli.common import state
from mediaproc.emulator.admission import DEFAULT_MAX_PROCESSING, DEFAULT_MAX_QUEUE
from mediaproc.i18n import _

# What a running server logs: its access log and its own errors (mediaproc.*), aiohttp's.
SERVE_LOGGERS = ("mediaproc.serve", "mediaproc.emulator", "aiohttp")
DEFAULT_KEYS = ("test-key-id", "test-key-secret")  # the documented test pair: anyone may sign with it


def serve(
    ctx: typer.Context,
    port: Annotated[int, typer.Option(help="TCP port on the loopback interface (0 = any free port).")] = 9000,
    host: Annotated[str, typer.Option(help="Address to bind; keep it on loopback.")] = "127.0.0.1",
    root: Annotated[Path, typer.Option(help="Folder holding the buckets (one sub-folder each).")] = Path("./buckets"),
    access_key_id: Annotated[
        str, typer.Option(envvar="MEDIAPROC_SERVE_ACCESS_KEY_ID", help="Key id clients must sign with.")
    ] = DEFAULT_KEYS[0],
    access_key_secret: Annotated[
        str,
        typer.Option(envvar="MEDIAPROC_SERVE_ACCESS_KEY_SECRET", help="Secret clients must sign with.",
                     show_default=False),
    ] = DEFAULT_KEYS[1],
    region: Annotated[str, typer.Option(help="Region the server claims (V4 signatures name it).")] = "cn-hangzhou",
    workers: Annotated[
        int | None,
        typer.Option(min=1, show_default=False,
                     help="Processes that run the pixel work (default: one per core); state stays in one process."),
    ] = None,
    job_threads: Annotated[
        int, typer.Option(min=1, help="Threads that run async jobs (IMM tasks, COS media jobs).")
    ] = 2,
    require_imm_binding: Annotated[
        bool,
        typer.Option("--require-imm-binding/--no-require-imm-binding",
                     help="Refuse media and AI processing on buckets not bound to an IMM project, as OSS does."),
    ] = True,
    allow_callbacks: Annotated[
        bool,
        typer.Option("--allow-callbacks/--no-allow-callbacks",
                     help="POST OSS upload callbacks to loopback URLs (otherwise they fail as unreachable)."),
    ] = False,
    error_rate: Annotated[float, typer.Option(min=0.0, max=1.0, help="Faults: share of requests that fail.")] = 0.0,
    error_status: Annotated[int, typer.Option(min=400, max=599, help="Faults: status of failed requests.")] = 503,
    latency_ms: Annotated[int, typer.Option(min=0, help="Faults: delay added to each request, ms.")] = 0,
    latency_rate: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Faults: share of requests that get the delay.")
    ] = 1.0,
    reset_after_bytes: Annotated[
        int | None, typer.Option(min=0, help="Faults: reset the connection after this many body bytes.")
    ] = None,
    truncate_after_bytes: Annotated[
        int | None, typer.Option(min=0, help="Faults: end response bodies early after this many bytes.")
    ] = None,
    fault_operations: Annotated[
        list[str] | None, typer.Option("--fault-operation", help="Faults: only these operations (repeatable).")
    ] = None,
    fault_times: Annotated[int | None, typer.Option(min=0, help="Faults: inject at most this many times.")] = None,
    fault_seed: Annotated[int, typer.Option(help="Faults: random seed, for repeatable runs.")] = 0,
    max_processing: Annotated[
        int, typer.Option(min=1, help="Processing requests run at once (image chains, snapshots, info).")
    ] = DEFAULT_MAX_PROCESSING,
    max_queue: Annotated[
        int, typer.Option(min=0, help="Processing requests that may wait; past that: 503 SlowDown + Retry-After.")
    ] = DEFAULT_MAX_QUEUE,
    access_log: Annotated[
        bool, typer.Option("--access-log/--no-access-log", help="One line per request on stderr.")
    ] = True,
    create: Annotated[bool, typer.Option("--create", help="Create the --root folder if it does not exist.")] = False,
) -> None:
    """Serve the local store over the OSS, IMM and COS wire protocols (point the official SDKs at it)."""
    from mediaproc.emulator.engine_pool import default_workers
    from mediaproc.emulator.faults import FaultSettings
    from mediaproc.emulator.server import ServeConfig
    from mediaproc.emulator.server import serve as run_server
    from mediaproc.services.serve import check_root, exposure_warning

    st = state(ctx)
    check_root(root, create=create)
    warning = exposure_warning(host, default_credentials=(access_key_id, access_key_secret) == DEFAULT_KEYS)
    if warning:
        st.output.warn(warning)
    faults = FaultSettings(
        error_rate=error_rate,
        error_status=error_status,
        latency_ms=latency_ms,
        latency_rate=latency_rate,
        reset_after_bytes=reset_after_bytes,
        truncate_after_bytes=truncate_after_bytes,
        operations=tuple(fault_operations or ()),
        times=fault_times,
        seed=fault_seed,
    )
    config = ServeConfig(
        host=host,
        port=port,
        root=root,
        access_key_id=access_key_id,
        access_key_secret=access_key_secret,
        region=region,
        workers=workers or default_workers(),
        job_threads=job_threads,
        faults=faults,
        require_imm_binding=require_imm_binding,
        allow_callbacks=allow_callbacks,
        max_processing=max_processing,
        max_queue=max_queue,
        access_log=access_log,
    )
    st.output.log_to_stderr(SERVE_LOGGERS)

    def ready(bound_host: str, bound_port: int) -> None:
        url = server_url(bound_host, bound_port)
        st.output.note(f"mediaproc serve: listening on {url} (root {root})")
        default_secret = (access_key_id, access_key_secret) == DEFAULT_KEYS
        st.output.note(_("point mediaproc at it: {command}").format(command=client_env(
            url, region, access_key_id, default_secret=default_secret)))
        st.output.note(_("or, for COS (buckets named NAME-APPID): {command}").format(command=cos_client_env(
            url, access_key_id, default_secret=default_secret)))

    run_server(config, ready=ready)


def server_url(host: str, port: int) -> str:
    """The URL clients use: an IPv6 address goes in brackets (RFC 3986, 3.2.2); ``http://::1:9000`` is
    no URL at all. (oss2 takes no IPv6 literal endpoint, so mediaproc's OSS provider needs an IPv4
    ``--host``; qcloud_cos and plain HTTP clients take the bracketed form.)"""
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def client_env(url: str, region: str, key_id: str, *, default_secret: bool) -> str:
    """The ``export`` line that points mediaproc's OSS provider at this server, to paste. The secret is
    written out only when it is the documented test one; one the user chose is never printed. The
    variable names are the ones mediaproc reads (``config.ENV_VARS``, ``providers.oss.credentials``),
    taken from there so that the line cannot drift from them."""
    import shlex

    from mediaproc.config import ENV_VARS
    from mediaproc.providers.oss.credentials import ENV_ID, ENV_SECRET, ENV_TOKEN

    secret = DEFAULT_KEYS[1] if default_secret else "<your --access-key-secret>"
    settings = {"provider": "oss", "endpoint": url, "imm_endpoint": url, "region": region}
    pairs = {ENV_VARS[name][0]: value for name, value in settings.items()}
    # an STS token left in the shell would be sent along to this server: the line empties it (read as none)
    pairs.update({ENV_ID: key_id, ENV_SECRET: secret, ENV_TOKEN: ""})
    return "export " + " ".join(f"{k}={shlex.quote(v)}" for k, v in pairs.items())


def cos_client_env(url: str, key_id: str, *, default_secret: bool) -> str:
    """The ``export`` line for mediaproc's COS provider, as :func:`client_env` for OSS: the same port
    answers COS on any ``<bucket>.cos.<region>.myqcloud.com`` host, and COS signatures do not name the
    region, so the region of the COS front's own answers (``COS_REGION``) is given."""
    import shlex

    from mediaproc.config import ENV_VARS
    from mediaproc.emulator.cos.front import COS_REGION
    from mediaproc.providers.cos.config import ID_VARS, KEY_VARS, TOKEN_VARS

    secret = DEFAULT_KEYS[1] if default_secret else "<your --access-key-secret>"
    settings = {"provider": "cos", "endpoint": url, "region": COS_REGION}
    pairs = {ENV_VARS[name][0]: value for name, value in settings.items()}
    # an STS token left in the shell would be sent along to this server: the line empties it (read as none)
    pairs.update({ID_VARS[0]: key_id, KEY_VARS[0]: secret, TOKEN_VARS[ID_VARS[0]][0]: ""})
    return "export " + " ".join(f"{k}={shlex.quote(v)}" for k, v in pairs.items())


def register(root: typer.Typer) -> None:
    root.command("serve")(serve)
