"""Security Hub on the emulator's port, against boto3: findings imported, updated by re-import,
archived, filtered and paged, every refusal AWS documents, and the rate limit of
BatchImportFindings."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from emulator_support import FORM, AwsClients, client_as
from fakes import FakeClock

from imgperms_async.emulator import Emulator

HOSTILE = '<script>alert(1)</script> \x1b[31m=HYPERLINK("x")\u202e'


def finding(emulator: Emulator, number: int = 1, **fields: Any) -> dict[str, Any]:
    """A sound finding of the emulator's own account in us-east-1."""
    account = fields.pop("account", emulator.account_id)
    return {
        "SchemaVersion": "2018-10-08",
        "Id": f"imgperms/wsi-{number:09d}",
        "ProductArn": f"arn:aws:securityhub:us-east-1:{account}:product/{account}/default",
        "GeneratorId": "imgperms-audit",
        "AwsAccountId": account,
        "Types": ["Software and Configuration Checks/AWS Security Best Practices"],
        "CreatedAt": "2026-01-01T00:00:00Z",
        "UpdatedAt": "2026-01-01T00:00:00Z",
        "Severity": {"Label": "HIGH"},
        "Title": "Image shared outside the organization",
        "Description": "wsi-... is shared with 111122223333",
        "Resources": [{"Type": "Other", "Id": f"wsi-{number:09d}"}],
        **fields,
    }


@pytest.fixture
def hub(threaded_emulator: Emulator, aws: AwsClients) -> Any:
    return aws(threaded_emulator, "securityhub")


@pytest.fixture
def lenient_hub(threaded_emulator: Emulator, aws: AwsClients) -> Any:
    """A client that sends what botocore's model would refuse, for the server to judge."""
    return aws(threaded_emulator, "securityhub", parameter_validation=False)


def found(client: Any, **filters: Any) -> list[dict[str, Any]]:
    pages = client.get_paginator("get_findings").paginate(Filters=filters)
    return [item for page in pages for item in page["Findings"]]


def equals(value: str) -> list[dict[str, str]]:
    return [{"Value": value, "Comparison": "EQUALS"}]


def error_of(caught: pytest.ExceptionInfo[ClientError]) -> tuple[int, str, str]:
    response = caught.value.response
    return (
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Code"],
        response["Error"]["Message"],
    )


def test_an_imported_finding_is_returned_as_imported_text_and_all(
    threaded_emulator: Emulator, hub: Any
) -> None:
    sent = finding(threaded_emulator, Title=HOSTILE, Description=HOSTILE)
    answer = hub.batch_import_findings(Findings=[sent])
    (stored,) = found(hub)
    assert (answer["SuccessCount"], answer["FailedCount"], answer["FailedFindings"]) == (1, 0, [])
    assert (stored["Title"], stored["Description"]) == (HOSTILE, HOSTILE)
    assert (stored["RecordState"], stored["Workflow"], stored["Region"]) == (
        "ACTIVE",
        {"Status": "NEW"},
        "us-east-1",
    )
    assert (
        threaded_emulator.findings[threaded_emulator.account_id]["us-east-1"][0]["Id"]
        == (sent["Id"])
    )


def test_a_later_import_of_the_same_finding_updates_it(
    threaded_emulator: Emulator, hub: Any
) -> None:
    hub.batch_import_findings(Findings=[finding(threaded_emulator)])
    hub.batch_import_findings(
        Findings=[
            finding(
                threaded_emulator,
                UpdatedAt="2026-01-02T00:00:00.000Z",
                RecordState="ARCHIVED",
                Compliance={"Status": "PASSED"},
                Title="No longer shared",
            )
        ]
    )
    (stored,) = found(hub)
    assert (stored["UpdatedAt"], stored["RecordState"], stored["Title"]) == (
        "2026-01-02T00:00:00.000Z",
        "ARCHIVED",
        "No longer shared",
    )
    assert stored["Compliance"] == {"Status": "PASSED"}


@pytest.mark.parametrize("updated_at", ["2026-01-01T00:00:00Z", "2025-12-31T23:59:59+00:00"])
def test_an_import_not_later_than_the_stored_finding_is_ignored(
    threaded_emulator: Emulator, hub: Any, updated_at: str
) -> None:
    hub.batch_import_findings(Findings=[finding(threaded_emulator)])
    answer = hub.batch_import_findings(
        Findings=[finding(threaded_emulator, UpdatedAt=updated_at, Title="stale")]
    )
    (stored,) = found(hub)
    assert answer["SuccessCount"] == 1
    assert stored["Title"] == "Image shared outside the organization"


