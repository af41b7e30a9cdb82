"""Settings and their precedence: command-line flag > environment variable > profile > default.

Profiles live in a TOML file under the user config dir (``platformdirs``; :func:`config_path`). The file never holds a
secret: credentials come from each cloud's own chain (see DESIGN.md), so ``set`` refuses keys that
look like secrets.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

from mediaproc import TYPE_CHECKING
from mediaproc.errors import ConfigError
from mediaproc.i18n import _
from mediaproc.names import PROVIDER_NAMES
from mediaproc.record import Record, field, fields, replace

if TYPE_CHECKING:
    from typing import Any

# setting name -> environment variables, first wins (ours, then the reference skill's)
ENV_VARS: dict[str, tuple[str, ...]] = {
    "provider": ("MEDIAPROC_PROVIDER",),
    "profile": ("MEDIAPROC_PROFILE",),
    "region": ("MEDIAPROC_REGION", "ALIBABA_CLOUD_OSS_REGION"),
    "endpoint": ("MEDIAPROC_ENDPOINT",),
    "imm_endpoint": ("MEDIAPROC_IMM_ENDPOINT",),
    "bucket": ("MEDIAPROC_BUCKET", "ALIBABA_CLOUD_OSS_BUCKET"),
    "imm_project": ("MEDIAPROC_IMM_PROJECT", "ALIBABA_CLOUD_IMM_PROJECT"),
    "output": ("MEDIAPROC_OUTPUT",),
    "lang": ("MEDIAPROC_LANG",),
    "timeout": ("MEDIAPROC_TIMEOUT", "ALIBABA_CLOUD_ASYNC_TIMEOUT_SECONDS"),
    "request_timeout": ("MEDIAPROC_REQUEST_TIMEOUT",),
    "concurrency": ("MEDIAPROC_CONCURRENCY",),
}

# settings a profile may hold; anything else in the file is an error (a typo would otherwise be ignored)
PROFILE_KEYS: tuple[str, ...] = (
    "provider",
    "region",
    "endpoint",
    "imm_endpoint",
    "bucket",
    "imm_project",
    "output",
    "lang",
    "timeout",
    "request_timeout",
    "concurrency",
    "internal",
)

SECRET_WORDS = ("secret", "token", "password", "access_key", "accesskey", "credential")
OUTPUT_MODES = ("table", "json")


def accepted(name: str) -> str:
    """What a setting accepts, in words: the one description the coercion's hint and
    ``mediaproc config keys`` share."""
    from mediaproc.i18n import LANGUAGES

    if name in ("timeout", "request_timeout"):
        return _("seconds, a number above 0")
    if name == "concurrency":
        return _("a whole number, 1 or more")
    if name in ("internal", "quiet", "progress", "debug"):
        return _("true or false")
    if name == "output":
        return ", ".join(OUTPUT_MODES)
    if name == "provider":
        return ", ".join(PROVIDER_NAMES)
    if name == "lang":
        return ", ".join(LANGUAGES)
    return _("text")


class Settings(Record):
    """Everything a command needs to know about where and how to run, already resolved."""

    provider: str = "local"
    profile: str | None = None
    region: str | None = None
    endpoint: str | None = None
    imm_endpoint: str | None = None
    bucket: str | None = None
    imm_project: str | None = None
    output: str = "table"  # "table" | "json"
    lang: str | None = None
    timeout: float | None = None  # async job wait limit, seconds (None: the default below)
    request_timeout: float | None = None  # one network read may wait this long, seconds (None: provider default)
    concurrency: int | None = None
    internal: bool = False  # use the cloud's internal (VPC) endpoint
    quiet: bool = False
    progress: bool = True
    debug: bool = False
    literal: bool = False  # a source is always the file or key as written, never a pattern (docs/paths.md)
    sources: Mapping[str, str] = field(default_factory=dict)  # setting -> where it came from

    DEFAULT_TIMEOUT = 600.0

    @property
    def json(self) -> bool:
        return self.output == "json"

    @property
    def wait_timeout(self) -> float:
        return self.timeout if self.timeout is not None else self.DEFAULT_TIMEOUT

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)


def config_path() -> Path:
    """The profile file; ``MEDIAPROC_CONFIG`` overrides (tests, CI)."""
    override = os.environ.get("MEDIAPROC_CONFIG")
    if override:
        return Path(override)
    return Path(_user_config_dir()) / "config.toml"


def _user_config_dir() -> str:
    """``platformdirs.user_config_dir("mediaproc")``, without importing platformdirs where the answer is
    the XDG Base Directory rule (specifications.freedesktop.org/basedir-spec: ``$XDG_CONFIG_HOME`` when it
    is an absolute path, else ``~/.config``), which is what platformdirs answers on Linux and the BSDs.

    Why: every run reads the profile file, and ``platformdirs.unix`` imports ``tempfile`` (with
    ``shutil``, ``random``, ``bz2``, ``lzma``): ~8 ms of a ~100 ms one-shot ``image info``. Anything the
    plain rule does not cover (macOS, Windows, iOS, Android, a relative ``$HOME`` or ``$XDG_CONFIG_HOME``,
    on which platformdirs releases differ) asks platformdirs itself;
    ``tests/test_config.py`` checks that both answers agree."""
    home = os.environ.get("HOME", "")
    base = os.environ.get("XDG_CONFIG_HOME", "")
    plain = (
        sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd"))
        and not hasattr(sys, "getandroidapilevel")
        and not ("ANDROID_DATA" in os.environ and "ANDROID_ROOT" in os.environ)
        and os.path.isabs(home)
        and (not base or os.path.isabs(base))  # a relative value: platformdirs versions differ; it decides
    )
    if not plain:
        from platformdirs import user_config_dir

        return user_config_dir("mediaproc", appauthor=False)
    return os.path.join(base or os.path.join(home, ".config"), "mediaproc")


def _toml() -> Any:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # Python 3.10
        import tomli as tomllib
    return tomllib


def _load_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:  # the parser is imported only when there is a file to parse
            data: dict[str, Any] = _toml().load(fh)
            return data
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise ConfigError(
            _("cannot read the config file {path}: {error}").format(path=path, error=exc),
            hint=_("fix or delete the file; `mediaproc config keys` lists the settings a profile may hold"),
        ) from None


def load_config(path: Path | None = None) -> dict[str, Any]:
    """The whole file: ``{"default": "name", "profiles": {name: {...}}}``."""
    data = _load_toml(path or config_path())
    profiles = data.get("profiles", {})
    if not isinstance(profiles, dict):
        raise ConfigError(_("the config file's [profiles] is not a table"), hint=_("fix the file"))
    return data


def profile_names(path: Path | None = None) -> list[str]:
    try:
        return sorted(load_config(path).get("profiles", {}))
    except ConfigError:
        return []


def _coerce(name: str, value: Any, origin: str) -> Any:
    try:
        if name in ("timeout", "request_timeout"):
            v = float(value)
            if v <= 0:
                raise ValueError(v)
            return v
        if name == "concurrency":
            n = int(value)
            if n < 1:
                raise ValueError(n)
            return n
        if name in ("internal", "quiet", "progress", "debug", "literal"):
            if isinstance(value, bool):
                return value
            return str(value).strip().lower() in ("1", "true", "yes", "on")
        if name == "lang":  # refused here, not first at the next run: a bad lang failed every command,
            from mediaproc.i18n import normalize  # `config unset lang` included

            if normalize(str(value)) is None:
                raise ValueError(value)
            return str(value)
        if name in ("output", "provider"):
            word = str(value).strip().lower()
            if word not in (OUTPUT_MODES if name == "output" else PROVIDER_NAMES):
                raise ValueError(word)
            return word
        return str(value)
    except (TypeError, ValueError):
        raise ConfigError(
            _("invalid value {value!r} for {name} (from {origin})").format(
                value=value, name=name, origin=origin
            ),
            hint=_("{name} accepts {accepted}; `mediaproc config keys` lists every setting and its values").format(
                name=name, accepted=accepted(name)),
        ) from None


NO_SUCH_PROFILE = "NoSuchProfile"  # the ConfigError code of a --profile / MEDIAPROC_PROFILE naming none


def selected_profile(flag: str | None, env: Mapping[str, str] | None = None) -> tuple[str, str] | None:
    """The profile ``--profile`` or ``MEDIAPROC_PROFILE`` selects, with where it came from (None: neither;
    the config file's ``default`` applies). ``config set|unset`` change it when not told otherwise."""
    if flag:
        return flag, "--profile"
    env = os.environ if env is None else env
    for var in ENV_VARS["profile"]:
        if env.get(var):
            return env[var], var
    return None


def resolve_settings(
    flags: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    config_file: Path | None = None,
) -> Settings:
    """Build Settings from flags (None = not given), the environment and the selected profile."""
    flags = {k: v for k, v in (flags or {}).items() if v is not None}
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    origin: dict[str, str] = {}

    def from_env(name: str) -> tuple[str, str] | None:
        for var in ENV_VARS.get(name, ()):
            val = env.get(var)
            if val not in (None, ""):
                return val, var
        return None

    profile, profile_origin = selected_profile(flags.get("profile"), env) or (None, "--profile")
    data = load_config(config_file)
    if profile is None and data.get("default"):
        profile, profile_origin = str(data["default"]), "config default"
    profile_values: dict[str, Any] = {}
    if profile is not None:
        profiles = data.get("profiles", {})
        if profile not in profiles:
            known = ", ".join(sorted(profiles)) or _("none yet")
            raise ConfigError(
                _("no profile named {name!r} ({origin})").format(name=profile, origin=profile_origin),
                hint=_("known profiles: {known}; create one with `mediaproc config set`").format(known=known),
                code=NO_SUCH_PROFILE,
            )
        profile_values = dict(profiles[profile])
        unknown = sorted(set(profile_values) - set(PROFILE_KEYS))
        if unknown:
            raise ConfigError(
                _("profile {name!r} has unknown keys: {keys}").format(name=profile, keys=", ".join(unknown)),
                hint=_("allowed keys: {keys}").format(keys=", ".join(PROFILE_KEYS)),
            )

    names = [f.name for f in fields(Settings) if f.name not in ("sources", "profile")]
    for name in names:
        if name in flags:
            values[name] = _coerce(name, flags[name], f"--{name.replace('_', '-')}")
            origin[name] = "flag"
        elif (hit := from_env(name)) is not None:
            values[name] = _coerce(name, hit[0], hit[1])
            origin[name] = f"env {hit[1]}"
        elif name in profile_values:
            values[name] = _coerce(name, profile_values[name], f"profile {profile}")
            origin[name] = f"profile {profile}"
    return Settings(profile=profile, sources=origin, **values)


COS_REGION_VARS = ("COS_REGION", "TENCENTCLOUD_REGION")


def cos_region(settings: Settings, env: Mapping[str, str] | None = None) -> str | None:
    """The COS region: ``--region``/``MEDIAPROC_REGION``/profile, else ``COS_REGION`` or
    ``TENCENTCLOUD_REGION``. A region that came from ``ALIBABA_CLOUD_OSS_REGION`` names an OSS
    region and is ignored. The provider, the COS service and dry-run all ask here, so they agree."""
    env = os.environ if env is None else env
    origin = settings.sources.get("region", "") if settings.sources else ""
    if settings.region and "ALIBABA_CLOUD" not in origin:
        return settings.region
    for var in COS_REGION_VARS:
        value = env.get(var, "").strip()
        if value:
            return value
    return None
