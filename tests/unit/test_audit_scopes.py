"""What every (account, region) of an audit gets: AWS's documented pace across accounts unless
told, its own slice of the images in flight, and a result for every region asked for, whether
the account has enabled it or not (an in-memory AWS, no network)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from imgperms_async import (
    Account,
    Audit,
    AuditItem,
    ClientConfig,
    HttpRequest,
    Identity,
    MockResponse,
    MockTransport,
    ScopeResult,
)
from imgperms_async._audit import WORKSPACES_BURST, WORKSPACES_RATE_PER_SEC
from imgperms_async._regions import workspaces_regions

CALLER = Identity(
    region_name="us-east-1",
    endpoint_url="http://aws.test",
    aws_access_key_id="AKIDAUDIT",
    aws_secret_access_key="audit-secret",
)
MEMBER = Account("111122223333")


def scope_config(audit: Audit) -> ClientConfig:
    # What the audit hands each scope's client; read where the audit keeps it.
    return audit._reach.scope_config


def test_each_scope_across_accounts_keeps_to_the_documented_rate_and_burst() -> None:
    config = scope_config(Audit(accounts=[MEMBER], identity=CALLER, concurrency=4))

    assert (config.max_rate, config.burst) == (WORKSPACES_RATE_PER_SEC, WORKSPACES_BURST)
    assert config.max_connections == 4


def test_the_callers_own_account_alone_finds_its_pace() -> None:
    config = scope_config(Audit(accounts="caller", identity=CALLER))

    assert (config.max_rate, config.burst) == (None, None)


def test_a_rate_given_replaces_the_documented_one_with_its_own_burst() -> None:
    audit = Audit(
        accounts=[MEMBER], identity=CALLER, config=ClientConfig(max_rate=10.0, max_attempts=3)
    )

    config = scope_config(audit)

    assert (config.max_rate, config.burst, config.max_attempts) == (10.0, None, 3)


# --- every region asked for ends in a result --------------------------------------------------


def region_of(request: HttpRequest) -> str:
    match = re.search(r"Credential=[^/]+/\d{8}/([^/]+)/", request.headers["Authorization"])
    assert match is not None
    return match[1]


class FakeAws:
    """EC2 DescribeRegions and WorkSpaces for the caller's account, which has ``enabled`` those
    regions (every one when ``None``); DescribeRegions answers AuthFailure unless ``tells``. Each
    enabled region holds one image, shared with nobody; any other refuses the credentials."""

    def __init__(self, enabled: Sequence[str] | None, *, tells: bool = True) -> None:
        self.enabled = enabled
        self.tells = tells
        self.workspaces_regions: list[str] = []

    def __call__(self, request: HttpRequest) -> MockResponse:
        if b"Action=DescribeRegions" in request.body:
            return self.describe_regions()
        region = region_of(request)
        self.workspaces_regions.append(region)
        if self.enabled is not None and region not in self.enabled:
            return MockResponse(
                400,
                {},
                b'{"__type": "UnrecognizedClientException", "message": "invalid token"}',
            )
        target = request.headers["X-Amz-Target"].rsplit(".", 1)[1]
        body: dict[str, Any]
        if target == "DescribeWorkspaceImages":
            body = {"Images": [{"ImageId": "wsi-aaaaaaaaa"}]}
        else:
            body = {"ImageId": json.loads(request.body)["ImageId"], "ImagePermissions": []}
        return MockResponse(body=json.dumps(body).encode())

    def describe_regions(self) -> MockResponse:
        if not self.tells:
            return MockResponse(
                401,
                {},
                b"<Response><Errors><Error><Code>AuthFailure</Code><Message>no</Message>"
                b"</Error></Errors><RequestID>r</RequestID></Response>",
            )
        items = "".join(
            f"<item><regionName>{r}</regionName><optInStatus>opted-in</optInStatus></item>"
            for r in self.enabled or workspaces_regions("aws")
        )
        return MockResponse(
            body=f"<DescribeRegionsResponse><regionInfo>{items}</regionInfo>"
            "</DescribeRegionsResponse>".encode()
        )


async def audit_every_region(aws: FakeAws) -> list[AuditItem]:
    audit = Audit(
        accounts="caller",
        regions="all",
        identity=CALLER,
        config=ClientConfig(max_attempts=1),
        transport=MockTransport(aws),
    )
    async with audit:
        return [item async for item in audit.results()]


def statuses(items: list[AuditItem]) -> dict[str | None, str]:
    return {item.region: item.status for item in items if isinstance(item, ScopeResult)}


async def test_regions_the_account_has_not_enabled_are_set_apart_and_never_called() -> None:
    aws = FakeAws(enabled=["us-east-1", "eu-west-1"])

    items = await audit_every_region(aws)

    every = set(workspaces_regions("aws"))
    assert statuses(items) == {
        region: "audited" if region in ("us-east-1", "eu-west-1") else "not_enabled"
        for region in every
    }
    assert set(aws.workspaces_regions) == {"us-east-1", "eu-west-1"}


async def test_every_region_is_tried_when_the_account_cannot_tell_which_it_has_enabled() -> None:
    aws = FakeAws(enabled=None, tells=False)

    items = await audit_every_region(aws)

    every = set(workspaces_regions("aws"))
    assert set(aws.workspaces_regions) == every
    assert statuses(items) == dict.fromkeys(every, "audited")


async def test_a_region_refusing_credentials_another_accepts_is_one_not_enabled() -> None:
    aws = FakeAws(enabled=["us-east-1"], tells=False)

    items = await audit_every_region(aws)

    every = set(workspaces_regions("aws"))
    assert set(aws.workspaces_regions) == every
    assert statuses(items) == {
        region: "audited" if region == "us-east-1" else "not_enabled" for region in every
    }
