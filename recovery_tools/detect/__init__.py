"""detect-release: which bugs of the catalogue an app's source still holds, each judged by its own detector.

One module per bug (`const_reassignment`, `image_review_table_mismatch`, ...), each with `BUG_ID` and
`detect(app) -> Verdict`; `DETECTORS` maps the catalogue's bug ids to them, in the checklist's order.
"""

from __future__ import annotations

from collections.abc import Callable

from recovery_tools.detect import (
    connection_hygiene,
    const_reassignment,
    cron_overload,
    google_429,
    image_review_table_mismatch,
    prisma_warmup,
    temporary_queue,
)
from recovery_tools.detect.app import AppSource
from recovery_tools.detect.model import Verdict
from recovery_tools.detect.releases import BUG_IDS

Detector = Callable[[AppSource], Verdict]

DETECTORS: dict[str, Detector] = {
    module.BUG_ID: module.detect
    for module in (const_reassignment, image_review_table_mismatch, prisma_warmup, connection_hygiene, google_429,
                   cron_overload, temporary_queue)
}
assert tuple(DETECTORS) == BUG_IDS, "one detector per bug of the catalogue, in its order"

__all__ = ["BUG_IDS", "DETECTORS", "Detector"]
