"""Seeded state is deterministic and realistic; pagination tokens only resume their own listing."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

import pytest

from imgperms_async.emulator import Emulator
from imgperms_async.emulator._errors import ServiceError
from imgperms_async.emulator._page_tokens import PageTokens
from imgperms_async.emulator._seeding.images import generate_shares


def test_same_seed_generates_the_same_truth() -> None:
    assert generate_shares(300, seed=11) == generate_shares(300, seed=11)


def test_another_seed_generates_another_truth() -> None:
    assert generate_shares(50, seed=1) != generate_shares(50, seed=2)


@pytest.mark.parametrize("seed", range(5))
def test_twenty_images_include_exactly_25_and_exactly_50_shares(seed: int) -> None:
    counts = [len(accounts) for accounts in generate_shares(20, seed).values()]
    assert 25 in counts
    assert 50 in counts


def test_image_ids_match_the_service_pattern_and_are_unique() -> None:
    shares = generate_shares(1000, seed=0)
    assert len(shares) == 1000
    assert all(re.fullmatch(r"wsi-[0-9a-z]{9}", image_id) for image_id in shares)


def test_account_ids_are_twelve_digits_and_unique_per_image() -> None:
    for accounts in generate_shares(200, seed=0).values():
        assert all(re.fullmatch(r"\d{12}", account) for account in accounts)
        assert len(set(accounts)) == len(accounts)


def test_share_counts_mix_private_lightly_and_widely_shared_images() -> None:
    counts = [len(accounts) for accounts in generate_shares(1000, seed=0).values()]
    assert counts.count(0) > 500
    assert any(1 <= count <= 5 for count in counts)
    assert any(26 <= count <= 120 for count in counts)


def test_explicit_state_is_served_as_given() -> None:
    state = {"wsi-aaaaaaaaa": ("111111111111", "222222222222"), "wsi-bbbbbbbbb": ()}
    emu = Emulator(state)
    assert emu.truth == state
    assert emu.owned_image_ids == ("wsi-aaaaaaaaa", "wsi-bbbbbbbbb")


def test_page_token_resumes_at_its_offset() -> None:
    tokens = PageTokens(b"secret")
    assert tokens.offset("wsi-aaaaaaaaa", tokens.issue("wsi-aaaaaaaaa", 25)) == 25


def test_page_token_of_another_scope_is_refused() -> None:
    tokens = PageTokens(b"secret")
    with pytest.raises(ServiceError, match="InvalidParameterValuesException"):
        tokens.offset("wsi-bbbbbbbbb", tokens.issue("wsi-aaaaaaaaa", 25))


def test_page_token_from_another_secret_is_refused() -> None:
    token = PageTokens(b"other").issue("wsi-aaaaaaaaa", 25)
    with pytest.raises(ServiceError, match="InvalidParameterValuesException"):
        PageTokens(b"secret").offset("wsi-aaaaaaaaa", token)


@pytest.mark.parametrize(
    "option",
    [
        {"fault_rate": 1.5},
        {"drop_rate": -0.1},
        {"malformed_rate": float("nan")},
        {"page_size": 0},
        {"page_size": 26},
        {"rate": 0},
        {"rate": float("nan")},
        {"rate": float("inf")},
        {"latency": -1},
        {"latency": (0.2, 0.1)},
        {"latency": (0.0, float("inf"))},
        {"images": -5},
        {"images": 2.5},
        {"images": True},
        {"page_size": 2.5},
        {"accounts": 1.5},
        {"port": 65_536},
        {"port": 80.0},
        {"port": -1},
        {"clock_offset": float("nan")},
        {"retry_after": -1},
        {"host": ""},
    ],
)
def test_options_out_of_range_are_refused_at_construction(option: dict[str, Any]) -> None:
    (name,) = option
    with pytest.raises(ValueError, match=f"^{name} must be "):
        Emulator(**option)


@pytest.mark.parametrize(
    ("images", "refusal"),
    [
        ({"foo": ["123456789012"]}, r"^images must be an image id"),
        ({"wsi-abcdefghi": ["notanaccount"]}, r"^images must be a 12-digit account id"),
        ({"wsi-abcdefghi": "123456789012"}, r"^images must map wsi-abcdefghi to a list"),
        ({"wsi-abcdefghi": ["123456789012"] * 2}, r"^images shares wsi-abcdefghi with one account"),
        ("wsi-abcdefghi", r"^images must be a count or a mapping"),
    ],
    ids=["image-id", "account-id", "string-of-shares", "twice", "not-a-mapping"],
)
def test_images_given_image_by_image_are_checked_at_construction(images: Any, refusal: str) -> None:
    with pytest.raises(ValueError, match=refusal):
        Emulator(images)


def test_a_burst_without_a_rate_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^burst is set without a rate$"):
        Emulator(images=1, burst=5)


def test_denying_an_image_that_is_not_served_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^deny_images names 'wsi-000000000'"):
        Emulator(images=1, deny_images=["wsi-000000000"])


def test_an_ipv6_host_goes_in_brackets_in_the_endpoint_url() -> None:
    assert Emulator(images=1, host="::1", port=4599).endpoint_url == "http://[::1]:4599"


def test_the_standalone_account_is_what_the_seed_always_gave() -> None:
    """Pinned from the emulator before organizations existed: same seed, same account."""
    emulator = Emulator(images=40, seed=7)
    digest = hashlib.sha256(json.dumps(dict(emulator.truth)).encode()).hexdigest()
    assert emulator.account_id == "982014054160"
    assert emulator.owned_image_ids[:3] == ("wsi-az4fr5h1o", "wsi-rkvbplkgu", "wsi-yhn2pnzta")
    assert digest == "3d32a8ad7ae39a1b66fac4a39250827a1b5f405c6757cb33717d3e8dac405de9"
