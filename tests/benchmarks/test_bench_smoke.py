"""The benchmark drivers still work: each runs once, as the suite runs it, and gets the truth.

No timing is asserted: this only proves that ``python -m benchmarks`` would measure correct work.
"""

from __future__ import annotations

import pytest

from benchmarks._clients import Job
from benchmarks._scenarios import ACCOUNTS_PER_IMAGE, Truth, drive
from benchmarks._server import fixed_state
from imgperms_async.emulator import Emulator

IMAGES = 20


@pytest.mark.parametrize("client", ["imgperms_async", "raw_floor"])
def test_driver_returns_the_emulator_truth(client: str) -> None:
    state = fixed_state(IMAGES, ACCOUNTS_PER_IMAGE)
    with Emulator(state) as emulator:
        job = Job(
            endpoint_url=emulator.endpoint_url,
            region=emulator.region,
            access_key=emulator.credentials.access_key,
            secret_key=emulator.credentials.secret_key,
            concurrency=4,
            image_ids=tuple(state),
        )
        run = drive(client, job)
    truth = Truth.of(state)
    assert (run.images, run.pages, run.shared, run.failed) == (IMAGES, truth.pages, truth.shared, 0)
    assert run.matches(truth)
