"""Facts that were kept in two places: each test states the documented value on its own and checks that
every place that uses it agrees, so that a copy that drifts again fails here (issue: "knowledge kept
twice that has drifted apart"; DESIGN.md: one fact in one place)."""

from __future__ import annotations

import pytest

from mediaproc.errors import InvalidOperation
from mediaproc.limits import COS
from mediaproc.ops.cos.image_view import parse_image_view


def test_cos_result_side_is_9999_for_image_view_and_the_cos_front() -> None:
    """CI: "the width and height of the output image cannot exceed 9,999 pixels" (460/36620, 436/42704):
    imageView2's w/h and the COS front's output check read one limit."""
    assert COS["output_side"].value == 9_999
    (op,) = parse_image_view(["2", "w", "9999"])
    assert op.params["w"] == 9_999
    with pytest.raises(InvalidOperation, match="1-9999"):
        parse_image_view(["2", "w", "10000"])
