"""What an audit refuses where it is made, before any request: every setting that would audit
nothing, the wrong thing, or fail every scope at run time is an ``InvalidSettingError`` naming
it. (Roles and accounts files have their own tests: ``test_roles.py``, ``test_accounts.py``.)"""

from __future__ import annotations

from typing import Any

import pytest

from imgperms_async import (
    Account,
    Audit,
    ClientClosedError,
    Identity,
    InvalidSettingError,
    OrganizationAudit,
    Role,
)


@pytest.mark.parametrize("name", ["concurrency", "scopes_in_flight", "accounts_in_flight"])
@pytest.mark.parametrize("value", [0, -1, 1.5, True])
def test_a_bound_that_is_not_a_whole_number_of_at_least_one_is_refused(
    name: str, value: Any
) -> None:
    options: dict[str, Any] = {name: value}
    with pytest.raises(InvalidSettingError, match=name):
        Audit(**options)


@pytest.mark.parametrize(("earlier", "now"), [("scope_concurrency", "concurrency"),
                                              ("scopes_at_once", "scopes_in_flight")])  # fmt: skip
def test_the_earlier_names_of_the_bounds_are_checked_as_the_new_ones(
    earlier: str, now: str
) -> None:
    options: dict[str, Any] = {earlier: 0}
    with pytest.raises(InvalidSettingError, match=now):
        OrganizationAudit(**options)


@pytest.mark.parametrize(
    ("regions", "named"),
    [
        (["us-east-1", "US-EAST-1"], "'US-EAST-1' (regions) must be lower case"),
        (["us east 1"], "'us east 1' (regions) is not a region name"),
        (["us-esat-1"], "'us-esat-1' (regions) is not an AWS region"),
        ([7], "7 (regions) is not a region name"),
    ],
    ids=["case", "spaces", "typo", "not-text"],
)
def test_a_region_that_is_not_a_region_is_refused_naming_it(regions: list[Any], named: str) -> None:
    """It would be no WorkSpaces region, and be left out without a word."""
    with pytest.raises(InvalidSettingError) as refused:
        Audit(regions=regions)

    assert named in str(refused.value)


def test_an_accounts_region_that_is_not_a_region_is_refused_naming_the_account() -> None:
    with pytest.raises(InvalidSettingError) as refused:
        Account("123456789012", regions=("eu-west-1", "eu-wset-1"))

    assert "'eu-wset-1' (regions of account 123456789012)" in str(refused.value)


def test_a_home_region_that_is_not_a_region_is_refused() -> None:
    with pytest.raises(InvalidSettingError, match="region_name"):
        Audit(region_name="moon-1")


@pytest.mark.parametrize("regions", [[], ()], ids=["list", "tuple"])
def test_no_region_at_all_is_refused(regions: Any) -> None:
    """An audit of no region would be clean, having looked at nothing."""
    with pytest.raises(InvalidSettingError, match="regions is empty"):
        Audit(regions=regions)


@pytest.mark.parametrize("regions", ["us-east-1", b"us-east-1", 5])
def test_regions_that_are_not_a_sequence_of_regions_are_refused(regions: Any) -> None:
    """A bare string would be audited letter by letter."""
    with pytest.raises(InvalidSettingError, match="regions must be a sequence"):
        Audit(regions=regions)


def test_a_string_allowlist_is_refused() -> None:
    with pytest.raises(InvalidSettingError, match="allowlist must be a collection"):
        Audit(allowlist="123456789012")


def test_an_allowlist_entry_that_is_not_an_account_is_refused() -> None:
    with pytest.raises(InvalidSettingError, match="'12345' \\(allowlist\\)"):
        Audit(allowlist=["123456789012", "12345"])


@pytest.mark.parametrize("account", [123456789012, None, b"123456789012", "12345"])
def test_classify_refuses_what_is_not_an_account_id(account: Any) -> None:
    with pytest.raises(InvalidSettingError, match="classify"):
        Audit().classify(account)


def test_image_ids_are_the_callers_own_and_refused_with_other_accounts() -> None:
    with pytest.raises(InvalidSettingError, match="image_ids"):
        Audit(accounts="organization", image_ids=["wsi-123456789"])


def test_image_ids_as_one_string_are_refused() -> None:
    with pytest.raises(InvalidSettingError, match="image_ids must be a collection"):
        Audit(image_ids="wsi-123456789")


@pytest.mark.parametrize("accounts", ["123456789012", {"123456789012": "x"}, [object()]],
                         ids=["string", "mapping", "not-an-account"])  # fmt: skip
def test_accounts_that_are_not_account_values_are_refused(accounts: Any) -> None:
    with pytest.raises(InvalidSettingError, match="accounts must"):
        Audit(accounts=accounts)


def test_an_identity_and_its_keywords_together_are_refused() -> None:
    with pytest.raises(InvalidSettingError, match="give identity= or region_name, not both"):
        Audit(identity=Identity(region_name="us-east-1"), region_name="eu-west-1")


def test_a_role_and_its_keywords_together_are_refused() -> None:
    with pytest.raises(InvalidSettingError, match="give role= or role_name, not both"):
        Audit(role=Role(name="Audit"), role_name="Other")


@pytest.mark.parametrize(
    "options",
    [
        {"role_arn_template": "arn:aws:iam::{account}:role/Audit"},
        {"role_arn_template": "arn:aws:iam::111111111111:role/Audit-{account_id}"},
        {"role_name": "two words"},
        {"role_name": "team/Audit"},
        {"session_name": "x"},
        {"duration_secs": 600},
        {"external_id": "x"},
    ],
    ids=["template-field", "one-account", "name-space", "name-path", "session-name",
         "duration", "external-id"],
)  # fmt: skip
def test_a_role_sts_would_refuse_is_refused_by_the_audit(options: dict[str, Any]) -> None:
    """A role with a path is given as an ARN template (``role/team/Audit``), not a name."""
    with pytest.raises(InvalidSettingError):
        OrganizationAudit(**options)


def test_an_organization_audit_defaults_to_the_organization() -> None:
    assert OrganizationAudit().spans_accounts
    assert not Audit().spans_accounts


async def test_results_before_the_audit_is_entered_are_refused() -> None:
    audit = Audit(regions=["us-east-1"])

    with pytest.raises(ClientClosedError, match="async with"):
        await anext(audit.results())


async def test_a_client_for_another_service_before_the_audit_is_entered_is_refused() -> None:
    with pytest.raises(ClientClosedError):
        await Audit().service_client("securityhub", account_id=None, region="us-east-1")
