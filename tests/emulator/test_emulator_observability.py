"""The request log, counters and the unauthenticated stats and health endpoints."""

from __future__ import annotations

from typing import Any

import pytest
from multidict import CIMultiDict

from imgperms_async.emulator import Emulator, EmulatorCredentials, RequestRecord
from imgperms_async.emulator._errors import ServiceError
from imgperms_async.emulator._identity import Identities
from imgperms_async.emulator._sigv4 import _ADMITTED_CLAIMS, SignedRequest, SigV4Verifier

DESCRIBE = "DescribeWorkspaceImagePermissions"


async def test_each_request_is_logged_with_what_it_asked_and_got(
    emulator: Emulator, call: Any
) -> None:
    image_id = emulator.owned_image_ids[0]
    await call(DESCRIBE, {"ImageId": image_id})
    (record,) = emulator.requests
    assert record == RequestRecord(
        operation=DESCRIBE,
        image_id=image_id,
        next_token=None,
        status=200,
        error_code=None,
        time=record.time,
        access_key=emulator.credentials.access_key,
        service="workspaces",
        account_id=emulator.account_id,
        region="us-east-1",
    )


async def test_rejected_requests_are_logged_with_their_error_code(
    call: Any, emulator: Emulator
) -> None:
    await call(DESCRIBE, {"ImageId": "wsi-000000000"})
    assert [(r.status, r.error_code) for r in emulator.requests] == [
        (400, "ResourceNotFoundException")
    ]


async def test_counters_tally_served_rejected_and_operations(emulator: Emulator, call: Any) -> None:
    await call(DESCRIBE, {"ImageId": emulator.owned_image_ids[0]})
    await call(DESCRIBE, {"ImageId": "wsi-000000000"})
    await call("DescribeWorkspaceImages", {})
    assert emulator.stats == {
        "requests": 3,
        "served": 2,
        "rejected": 1,
        f"operation.{DESCRIBE}": 2,
        "operation.DescribeWorkspaceImages": 1,
    }


async def test_reset_log_clears_records_and_counters(emulator: Emulator, call: Any) -> None:
    await call(DESCRIBE, {"ImageId": emulator.owned_image_ids[0]})
    emulator.reset_log()
    assert (emulator.requests, emulator.stats) == ([], {})


async def test_stats_endpoint_serves_counters_without_authentication(
    emulator: Emulator, call: Any, send: Any
) -> None:
    await call(DESCRIBE, {"ImageId": emulator.owned_image_ids[0]})
    answer = await send({}, b"", method="GET", path="/_emulator/stats")
    assert answer.status == 200
    assert answer.json["requests"] == 1
    assert answer.json["counters"]["served"] == 1
    assert answer.json["scopes"] == {
        f"{emulator.account_id}/us-east-1": {"requests": 1, "served": 1}
    }


async def test_health_endpoint_answers_ok(send: Any) -> None:
    answer = await send({}, b"", method="GET", path="/_emulator/health")
    assert (answer.status, answer.json) == (200, {"status": "ok"})


async def test_credentials_repr_hides_the_secret_and_token(emulator: Emulator) -> None:
    shown = repr(emulator.session_credentials)
    assert emulator.session_credentials.secret_key not in shown
    assert str(emulator.session_credentials.session_token) not in shown


async def test_unsigned_requests_are_served_when_verification_is_off(http_session: Any) -> None:
    async with Emulator(images=3, verify=False) as emu:
        headers = {
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "WorkspacesService.DescribeWorkspaceImages",
        }
        async with http_session.post(emu.endpoint_url, headers=headers, data=b"{}") as response:
            body = await response.json(content_type=None)
    assert len(body["Images"]) == 3


def test_threaded_start_reports_a_port_already_in_use(threaded_emulator: Emulator) -> None:
    port = int(threaded_emulator.endpoint_url.rsplit(":", 1)[1])
    with pytest.raises(OSError, match="in use"), Emulator(images=1, port=port):
        pass


def test_custom_credentials_replace_the_defaults() -> None:
    only = EmulatorCredentials("AKIACUSTOM", "custom-secret")
    emu = Emulator(images=1, credentials=[only])
    assert emu.credentials is only
    with pytest.raises(LookupError, match="session token"):
        _ = emu.session_credentials


def test_issued_session_credentials_keep_their_secrets_out_of_reprs() -> None:
    identities = Identities("111111111111", [EmulatorCredentials("AKIAHOME", "home")], seed=0)
    principal = identities.assume(
        "222222222222", "arn:aws:iam::222222222222:role/OrganizationAccountAccessRole", "s", 0.0
    )
    shown = repr(principal)
    assert principal.credentials.secret_key not in shown
    assert str(principal.credentials.session_token) not in shown
    assert principal.credentials.access_key in shown


async def test_every_answer_has_its_own_request_id(emulator: Emulator, call: Any) -> None:
    answers = [await call(DESCRIBE, {"ImageId": emulator.owned_image_ids[0]}) for _ in range(3)]
    assert len({answer.headers["x-amzn-RequestId"] for answer in answers}) == 3


def test_without_verification_a_known_key_still_names_its_account(aws: Any) -> None:
    with Emulator(accounts=1, seed=1, verify=False) as served:
        member = next(a for a in served.scoped_truth.images if a != served.account_id)
        issued = aws(served, "sts").assume_role(
            RoleArn=served.role_arn(member), RoleSessionName="audit"
        )["Credentials"]
        client = aws(
            served,
            "workspaces",
            aws_access_key_id=issued["AccessKeyId"],
            aws_secret_access_key="not-the-secret",
        )
        listed = client.describe_workspace_images(ImageType="OWNED")["Images"]
        owners = {image["OwnerAccountId"] for image in listed}
    assert owners == {member}


def test_without_verification_an_unserved_region_falls_back_to_the_first(aws: Any) -> None:
    with Emulator(images=3, verify=False) as served:
        listed = aws(served, "workspaces", region="us-west-2").describe_workspace_images()
    assert [image["ImageId"] for image in listed["Images"]] == list(served.owned_image_ids)


def test_a_verifier_remembers_a_bounded_number_of_checked_claims() -> None:
    credentials = EmulatorCredentials("AKIDEXAMPLE", "secret")
    verifier = SigV4Verifier([credentials], clock=lambda: 0.0)
    for day in range(_ADMITTED_CLAIMS + 10):
        headers = CIMultiDict(
            {
                "Authorization": f"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/{day:08d}/us-east-1"
                "/workspaces/aws4_request, SignedHeaders=host;x-amz-date, Signature=00",
                "X-Amz-Date": f"{day:08d}T000000Z",
            }
        )
        with pytest.raises(ServiceError):
            verifier.verify(SignedRequest("POST", "/", "", headers, b""))
    assert len(verifier._admitted) <= _ADMITTED_CLAIMS
