"""pytest fixtures to test your own code against the emulator: `workspaces_emulator`, and
`workspaces_emulator_factory` for one configured as `Emulator(...)` takes.

Registered under the `pytest11` entry point, so any test run where imgperms_async is installed
has them (`-p no:imgperms_async_emulator` turns them off). Both serve from a background thread,
so synchronous tests (boto3) and asyncio tests use them alike; every emulator started for a
test is stopped after it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import ParamSpec

import pytest

from ._emulator import Emulator

__all__ = ["workspaces_emulator", "workspaces_emulator_factory"]

_P = ParamSpec("_P")


def _served(make: Callable[_P, Emulator], started: list[Emulator]) -> Callable[_P, Emulator]:
    """`make` with its own parameters, returning its emulator already serving."""

    def start(*args: _P.args, **kwargs: _P.kwargs) -> Emulator:
        emulator = make(*args, **kwargs)
        emulator.start_in_thread()
        started.append(emulator)
        return emulator

    return start


@pytest.fixture
def workspaces_emulator_factory() -> Iterator[Callable[..., Emulator]]:
    """`workspaces_emulator_factory(accounts=5, rate=2, ...)`: a serving Emulator per call."""
    started: list[Emulator] = []
    yield _served(Emulator, started)
    for emulator in reversed(started):
        emulator.stop_thread()


@pytest.fixture
def workspaces_emulator(workspaces_emulator_factory: Callable[..., Emulator]) -> Emulator:
    """The default emulator (one account, 200 seeded images in us-east-1), serving."""
    return workspaces_emulator_factory()
