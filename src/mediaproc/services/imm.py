"""IMM administration for OSS: projects and bucket binding (``mediaproc imm ...``).

OSS runs video, audio and intelligent image operations through the IMM project bound to the bucket,
so ``setup`` does what the reference skill's ``imm_admin.py auto-setup`` does: if the bucket is bound,
report the project; otherwise find (or create) the project and bind the bucket. Every function takes
the resolved :class:`~mediaproc.config.Settings` and returns plain data; nothing prints.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mediaproc.config import Settings
from mediaproc.errors import NotFound, UsageError
from mediaproc.i18n import _
from mediaproc.ops.oss.imm import PROJECT_NAME_RULE, valid_project_name

if TYPE_CHECKING:
    from mediaproc.providers.oss.provider import OssProvider

DEFAULT_PREFIX = "mediaproc-"


@dataclass(frozen=True)
class Binding:
    bucket: str
    project: str | None
    bound: bool
    created_project: bool = False
    attached: bool = False
    actions: tuple[str, ...] = ()
    project_info: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "bucket": self.bucket,
            "project": self.project,
            "bound": self.bound,
            "created_project": self.created_project,
            "attached": self.attached,
            "actions": list(self.actions),
        }


def _oss(settings: Settings) -> OssProvider:
    from mediaproc.providers.oss.provider import OssProvider

    return OssProvider(settings)


def _bucket(settings: Settings, bucket: str | None) -> str:
    name = bucket or settings.bucket
    if not name:
        raise UsageError(
            _("no bucket given"), hint=_("pass --bucket BUCKET (or set MEDIAPROC_BUCKET / ALIBABA_CLOUD_OSS_BUCKET)")
        )
    return name.removeprefix("oss://").strip("/")


def check_project_name(name: str) -> str:
    if not valid_project_name(name):
        raise UsageError(
            _("{name!r} is not a valid IMM project name").format(name=name),
            hint=_(PROJECT_NAME_RULE),  # the rule's words live with the rule (ops.oss.imm)
        )
    return name


def default_project_name(bucket: str) -> str:
    """``mediaproc-<bucket>``: valid for every bucket name (which may start with a digit)."""
    return DEFAULT_PREFIX + bucket


def setup(settings: Settings, bucket: str | None = None, project: str | None = None) -> Binding:
    """Make sure ``bucket`` is bound to a project: report an existing binding, else find or create
    the project (``project`` > ``--imm-project`` > ``mediaproc-<bucket>``) and bind the bucket."""
    name = _bucket(settings, bucket)
    with _oss(settings) as oss:
        current = oss.bound_project(name, refresh=True)
        if current:
            if project and project != current:
                raise UsageError(
                    _("bucket {bucket!r} is already bound to project {current!r}").format(
                        bucket=name, current=current
                    ),
                    hint=_("unbind it first (`mediaproc imm unbind --bucket {bucket}`) to move it").format(
                        bucket=name
                    ),
                )
            return Binding(name, current, True, actions=(_("already bound"),))
        wanted = check_project_name(project or settings.imm_project or default_project_name(name))
        actions: list[str] = []
        created = False
        try:
            info = oss.imm.get_project(wanted)
            actions.append(_("found project {project}").format(project=wanted))
        except NotFound:
            note = _("created by mediaproc for {bucket}").format(bucket=name)
            info = oss.imm.create_project(wanted, description=note)
            created = True
            actions.append(_("created project {project}").format(project=wanted))
        oss.imm.attach_bucket(wanted, name)
        oss.forget_binding(name)
        actions.append(_("bound bucket {bucket}").format(bucket=name))
        return Binding(name, wanted, True, created_project=created, attached=True, actions=tuple(actions),
                       project_info=info)


def check(settings: Settings, bucket: str | None = None) -> Binding:
    name = _bucket(settings, bucket)
    with _oss(settings) as oss:
        project = oss.bound_project(name, refresh=True)
    return Binding(name, project, bool(project))


def bind(settings: Settings, project: str, bucket: str | None = None) -> Binding:
    name = _bucket(settings, bucket)
    check_project_name(project)
    with _oss(settings) as oss:
        oss.imm.attach_bucket(project, name)
        oss.forget_binding(name)
    return Binding(name, project, True, attached=True, actions=(_("bound bucket {bucket}").format(bucket=name),))


def unbind(settings: Settings, bucket: str | None = None) -> Binding:
    name = _bucket(settings, bucket)
    with _oss(settings) as oss:
        project = oss.bound_project(name, refresh=True)
        if not project:
            raise NotFound(
                _("bucket {bucket!r} is not bound to any IMM project").format(bucket=name),
                hint=_("nothing to unbind; `mediaproc imm check --bucket {bucket}` shows the binding").format(
                    bucket=name
                ),
            )
        oss.imm.detach_bucket(name)
        oss.forget_binding(name)
    return Binding(name, project, False, actions=(_("unbound from {project}").format(project=project),))


def list_projects(settings: Settings, prefix: str | None = None) -> Iterator[dict[str, Any]]:
    """The region's projects, streamed page by page (nothing runs until it is iterated)."""
    with _oss(settings) as oss:
        yield from oss.imm.list_projects(prefix)


