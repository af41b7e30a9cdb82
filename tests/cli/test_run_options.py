"""The shared options of processing commands come from the catalogue and cannot drift.

Every command that runs a chain takes a source that may be a folder, glob or prefix, so every one of
them offers ``--concurrency`` and ``--skip-existing``; an async operation's command offers ``--wait``
and ``--timeout``. The commands are enumerated from the catalogue (a media operation ``video/x`` is
``mediaproc video x``; every operation runs through ``process``), then checked through their real
``--help``. A batch through one of the commands that lacked the batch options runs, resumes and is
decoded; ``services.run.run_chain`` does the same without Typer.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import av
import pytest

from mediaproc.cli.app import full_app
from mediaproc.engine.av.synth import make_audio
from mediaproc.ops.catalog import IMAGE_PREFIX_FAMILIES, all_specs, get_spec
from mediaproc.ops.model import Mode, OpSpec, Produces

Cli = Callable[..., Any]
PROCESSING_GROUPS = ("image", "video", "audio", "hls")


def processing_commands() -> dict[tuple[str, ...], Callable[..., None]]:
    """``process`` and every command of the processing groups, by their words on the command line."""
    app = full_app()
    found: dict[tuple[str, ...], Callable[..., None]] = {}
    for info in app.registered_commands:
        if info.name == "process" and info.callback is not None:
            found[("process",)] = info.callback
    for group in app.registered_groups:
        if group.name in PROCESSING_GROUPS and group.typer_instance is not None:
            for info in group.typer_instance.registered_commands:
                assert info.name is not None and info.callback is not None
                found[(group.name, info.name)] = info.callback
    return found


COMMANDS = processing_commands()


def specs_of(path: tuple[str, ...]) -> tuple[OpSpec, ...]:
    """What a command runs, read from the catalogue where the command's name says it."""
    if path == ("process",):
        return all_specs()
    if path == ("image", "process"):
        return tuple(s for s in all_specs() if s.family in IMAGE_PREFIX_FAMILIES)
    if path[0] != "image":
        return (get_spec("/".join(path)),)
    specs: tuple[OpSpec, ...] = vars(COMMANDS[path])["chain_specs"]  # info, hue, detect: one op, or a --kind
    return specs


def declared_options(help_text: str) -> set[str]:
    """The option names a help page declares (its option lines, not mentions in help texts)."""
    found: set[str] = set()
    for match in re.finditer(r"^  (?:-\w, )?(--[a-z-]+)(?: / (--[a-z-]+))?", help_text, re.MULTILINE):
        found.update(name for name in match.groups() if name)
    return found


def test_every_operation_has_its_processing_commands() -> None:
    """A new operation in the catalogue without its command fails here, and so does a processing
    command that bypasses the shared options."""
    for spec in all_specs():
        runners = {path for path, command in COMMANDS.items() if spec in getattr(command, "chain_specs", ())}
        assert ("process",) in runners, spec.name
        if spec.family.is_media:
            assert tuple(spec.name.split("/")) in runners, spec.name
        else:
            assert any(path[0] == "image" for path in runners), spec.name
    assert all(hasattr(command, "chain_specs") for command in COMMANDS.values())


@pytest.mark.parametrize("path", sorted(COMMANDS), ids=" ".join)
def test_help_lists_the_options_the_catalogue_calls_for(cli: Cli, path: tuple[str, ...]) -> None:
    r = cli(*path, "--help")
    assert r.code == 0, r.stderr
    options = declared_options(r.stdout)
    assert {"--to", "--concurrency", "--skip-existing", "--max-source-size", "--dry-run", "--json",
            "--quiet"} <= options, sorted(options)
    specs = specs_of(path)
    if any(s.mode is Mode.ASYNC for s in specs):
        assert {"--wait", "--no-wait", "--timeout"} <= options
    else:
        assert "--wait" not in options
    writes = any(s.produces is not Produces.JSON for s in specs)
    assert ("--verify" in options) == writes and ("--strict" in options) == writes
    assert ("--url" in options) == any(s.produces in (Produces.IMAGE, Produces.MEDIA) for s in specs)


def _decoded(path: Path) -> tuple[str, int, float]:
    """Container, sample rate and seconds of audio, by decoding every frame."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        rate = stream.codec_context.sample_rate
        samples = sum(frame.samples for frame in container.decode(stream))
        return container.format.name, rate, samples / rate


def test_audio_convert_batch_runs_concurrently_and_resumes(cli: Cli, tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    make_audio(src / "short.mp3", duration=1, tone=300)
    make_audio(src / "long.mp3", duration=2, tone=600)
    out = tmp_path / "out"
    args = ("audio", "convert", str(src), "f=mp3", "ar=22050", "--to", str(out), "-j", "2", "--skip-existing",
            "--json")

    first = cli(*args)
    assert first.code == 0, first.stderr
    assert [x["status"] for x in first.json()] == ["succeeded", "succeeded"]
    assert sorted(p.name for p in out.iterdir()) == ["long.mp3", "short.mp3"]
    for name, seconds in (("short.mp3", 1.0), ("long.mp3", 2.0)):
        kind, rate, got = _decoded(out / name)
        assert (kind, rate) == ("mp3", 22050), name
        assert got == pytest.approx(seconds, abs=0.1), name
    written = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}

    second = cli(*args)
    assert second.code == 0, second.stderr
    assert [(Path(x["source"]).name, x["status"]) for x in second.json()] == [
        ("long.mp3", "skipped"), ("short.mp3", "skipped")]
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == written


def test_single_source_options_are_refused_in_batch_mode(cli: Cli, tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    make_audio(src / "a.mp3", duration=1)
    out = tmp_path / "out"
    r = cli("audio", "concat", str(src), "f=mp3", "--input", str(src / "a.mp3"), "--to", str(out))
    assert r.code == 2 and "--input does not apply to batch mode" in r.stderr
    r = cli("video", "convert", str(src), "f=mp4", "--url")
    assert r.code == 2 and "--url does not apply to batch mode" in r.stderr
    r = cli("video", "sprite", str(src), "f=jpg", "num=2", "--to", str(out), "--verify")
    assert r.code == 2 and "--verify checks one result at a time" in r.stderr
    assert not out.exists()


def test_run_chain_without_typer(tmp_path: Path) -> None:
    """What a command does, from Python: a batch with one bad item is an outcome with exit 8 in it."""
    from PIL import Image

    from mediaproc.config import Settings
    from mediaproc.errors import ExitCode
    from mediaproc.services.process import RunOptions
    from mediaproc.services.run import run_chain

    src = tmp_path / "in"
    src.mkdir()
    Image.new("RGB", (40, 20), "red").save(src / "a.png")
    (src / "b.png").write_bytes(b"not an image")
    options = RunOptions(to=str(tmp_path / "out"), concurrency=2)
    outcome = run_chain(Settings(), str(src), ["resize:w=10"], options)
    assert outcome.kind == "batch"
    assert [r.success for r in outcome.results] == [True, False]
    assert outcome.error is not None and outcome.error.exit_code is ExitCode.PARTIAL and outcome.error.rendered
    with Image.open(tmp_path / "out" / "a.png") as im:
        assert im.size == (10, 5)

    dry = RunOptions(to=str(tmp_path / "one.png"), dry_run=True)
    single = run_chain(Settings(), str(src / "a.png"), ["resize:w=20"], dry)
    assert single.kind == "dry-run" and single.error is None and not (tmp_path / "one.png").exists()
