"""``mediaproc doctor`` for the local provider: the engine's prerequisites, each with status, detail
and a fix; ``--json``; a non-zero exit when a check fails (issue 18)."""

from __future__ import annotations

from pathlib import Path

from support.cli import Cli


def test_local_prerequisites_all_good(cli: Cli, tmp_path: Path) -> None:
    res = cli("doctor", "--json", "--bucket", str(tmp_path))
    assert res.code == 0, res.stderr
    checks = {c["name"]: c for c in res.json()}
    assert {"libvips", "ffmpeg", "ffprobe", "CJK font", "writable store"} <= set(checks)
    assert all(set(c) == {"name", "status", "detail", "fix"} for c in checks.values())
    assert checks["libvips"]["status"] == "ok" and checks["libvips"]["detail"].startswith("libvips 8.")
    assert checks["ffmpeg"]["status"] == "ok" and "ffmpeg version" in checks["ffmpeg"]["detail"]
    assert "PyAV" in checks["ffprobe"]["detail"]
    font = checks["CJK font"]["detail"].split(" (")[0]
    assert Path(font).is_file()
    assert checks["writable store"]["status"] == "ok" and str(tmp_path) in checks["writable store"]["detail"]
    assert list(tmp_path.iterdir()) == []  # the probe file is gone


def test_a_failed_check_exits_3_with_its_fix(cli: Cli, tmp_path: Path) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        res = cli("doctor", "--bucket", str(ro))
        as_json = cli("doctor", "--json", "--bucket", str(tmp_path / "missing"))
    finally:
        ro.chmod(0o700)
    import os

    if os.geteuid() != 0:  # root writes anywhere: the read-only folder proves nothing then
        assert res.code == 3 and "writable store" in res.stderr and "Hint:" in res.stderr, res.stderr
    assert as_json.code == 3
    bad = [c for c in as_json.json() if c["status"] == "fail"]
    assert [c["name"] for c in bad] == ["writable store"] and bad[0]["fix"]
