"""Shell completion: the static scripts are current, and real bash completes operation names,
parameter keys, enum values, providers and profiles through them."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = str(Path(sys.executable).parent)


def test_static_scripts_are_current() -> None:
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_completions.py"), "--check"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


# Typer reads the shell from the process tree unless told to take the one named on the command line; a
# test run with no shell among its ancestors (a detached job, some CI runners) would detect none.
NAMED_SHELL = {"_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"}


def test_show_completion_prints_the_shipped_bash_script() -> None:
    env = {**os.environ, "PATH": BIN + os.pathsep + os.environ["PATH"], **NAMED_SHELL}
    proc = subprocess.run([f"{BIN}/mediaproc", "--show-completion", "bash"], capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == (ROOT / "completions" / "mediaproc.bash").read_text().strip()


def bash_words(line: str) -> tuple[list[str], int]:
    """Split like bash does for COMP_WORDS: whitespace, and the wordbreak characters ':' and '='."""
    words: list[str] = []
    for token in line.split():
        cur = ""
        for ch in token:
            if ch in ":=":
                if cur:
                    words.append(cur)
                words.append(ch)
                cur = ""
            else:
                cur += ch
        if cur:
            words.append(cur)
    if line.endswith(" "):
        words.append("")
    return words, len(words) - 1


def bash_complete(line: str, env_extra: dict[str, str] | None = None) -> list[str]:
    words, cword = bash_words(line)
    script = "\n".join([
        f"source {shlex.quote(str(ROOT / 'completions' / 'mediaproc.bash'))}",
        f"COMP_LINE={shlex.quote(line)}",
        "COMP_POINT=${#COMP_LINE}",
        "COMP_WORDS=(" + " ".join(shlex.quote(w) for w in words) + ")",
        f"COMP_CWORD={cword}",
        "_mediaproc_completion mediaproc",
        "printf '%s\\n' \"${COMPREPLY[@]}\"",
    ])
    env = {**os.environ, "PATH": BIN + os.pathsep + os.environ["PATH"], **(env_extra or {})}
    proc = subprocess.run(["bash", "--norc", "--noprofile", "-c", script], capture_output=True, text=True,
                          env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return [line for line in proc.stdout.splitlines() if line]


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is part of every supported machine")
class TestBash:
    def test_operation_names(self) -> None:
        got = bash_complete("mediaproc process photo.jpg res")
        assert got == ["resize:"]
        got = bash_complete("mediaproc process photo.jpg video/")
        assert {"video/convert:", "video/snapshot:", "video/info"} <= set(got)

    def test_parameter_keys_complete_in_place(self) -> None:
        # bash already has "resize:" split off, so candidates are what follows the last ':' or '='
        got = bash_complete("mediaproc process photo.jpg resize:")
        assert {"w=", "h=", "mode=", "limit="} <= set(got)
        got = bash_complete("mediaproc process photo.jpg resize:w=600,")
        assert "600,h=" in got and "600,w=" not in got

    def test_enum_values(self) -> None:
        got = bash_complete("mediaproc process photo.jpg resize:mode=")
        assert {"lfit", "mfit", "fill", "pad", "fixed"} <= set(got)

    def test_commands_and_providers(self) -> None:
        assert "process" in bash_complete("mediaproc pro")
        assert bash_complete("mediaproc --provider c") == ["cos"]
        assert bash_complete("mediaproc --lang ") == ["en", "zh"]  # it completed nothing

    def test_profiles(self, tmp_path: Path) -> None:
        cfg = tmp_path / "c.toml"
        cfg.write_text('[profiles.work]\nregion = "cn-hangzhou"\n[profiles.home]\n')
        assert bash_complete("mediaproc --profile w", {"MEDIAPROC_CONFIG": str(cfg)}) == ["work"]


def _need_fish() -> str:
    fish = shutil.which("fish")
    if fish is None:
        if os.environ.get("CI"):
            pytest.fail("CI installs fish (.ci/run); it is missing")
        pytest.skip("fish is not installed on this machine (CI installs it)")
    return fish


def fish_complete(line: str) -> list[str]:
    fish = _need_fish()
    script = f"source {shlex.quote(str(ROOT / 'completions' / 'mediaproc.fish'))}; complete -C {shlex.quote(line)}"
    env = {**os.environ, "PATH": BIN + os.pathsep + os.environ["PATH"]}
    proc = subprocess.run([fish, "--no-config", "-c", script], capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return [row.split("\t")[0] for row in proc.stdout.splitlines() if row]


def test_fish_operation_names_and_keys() -> None:
    assert "resize:" in fish_complete("mediaproc process photo.jpg res")
    got = fish_complete("mediaproc process photo.jpg resize:")
    assert {"resize:w=", "resize:h=", "resize:mode="} <= set(got)


class TestPaths:
    def test_local_paths(self, tmp_path: Path) -> None:
        (tmp_path / "photos").mkdir()
        (tmp_path / "photos" / "sea.jpg").write_bytes(b"x")
        (tmp_path / "photos" / "sky.png").write_bytes(b"x")
        (tmp_path / "notes.txt").write_text("x")
        env = {"PWD": str(tmp_path)}
        got = bash_complete_in(tmp_path, "mediaproc process ph", env)
        assert got == ["photos/"]
        got = bash_complete_in(tmp_path, "mediaproc process photos/s", env)
        assert got == ["photos/sea.jpg", "photos/sky.png"]
        assert bash_complete_in(tmp_path, "mediaproc video convert photos/se", env) == ["photos/sea.jpg"]

    def test_object_keys_under_the_local_bucket(self, tmp_path: Path) -> None:
        bucket = tmp_path / "bucket"
        (bucket / "in" / "2024").mkdir(parents=True)
        (bucket / "in" / "2024" / "a.jpg").write_bytes(b"x")
        (bucket / "in" / "b.jpg").write_bytes(b"x")
        elsewhere = tmp_path / "cwd"
        elsewhere.mkdir()
        got = bash_complete_in(elsewhere, f"mediaproc --bucket {bucket} process in/", {})
        assert got == ["in/2024/", "in/b.jpg"]
        # a cloud URI is never listed on Tab
        assert bash_complete_in(elsewhere, "mediaproc process oss://b/in/", {}) == []

    def test_fish_completes_paths_itself(self, tmp_path: Path) -> None:
        _need_fish()
        (tmp_path / "clip.mp4").write_bytes(b"x")
        got = fish_complete_in(tmp_path, "mediaproc video info cl")
        assert got == ["clip.mp4"]


def bash_complete_in(cwd: Path, line: str, env_extra: dict[str, str]) -> list[str]:
    old = os.getcwd()
    os.chdir(cwd)
    try:
        return bash_complete(line, env_extra)
    finally:
        os.chdir(old)


def fish_complete_in(cwd: Path, line: str) -> list[str]:
    old = os.getcwd()
    os.chdir(cwd)
    try:
        return fish_complete(line)
    finally:
        os.chdir(old)


def test_install_completion_writes_the_shipped_bash_script(tmp_path: Path) -> None:
    env = {**os.environ, "HOME": str(tmp_path), "SHELL": "/bin/bash", "PATH": BIN + os.pathsep + os.environ["PATH"],
           **NAMED_SHELL}
    proc = subprocess.run([f"{BIN}/mediaproc", "--install-completion", "bash"], capture_output=True, text=True,
                          env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    installed = list(tmp_path.rglob("mediaproc*"))
    assert installed, list(tmp_path.rglob("*"))
    texts = [p.read_text() for p in installed if p.is_file()]
    shipped = (ROOT / "completions" / "mediaproc.bash").read_text().strip()
    assert any(shipped in t for t in texts)
    assert "mediaproc" in (tmp_path / ".bashrc").read_text()


def _interactive_bash_completes(cwd: Path, typed: str, expected: str) -> str:
    """Type ``typed`` and Tab into an interactive bash (through a pty, as a person would) that has
    sourced the shipped script; wait until the line shows ``expected`` (or 60 s pass, then fail
    with what it showed). Readline's quoting of what it inserts only happens there."""
    import pty
    import select
    import time

    pid, fd = pty.fork()
    if pid == 0:  # the child: an interactive bash in cwd
        os.chdir(cwd)
        env = {**os.environ, "PATH": BIN + os.pathsep + os.environ["PATH"], "PS1": "$ ", "TERM": "dumb"}
        os.execvpe("bash", ["bash", "--norc", "--noprofile", "-i"], env)
    seen = b""
    try:
        script = shlex.quote(str(ROOT / "completions" / "mediaproc.bash"))
        os.write(fd, f"bind 'set bell-style none'; source {script}\n".encode() + typed.encode() + b"\t")
        deadline = time.monotonic() + 60
        while expected.encode() not in seen and time.monotonic() < deadline:
            ready, _w, _x = select.select([fd], [], [], 0.5)
            if ready:
                try:
                    seen += os.read(fd, 65536)
                except OSError:
                    break
    finally:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        os.close(fd)
    return seen.decode(errors="replace")


@pytest.mark.skipif(shutil.which("bash") is None or sys.platform == "win32", reason="needs bash and a pty")
@pytest.mark.parametrize(("typed", "expected"), [
    ("mediaproc process my", "mediaproc process my\\ photo.jpg "),  # was inserted bare: two words
    ("mediaproc process my\\ p", "mediaproc process my\\ photo.jpg "),  # was offered operation names
    ('mediaproc process "my p', 'mediaproc process "my photo.jpg" '),
    ("mediaproc process my\\ photo.jpg res", "mediaproc process my\\ photo.jpg resize:"),
])
def test_bash_completes_a_file_name_with_a_space_as_one_word(tmp_path: Path, typed: str, expected: str) -> None:
    (tmp_path / "my photo.jpg").write_bytes(b"x")
    shown = _interactive_bash_completes(tmp_path, typed, expected)
    assert expected in shown, shown
