"""``mediaproc doctor``: is this machine ready to process media with the configured provider?

OSS: region, endpoints, credentials, bucket name and access, IMM binding, leftovers. COS: region,
credentials, bucket name and access, Cloud Infinite, leftovers. Local: libvips, ffmpeg, probing, a CJK font for text
watermarks, a writable store.

Each check says what it looked at, what it found and — when something is wrong — what to do. It
reports where credentials come from (environment, CLI profile, ECS role, ...), never their values.
Checks that depend on a failed one are skipped rather than reported as a cascade of failures.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from itertools import islice
from typing import TYPE_CHECKING, Any

from mediaproc.config import Settings
from mediaproc.errors import CredentialsError, MediaprocError, NotFound
from mediaproc.i18n import _

if TYPE_CHECKING:
    from mediaproc.location import Scheme

OK, WARN, FAIL, SKIP = "ok", "warn", "fail", "skip"


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # ok | warn | fail | skip
    detail: str
    fix: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def failed(checks: list[Check]) -> list[Check]:
    return [c for c in checks if c.status == FAIL]


def run(settings: Settings) -> list[Check]:
    provider = settings.provider
    checks = [
        Check(
            _("provider"),
            OK,
            _("{provider} (from {origin})").format(
                provider=provider, origin=settings.sources.get("provider", _("default"))
            ),
        )
    ]
    if provider == "oss":
        checks.extend(_oss_checks(settings))
    elif provider == "cos":
        checks.extend(_cos_checks(settings))
    else:
        checks.extend(_local_checks(settings))
    return checks


def _probe(name: str, look: Callable[[], str]) -> Check:
    """One check from a function that returns what it found or raises what is missing (and the fix)."""
    try:
        return Check(name, OK, look())
    except MediaprocError as exc:
        return Check(name, FAIL, exc.message, exc.hint)


# -- local: what the engine needs from this machine --------------------------------------------------
def _local_checks(settings: Settings) -> list[Check]:
    from mediaproc.engine import prerequisites as pre

    def ffmpeg() -> str:
        path, version = pre.ffmpeg_version()
        return f"{version} ({path})"

    def font() -> str:
        return _("{font} (for CJK text watermarks)").format(font=pre.cjk_font())

    return [
        _probe(_("libvips"), lambda: _("libvips {version} (pyvips)").format(version=pre.libvips_version())),
        _probe(_("ffmpeg"), ffmpeg),
        _probe(_("ffprobe"), lambda: _("probing through {prober} (imageio-ffmpeg ships no ffprobe)").format(
            prober=pre.prober_version())),
        _probe(_("CJK font"), font),
        _probe(_("writable store"), lambda: _writable(settings)),
    ]


def _writable(settings: Settings) -> str:
    """The local provider's store (the --bucket folder, else the current folder) takes a new file."""
    import tempfile
    from pathlib import Path

    from mediaproc.errors import ConfigError
    from mediaproc.location import expand_path

    root = expand_path(settings.bucket) if settings.bucket else Path.cwd()
    if not root.is_dir():
        raise ConfigError(_("{root} is not a folder").format(root=root),
                          hint=_("create it, or pass --bucket with an existing folder"))
    try:
        with tempfile.NamedTemporaryFile(dir=root, prefix=".mediaproc-doctor-"):
            pass
    except OSError as exc:
        raise ConfigError(_("cannot write in {root}: {error}").format(root=root, error=exc.strerror or exc),
                          hint=_("fix the folder's permissions, or pass --bucket with a writable folder")) from None
    return _("{root} (from {origin})").format(root=root, origin=_origin(settings, "bucket") if settings.bucket
                                             else _("current folder"))


