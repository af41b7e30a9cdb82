"""Cloud Infinite media workflows and inventory-trigger jobs through qcloud_cos (CLOUD-BATCH.md §2).

The bodies are the ones :mod:`mediaproc.ops.cos.workflow_nodes` builds (what ``--dry-run`` prints);
creates go through the provider's job client (``retry=0``: a retried create could make a second
workflow or job), reads through the ordinary one. Answers are read into
:class:`~mediaproc.cloudbatches.CloudBatchStatus`:

- an inventory-trigger job (a *batch*: the workflow over objects already in the bucket) has no
  counters of its own (CreateInventoryTriggerJob / DescribeInventoryTriggerJob: Code, Message,
  State, CreationTime, StartTime, EndTime); its progress is its workflow executions, listed with
  ``jobId`` and counted by state (``Success``, ``Failed``, ``Running``, ``Cancel``), and each failed
  execution names its object and, in its tasks, the reason;
- a workflow (a *trigger*: every new object under its prefix) is ``Active`` or ``Paused``.

SDK quirks handled here (CLOUD-BATCH.md §2.2, §4): ``ci_list_workflowexecution`` leaves a single
execution as a dict; ``ci_get_workflowexecution`` wraps ``WorkflowExecution`` in a list while its
``Tasks`` may stay a dict; every number is a string; ``ci_delete_inventory_trigger_jobs`` is the
*cancel* call and returns the raw response.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any

from mediaproc.cloudbatches import CloudBatchStatus, Failure, Outcome
from mediaproc.errors import NotFound
from mediaproc.providers.cos.clients import CosClients

MAX_FAILURES_READ = 100  # failed executions whose reason is fetched (one GET each)
_PAGE = 100  # the documented maximum page size of both listings


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _job_outcome(state: str, failed: int) -> Outcome:
    if state == "Success":
        return "partial" if failed else "succeeded"
    if state == "Failed":
        return "failed"
    if state == "Cancel":
        return "cancelled"
    if state == "Pause":
        return "suspended"
    return "running"  # Submitted, Running


def _time(value: Any) -> str | None:
    return None if value in (None, "", "-") else str(value)


class CosWorkflows:
    """Workflow and inventory-job calls on one bucket."""

    def __init__(self, cos: CosClients, bucket: str) -> None:
        self.cos = cos
        self.bucket = bucket

    def _read(self, action: str, method: str, **kwargs: Any) -> Any:
        return self.cos._call(action, getattr(self.cos.client, method), Bucket=self.bucket,
                              target=f"cos://{self.bucket}", **kwargs)

    def _write(self, action: str, method: str, **kwargs: Any) -> Any:
        self.cos._setup()
        return self.cos._call(action, getattr(self.cos._job_client, method), Bucket=self.bucket,
                              target=f"cos://{self.bucket}", **kwargs)

    # -- workflows ------------------------------------------------------------------------------
    def create_workflow(self, body: Mapping[str, Any]) -> str:
        answer = self._write("create the workflow", "ci_create_workflow", Body=dict(body),
                             ContentType="application/xml")
        return str(((answer or {}).get("MediaWorkflow") or {}).get("WorkflowId") or "")

    def set_workflow_state(self, workflow_id: str, active: bool) -> None:
        self._write("change the workflow's state", "ci_update_workflow_state", WorkflowId=workflow_id,
                    UpdateState="active" if active else "paused")

    def delete_workflow(self, workflow_id: str) -> None:
        self._write("delete the workflow", "ci_delete_workflow", WorkflowId=workflow_id)

    def workflow(self, workflow_id: str) -> CloudBatchStatus:
        from mediaproc.i18n import _

        answer = self._read("describe the workflow", "ci_get_workflow", Ids=workflow_id)
        for item in _list(answer.get("MediaWorkflowList")):
            if item and item.get("WorkflowId") == workflow_id:
                return self._workflow_status(item)
        raise NotFound(_("no workflow {id} in cos://{bucket}").format(id=workflow_id, bucket=self.bucket),
                       hint=_("`mediaproc trigger list --provider cos` lists them"))

    def workflows(self) -> Iterator[CloudBatchStatus]:
        page = 1
        while True:
            answer = self._read("list the workflows", "ci_get_workflow", PageNumber=str(page), PageSize=str(_PAGE))
            items = [i for i in _list(answer.get("MediaWorkflowList")) if i]
            yield from (self._workflow_status(i) for i in items)
            total = int(answer.get("TotalCount") or 0)
            if not items or page * _PAGE >= total:
                return
            page += 1

    def _workflow_status(self, item: Mapping[str, Any]) -> CloudBatchStatus:
        state = str(item.get("State") or "")
        start = (((item.get("Topology") or {}).get("Nodes") or {}).get("Start") or {}).get("Input") or {}
        return CloudBatchStatus(
            id=str(item.get("WorkflowId") or ""), kind="trigger", provider="cos", state=state,
            outcome="running" if state == "Active" else "suspended",
            created=_time(item.get("CreateTime")), updated=_time(item.get("UpdateTime")),
            failures_reported=True,
            details={"name": item.get("Name"), "bucket": self.bucket, "prefix": start.get("ObjectPrefix")},
        )

    def trigger(self, workflow_id: str, key: str) -> str:
        answer = self._write("trigger the workflow", "ci_trigger_workflow", WorkflowId=workflow_id, Key=key)
        return str((answer or {}).get("InstanceId") or "")

    # -- executions -----------------------------------------------------------------------------
    def executions(self, workflow_id: str, job_id: str | None = None) -> Iterator[dict[str, Any]]:
        token = ""
        while True:
            answer = self._read("list the workflow's executions", "ci_list_workflowexecution",
                                WorkflowId=workflow_id, Size=_PAGE, NextToken=token, BatchJobId=job_id)
            yield from (e for e in _list(answer.get("WorkflowExecutionList")) if e)
            token = str(answer.get("NextToken") or "")
            if not token:
                return

    def failure_reason(self, run_id: str) -> str:
        answer = self._read("describe the execution", "ci_get_workflowexecution", RunId=run_id)
        for execution in _list(answer.get("WorkflowExecution")):
            for task in _list((execution or {}).get("Tasks")):
                if task and task.get("State") == "Failed":
                    return f"{task.get('Code') or 'Failed'}: {task.get('Message') or ''}".strip(": ")
        return "Failed"

    # -- inventory-trigger jobs -------------------------------------------------------------------
    def create_job(self, body: Mapping[str, Any]) -> str:
        answer = self._write("create the inventory job", "ci_create_inventory_trigger_jobs", JobBody=dict(body),
                             ContentType="application/xml")
        details = _list((answer or {}).get("JobsDetail"))
        return str((details[0] if details else {}).get("JobId") or "")

    def cancel_job(self, job_id: str) -> None:
        self._write("cancel the inventory job", "ci_delete_inventory_trigger_jobs", JobId=job_id)

    def job(self, job_id: str, *, with_failures: bool = True) -> CloudBatchStatus:
        from mediaproc.i18n import _

        answer = self._read("describe the inventory job", "ci_get_inventory_trigger_jobs", JobID=job_id)
        details = [d for d in _list(answer.get("JobsDetail")) if d]
        if not details:
            raise NotFound(_("no inventory job {id} in cos://{bucket}").format(id=job_id, bucket=self.bucket),
                           hint=_("`mediaproc batch list --provider cos` lists them"))
        return self._job_status(details[0], with_failures=with_failures)

    def jobs(self) -> Iterator[CloudBatchStatus]:
        token = ""
        while True:
            answer = self._read("list the inventory jobs", "ci_list_inventory_trigger_jobs", Size=_PAGE,
                                NextToken=token)
            for d in _list(answer.get("JobsDetail")):
                if d:
                    yield self._job_status(d, with_failures=False)
            token = str(answer.get("NextToken") or "")
            if not token:
                return

    def _job_status(self, detail: Mapping[str, Any], *, with_failures: bool) -> CloudBatchStatus:
        state = str(detail.get("State") or "")
        job_id = str(detail.get("JobId") or "")
        workflow_id = str((detail.get("Operation") or {}).get("WorkflowIds") or "")
        counts: Counter[str] = Counter()
        failures: list[Failure] = []
        listed = True  # False: the workflow is gone, and its executions with it
        if workflow_id:
            failed_runs: list[tuple[str, str]] = []
            try:
                for execution in self.executions(workflow_id, job_id):
                    st = str(execution.get("State") or "")
                    counts[st] += 1
                    if st == "Failed":
                        failed_runs.append((str(execution.get("Object") or ""), str(execution.get("RunId") or "")))
            except NotFound:
                # the workflow was deleted (a batch deletes the one it made once every object succeeded):
                # whether the service still lists its executions is not documented; without them the
                # job's own state is all there is
                listed = False
            if with_failures and listed:
                for key, run_id in failed_runs[:MAX_FAILURES_READ]:
                    failures.append(Failure(key, self.failure_reason(run_id) if run_id else "Failed"))
        completed = counts["Success"] + counts["Failed"] + counts["Cancel"]
        return CloudBatchStatus(
            id=job_id, kind="batch", provider="cos", state=state,
            outcome=_job_outcome(state, counts["Failed"]),
            counters={k: counts[k] for k in ("Success", "Failed", "Running", "Cancel")} if listed else {},
            completed=completed if listed else None, failed=counts["Failed"] if listed else None, total=None,
            created=_time(detail.get("CreationTime")), started=_time(detail.get("StartTime")),
            ended=_time(detail.get("EndTime")), failures=tuple(failures), failures_reported=listed,
            message=(detail.get("Message") if state == "Failed" else None) or None,
            details={"name": detail.get("Name"), "bucket": self.bucket, "workflow_id": workflow_id,
                     "prefix": (detail.get("Input") or {}).get("Prefix")},
        )