def get_project(settings: Settings, name: str) -> dict[str, Any]:
    with _oss(settings) as oss:
        return oss.imm.get_project(check_project_name(name))


def create_project(
    settings: Settings, name: str, *, service_role: str | None = None, description: str | None = None
) -> dict[str, Any]:
    with _oss(settings) as oss:
        return oss.imm.create_project(check_project_name(name), service_role=service_role, description=description)


def delete_project(settings: Settings, name: str) -> dict[str, Any]:
    """Delete a project, refusing while it still serves a bucket: like the reference, when it has
    datasets (``DatasetCount``), and while any bucket is bound to it (IMM would otherwise drop the
    binding silently and that bucket's video and AI operations would start failing). IMM cannot list
    a project's buckets, so every bucket of the region is asked (ListBuckets, then
    GetOSSBucketAttachment each; ``--bucket`` first); a listing that fails refuses the deletion."""
    with _oss(settings) as oss:
        info = oss.imm.get_project(check_project_name(name))
        datasets = int(info.get("DatasetCount") or 0)
        if datasets:
            raise UsageError(
                _("project {name!r} still has {n} dataset(s) (bound buckets)").format(name=name, n=datasets),
                hint=_("unbind its buckets first (`mediaproc imm unbind --bucket BUCKET`)"),
            )
        bound = _bound_buckets(oss, name, settings.bucket)
        if bound:
            listed = ", ".join(repr(b) for b in bound)
            raise UsageError(
                _("bucket {bucket} is still bound to project {name!r}").format(bucket=listed, name=name)
                if len(bound) == 1 else
                _("buckets {buckets} are still bound to project {name!r}").format(buckets=listed, name=name),
                hint=_("unbind it first (`mediaproc imm unbind --bucket {bucket}`)").format(bucket=bound[0]),
                details={"bound_buckets": bound},
            )
        body = oss.imm.delete_project(name)
    return {"project": name, "deleted": True, "request_id": body.get("RequestId")}


def _bound_buckets(oss: OssProvider, project: str, first: str | None) -> list[str]:
    """Every bucket of the region bound to ``project`` (``first`` asked first, listed or not)."""
    from mediaproc.errors import MediaprocError

    try:
        names = oss.bucket_names()
    except MediaprocError as exc:
        raise UsageError(
            _("cannot check which buckets are bound to project {name!r}: {reason}").format(
                name=project, reason=exc.message
            ),
            hint=_("allow oss:ListBuckets for these credentials, or detach the project's buckets and delete "
                   "it in the IMM console"),
        ) from None
    order = list(dict.fromkeys([*([first] if first else []), *names]))
    return [b for b in order if oss.bound_project(b, refresh=True) == project]