# -- COS: credentials (presence only), region, bucket, Cloud Infinite ---------------------------------
def _cos_checks(settings: Settings) -> list[Check]:
    from mediaproc.providers.cos.config import credentials_from_env, require_region
    from mediaproc.providers.cos.provider import CosProvider

    out: list[Check] = []
    try:
        region = require_region(settings)
        out.append(Check(_("region"), OK, _("{region} (from {origin})").format(
            region=region, origin=_origin(settings, "region") if settings.region else _("environment"))))
    except MediaprocError as exc:
        return [*out, Check(_("region"), FAIL, exc.message, exc.hint)]
    if settings.endpoint:
        out.append(Check(_("COS endpoint"), OK, settings.endpoint))
    try:
        source = credentials_from_env().source
        out.append(Check(_("credentials"), OK, _("found ({source}); values not shown").format(source=source)))
    except MediaprocError as exc:
        out.append(Check(_("credentials"), FAIL, exc.message, exc.hint))
        out.append(Check(_("bucket access"), SKIP, _("needs credentials")))
        out.append(Check(_("Cloud Infinite"), SKIP, _("needs credentials")))
        return out
    bucket = settings.bucket
    if not bucket:
        out.append(Check(_("bucket"), WARN, _("no default bucket configured"),
                         _("pass --bucket BUCKET-APPID (or set MEDIAPROC_BUCKET) to check access and Cloud Infinite")))
        return out
    named = _bucket_named(settings, "cos", bucket)
    out.append(named)
    if named.status == FAIL:
        return out
    with CosProvider(settings) as cos:
        try:
            cos.head_bucket(bucket)
            out.append(Check(_("bucket access"), OK, _("HeadBucket works ({region})").format(region=region)))
        except MediaprocError as exc:
            fix = exc.hint or _("check the bucket name and --region")
            out.append(Check(_("bucket access"), FAIL, exc.message, fix))
            out.append(Check(_("Cloud Infinite"), SKIP, _("needs bucket access")))
            return out
        # A Cloud Infinite call on the bucket: CI must be enabled and the bucket bound to it first
        # ("you need to enable Cloud Infinite in advance and bind a bucket",
        # https://www.tencentcloud.com/document/product/1045/72937).
        try:
            cos.list_jobs(bucket, size=1)
            out.append(Check(_("Cloud Infinite"), OK, _("media jobs can be listed: Cloud Infinite is enabled")))
        except MediaprocError as exc:
            out.append(Check(_("Cloud Infinite"), FAIL, exc.message, _(
                "bind the bucket to Cloud Infinite (console: Cloud Infinite > Bucket Management > Bind Bucket); "
                "image rules and media jobs need it")))
        out.append(_leftovers(cos, "cos", bucket))
    return out


def _bucket_named(settings: Settings, scheme: str, bucket: str) -> Check:
    """The default bucket, or why the cloud cannot have a bucket of that name (checked before any request)."""
    from mediaproc.addressing import check_bucket_name

    try:
        check_bucket_name(scheme, bucket)
    except MediaprocError as exc:
        return Check(_("bucket"), FAIL, exc.message, exc.hint)
    return Check(_("bucket"), OK, _("{bucket} (from {origin})").format(
        bucket=bucket, origin=_origin(settings, "bucket")))


def _origin(settings: Settings, name: str) -> str:
    return settings.sources.get(name, _("default"))


def _oss_checks(settings: Settings) -> list[Check]:
    from mediaproc.providers.oss.endpoints import resolve_endpoints
    from mediaproc.providers.oss.provider import OssProvider

    out: list[Check] = []
    try:
        ep = resolve_endpoints(settings)
    except MediaprocError as exc:
        return [Check(_("region"), FAIL, exc.message, exc.hint)]
    out.append(Check(_("region"), OK, _("{region} (from {origin})").format(
        region=ep.region, origin=_origin(settings, "region") if settings.region else _("endpoint"))))
    out.append(Check(_("OSS endpoint"), OK, ep.oss + (_(" (internal)") if settings.internal else "")))
    out.append(Check(_("IMM endpoint"), OK, ep.imm_url))

    with OssProvider(settings) as oss:
        try:
            source = oss.credentials.describe()
            detail = _("found (source: {source}); values not shown").format(source=source)
            out.append(Check(_("credentials"), OK, detail))
        except CredentialsError as exc:
            out.append(Check(_("credentials"), FAIL, exc.message, exc.hint))
            out.append(Check(_("bucket access"), SKIP, _("needs credentials")))
            out.append(Check(_("IMM binding"), SKIP, _("needs credentials")))
            return out

        bucket = settings.bucket
        if not bucket:
            out.append(Check(_("bucket"), WARN, _("no default bucket configured"),
                             _("pass --bucket BUCKET (or set MEDIAPROC_BUCKET) to check access and IMM binding")))
            return out
        out.append(_bucket_named(settings, "oss", bucket))
        if out[-1].status == FAIL:
            return out
        out.append(_bucket_access(oss, bucket))
        if out[-1].status == FAIL:
            out.append(Check(_("IMM binding"), SKIP, _("needs bucket access")))
            return out
        out.append(_imm_binding(oss, bucket))
        out.append(_leftovers(oss, "oss", bucket))
    return out


