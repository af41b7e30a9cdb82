"""Precedence of every setting: command-line flag > environment variable > profile > default."""

from __future__ import annotations

from pathlib import Path

import pytest

from mediaproc.config import resolve_settings
from mediaproc.errors import ConfigError

CASES = [
    # setting, flag value, env var, env value, profile value, default
    ("provider", "cos", "MEDIAPROC_PROVIDER", "oss", "cos", "local"),
    ("region", "cn-shanghai", "MEDIAPROC_REGION", "cn-beijing", "cn-shenzhen", None),
    ("endpoint", "http://127.0.0.1:1", "MEDIAPROC_ENDPOINT", "http://127.0.0.1:2", "http://127.0.0.1:3", None),
    ("bucket", "flag-bucket", "MEDIAPROC_BUCKET", "env-bucket", "profile-bucket", None),
    ("output", "json", "MEDIAPROC_OUTPUT", "table", "json", "table"),
    ("imm_project", "p-flag", "MEDIAPROC_IMM_PROJECT", "p-env", "p-profile", None),
    ("imm_endpoint", "127.0.0.1:7", "MEDIAPROC_IMM_ENDPOINT", "127.0.0.1:8", "127.0.0.1:9", None),
]


def write_profile(tmp_path: Path, values: dict[str, object], default: str | None = "work") -> Path:
    lines = [f'default = "{default}"'] if default else []
    lines.append("[profiles.work]")
    for k, v in values.items():
        lines.append(f'{k} = "{v}"')
    path = tmp_path / "config.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize(("name", "flag", "var", "env_value", "profile_value", "default"), CASES)
def test_precedence(tmp_path: Path, name: str, flag: str, var: str, env_value: str, profile_value: str,
                    default: object) -> None:
    cfg = write_profile(tmp_path, {name: profile_value})
    # default only
    assert getattr(resolve_settings({}, env={}, config_file=tmp_path / "missing.toml"), name) == default
    # profile beats default
    assert getattr(resolve_settings({}, env={}, config_file=cfg), name) == profile_value
    # environment beats profile
    assert getattr(resolve_settings({}, env={var: env_value}, config_file=cfg), name) == env_value
    # flag beats everything
    s = resolve_settings({name: flag}, env={var: env_value}, config_file=cfg)
    assert getattr(s, name) == flag
    assert s.sources[name] == "flag"


def test_reference_skill_variables_are_honoured(tmp_path: Path) -> None:
    env = {"ALIBABA_CLOUD_OSS_BUCKET": "b1", "ALIBABA_CLOUD_OSS_REGION": "cn-hangzhou",
           "ALIBABA_CLOUD_IMM_PROJECT": "proj"}
    s = resolve_settings({}, env=env, config_file=tmp_path / "none.toml")
    assert (s.bucket, s.region, s.imm_project) == ("b1", "cn-hangzhou", "proj")
    # ours win over the skill's
    s = resolve_settings({}, env={**env, "MEDIAPROC_BUCKET": "b2"}, config_file=tmp_path / "none.toml")
    assert s.bucket == "b2"


def test_unknown_profile_is_a_config_error(tmp_path: Path) -> None:
    cfg = write_profile(tmp_path, {"region": "cn-hangzhou"}, default=None)
    with pytest.raises(ConfigError) as info:
        resolve_settings({"profile": "nope"}, env={}, config_file=cfg)
    assert info.value.exit_code == 3
    assert "work" in (info.value.hint or "")


def test_invalid_values_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        resolve_settings({}, env={"MEDIAPROC_PROVIDER": "s3"}, config_file=tmp_path / "none.toml")
    with pytest.raises(ConfigError):
        resolve_settings({}, env={"MEDIAPROC_TIMEOUT": "soon"}, config_file=tmp_path / "none.toml")
    cfg = write_profile(tmp_path, {"secret_key": "x"})
    with pytest.raises(ConfigError) as info:
        resolve_settings({}, env={}, config_file=cfg)
    assert "secret_key" in info.value.message


@pytest.mark.parametrize("xdg", [None, "", "relative/dir", "/tmp/xdg-config", " /tmp/leading-space"])
@pytest.mark.parametrize("home", ["/home/someone", "relative-home", None])
def test_the_config_folder_is_platformdirs_answer(
    xdg: str | None, home: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``config._user_config_dir`` skips importing platformdirs where the XDG rule gives its answer; the
    two agree on every ``$XDG_CONFIG_HOME`` and ``$HOME`` shape."""
    from platformdirs import user_config_dir

    from mediaproc.config import _user_config_dir

    for name, value in (("XDG_CONFIG_HOME", xdg), ("HOME", home)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    assert _user_config_dir() == user_config_dir("mediaproc", appauthor=False)
