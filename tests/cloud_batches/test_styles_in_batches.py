"""A style as the work of a cloud batch on ``mediaproc serve`` (the consoles build batches and triggers
on styles): an IMM batch whose action is ``style/NAME`` runs the bucket's OSS style, a CI workflow's
PicProcess node with ``ProcessRule style/NAME`` the bucket's image style; a style that does not exist
is refused when the batch is created."""

from __future__ import annotations

from typing import Any

import pytest

from . import test_cos_workflows as wf_mod
from . import test_imm_batches as batch_mod
from .conftest import decode, poll, tiny_jpeg

# the two suites' fixtures (one server per module: this one's own)
cos, flows, imm, bucket = wf_mod.cos, wf_mod.flows, batch_mod.imm, batch_mod.bucket
COS_BUCKET, OSS_BUCKET = wf_mod.BUCKET, batch_mod.BUCKET


def test_imm_batch_runs_an_oss_style(imm: Any, bucket: Any, prefix: str) -> None:
    bucket.put_bucket_style("batch-thumb", "image/resize,w_4/format,png")
    bucket.put_object(f"{prefix}a.jpg", tiny_jpeg())  # 16x12
    target = f"oss://{OSS_BUCKET}/st-{prefix}{{barename}}.png"
    batch_id = batch_mod.create_batch(imm, prefix, target, ("style/batch-thumb", []))
    final = poll(lambda: batch_mod.get_batch(imm, batch_id), lambda b: b.state in ("Succeeded", "Failed"))[-1]
    assert final.state == "Succeeded", final.error
    assert decode(bucket.get_object(f"st-{prefix}a.png").read()) == ("PNG", (4, 3))

    with pytest.raises(Exception) as missing:
        batch_mod.create_batch(imm, prefix, target, ("style/no-such-style", []))
    assert missing.value.code == "InvalidArgument"
    assert "does not exist" in missing.value.message


def test_ci_workflow_runs_an_image_style(cos: Any, prefix: str, flows: list[str]) -> None:
    cos.ci_put_image_style(Bucket=COS_BUCKET,
                           Request={"StyleName": "flow-thumb", "StyleBody": "imageMogr2/thumbnail/8x"})
    body = wf_mod.workflow_body(
        "styled", f"{prefix}in/",
        {"PicProcess_1": {"Type": "PicProcess", "Operation": {
            "PicProcess": {"ProcessRule": "style/flow-thumb"},
            "Output": {"Region": wf_mod.REGION, "Bucket": COS_BUCKET, "Object": f"{prefix}out/${{InputName}}.${{Ext}}"},
        }}},
        {"Start": "PicProcess_1", "PicProcess_1": "End"},
    )
    made = cos.ci_create_workflow(Bucket=COS_BUCKET, Body=body, ContentType="application/xml")
    wf = made["MediaWorkflow"]["WorkflowId"]
    flows.append(wf)
    wf_mod.put(cos, f"{prefix}in/a.jpg", tiny_jpeg())
    runs = poll(lambda: wf_mod.executions(cos, wf), lambda e: len(e) == 1 and wf_mod.all_done(e))[-1]
    assert runs[0]["State"] == "Success"
    assert decode(wf_mod.read(cos, f"{prefix}out/a.jpg")) == ("JPEG", (8, 6))
