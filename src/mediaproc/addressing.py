"""Sources and destinations: ``oss://BUCKET/KEY``, ``cos://BUCKET-APPID/KEY``, URLs and local paths.

The scheme picks the provider. A bare key stands alone only when the provider is a cloud and a
default bucket is configured, and even then an existing local file wins: a user who names a file
that is there means that file (it is uploaded to a temporary key for cloud processing).
"""

from __future__ import annotations

import re

from mediaproc import TYPE_CHECKING
from mediaproc.config import Settings
from mediaproc.errors import UsageError
from mediaproc.i18n import _
from mediaproc.location import COS_MAX_KEY_BYTES, MAX_KEY_BYTES, Location, expand_path, is_folder_text, key_problem

if TYPE_CHECKING:
    from mediaproc.location import Scheme

_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*)://")
# Bucket names, matched through ``re``'s cache: compiled when a cloud address is first read, not on every start.
OSS_BUCKET = r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$"
COS_BUCKET = r"^[a-z0-9][a-z0-9-]*-\d{6,}$"
# The schemes a user may write, and the providers whose default bucket lets a bare key stand alone.
_SCHEMES: dict[str, Scheme] = {"oss": "oss", "cos": "cos", "http": "http", "https": "https", "file": "file"}
_CLOUDS: dict[str, Scheme] = {"oss": "oss", "cos": "cos"}


def _split_object(text: str, scheme: str) -> tuple[str, str]:
    rest = text[len(scheme) + 3 :]
    bucket, _sep, key = rest.partition("/")
    return bucket, key


def check_bucket_name(scheme: str, bucket: str) -> None:
    """Refuse a bucket name ``scheme``'s cloud cannot have (exit 2), wherever the name came from: an
    address, or the default bucket (``--bucket``, ``MEDIAPROC_BUCKET``, a profile)."""
    _check_bucket(scheme, bucket, f"{scheme}://{bucket}")


def _check_bucket(scheme: str, bucket: str, text: str) -> None:
    if not bucket:
        raise UsageError(
            _("{text!r} names no bucket").format(text=text),
            hint=_("write {scheme}://BUCKET/KEY").format(scheme=scheme),
        )
    if scheme == "oss" and not re.match(OSS_BUCKET, bucket):
        raise UsageError(
            _("{bucket!r} is not a valid OSS bucket name").format(bucket=bucket),
            hint=_("OSS bucket names are 3-63 characters: lower-case letters, digits and hyphens"),
        )
    if scheme == "cos" and not re.match(COS_BUCKET, bucket):
        raise UsageError(
            _("{bucket!r} is not a valid COS bucket name").format(bucket=bucket),
            hint=_("COS buckets are written BUCKETNAME-APPID, e.g. cos://photos-1250000000/a.jpg"),
        )




def parse_location(text: str, settings: Settings, *, role: str = "source") -> Location:
    """Parse a user-given source or destination. ``role`` is "source" or "destination"."""
    if not text or not text.strip():
        raise UsageError(
            _("an empty {role} was given").format(role=role), hint=_("name a file, a URL or an object URI")
        )
    m = _SCHEME.match(text)
    if m:
        word = m.group(1).lower()
        scheme = _SCHEMES.get(word)
        if scheme == "oss" or scheme == "cos":
            bucket, key = _split_object(text, scheme)
            _check_bucket(scheme, bucket, text)
            if role == "destination":
                check_key(key, scheme)
            return Location(scheme=scheme, bucket=bucket, key=key)
        if scheme == "http" or scheme == "https":
            if role != "source":
                raise UsageError(
                    _("a URL cannot be a destination: {text}").format(text=text),
                    hint=_("use --url to get a signed URL of the result, or name a file or object"),
                )
            return Location(scheme=scheme, url=text)
        if scheme == "file":
            return Location(scheme="file", path=expand_path(text[7:]), folder=is_folder_text(text))
        raise UsageError(
            _("unknown scheme {scheme!r} in {text!r}").format(scheme=word, text=text),
            hint=_("use oss://, cos://, http(s):// or a local path"),
        )
    path = expand_path(text)
    explicit_path = text.startswith(("/", "./", "../", "~")) or path.exists()
    cloud = _CLOUDS.get(settings.provider)
    if role == "source" and not explicit_path and cloud is not None and settings.bucket:
        check_bucket_name(cloud, settings.bucket)
        return Location(scheme=cloud, bucket=settings.bucket, key=text)
    return Location(scheme="file", path=path, folder=is_folder_text(text))


def check_key(key: str, cloud: str | None = None) -> None:
    """Refuse, before anything is read or sent, an object key no cloud (or ``cloud``, when it is
    known) can store and serve back (:func:`mediaproc.location.key_problem`); an empty key or a
    trailing ``/`` names a folder."""
    problem = key_problem(key, cloud) if key else None
    if problem is not None:
        raise UsageError(
            _("invalid object key {key!r}: {why}").format(key=key, why=problem),
            hint=_("rename it: a key is UTF-8 of at most {n} bytes, with no leading '/', no '.' or '..' segment "
                   "and no NUL").format(n=COS_MAX_KEY_BYTES if cloud == "cos" else MAX_KEY_BYTES),
        )


def parse_sibling(text: str, settings: Settings, anchor: Location) -> Location:
    """A companion of ``anchor`` (a concat input): a bare name beside an object source is a key in
    that object's bucket, as the concat hints say (``--input KEY``) and as OSS spells concat inputs
    (``/sur,o_<key>``: a key, no bucket). A scheme, an explicit path or an existing file keeps its
    ordinary reading (:func:`parse_location`)."""
    location = parse_location(text, settings, role="source")
    if not anchor.is_object or _SCHEME.match(text):
        return location
    explicit_path = text.startswith(("/", "./", "../", "~")) or expand_path(text).exists()
    if explicit_path:
        return location
    return Location(scheme=anchor.scheme, bucket=anchor.bucket, key=text)


def choose_provider(source: Location, destination: Location | None, settings: Settings) -> str:
    """The object URI's scheme wins; a local source with a local destination follows --provider."""
    clouds = {loc.scheme for loc in (source, destination) if loc is not None and loc.is_object}
    if len(clouds) > 1:
        raise UsageError(
            _("source and destination are in different clouds"),
            hint=_("process within one cloud, then copy the result with `mediaproc download`/`upload`"),
        )
    if clouds:
        return clouds.pop()
    return settings.provider
