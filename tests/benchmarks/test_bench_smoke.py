"""The benchmark drivers still work: each runs once, as the suite runs it, and gets the truth.

No timing is asserted: this only proves that ``python -m benchmarks`` would measure correct work,
on the lean server the throughput scenario uses.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks import _audit, _env, _server
from benchmarks._clients import Job
from benchmarks._scenarios import (
    ACCOUNTS_PER_IMAGE,
    SEED,
    Truth,
    drive,
    lean_server_command,
    serving,
)
from benchmarks._server import fixed_state
from imgperms_async.emulator import Emulator

IMAGES = 20
STATE = fixed_state(IMAGES, ACCOUNTS_PER_IMAGE)
PEERS = {"aiobotocore": "aiobotocore", "boto3": "boto3"}


@pytest.fixture(scope="module")
def lean_server() -> Iterator[_server.Server]:
    with serving(lean_server_command(IMAGES)) as server:
        yield server


@pytest.mark.parametrize("client", ["imgperms_async", "raw_floor", "bare_floor", *PEERS])
def test_driver_returns_the_truth(client: str, lean_server: _server.Server) -> None:
    if _env.missing((PEERS.get(client, "imgperms_async"),)):
        pytest.skip(f"{client} is not installed")
    job = Job(
        endpoint_url=lean_server.endpoint_url,
        region=lean_server.credentials["AWS_DEFAULT_REGION"],
        access_key=lean_server.credentials["AWS_ACCESS_KEY_ID"],
        secret_key=lean_server.credentials["AWS_SECRET_ACCESS_KEY"],
        concurrency=4,
        image_ids=tuple(STATE),
    )
    run = drive(client, job, lean_server)
    truth = Truth.of(STATE)
    assert (run.images, run.pages, run.shared, run.failed) == (IMAGES, truth.pages, truth.shared, 0)
    assert run.matches(truth)


def test_the_audit_scenario_counts_every_share_imgperms_reports(tmp_path: Path) -> None:
    truth = Emulator(IMAGES, seed=SEED).truth
    command = ["imgperms_async.emulator", "--images", str(IMAGES), "--seed", str(SEED)]
    with serving(command) as server:
        assert server.truth() == truth
        run = _audit._imgperms(server, tmp_path)
    assert run.error is None
    assert run.shares_found == sum(len(accounts) for accounts in truth.values())
    assert run.images_flagged == sum(bool(accounts) for accounts in truth.values())


def test_the_audit_scenario_counts_what_custodian_reports(tmp_path: Path) -> None:
    """c7n's cross-account filter reads one page per image: at most 25 shares of each."""
    if _env.missing(("c7n",)):
        pytest.skip("c7n is not installed")
    truth = Emulator(IMAGES, seed=SEED).truth
    command = ["imgperms_async.emulator", "--images", str(IMAGES), "--seed", str(SEED)]
    with serving(command) as server:
        run = _audit._custodian(server, tmp_path)
    assert run.error is None
    assert run.shares_found == sum(min(25, len(accounts)) for accounts in truth.values())
    assert run.images_flagged == sum(bool(accounts) for accounts in truth.values())