def _bucket_access(oss: Any, bucket: str) -> Check:
    from mediaproc.location import Location

    name = _("bucket access")
    try:
        info = oss.bucket_info(bucket)
        where = info.get("location") or _("unknown location")
        return Check(name, OK, _("GetBucketInfo works ({location})").format(location=where))
    except NotFound as exc:
        return Check(name, FAIL, exc.message, _("check the bucket name and --region"))
    except CredentialsError as exc:
        if exc.code != "AccessDenied":
            return Check(name, FAIL, exc.message, exc.hint)
    except MediaprocError as exc:
        return Check(name, FAIL, exc.message, exc.hint)
    # GetBucketInfo denied: objects may still be readable
    try:
        list(islice(oss.list_objects(Location("oss", bucket=bucket, key=""), recursive=False), 1))
    except MediaprocError as exc:
        return Check(name, FAIL, exc.message, exc.hint)
    return Check(name, WARN, _("listing works, but oss:GetBucketInfo is denied"),
                 _("grant oss:GetBucketInfo so checks like this one can see the bucket"))


def _imm_binding(oss: Any, bucket: str) -> Check:
    name = _("IMM binding")
    try:
        project = oss.bound_project(bucket, refresh=True)
    except CredentialsError as exc:
        return Check(name, WARN, exc.message,
                     _("grant imm:GetOSSBucketAttachment and imm:GetTask (video, audio and AI operations need them)"))
    except MediaprocError as exc:
        return Check(name, WARN, exc.message, exc.hint)
    if not project:
        return Check(name, WARN, _("{bucket} is not bound to an IMM project").format(bucket=bucket),
                     _("run `mediaproc imm setup --bucket {bucket}` (needed for video, audio and AI operations)")
                     .format(bucket=bucket))
    return Check(name, OK, _("bound to project {project}").format(project=project))


def _leftovers(provider: Any, scheme: Scheme, bucket: str) -> Check:
    """Temporary objects staged for jobs that were not waited for (both clouds stage the same way,
    :mod:`mediaproc.providers.staging`)."""
    from mediaproc.location import TEMP_PREFIX, Location

    name = _("temporary objects")
    try:
        listing = provider.list_objects(Location(scheme, bucket=bucket, key=TEMP_PREFIX), recursive=True)
        found = list(islice(listing, 1000))
    except MediaprocError as exc:
        return Check(name, SKIP, exc.message)
    if not found:
        return Check(name, OK, _("none left under {prefix}").format(prefix=TEMP_PREFIX))
    return Check(
        name, WARN,
        _("{n} object(s) left under {scheme}://{bucket}/{prefix} (sources of --no-wait or timed-out jobs)").format(
            n=len(found) if len(found) < 1000 else "1000+", scheme=scheme, bucket=bucket, prefix=TEMP_PREFIX),
        _("when their jobs are done: `mediaproc rm -r --yes {scheme}://{bucket}/{prefix}`, or add a lifecycle rule "
          "expiring that prefix after 1 day").format(scheme=scheme, bucket=bucket, prefix=TEMP_PREFIX),
    )
