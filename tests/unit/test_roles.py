"""The role an audit becomes in each account, checked as STS checks what AssumeRole is asked."""

from __future__ import annotations

from typing import Any

import pytest

from imgperms_async import DEFAULT_ROLE_NAME, InvalidSettingError, Role, known_secrets

ACCOUNT = "111122223333"


def test_the_default_role_is_organization_account_access_role_in_each_account() -> None:
    assert DEFAULT_ROLE_NAME == "OrganizationAccountAccessRole"
    assert Role().arn(ACCOUNT, partition="aws") == (
        f"arn:aws:iam::{ACCOUNT}:role/OrganizationAccountAccessRole"
    )


def test_a_role_name_is_that_role_in_each_account_of_the_partition() -> None:
    assert Role(name="Auditor").arn(ACCOUNT, partition="aws-cn") == (
        f"arn:aws-cn:iam::{ACCOUNT}:role/Auditor"
    )


def test_an_arn_template_is_filled_in_with_the_account_and_partition() -> None:
    role = Role(arn_template="arn:{partition}:iam::{account_id}:role/path/Auditor")
    assert role.arn(ACCOUNT, partition="aws-us-gov") == (
        f"arn:aws-us-gov:iam::{ACCOUNT}:role/path/Auditor"
    )


def test_a_name_and_a_template_together_are_refused() -> None:
    with pytest.raises(InvalidSettingError, match="not both"):
        Role(name="Auditor", arn_template="arn:aws:iam::{account_id}:role/Auditor")


@pytest.mark.parametrize("name", ["", "has space", "x" * 65, "Auditor/Path", "Audítor"])
def test_a_name_iam_would_refuse_is_refused(name: str) -> None:
    with pytest.raises(InvalidSettingError, match="is not an IAM role name"):
        Role(name=name)


@pytest.mark.parametrize(
    "template",
    [
        "arn:aws:iam::444455556666:role/Auditor",  # the same account for all: audits another
        "arn:aws:iam::{account}:role/Auditor",  # a placeholder it does not fill
        "arn:aws:iam::{account_id}:user/Auditor",  # not a role
        "Auditor",
    ],
)
def test_a_template_that_does_not_give_a_role_in_each_account_is_refused(template: str) -> None:
    with pytest.raises(InvalidSettingError, match="role ARN template"):
        Role(arn_template=template)


@pytest.mark.parametrize("external_id", ["ab", "x" * 1224, "a+=,.@:/-_Z9"])
def test_an_external_id_sts_accepts_is_kept(external_id: str) -> None:
    assert Role(external_id=external_id).external_id == external_id


@pytest.mark.parametrize("external_id", ["Q", "x" * 1225, "has space", "semi;colon", "ümlaut"])
def test_an_external_id_sts_would_refuse_is_refused_without_showing_it(external_id: str) -> None:
    with pytest.raises(InvalidSettingError, match="ExternalId is not one AWS accepts") as caught:
        Role(external_id=external_id)
    assert repr(external_id) not in str(caught.value)


def test_the_external_id_is_kept_out_of_the_repr_and_remembered_as_a_secret() -> None:
    role = Role(external_id="role-external-id")
    assert "role-external-id" not in repr(role)
    assert "role-external-id" in known_secrets()


@pytest.mark.parametrize("session_name", ["ab", "x" * 64, "imgperms+=,.@-_"])
def test_a_session_name_sts_accepts_is_kept(session_name: str) -> None:
    assert Role(session_name=session_name).session_name == session_name


@pytest.mark.parametrize("session_name", ["a", "x" * 65, "with space", "a/b", "a:b"])
def test_a_session_name_sts_would_refuse_is_refused(session_name: str) -> None:
    with pytest.raises(InvalidSettingError, match="session name"):
        Role(session_name=session_name)


@pytest.mark.parametrize("duration", [900, 3600, 43200])
def test_a_duration_sts_accepts_is_kept(duration: int) -> None:
    assert Role(duration_secs=duration).duration_secs == duration


@pytest.mark.parametrize("duration", [899, 43201, 0, 3600.0, True, "3600"])
def test_a_duration_sts_would_refuse_is_refused(duration: Any) -> None:
    with pytest.raises(InvalidSettingError, match="from 900 to 43200"):
        Role(duration_secs=duration)


def test_of_builds_a_role_from_the_earlier_keywords() -> None:
    assert Role.of(None, role_name="Auditor", external_id="xid-1234", duration_secs=None) == Role(
        name="Auditor", external_id="xid-1234"
    )


def test_of_takes_the_earlier_template_keyword() -> None:
    template = "arn:aws:iam::{account_id}:role/Auditor"
    assert Role.of(None, role_arn_template=template) == Role(arn_template=template)


def test_of_returns_the_role_given() -> None:
    role = Role(name="Auditor")
    assert Role.of(role, role_name=None) is role


def test_of_refuses_a_role_and_keywords_together() -> None:
    with pytest.raises(InvalidSettingError, match="give role= or role_name, not both"):
        Role.of(Role(), role_name="Auditor")


def test_of_refuses_what_is_not_a_role() -> None:
    with pytest.raises(InvalidSettingError, match=r"imgperms_async\.Role"):
        Role.of("Auditor")  # type: ignore[arg-type]
