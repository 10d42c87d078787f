"""Credentials are fetched and refreshed in a thread, one refresh at a time, ahead of expiry."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from botocore.credentials import RefreshableCredentials
from botocore.exceptions import NoCredentialsError
from fakes import FakeClock

from imgperms_async._credentials import Credentials, CredentialSource


def refreshable(
    expires_in_secs: float,
    *,
    fetch: Any = None,
    calls: list[float] | None = None,
    clock: FakeClock | None = None,
) -> RefreshableCredentials:
    """botocore credentials that expire after ``expires_in_secs`` and renew through ``fetch``;
    botocore reads the time from ``clock``."""
    serial = iter(range(1, 1000))
    clock = clock or FakeClock(start=time.time())

    def renew() -> dict[str, str]:
        if calls is not None:
            calls.append(time.monotonic())
        if fetch is not None:
            fetch()
        return {
            "access_key": f"AKIDRENEWED{next(serial)}",
            "secret_key": "renewed-secret",
            "token": "renewed-token",
            "expiry_time": (clock.datetime() + timedelta(hours=1)).isoformat(),
        }

    return RefreshableCredentials(
        access_key="AKIDFIRST",
        secret_key="first-secret",
        token="first-token",
        expiry_time=clock.datetime() + timedelta(seconds=expires_in_secs),
        refresh_using=renew,
        method="test",
        time_fetcher=clock.datetime,
    )


async def background_work_done() -> None:
    """Wait for every other task (a background refresh) to finish, instead of for some time."""
    others = asyncio.all_tasks() - {asyncio.current_task()}
    await asyncio.gather(*others, return_exceptions=True)


def test_secrets_never_appear_in_a_repr() -> None:
    text = repr(Credentials("AKIDVISIBLE", "hidden-secret", "hidden-token"))
    assert "AKIDVISIBLE" in text
    assert "hidden" not in text


async def test_static_keys_are_returned_without_a_thread() -> None:
    source = CredentialSource(None, static=Credentials("AKID", "secret", None))
    assert await source.get() == Credentials("AKID", "secret", None)


async def test_no_credentials_is_a_clear_error() -> None:
    with pytest.raises(NoCredentialsError):
        CredentialSource(None)


async def test_fresh_credentials_are_fetched_once() -> None:
    calls: list[float] = []
    source = CredentialSource(refreshable(3600, calls=calls))
    first = await source.get()
    assert first.access_key == "AKIDFIRST"
    assert await source.get() is first
    assert calls == []


async def test_a_slow_refresh_does_not_block_the_event_loop() -> None:
    release = threading.Event()
    source = CredentialSource(refreshable(60, fetch=lambda: release.wait(5)))
    refresh = asyncio.create_task(source.get())
    ticks = 0
    while not refresh.done() and ticks < 20:
        await asyncio.sleep(0.005)
        ticks += 1
    assert ticks == 20, "the loop kept running while the refresh was blocked in its thread"
    release.set()
    assert (await refresh).access_key == "AKIDRENEWED1"


async def test_concurrent_callers_share_one_refresh() -> None:
    calls: list[float] = []
    source = CredentialSource(refreshable(60, fetch=lambda: time.sleep(0.05), calls=calls))
    results = await asyncio.gather(*(source.get() for _ in range(10)))
    assert len(calls) == 1
    assert {c.access_key for c in results} == {"AKIDRENEWED1"}


async def test_advisory_window_refreshes_in_the_background() -> None:
    calls: list[float] = []
    clock = FakeClock(start=time.time())
    source = CredentialSource(refreshable(20 * 60, calls=calls, clock=clock), time=clock)
    assert (await source.get()).access_key == "AKIDFIRST"
    clock.now += 8 * 60  # 12 minutes left: inside the advisory window only
    current = await source.get()
    assert current.access_key == "AKIDFIRST", "callers do not wait in the advisory window"

    await background_work_done()

    assert (await source.get()).access_key == "AKIDRENEWED1"
    assert len(calls) == 1
    await source.aclose()


async def test_mandatory_window_waits_for_new_credentials() -> None:
    source = CredentialSource(refreshable(5 * 60))
    assert (await source.get()).access_key == "AKIDRENEWED1"


def failing(calls: list[float]) -> Any:
    def fail() -> None:
        calls.append(time.monotonic())
        raise RuntimeError("sts is down")

    return fail


async def test_failed_background_refresh_keeps_the_current_credentials() -> None:
    attempts: list[float] = []
    clock = FakeClock(start=time.time())
    source = CredentialSource(
        refreshable(20 * 60, fetch=failing(attempts), clock=clock), time=clock
    )
    first = await source.get()
    clock.now += 8 * 60
    assert await source.get() is first

    await background_work_done()

    assert len(attempts) == 1, "the refresh ran, in the background"
    assert await source.get() is first
    await source.aclose()


async def test_a_failed_background_refresh_is_not_tried_again_for_thirty_seconds() -> None:
    attempts: list[float] = []
    clock = FakeClock(start=time.time())
    source = CredentialSource(
        refreshable(20 * 60, fetch=failing(attempts), clock=clock), time=clock
    )
    await source.get()
    clock.now += 8 * 60
    await source.get()
    await background_work_done()

    clock.now += 29
    await source.get()
    await background_work_done()
    assert len(attempts) == 1

    clock.now += 2
    await source.get()
    await background_work_done()
    assert len(attempts) == 2
    await source.aclose()
