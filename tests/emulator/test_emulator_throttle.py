"""Rate limiting: a token bucket per caller, throttles answered as AWS does, before any fault."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError
from emulator_support import AwsClients, ManualClock, assumed_keys

from imgperms_async.emulator import Emulator
from imgperms_async.emulator._throttle import TokenBucket

DESCRIBE = "DescribeWorkspaceImagePermissions"


async def test_burst_admits_exactly_burst_requests_before_throttling(ask: Any) -> None:
    async with Emulator(images=5, rate=0.001, burst=3) as emu:
        answers = [await ask(emu, DESCRIBE, {"ImageId": emu.owned_image_ids[0]}) for _ in range(10)]
    assert [a.status for a in answers] == [200] * 3 + [400] * 7
    assert {a.error_code for a in answers[3:]} == {"ThrottlingException"}
    assert answers[3].json["message"] == "Rate exceeded"
    assert emu.stats["throttled"] == 7


async def test_the_keys_of_one_account_share_its_bucket_as_aws_throttles(ask: Any) -> None:
    async with Emulator(images=5, rate=0.001, burst=1) as emu:
        image = {"ImageId": emu.owned_image_ids[0]}
        plain = await ask(emu, DESCRIBE, image)
        with_token = await ask(emu, DESCRIBE, image, credentials=emu.session_credentials)
    assert (plain.status, with_token.error_code) == (200, "ThrottlingException")


async def test_throttling_is_decided_before_faults(ask: Any) -> None:
    async with Emulator(images=5, rate=0.001, burst=1, fault_rate=1.0) as emu:
        image = {"ImageId": emu.owned_image_ids[0]}
        answers = [await ask(emu, DESCRIBE, image) for _ in range(2)]
    assert answers[1].error_code == "ThrottlingException"


async def test_retry_after_is_sent_in_milliseconds_on_throttles(ask: Any) -> None:
    async with Emulator(images=5, rate=0.001, burst=1, retry_after=0.25) as emu:
        image = {"ImageId": emu.owned_image_ids[0]}
        answers = [await ask(emu, DESCRIBE, image) for _ in range(2)]
    assert "x-amz-retry-after" not in answers[0].headers
    assert answers[1].headers["x-amz-retry-after"] == "250"


def test_token_bucket_refills_at_its_rate() -> None:
    now = [0.0]
    bucket = TokenBucket(rate=2.0, burst=2.0, clock=lambda: now[0])
    assert [bucket.allow("k") for _ in range(3)] == [True, True, False]
    now[0] = 1.0
    assert [bucket.allow("k") for _ in range(3)] == [True, True, False]


def test_token_bucket_never_holds_more_than_burst() -> None:
    now = [0.0]
    bucket = TokenBucket(rate=10.0, burst=1.0, clock=lambda: now[0])
    now[0] = 100.0
    assert [bucket.allow("k") for _ in range(2)] == [True, False]


def throttled(client: Any) -> bool:
    try:
        client.describe_workspace_images()
    except ClientError as error:
        if error.response["Error"]["Code"] != "ThrottlingException":
            raise
        return True
    return False


def test_each_account_and_region_has_its_own_bucket(aws: AwsClients) -> None:
    with Emulator(accounts=2, seed=1, rate=1, burst=1, clock=ManualClock()) as served:
        member = next(a for a in served.scoped_truth.images if a != served.account_id)
        keys = assumed_keys(
            aws(served, "sts").assume_role(
                RoleArn=served.role_arn(member), RoleSessionName="audit"
            )["Credentials"]
        )
        home = aws(served, "workspaces")
        spent = [throttled(home), throttled(home)]
        elsewhere = throttled(aws(served, "workspaces", region="eu-west-1"))
        other_account = throttled(aws(served, "workspaces", **keys))
    assert (spent, elsewhere, other_account) == ([False, True], False, False)


def test_aws_limits_admit_a_burst_of_five_then_two_a_second(aws: AwsClients) -> None:
    clock = ManualClock()
    with Emulator(aws_limits=True, clock=clock) as served:
        client = aws(served, "workspaces")
        burst = [throttled(client) for _ in range(6)]
        clock.advance(1.0)
        refilled = [throttled(client) for _ in range(3)]
    assert burst == [False] * 5 + [True]
    assert refilled == [False, False, True]


def test_only_workspaces_calls_spend_the_rate_limit(aws: AwsClients) -> None:
    with Emulator(accounts=1, rate=1, burst=1, clock=ManualClock()) as served:
        sts = aws(served, "sts")
        identities = [sts.get_caller_identity()["Account"] for _ in range(3)]
        first = throttled(aws(served, "workspaces"))
    assert identities == [served.account_id] * 3
    assert first is False
