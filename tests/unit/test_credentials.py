"""Credentials for signing: static keys as given; botocore's chain read and refreshed in a
thread, in botocore's windows; sessions asked for here (AssumeRole) renewed once per session.
One refresh at a time, ahead of expiry, and callers wait only when the keys are about to expire."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from botocore.credentials import Credentials as BotocoreCredentials
from botocore.credentials import RefreshableCredentials
from botocore.exceptions import NoCredentialsError
from fakes import FakeClock, settle

from imgperms_async._credentials import (
    BotocoreCredentialSource,
    Credentials,
    Session,
    SessionCredentialSource,
    StaticCredentialSource,
    credential_source,
    frozen,
    refresh_windows_secs,
)
from imgperms_async._secrets import known_secrets


def refreshable(
    clock: FakeClock,
    expires_in_secs: float,
    *,
    fetch: Callable[[], Any] | None = None,
    calls: list[float] | None = None,
) -> RefreshableCredentials:
    """botocore credentials that expire after ``expires_in_secs`` and renew through ``fetch``;
    botocore reads the time from ``clock``."""
    serial = iter(range(1, 1000))

    def renew() -> dict[str, str]:
        if calls is not None:
            calls.append(clock.now)
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


def failing(calls: list[float]) -> Callable[[], None]:
    def fail() -> None:
        calls.append(0.0)
        raise RuntimeError("sts is down")

    return fail


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(start=1_800_000_000.0)


# --- Credentials ------------------------------------------------------------------------------


def test_secrets_never_appear_in_a_repr() -> None:
    text = repr(Credentials("AKIDVISIBLE", "hidden-secret", "hidden-token"))
    assert "AKIDVISIBLE" in text
    assert "hidden" not in text


def test_credentials_remember_their_secrets_as_they_are_made() -> None:
    Credentials("AKIDVISIBLE", "remembered-secret", "remembered-token")
    assert {"remembered-secret", "remembered-token"} <= known_secrets()
    assert "AKIDVISIBLE" not in known_secrets()


def test_frozen_botocore_keys_become_credentials() -> None:
    keys = frozen(BotocoreCredentials("AKIDBOTO", "boto-secret", ""))
    assert keys == Credentials("AKIDBOTO", "boto-secret", None)


def test_botocore_credentials_without_a_key_are_no_credentials() -> None:
    with pytest.raises(NoCredentialsError):
        frozen(BotocoreCredentials("", ""))


# --- static keys ------------------------------------------------------------------------------


async def test_static_keys_are_handed_out_as_given() -> None:
    keys = Credentials("AKID", "secret", None)
    source = StaticCredentialSource(keys)
    assert source.usable() is keys
    assert await source.get() is keys
    assert source.current is keys


def test_keys_give_a_static_source_and_botocores_chain_a_refreshing_one(
    clock: FakeClock,
) -> None:
    assert isinstance(credential_source(Credentials("AKID", "secret")), StaticCredentialSource)
    assert isinstance(credential_source(refreshable(clock, 3600)), BotocoreCredentialSource)


# --- botocore's credential chain --------------------------------------------------------------


def test_no_botocore_credentials_is_a_clear_error() -> None:
    with pytest.raises(NoCredentialsError):
        BotocoreCredentialSource(None)


async def test_fresh_credentials_are_fetched_once(clock: FakeClock) -> None:
    calls: list[float] = []
    source = BotocoreCredentialSource(refreshable(clock, 3600, calls=calls), time=clock)
    assert source.usable() is None, "nothing is read before the first request needs it"
    first = await source.get()
    assert first.access_key == "AKIDFIRST"
    assert await source.get() is first
    assert source.usable() is first
    assert calls == []


async def test_static_botocore_keys_are_read_once(clock: FakeClock) -> None:
    source = BotocoreCredentialSource(BotocoreCredentials("AKIDBOTO", "boto-secret"), time=clock)
    first = await source.get()
    assert source.usable() is first
    assert await source.get() is first


async def test_a_slow_refresh_does_not_block_the_event_loop(clock: FakeClock) -> None:
    release = threading.Event()
    source = BotocoreCredentialSource(
        refreshable(clock, 60, fetch=lambda: release.wait(5)), time=clock
    )
    refresh = asyncio.create_task(source.get())
    await settle()
    assert not refresh.done(), "the loop kept running while the refresh was blocked in its thread"
    release.set()
    assert (await refresh).access_key == "AKIDRENEWED1"


async def test_concurrent_callers_share_one_refresh(clock: FakeClock) -> None:
    release = threading.Event()
    botocore_credentials = refreshable(clock, 60, fetch=release.wait)
    reads = 0
    read = botocore_credentials.get_frozen_credentials

    def counted() -> Any:
        nonlocal reads
        reads += 1
        return read()

    botocore_credentials.get_frozen_credentials = counted  # type: ignore[method-assign]
    source = BotocoreCredentialSource(botocore_credentials, time=clock)
    callers = [asyncio.create_task(source.get()) for _ in range(10)]
    await settle()
    release.set()
    results = await asyncio.gather(*callers)

    assert reads == 1
    assert {c.access_key for c in results} == {"AKIDRENEWED1"}


async def test_advisory_window_refreshes_in_the_background(clock: FakeClock) -> None:
    calls: list[float] = []
    source = BotocoreCredentialSource(refreshable(clock, 20 * 60, calls=calls), time=clock)
    assert (await source.get()).access_key == "AKIDFIRST"
    clock.now += 8 * 60  # 12 minutes left: inside the advisory window only
    current = await source.get()
    assert current.access_key == "AKIDFIRST", "callers do not wait in the advisory window"

    await background_work_done()

    assert (await source.get()).access_key == "AKIDRENEWED1"
    assert len(calls) == 1
    await source.aclose()


async def test_mandatory_window_waits_for_new_credentials(clock: FakeClock) -> None:
    source = BotocoreCredentialSource(refreshable(clock, 20 * 60), time=clock)
    await source.get()
    clock.now += 12 * 60  # 8 minutes left: inside the mandatory window
    assert source.usable() is None
    assert (await source.get()).access_key == "AKIDRENEWED1"


async def test_failed_background_refresh_keeps_the_current_credentials(clock: FakeClock) -> None:
    attempts: list[float] = []
    source = BotocoreCredentialSource(
        refreshable(clock, 20 * 60, fetch=failing(attempts)), time=clock
    )
    first = await source.get()
    clock.now += 8 * 60
    assert await source.get() is first

    await background_work_done()

    assert len(attempts) == 1, "the refresh ran, in the background"
    assert await source.get() is first
    await source.aclose()


async def test_a_failed_background_refresh_is_not_tried_again_for_thirty_seconds(
    clock: FakeClock,
) -> None:
    attempts: list[float] = []
    source = BotocoreCredentialSource(
        refreshable(clock, 20 * 60, fetch=failing(attempts)), time=clock
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


async def test_closing_stops_a_background_refresh(clock: FakeClock) -> None:
    release = threading.Event()
    source = BotocoreCredentialSource(
        refreshable(clock, 20 * 60, fetch=lambda: release.wait(5)), time=clock
    )
    await source.get()
    clock.now += 8 * 60
    await source.get()
    before = asyncio.all_tasks()
    assert len(before) > 1, "a background refresh is running"

    await source.aclose()
    release.set()

    assert asyncio.all_tasks() == {asyncio.current_task()}


# --- sessions asked for here (AssumeRole) -----------------------------------------------------


def test_refresh_windows_are_botocores_for_an_hour_and_shrink_for_short_sessions() -> None:
    assert refresh_windows_secs(3600) == (15 * 60, 10 * 60)
    assert refresh_windows_secs(900) == (450, 225)
    assert refresh_windows_secs(4) == (2, 1)


class Sessions:
    """An AssumeRole stand-in: each fetch is a new session of ``lifetime_secs`` on ``clock``."""

    def __init__(self, clock: FakeClock, lifetime_secs: float) -> None:
        self.clock = clock
        self.lifetime_secs = lifetime_secs
        self.fetched_at: list[float] = []
        self.fail = False

    async def __call__(self) -> Session:
        self.fetched_at.append(self.clock.now)
        if self.fail:
            raise RuntimeError("sts is down")
        serial = len(self.fetched_at)
        return Session(
            Credentials(f"ASIASESSION{serial}", f"session-secret-{serial}", f"token-{serial}"),
            self.clock.now + self.lifetime_secs,
        )


async def test_a_first_session_given_is_used_without_a_fetch(clock: FakeClock) -> None:
    sessions = Sessions(clock, 3600)
    first = await sessions()
    source = SessionCredentialSource(sessions, first=first, time=clock)
    assert source.usable() is first.credentials
    assert await source.get() is first.credentials
    assert sessions.fetched_at == [clock.now]


async def test_without_a_first_session_the_first_use_fetches_one(clock: FakeClock) -> None:
    sessions = Sessions(clock, 3600)
    source = SessionCredentialSource(sessions, time=clock)
    assert source.current is None
    assert source.usable() is None
    assert (await source.get()).access_key == "ASIASESSION1"
    assert (await source.get()).access_key == "ASIASESSION1"
    assert len(sessions.fetched_at) == 1


async def test_a_session_is_renewed_in_the_background_inside_its_advisory_window(
    clock: FakeClock,
) -> None:
    sessions = Sessions(clock, 3600)
    source = SessionCredentialSource(sessions, first=await sessions(), time=clock)
    clock.now += 44 * 60  # 16 minutes left: not yet due
    assert source.usable() is not None
    await background_work_done()
    assert len(sessions.fetched_at) == 1

    clock.now += 2 * 60  # 14 minutes left: advisory
    assert (await source.get()).access_key == "ASIASESSION1", "callers do not wait"
    await background_work_done()

    assert (await source.get()).access_key == "ASIASESSION2"
    await source.aclose()


async def test_a_session_inside_its_mandatory_window_is_awaited(clock: FakeClock) -> None:
    sessions = Sessions(clock, 3600)
    source = SessionCredentialSource(sessions, first=await sessions(), time=clock)
    clock.now += 51 * 60  # 9 minutes left
    assert source.usable() is None
    assert (await source.get()).access_key == "ASIASESSION2"


async def test_a_short_session_used_continuously_is_renewed_once_per_session(
    clock: FakeClock,
) -> None:
    """A 4 s session is due after 2 s: renewed then, in the background, once; never on each use
    (inside botocore's windows of 15 and 10 minutes it would always be due)."""
    sessions = Sessions(clock, 4)
    source = SessionCredentialSource(sessions, time=clock)
    start = clock.now
    waited = 0
    for _ in range(200):  # 20 s of use, ten times a second
        if source.usable() is None:
            waited += 1
        await source.get()
        await settle()
        clock.now += 0.1

    renewals = len(sessions.fetched_at) - 1
    assert 9 <= renewals <= 11, f"{renewals} renewals in 20 s: about one per 2 s"
    assert waited == 1, "only the first use waits; every renewal happens ahead, in the background"
    assert sessions.fetched_at[0] == start


async def test_a_failed_session_renewal_keeps_the_session_and_is_retried_later(
    clock: FakeClock,
) -> None:
    sessions = Sessions(clock, 3600)
    source = SessionCredentialSource(sessions, first=await sessions(), time=clock)
    sessions.fail = True
    clock.now += 46 * 60
    first = await source.get()
    await background_work_done()
    assert len(sessions.fetched_at) == 2
    assert await source.get() is first

    clock.now += 29
    await source.get()
    await background_work_done()
    assert len(sessions.fetched_at) == 2, "not tried again within thirty seconds"

    sessions.fail = False
    clock.now += 2
    await source.get()
    await background_work_done()
    assert (await source.get()).access_key == "ASIASESSION3"
    await source.aclose()


async def test_concurrent_callers_share_one_session_fetch(clock: FakeClock) -> None:
    gate = asyncio.Event()
    sessions = Sessions(clock, 3600)

    async def slow() -> Session:
        await gate.wait()
        return await sessions()

    source = SessionCredentialSource(slow, time=clock)
    callers = [asyncio.create_task(source.get()) for _ in range(10)]
    await settle()
    gate.set()
    results = await asyncio.gather(*callers)

    assert len(sessions.fetched_at) == 1
    assert {c.access_key for c in results} == {"ASIASESSION1"}
