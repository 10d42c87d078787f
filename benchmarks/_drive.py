"""``python -m benchmarks._drive CLIENT JOB_JSON``: one measurement in a fresh process, one JSON line out.

A fresh process per measurement makes peak RSS and CPU time belong to one client alone, and keeps
one client's imports, caches and warm connections from helping the next.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence

from benchmarks._clients import DRIVERS, Job, Tally, Timer, peak_rss_mb


def main(argv: Sequence[str] | None = None) -> None:
    client, raw_job = argv if argv is not None else sys.argv[1:]
    fields = json.loads(raw_job)
    job = Job(**{**fields, "image_ids": tuple(fields.get("image_ids", ()))})
    tally, timer = Tally(), Timer()
    DRIVERS[client](job, tally, timer)
    result = {
        "wall_secs": timer.wall_secs,
        "cpu_secs": timer.cpu_secs,
        "peak_rss_mb": peak_rss_mb(),
        "images": tally.images,
        "pages": tally.pages,
        "shared": tally.shared,
        "failed": tally.failed,
        "errors": dict(tally.errors),
        "digest": f"{tally.digest:064x}",
    }
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