def test_a_re_import_cannot_change_the_workflow(threaded_emulator: Emulator, hub: Any) -> None:
    hub.batch_import_findings(Findings=[finding(threaded_emulator)])
    hub.batch_import_findings(
        Findings=[
            finding(
                threaded_emulator,
                UpdatedAt="2026-02-01T00:00:00Z",
                Workflow={"Status": "SUPPRESSED"},
                Note={"Text": "x", "UpdatedBy": "y", "UpdatedAt": "2026-02-01T00:00:00Z"},
            )
        ]
    )
    (stored,) = found(hub)
    assert stored["Workflow"] == {"Status": "NEW"}
    assert "Note" not in stored


def test_findings_are_kept_per_account_and_region(organization: Emulator, aws: AwsClients) -> None:
    member = list(organization.scoped_truth.images)[1]
    client = client_as(aws, organization, "securityhub", member)
    client.batch_import_findings(Findings=[finding(organization, account=member)])
    elsewhere = aws(organization, "securityhub")
    assert [item["AwsAccountId"] for item in found(client)] == [member]
    assert found(elsewhere) == []
    assert list(organization.findings) == [member]


@pytest.fixture
def stocked(threaded_emulator: Emulator, hub: Any) -> Any:
    """Four findings: two failing, one passing and archived, one with another generator."""
    hub.batch_import_findings(
        Findings=[
            finding(threaded_emulator, 1, Compliance={"Status": "FAILED"}),
            finding(threaded_emulator, 2, Compliance={"Status": "FAILED"}),
            finding(threaded_emulator, 3, Compliance={"Status": "PASSED"}, RecordState="ARCHIVED"),
            finding(threaded_emulator, 4, GeneratorId="another-tool"),
        ]
    )
    return hub


@pytest.mark.parametrize(
    ("filters", "numbers"),
    [
        ({"Id": equals("imgperms/wsi-000000002")}, [2]),
        ({"RecordState": equals("ACTIVE")}, [1, 2, 4]),
        ({"ComplianceStatus": equals("FAILED")}, [1, 2]),
        ({"GeneratorId": equals("another-tool")}, [4]),
        ({"Id": [{"Value": "imgperms/wsi-00000000", "Comparison": "PREFIX"}]}, [1, 2, 3, 4]),
        ({"Id": [{"Value": "imgperms/wsi-000000001", "Comparison": "NOT_EQUALS"}]}, [2, 3, 4]),
        ({"Id": equals("imgperms/wsi-000000001") + equals("imgperms/wsi-000000003")}, [1, 3]),
        (
            {"RecordState": equals("ACTIVE"), "ComplianceStatus": equals("FAILED")},
            [1, 2],
        ),
    ],
)
def test_filters_select_findings_as_security_hub_combines_them(
    stocked: Any, filters: dict[str, Any], numbers: list[int]
) -> None:
    assert [item["Id"] for item in found(stocked, **filters)] == [
        f"imgperms/wsi-{number:09d}" for number in numbers
    ]


def test_aws_account_id_and_product_arn_filters_find_the_callers_own(
    threaded_emulator: Emulator, stocked: Any
) -> None:
    product = finding(threaded_emulator)["ProductArn"]
    mine = found(
        stocked, AwsAccountId=equals(threaded_emulator.account_id), ProductArn=equals(product)
    )
    assert len(mine) == 4
    assert found(stocked, AwsAccountId=equals("111122223333")) == []


def test_findings_page_by_max_results(stocked: Any) -> None:
    pages = list(stocked.get_paginator("get_findings").paginate(PaginationConfig={"PageSize": 3}))
    assert [len(page["Findings"]) for page in pages] == [3, 1]


def test_sort_criteria_order_the_findings(stocked: Any) -> None:
    answer = stocked.get_findings(SortCriteria=[{"Field": "Id", "SortOrder": "desc"}])
    assert [item["Id"][-1] for item in answer["Findings"]] == ["4", "3", "2", "1"]


@pytest.mark.parametrize(
    "arguments",
    [
        {"MaxResults": 0},
        {"MaxResults": 101},
        {"NextToken": "forged"},
        {"Filters": {"VerificationState": equals("UNKNOWN")}},
        {"Filters": {"Id": [{"Value": "x", "Comparison": "CONTAINS_WORD"}]}},
    ],
)
def test_get_findings_refuses_what_it_cannot_answer_exactly(
    lenient_hub: Any, arguments: dict[str, Any]
) -> None:
    with pytest.raises(ClientError) as caught:
        lenient_hub.get_findings(**arguments)
    assert error_of(caught)[:2] == (400, "InvalidInputException")


