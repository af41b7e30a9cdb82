"""`mediaproc config` and precedence as seen from the command line."""

from __future__ import annotations

import os
from pathlib import Path

import tomllib


def test_set_use_list_show(cli, tmp_path: Path) -> None:
    cfg = Path(os.environ["MEDIAPROC_CONFIG"])
    assert cli("config", "set", "region", "cn-shanghai").code == 0
    assert cli("config", "set", "bucket", "b-work", "--profile", "work").code == 0
    data = tomllib.loads(cfg.read_text())
    assert data["default"] == "default"
    assert data["profiles"] == {"default": {"region": "cn-shanghai"}, "work": {"bucket": "b-work"}}
    r = cli("config", "list", "--json")
    assert r.code == 0
    assert [p["name"] for p in r.json()] == ["default", "work"]
    assert cli("config", "use", "work").code == 0
    r = cli("config", "show", "--json")
    rows = {row["setting"]: row for row in r.json()}
    assert rows["bucket"]["value"] == "b-work" and rows["bucket"]["source"] == "profile work"
    assert rows["region"]["value"] is None
    # env beats profile, flag beats env
    os.environ["MEDIAPROC_BUCKET"] = "b-env"
    try:
        rows = {row["setting"]: row for row in cli("config", "show", "--json").json()}
        assert rows["bucket"]["value"] == "b-env" and rows["bucket"]["source"] == "env MEDIAPROC_BUCKET"
        rows = {row["setting"]: row for row in cli("--bucket", "b-flag", "config", "show", "--json").json()}
        assert rows["bucket"]["value"] == "b-flag" and rows["bucket"]["source"] == "flag"
    finally:
        del os.environ["MEDIAPROC_BUCKET"]


def test_output_mode_from_profile_and_flag(cli, tmp_path: Path) -> None:
    assert cli("config", "set", "output", "json").code == 0
    r = cli("config", "show")
    assert r.stdout.lstrip().startswith("[")  # JSON from the profile
    os.environ["MEDIAPROC_OUTPUT"] = "table"
    try:
        assert not cli("config", "show").stdout.lstrip().startswith("[")
        assert cli("--json", "config", "show").stdout.lstrip().startswith("[")
    finally:
        del os.environ["MEDIAPROC_OUTPUT"]


def test_secrets_and_unknown_keys_are_refused(cli) -> None:
    r = cli("config", "set", "access_key_secret", "abc")
    assert r.code == 3 and "abc" not in r.stderr
    assert r.first_stderr_line == "Error: 'access_key_secret' looks like a secret; mediaproc never stores secrets"
    r = cli("config", "set", "colour", "red")
    assert r.code == 3 and "settable keys" in r.stderr
    assert r.first_stderr_line == "Error: unknown setting 'colour'"
    r = cli("config", "use", "ghost")
    assert r.code == 3 and "--create" in r.stderr
    assert r.first_stderr_line == "Error: no profile named 'ghost'"
    r = cli("--profile", "ghost", "config", "show")
    assert (r.code, r.first_stderr_line) == (3, "Error: no profile named 'ghost' (--profile)")


def test_set_and_unset_change_the_profile_the_run_selects(cli, monkeypatch) -> None:
    """``mediaproc --profile home config set ...`` failed (exit 3, "no profile named 'home'", "known profiles:
    none yet" beside existing ones), and with ``MEDIAPROC_PROFILE=work`` the value went into the default
    profile, though ``config set`` changes "the selected one"."""
    cfg = Path(os.environ["MEDIAPROC_CONFIG"])
    assert cli("config", "set", "region", "cn-shanghai").code == 0
    r = cli("--profile", "home", "config", "set", "provider", "cos")
    assert (r.code, r.stderr) == (0, f"home: provider = cos  ({cfg})\n")
    r = cli("--profile", "nope", "config", "show")  # what a run would use: no such profile, the real ones named
    assert r.code == 3 and "known profiles: default, home;" in r.stderr and "Warning" not in r.stderr, r.stderr
    monkeypatch.setenv("MEDIAPROC_PROFILE", "home")
    assert cli("config", "set", "region", "ap-beijing").code == 0
    assert cli("config", "set", "bucket", "b-1250000000", "--profile", "default").code == 0  # -P still wins
    data = tomllib.loads(cfg.read_text())
    assert data["profiles"] == {"default": {"region": "cn-shanghai", "bucket": "b-1250000000"},
                                "home": {"provider": "cos", "region": "ap-beijing"}}
    assert cli("config", "unset", "region").code == 0
    assert tomllib.loads(cfg.read_text())["profiles"]["home"] == {"provider": "cos"}
    assert data["default"] == "default"  # selecting a profile for a run does not change the default


def test_a_bucket_no_cloud_can_have_is_not_stored(cli) -> None:
    cfg = Path(os.environ["MEDIAPROC_CONFIG"])
    for name in ("my bucket", "Photos", "photos_2024", "ab"):
        r = cli("config", "set", "bucket", name)
        assert r.code == 3 and "is not a bucket name OSS or COS accepts" in r.stderr, (name, r.stderr)
    assert not cfg.exists()
    for name in ("photos", "photos-1250000000"):
        assert cli("config", "set", "bucket", name).code == 0
