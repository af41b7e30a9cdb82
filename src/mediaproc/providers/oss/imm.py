"""A small facade over the IMM client (``alibabacloud_imm20200930``): the calls mediaproc needs.

Why a facade: the generated client wants a request model per call and answers with models whose
``to_map()`` is the service's JSON; errors come wrapped in Tea/Dara exceptions. Here every call
returns the plain JSON dict, read-only calls (Get*/List*) are retried on transient errors, writes
and task creation are sent exactly once, and every failure is a :mod:`mediaproc.errors` class.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from functools import partial
from typing import Any

from mediaproc.errors import NotFound
from mediaproc.providers.oss.credentials import CredentialSource, imm_credential_client
from mediaproc.providers.oss.endpoints import Endpoints, is_loopback
from mediaproc.providers.oss.errors import is_retryable_imm, map_imm_error, retry_call

CONNECT_TIMEOUT_MS = 10_000
READ_TIMEOUT_MS = 30_000


class Imm:
    def __init__(self, endpoints: Endpoints, credentials: CredentialSource) -> None:
        self.endpoints = endpoints
        self.credentials = credentials
        self._client: Any = None

    @property
    def client(self) -> Any:
        if self._client is None:
            from alibabacloud_imm20200930.client import Client
            from alibabacloud_tea_openapi.utils_models import Config

            config = Config(
                credential=imm_credential_client(self.credentials),
                endpoint=self.endpoints.imm_host,
                protocol=self.endpoints.imm_protocol,
                region_id=self.endpoints.region,
                connect_timeout=CONNECT_TIMEOUT_MS,
                read_timeout=READ_TIMEOUT_MS,
            )
            if is_loopback(self.endpoints.imm_url):
                config.no_proxy = "127.0.0.1,localhost"
            self._client = Client(config)
        return self._client

    def _call(self, action: str, fn: Callable[[], Any], *, idempotent: bool) -> dict[str, Any]:
        self.credentials.get()  # a missing credential is a CredentialsError here, not inside the SDK

        def once() -> Any:
            return fn()

        try:
            if idempotent:
                resp = retry_call(once, retryable=is_retryable_imm)
            else:
                resp = once()
        except Exception as exc:
            raise map_imm_error(exc, action=action, endpoint=self.endpoints.imm_host) from None
        body = getattr(resp, "body", None)
        return body.to_map() if body is not None else {}

    def call(self, action: str, fn: Callable[[], Any], *, idempotent: bool) -> dict[str, Any]:
        """One call under the facade's policy, for the call families kept in their own module
        (Batch/Trigger: :mod:`mediaproc.providers.oss.batches`)."""
        return self._call(action, fn, idempotent=idempotent)

    # -- tasks ------------------------------------------------------------------------------
    def get_task(self, project: str, task_type: str, task_id: str) -> dict[str, Any]:
        from alibabacloud_imm20200930 import models

        req = models.GetTaskRequest(project_name=project, task_type=task_type, task_id=task_id)
        return self._call("GetTask", lambda: self.client.get_task(req), idempotent=True)

    def create_decode_blind_watermark_task(self, params: Mapping[str, str]) -> dict[str, Any]:
        """``params`` in the RPC's own names (``ops.oss.encode.decode_watermark_params``)."""
        from alibabacloud_imm20200930 import models

        req = models.CreateDecodeBlindWatermarkTaskRequest().from_map(dict(params))
        return self._call(
            "CreateDecodeBlindWatermarkTask",
            lambda: self.client.create_decode_blind_watermark_task(req),
            idempotent=False,
        )

    def get_decode_blind_watermark_result(self, project: str, task_id: str) -> dict[str, Any]:
        from alibabacloud_imm20200930 import models

        from mediaproc.ops.catalog.ai import BLINDWATERMARK_EXTRACT

        req = models.GetDecodeBlindWatermarkResultRequest(
            project_name=project, task_id=task_id, task_type=BLINDWATERMARK_EXTRACT.imm_task
        )
        return self._call(
            "GetDecodeBlindWatermarkResult",
            lambda: self.client.get_decode_blind_watermark_result(req),
            idempotent=True,
        )

    # -- bucket binding ---------------------------------------------------------------------
    def bound_project(self, bucket: str) -> str | None:
        """The project bound to ``bucket``, or None when it is not bound."""
        from alibabacloud_imm20200930 import models

        req = models.GetOSSBucketAttachmentRequest(ossbucket=bucket)
        try:
            body = self._call(
                "GetOSSBucketAttachment", lambda: self.client.get_ossbucket_attachment(req), idempotent=True
            )
        except NotFound:
            return None
        return body.get("ProjectName") or None

    def attach_bucket(self, project: str, bucket: str, description: str | None = None) -> dict[str, Any]:
        from alibabacloud_imm20200930 import models

        req = models.AttachOSSBucketRequest(project_name=project, ossbucket=bucket, description=description)
        return self._call("AttachOSSBucket", lambda: self.client.attach_ossbucket(req), idempotent=False)

    def detach_bucket(self, bucket: str) -> dict[str, Any]:
        from alibabacloud_imm20200930 import models

        req = models.DetachOSSBucketRequest(ossbucket=bucket)
        return self._call("DetachOSSBucket", lambda: self.client.detach_ossbucket(req), idempotent=False)

    # -- projects ---------------------------------------------------------------------------
    def create_project(
        self, name: str, *, service_role: str | None = None, description: str | None = None
    ) -> dict[str, Any]:
        from alibabacloud_imm20200930 import models

        req = models.CreateProjectRequest(project_name=name, service_role=service_role, description=description)
        body = self._call("CreateProject", lambda: self.client.create_project(req), idempotent=False)
        return body.get("Project") or body

    def get_project(self, name: str) -> dict[str, Any]:
        from alibabacloud_imm20200930 import models

        req = models.GetProjectRequest(project_name=name)
        body = self._call("GetProject", lambda: self.client.get_project(req), idempotent=True)
        return body.get("Project") or body

    def list_projects(self, prefix: str | None = None) -> Iterator[dict[str, Any]]:
        """Every project, a page (ListProjects, 100 at a time) at a time: a listing is written as it comes."""
        from alibabacloud_imm20200930 import models

        token: str | None = None
        while True:
            req = models.ListProjectsRequest(prefix=prefix, next_token=token, max_results=100)
            body = self._call("ListProjects", partial(self.client.list_projects, req), idempotent=True)
            yield from body.get("Projects") or []
            token = body.get("NextToken") or None
            if not token:
                return

    def delete_project(self, name: str) -> dict[str, Any]:
        from alibabacloud_imm20200930 import models

        req = models.DeleteProjectRequest(project_name=name)
        return self._call("DeleteProject", lambda: self.client.delete_project(req), idempotent=False)
