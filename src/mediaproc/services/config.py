"""Profile management behind ``mediaproc config``: read, change and select profiles in the TOML file.

Writes are atomic and refuse anything that looks like a secret: credentials belong to each cloud's
own chain, never to this file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mediaproc.atomic import atomic_file
from mediaproc.config import PROFILE_KEYS, SECRET_WORDS, Settings, _coerce, config_path, load_config
from mediaproc.errors import ConfigError
from mediaproc.i18n import _
from mediaproc.record import fields

DEFAULT_PROFILE = "default"


def _save(data: dict[str, Any], path: Path) -> None:
    import tomli_w

    with atomic_file(path, "wb", durable=True) as fh:
        tomli_w.dump(data, fh)


def list_profiles(path: Path | None = None) -> list[dict[str, Any]]:
    data = load_config(path)
    default = data.get("default")
    return [
        {"name": name, "default": name == default, **values}
        for name, values in sorted(data.get("profiles", {}).items())
    ]


def show(settings: Settings) -> list[dict[str, Any]]:
    """The effective value of every setting and where it came from."""
    rows = []
    for f in fields(Settings):
        if f.name in ("sources",):
            continue
        rows.append({
            "setting": f.name,
            "value": getattr(settings, f.name),
            "source": settings.sources.get(f.name, "profile selection" if f.name == "profile" else "default"),
        })
    return rows


def _check_bucket_name(bucket: str) -> None:
    """Refuse to store a default bucket no cloud can have (a space, capitals, an underscore): stored, it
    failed every later command that fell back to it, far from where it was typed."""
    import re

    from mediaproc.addressing import COS_BUCKET, OSS_BUCKET

    if not (re.match(OSS_BUCKET, bucket) or re.match(COS_BUCKET, bucket)):
        raise ConfigError(
            _("{bucket!r} is not a bucket name OSS or COS accepts").format(bucket=bucket),
            hint=_("OSS: 3-63 lower-case letters, digits and hyphens; COS: the same, then -APPID "
                   "(e.g. photos-1250000000)"),
        )


def set_value(key: str, value: str, *, profile: str | None = None, path: Path | None = None) -> dict[str, Any]:
    name = key.replace("-", "_").lower()
    if any(word in name for word in SECRET_WORDS):
        raise ConfigError(
            _("{key!r} looks like a secret; mediaproc never stores secrets").format(key=key),
            hint=_(
                "use the cloud's credential chain: `aliyun configure`, or TENCENTCLOUD_SECRET_ID/KEY in the environment"
            ),
        )
    if name not in PROFILE_KEYS:
        raise ConfigError(
            _("unknown setting {key!r}").format(key=key),
            hint=_("settable keys: {keys}").format(keys=", ".join(PROFILE_KEYS)),
        )
    path = path or config_path()
    data = load_config(path)
    target = profile or data.get("default") or DEFAULT_PROFILE
    coerced = _coerce(name, value, f"config set {key}")
    if name == "bucket":
        _check_bucket_name(str(coerced))
    data.setdefault("profiles", {}).setdefault(target, {})[name] = coerced
    data.setdefault("default", target)
    _save(data, path)
    return {"profile": target, "setting": name, "value": coerced, "file": str(path)}


def unset_value(key: str, *, profile: str | None = None, path: Path | None = None) -> dict[str, Any]:
    name = key.replace("-", "_").lower()
    path = path or config_path()
    data = load_config(path)
    target = profile or data.get("default") or DEFAULT_PROFILE
    values = data.get("profiles", {}).get(target, {})
    if name not in values:
        raise ConfigError(
            _("profile {profile!r} has no setting {key!r}").format(profile=target, key=key),
            hint=_("`mediaproc config list` shows what each profile holds"),
        )
    del values[name]
    _save(data, path)
    return {"profile": target, "setting": name, "file": str(path)}


def use(profile: str, *, path: Path | None = None, create: bool = False) -> dict[str, Any]:
    path = path or config_path()
    data = load_config(path)
    profiles = data.setdefault("profiles", {})
    if profile not in profiles:
        if not create:
            raise ConfigError(
                _("no profile named {name!r}").format(name=profile),
                hint=_("known profiles: {known}; create it with `mediaproc config use {name} --create`").format(
                    known=", ".join(sorted(profiles)) or _("none yet"), name=profile
                ),
            )
        profiles[profile] = {}
    data["default"] = profile
    _save(data, path)
    return {"default": profile, "file": str(path)}


def setting_keys() -> list[dict[str, Any]]:
    """What ``mediaproc config keys`` lists: each profile setting, what it accepts, its variables."""
    from mediaproc.config import ENV_VARS, PROFILE_KEYS, accepted

    return [{"setting": k, "accepts": accepted(k), "env": list(ENV_VARS.get(k, ()))} for k in PROFILE_KEYS]
