"""IMM RPC through the real alibabacloud_imm20200930 client: projects, bindings, tasks, restarts."""

from __future__ import annotations

from pathlib import Path

import pytest
from alibabacloud_imm20200930 import models as imm
from alibabacloud_tea_openapi.exceptions import ClientException

from support.emulator import Emulator, running_emulator


def test_project_lifecycle(emulator: Emulator) -> None:
    client = emulator.imm_client()
    created = client.create_project(imm.CreateProjectRequest(project_name="media-proj", description="demo"))
    assert created.status_code == 200
    assert created.body.request_id and created.body.project.project_name == "media-proj"
    assert created.body.project.create_time.endswith("Z")
    got = client.get_project(imm.GetProjectRequest(project_name="media-proj")).body.project
    assert (got.project_name, got.description) == ("media-proj", "demo")
    client.create_project(imm.CreateProjectRequest(project_name="other-proj"))
    names = [p.project_name for p in client.list_projects(imm.ListProjectsRequest()).body.projects]
    assert names == ["media-proj", "other-proj"]
    page = client.list_projects(imm.ListProjectsRequest(max_results=1)).body
    assert [p.project_name for p in page.projects] == ["media-proj"] and page.next_token
    with pytest.raises(ClientException) as dup:
        client.create_project(imm.CreateProjectRequest(project_name="media-proj"))
    assert (dup.value.status_code, dup.value.code) == (409, "ResourceAlreadyExists")
    client.delete_project(imm.DeleteProjectRequest(project_name="other-proj"))
    with pytest.raises(ClientException) as gone:
        client.get_project(imm.GetProjectRequest(project_name="other-proj"))
    assert (gone.value.status_code, gone.value.code) == (404, "ResourceNotFound")
    with pytest.raises(ClientException) as missing:
        client.get_project(imm.GetProjectRequest())
    assert (missing.value.status_code, missing.value.code) == (400, "MissingParameter")


def test_bucket_bindings(emulator: Emulator) -> None:
    client = emulator.imm_client()
    emulator.oss_bucket("bound")
    client.create_project(imm.CreateProjectRequest(project_name="p1"))
    with pytest.raises(ClientException) as unbound:
        client.get_ossbucket_attachment(imm.GetOSSBucketAttachmentRequest(ossbucket="bound"))
    assert unbound.value.code == "ResourceNotFound"
    client.attach_ossbucket(imm.AttachOSSBucketRequest(project_name="p1", ossbucket="bound", description="d"))
    att = client.get_ossbucket_attachment(imm.GetOSSBucketAttachmentRequest(ossbucket="bound")).body
    assert (att.project_name, att.description) == ("p1", "d")
    with pytest.raises(ClientException) as no_bucket:
        client.attach_ossbucket(imm.AttachOSSBucketRequest(project_name="p1", ossbucket="absent-bucket"))
    assert no_bucket.value.code == "ResourceNotFound"
    client.detach_ossbucket(imm.DetachOSSBucketRequest(ossbucket="bound"))
    with pytest.raises(ClientException):
        client.get_ossbucket_attachment(imm.GetOSSBucketAttachmentRequest(ossbucket="bound"))


def test_unknown_task_and_action(emulator: Emulator) -> None:
    client = emulator.imm_client()
    client.create_project(imm.CreateProjectRequest(project_name="p1"))
    with pytest.raises(ClientException) as err:
        client.get_task(imm.GetTaskRequest(project_name="p1", task_type="MediaConvert", task_id="MediaConvert-x"))
    assert (err.value.status_code, err.value.code) == (404, "ResourceNotFound")
    with pytest.raises(ClientException) as bad:
        client.list_datasets(imm.ListDatasetsRequest(project_name="p1"))
    assert bad.value.code == "InvalidAction.NotFound"


def test_state_survives_a_restart(tmp_path: Path) -> None:
    root = tmp_path / "root"
    with running_emulator(root) as emu:
        client = emu.imm_client()
        emu.oss_bucket("kept")
        client.create_project(imm.CreateProjectRequest(project_name="kept-proj"))
        client.attach_ossbucket(imm.AttachOSSBucketRequest(project_name="kept-proj", ossbucket="kept"))
    with running_emulator(root, subprocess=True) as emu:
        client = emu.imm_client()
        assert client.get_project(imm.GetProjectRequest(project_name="kept-proj")).body.project.project_name
        att = client.get_ossbucket_attachment(imm.GetOSSBucketAttachmentRequest(ossbucket="kept")).body
        assert att.project_name == "kept-proj"
