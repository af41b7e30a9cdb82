"""Lazy provider registry: a name maps to a dotted path, imported on first use only.

This keeps ``mediaproc --help`` and shell completion free of cloud SDK imports.
"""

from __future__ import annotations

from importlib import import_module

from mediaproc import TYPE_CHECKING
from mediaproc.errors import ConfigError
from mediaproc.names import PROVIDER_NAMES

if TYPE_CHECKING:
    from mediaproc.config import Settings
    from mediaproc.providers.base import Provider

REGISTRY: dict[str, str] = {
    "local": "mediaproc.providers.local.provider:LocalProvider",
    "oss": "mediaproc.providers.oss.provider:OssProvider",
    "cos": "mediaproc.providers.cos.provider:CosProvider",
}
assert tuple(REGISTRY) == PROVIDER_NAMES, "every provider name has exactly one registry entry"

def provider_class(name: str) -> type[Provider]:
    try:
        target = REGISTRY[name]
    except KeyError:
        raise ConfigError(
            f"unknown provider {name!r}",
            hint=f"choose one of: {', '.join(PROVIDER_NAMES)}",
        ) from None
    module_name, _, attr = target.partition(":")
    return getattr(import_module(module_name), attr)


def get_provider(name: str, settings: Settings) -> Provider:
    return provider_class(name)(settings)
