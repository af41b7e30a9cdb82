"""`--verify` on media commands: the saved file's real properties are read back and compared."""

from __future__ import annotations

from pathlib import Path

from mediaproc.engine.av.synth import make_audio, make_video


def test_video_convert_verify_reports_real_properties(cli, tmp_path: Path) -> None:
    clip = make_video(tmp_path / "in.mp4", size=(320, 240), duration=1)
    out = tmp_path / "out.mp4"
    r = cli("video", "convert", str(clip), "f=mp4", "vcodec=h264", "s=160x120", "--to", str(out), "--verify", "--json")
    assert r.code == 0, r.stderr
    verified = r.json()["verified"]
    assert verified["differences"] == []
    found = verified["found"]
    assert str(found.get("width")) == "160" and str(found.get("height")) == "120"


def test_audio_convert_verify_strict_flags_a_difference(cli, tmp_path: Path) -> None:
    tone = make_audio(tmp_path / "tone.wav", duration=1, sample_rate=22_050)
    out = tmp_path / "out.mp3"
    r = cli("audio", "convert", str(tone), "f=mp3", "ar=44100", "--to", str(out), "--verify", "--strict", "--json")
    assert r.code == 0, r.stderr  # mp3 at 44.1 kHz is what was asked and what was written
    assert r.json()["verified"]["differences"] == []