@pytest.mark.parametrize("count", [0, 101])
def test_a_batch_holds_one_to_a_hundred_findings(
    threaded_emulator: Emulator, lenient_hub: Any, count: int
) -> None:
    batch = [finding(threaded_emulator, number) for number in range(count)]
    with pytest.raises(ClientError) as caught:
        lenient_hub.batch_import_findings(Findings=batch)
    assert error_of(caught)[:2] == (400, "InvalidInputException")
    assert threaded_emulator.findings == {}


def test_a_hundred_findings_are_one_batch(threaded_emulator: Emulator, hub: Any) -> None:
    batch = [finding(threaded_emulator, number) for number in range(100)]
    assert hub.batch_import_findings(Findings=batch)["SuccessCount"] == 100


@pytest.mark.parametrize(
    ("fields", "where"),
    [
        (
            {"AwsAccountId": "111122223333"},
            "arn:aws:securityhub:us-east-1:{me}:product/{me}/default",
        ),
        (
            {"ProductArn": "arn:aws:securityhub:us-east-1::product/prowler/prowler"},
            "arn:aws:securityhub:us-east-1::product/prowler/prowler",
        ),
        (
            {"ProductArn": "arn:aws:securityhub:eu-west-1:{me}:product/{me}/default"},
            "arn:aws:securityhub:eu-west-1:{me}:product/{me}/default",
        ),
    ],
)
def test_a_finding_for_another_account_or_product_denies_the_whole_batch(
    threaded_emulator: Emulator, hub: Any, fields: dict[str, str], where: str
) -> None:
    me = threaded_emulator.account_id
    foreign = finding(threaded_emulator, 2, **{k: v.format(me=me) for k, v in fields.items()})
    with pytest.raises(ClientError) as caught:
        hub.batch_import_findings(Findings=[finding(threaded_emulator, 1), foreign])
    assert error_of(caught) == (
        403,
        "AccessDeniedException",
        f"User: arn:aws:iam::{me}:user/emulator is not authorized to perform:"
        f" securityhub:BatchImportFindings on resource: {where.format(me=me)}",
    )
    assert threaded_emulator.findings == {}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"Title": None}, "data should have required property 'Title'."),
        ({"SchemaVersion": "2019-01-01"}, "data.SchemaVersion should be equal to one of the"),
        ({"Title": 7}, "data.Title should be string."),
        ({"Title": "x" * 257}, "data.Title should NOT be longer than 256 characters."),
        ({"Description": ""}, "data.Description should NOT be shorter than 1 characters."),
        ({"UpdatedAt": "yesterday"}, 'data.UpdatedAt should match format "date-time".'),
        ({"CreatedAt": "2026-13-01T00:00:00Z"}, 'data.CreatedAt should match format "date-time"'),
        ({"Types": ["a/b/c/d"]}, 'data.Types[0] should match pattern "^([^/]+)(/[^/]+){0,2}$".'),
        ({"Severity": {"Original": "9"}}, "data.Severity should have required property 'Label'."),
        ({"Severity": {"Label": "DIRE"}}, "data.Severity.Label should be equal to one of"),
        ({"Resources": []}, "data.Resources should hold 1 to 32 items."),
        ({"Resources": [{"Id": "x"}]}, "data.Resources[0] should have required property 'Type'."),
        ({"RecordState": "GONE"}, "data.RecordState should be equal to one of the allowed"),
        ({"Compliance": {"Status": "MAYBE"}}, "data.Compliance.Status should be equal to one of"),
    ],
)
def test_a_malformed_finding_is_listed_as_failed_and_the_rest_imported(
    threaded_emulator: Emulator, lenient_hub: Any, change: dict[str, Any], message: str
) -> None:
    bad = finding(threaded_emulator, 2)
    for key, value in change.items():
        if value is None:
            del bad[key]
        else:
            bad[key] = value
    answer = lenient_hub.batch_import_findings(Findings=[finding(threaded_emulator, 1), bad])
    (failure,) = answer["FailedFindings"]
    assert (answer["SuccessCount"], answer["FailedCount"]) == (1, 1)
    assert (failure["Id"], failure["ErrorCode"]) == (bad["Id"], "InvalidInput")
    assert failure["ErrorMessage"].startswith(
        "Finding does not adhere to Amazon Finding Format. " + message
    )


