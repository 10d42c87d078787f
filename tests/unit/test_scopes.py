"""What every (account, region) of an organization gets: AWS's documented limit unless told."""

from __future__ import annotations

from imgperms_async import ClientConfig
from imgperms_async._scopes import (
    WORKSPACES_BURST,
    WORKSPACES_RATE_PER_SEC,
    Roles,
    ScopeReach,
    regions_to_try,
)


def reach(config: ClientConfig | None) -> ScopeReach:
    return ScopeReach(
        roles=Roles(),
        region_name="us-east-1",
        endpoint_url=None,
        profile_name=None,
        aws_access_key_id=None,
        aws_secret_access_key=None,
        aws_session_token=None,
        concurrency=64,
        scope_concurrency=4,
        config=config,
        transport=None,
    )


def test_each_scope_keeps_to_the_documented_rate_and_burst_by_default() -> None:
    config = reach(None).scope_config

    assert (config.max_rate, config.burst) == (WORKSPACES_RATE_PER_SEC, WORKSPACES_BURST)
    assert config.max_connections == 4


def test_a_rate_given_replaces_the_documented_one_with_its_own_burst() -> None:
    config = reach(ClientConfig(max_rate=10.0, max_attempts=3)).scope_config

    assert (config.max_rate, config.burst, config.max_attempts) == (10.0, None, 3)


def test_regions_not_enabled_are_set_apart_and_every_region_is_tried_when_unknown() -> None:
    wanted = ("us-east-1", "af-south-1", "eu-west-1")

    assert regions_to_try(wanted, frozenset({"us-east-1", "eu-west-1"})) == (
        ("us-east-1", "eu-west-1"),
        ("af-south-1",),
    )
    assert regions_to_try(wanted, None) == (wanted, ())
