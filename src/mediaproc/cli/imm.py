"""`mediaproc imm`: IMM projects and bucket binding (what OSS video, audio and AI operations need)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from mediaproc.cli.common import AppState, JsonOpt, state

app = typer.Typer(help="IMM projects and bucket binding (OSS intelligent features).", no_args_is_help=True)
project_app = typer.Typer(help="IMM projects: list, create, get, delete.", no_args_is_help=True)
app.add_typer(project_app, name="project")

BucketOpt = Annotated[str | None, typer.Option("--bucket", "-b", help="Bucket (default: --bucket / MEDIAPROC_BUCKET).")]
NameArg = Annotated[str, typer.Argument(help="IMM project name.")]


def _binding(st: AppState, binding: Any) -> None:
    if st.settings.json:
        st.output.json(binding.to_dict())
        return
    st.output.table(["bucket", "project", "bound", "actions"],
                    [[binding.bucket, binding.project or "-", "yes" if binding.bound else "no",
                      "; ".join(binding.actions)]])


def _project(st: AppState, info: dict[str, Any]) -> None:
    if st.settings.json:
        st.output.json(info)
        return
    st.output.table(["field", "value"], [[k, v] for k, v in info.items()])


@app.command("setup")
def setup(
    ctx: typer.Context,
    bucket: BucketOpt = None,
    project: Annotated[
        str | None, typer.Option("--project", help="Project to use (default: mediaproc-BUCKET).")
    ] = None,
    json: JsonOpt = False,
) -> None:
    """Make sure the bucket is bound to an IMM project: find or create the project, then bind."""
    from mediaproc.services import imm as svc

    st = state(ctx, json=json)
    _binding(st, svc.setup(st.settings, bucket, project))


@app.command("check")
def check(ctx: typer.Context, bucket: BucketOpt = None, json: JsonOpt = False) -> None:
    """Show which project the bucket is bound to (exit 3 when it is not bound)."""
    from mediaproc.errors import ConfigError, bucket_not_bound
    from mediaproc.services import imm as svc

    st = state(ctx, json=json)
    binding = svc.check(st.settings, bucket)
    _binding(st, binding)
    if not binding.bound and st.settings.json:  # one JSON document only
        raise typer.Exit(int(ConfigError.exit_code))
    if not binding.bound:
        raise bucket_not_bound(binding.bucket)


@app.command("bind")
def bind(ctx: typer.Context, project: NameArg, bucket: BucketOpt = None, json: JsonOpt = False) -> None:
    """Bind the bucket to an existing project (AttachOSSBucket)."""
    from mediaproc.services import imm as svc

    st = state(ctx, json=json)
    _binding(st, svc.bind(st.settings, project, bucket))


@app.command("unbind")
def unbind(ctx: typer.Context, bucket: BucketOpt = None, json: JsonOpt = False) -> None:
    """Unbind the bucket from its project (DetachOSSBucket)."""
    from mediaproc.services import imm as svc

    st = state(ctx, json=json)
    _binding(st, svc.unbind(st.settings, bucket))


@project_app.command("list")
def project_list(
    ctx: typer.Context,
    prefix: Annotated[str | None, typer.Option("--prefix", help="Only projects starting with this.")] = None,
    json: JsonOpt = False,
) -> None:
    """List IMM projects in the region."""
    from mediaproc.services import imm as svc

    st = state(ctx, json=json)
    st.output.items(svc.list_projects(st.settings, prefix), ["project", "datasets", "service role", "created"],
                    row=lambda p: (p.get("ProjectName"), p.get("DatasetCount"), p.get("ServiceRole"),
                                   p.get("CreateTime")),
                    doc=lambda p: p)


@project_app.command("get")
def project_get(ctx: typer.Context, name: NameArg, json: JsonOpt = False) -> None:
    """Show one project."""
    from mediaproc.services import imm as svc

    st = state(ctx, json=json)
    _project(st, svc.get_project(st.settings, name))


@project_app.command("create")
def project_create(
    ctx: typer.Context,
    name: NameArg,
    service_role: Annotated[str | None, typer.Option("--service-role", help="Default: AliyunIMMDefaultRole.")] = None,
    description: Annotated[str | None, typer.Option("--description")] = None,
    json: JsonOpt = False,
) -> None:
    """Create a project."""
    from mediaproc.services import imm as svc

    st = state(ctx, json=json)
    _project(st, svc.create_project(st.settings, name, service_role=service_role, description=description))


@project_app.command("delete")
def project_delete(ctx: typer.Context, name: NameArg, json: JsonOpt = False) -> None:
    """Delete a project (refused while buckets are still bound to it)."""
    from mediaproc.services import imm as svc

    st = state(ctx, json=json)
    _project(st, svc.delete_project(st.settings, name))