def test_a_normalized_severity_stands_for_a_label(threaded_emulator: Emulator, hub: Any) -> None:
    answer = hub.batch_import_findings(
        Findings=[finding(threaded_emulator, Severity={"Normalized": 70})]
    )
    assert answer["SuccessCount"] == 1


@pytest.fixture
def disabled() -> Iterator[Emulator]:
    with Emulator(images=1, seed=2) as probe:
        account = probe.account_id
    with Emulator(images=1, seed=2, securityhub_disabled=[(account, "us-east-1")]) as served:
        yield served


def test_where_security_hub_is_not_enabled_every_finding_fails_with_invalid_access(
    disabled: Emulator, aws: AwsClients
) -> None:
    answer = aws(disabled, "securityhub").batch_import_findings(
        Findings=[finding(disabled, 1), finding(disabled, 2)]
    )
    assert (answer["SuccessCount"], answer["FailedCount"]) == (0, 2)
    assert {failure["ErrorCode"] for failure in answer["FailedFindings"]} == {"InvalidAccess"}
    assert disabled.findings == {}


def test_where_security_hub_is_not_enabled_get_findings_is_invalid_access(
    disabled: Emulator, aws: AwsClients
) -> None:
    with pytest.raises(ClientError) as caught:
        aws(disabled, "securityhub").get_findings()
    assert error_of(caught) == (
        401,
        "InvalidAccessException",
        f"Account {disabled.account_id} is not subscribed to AWS Security Hub",
    )


def test_security_hub_can_be_disabled_only_for_an_account_here() -> None:
    with pytest.raises(ValueError, match=r"^securityhub_disabled names 000000000000, which is"):
        Emulator(images=1, securityhub_disabled=[("000000000000", "us-east-1")])


def test_security_hub_can_be_disabled_only_in_a_region_served() -> None:
    account = Emulator(images=1).account_id
    with pytest.raises(ValueError, match=r"^securityhub_disabled names eu-west-1, which is not"):
        Emulator(images=1, securityhub_disabled=[(account, "eu-west-1")])


@contextlib.contextmanager
def throttled_hub(aws: AwsClients, **options: Any) -> Iterator[tuple[Any, FakeClock, Emulator]]:
    """A Security Hub client of an emulator whose clock the test moves."""
    clock = FakeClock(start=time.time())
    with Emulator(images=1, clock=clock, **options) as served:
        yield aws(served, "securityhub"), clock, served


@pytest.mark.parametrize("options", [{"securityhub_limits": True}, {"aws_limits": True}])
def test_batch_import_is_throttled_at_thirty_at_once_then_ten_a_second(
    aws: AwsClients, options: dict[str, bool]
) -> None:
    with throttled_hub(aws, **options) as (client, clock, served):
        batch = [finding(served)]
        for _ in range(30):
            client.batch_import_findings(Findings=batch)
        with pytest.raises(ClientError) as caught:
            client.batch_import_findings(Findings=batch)
        clock.now += 0.15
        client.batch_import_findings(Findings=batch)
        client.get_findings()
        imports = [r.status for r in served.requests if r.operation == "BatchImportFindings"]
        assert error_of(caught) == (429, "TooManyRequestsException", "Too Many Requests")
        assert imports[:30] == [200] * 30
        assert set(imports[30:-1]) == {429}
        assert imports[-1] == 200


def test_batch_import_is_not_throttled_unless_asked(aws: AwsClients) -> None:
    with throttled_hub(aws) as (client, _, served):
        for _ in range(40):
            client.batch_import_findings(Findings=[finding(served)])
        assert "throttled" not in served.stats


async def test_security_hub_refuses_an_unsigned_request_in_its_rest_json_words(
    emulator: Emulator, http_session: Any
) -> None:
    async with http_session.post(
        emulator.endpoint_url + "/findings", json={}, headers={"Content-Type": "application/json"}
    ) as response:
        status, body, kind = response.status, await response.json(), response.headers
    assert (status, body["Code"], kind["x-amzn-ErrorType"]) == (
        403,
        "MissingAuthenticationTokenException",
        "MissingAuthenticationTokenException",
    )


async def test_a_path_no_service_serves_is_not_found(emulator: Emulator, http_session: Any) -> None:
    async with http_session.post(
        emulator.endpoint_url + "/findings/elsewhere", data=b"", headers={"Content-Type": FORM}
    ) as response:
        assert response.status == 404
