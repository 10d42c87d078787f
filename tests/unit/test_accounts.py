"""The accounts an audit reaches: ids one a line, or c7n-org's ``accounts.yml`` read as c7n-org
reads it, with every mistake that would leave an account out or audit another named by its line."""

from __future__ import annotations

from typing import Any

import pytest

from imgperms_async import Account, InvalidSettingError, accounts_from_text, check_account_id
from imgperms_async._organization._accounts import account_ids, unique_accounts

A = "111122223333"
B = "444455556666"
ROLE_A = f"arn:aws:iam::{A}:role/Auditor"
HUB = "arn:aws:iam::999988887777:role/Hub"


def read(text: str) -> list[Account]:
    return accounts_from_text(text, source="accounts.yml")


def refused(text: str) -> str:
    with pytest.raises(InvalidSettingError) as caught:
        read(text)
    return str(caught.value)


# --- ids, one a line --------------------------------------------------------------------------


def test_ids_one_a_line_with_comments_and_blank_lines_are_accounts() -> None:
    assert read(f"# prod\n{A}\n\n{B}  # sandbox\n") == [Account(A), Account(B)]


def test_an_id_given_twice_is_refused_naming_both_lines() -> None:
    assert refused(f"{A}\n{B}\n{A}\n") == (
        f"accounts.yml, line 3: account {A} is already on line 1"
    )


def test_a_line_that_is_not_an_id_is_refused_naming_it() -> None:
    assert refused(f"{A}\n1111-2222-3333\n") == (
        "accounts.yml, line 2: '1111-2222-3333' is not an AWS account id (12 digits)"
    )


def test_an_empty_file_names_no_account() -> None:
    assert read("# none yet\n") == []


# --- c7n-org's accounts.yml -------------------------------------------------------------------


C7N = f"""\
accounts:
  - account_id: "{A}"
    name: prod
    regions: [us-east-1, eu-west-1]
    role: {ROLE_A}
    external_id: prod-external-id
    tags: [type:prod]
  - account_id: "{B}"
    name: sandbox
"""


def test_c7n_orgs_file_gives_each_account_with_its_settings() -> None:
    assert read(C7N) == [
        Account(
            A,
            name="prod",
            role_arn=ROLE_A,
            external_id="prod-external-id",
            regions=("us-east-1", "eu-west-1"),
        ),
        Account(B, name="sandbox"),
    ]


@pytest.mark.parametrize(
    "start",
    ["---\n", "# accounts of the org\n", "%YAML 1.1\n---\n", "vars:\n  owner: me\n"],
    ids=["document start", "comment", "directive", "vars"],
)
def test_a_file_starting_with_yaml_framing_is_read_as_c7n_orgs(start: str) -> None:
    assert [account.account_id for account in read(start + C7N)] == [A, B]


def test_a_role_name_is_that_role_in_the_account() -> None:
    [account] = read(f'accounts:\n  - account_id: "{A}"\n    role: Auditor\n')
    assert (account.role_arn, account.role_chain) == (ROLE_A, ())


def test_a_list_of_roles_is_a_chain_ending_in_the_accounts_role() -> None:
    [account] = read(f'accounts:\n  - account_id: "{A}"\n    role: [{HUB}, {ROLE_A}]\n')
    assert (account.role_arn, account.role_chain) == (ROLE_A, (HUB,))


def test_a_chain_that_does_not_end_in_the_accounts_role_is_refused() -> None:
    message = refused(f'accounts:\n  - account_id: "{A}"\n    role: [{ROLE_A}, {HUB}]\n')
    assert message.startswith("accounts.yml, line 2: the last role of the chain")
    assert "must be in the account audited" in message


def test_a_role_in_another_account_is_refused() -> None:
    message = refused(f'accounts:\n  - account_id: "{B}"\n    role: {ROLE_A}\n')
    assert message.startswith("accounts.yml, line 2:")
    assert f"is in account {A}, not {B}" in message


def test_a_profile_reaches_an_account_without_a_role() -> None:
    [account] = read(f'accounts:\n  - account_id: "{A}"\n    profile: prod-admin\n')
    assert (account.profile, account.role_arn) == ("prod-admin", None)


def test_a_profile_beside_a_role_is_not_used() -> None:
    [account] = read(
        f'accounts:\n  - account_id: "{A}"\n    profile: prod-admin\n    role: Auditor\n'
    )
    assert (account.profile, account.role_arn) == (None, ROLE_A)


def test_a_duplicate_account_is_refused_naming_both_lines() -> None:
    text = (
        f'accounts:\n  - account_id: "{A}"\n    regions: [us-east-1]\n'
        f'  - account_id: "{B}"\n  - account_id: "{A}"\n    regions: [eu-west-1]\n'
    )
    message = refused(text)
    assert message.startswith(f"accounts.yml, line 5: account {A} is already on line 2")


def test_an_unknown_key_is_refused_naming_it_and_its_line() -> None:
    message = refused(f'accounts:\n  - account_id: "{A}"\n    regoins: [us-east-1]\n')
    assert message.startswith("accounts.yml, line 2: unknown key 'regoins'")


def test_an_unknown_top_level_key_is_refused_naming_its_line() -> None:
    message = refused(f'accounts:\n  - account_id: "{A}"\npolicies: []\n')
    assert message.startswith("accounts.yml, line 3: unknown key 'policies'")


@pytest.mark.parametrize("key", ["projects", "subscriptions", "tenancies"])
def test_accounts_of_another_cloud_are_refused(key: str) -> None:
    message = refused(f"{key}:\n  - project_id: x\n")
    assert message == (
        f"accounts.yml, line 1: `{key}` names accounts of another cloud; only AWS `accounts` "
        "are audited"
    )


def test_a_region_typo_is_refused_naming_the_entrys_line() -> None:
    message = refused(
        f'accounts:\n  - account_id: "{B}"\n  - account_id: "{A}"\n    regions: [eu-wset-1]\n'
    )
    assert message.startswith("accounts.yml, line 3:")
    assert "eu-wset-1" in message


def test_comma_separated_regions_are_split_each_once_and_all_kept() -> None:
    [account] = read(
        f'accounts:\n  - account_id: "{A}"\n    regions: ["us-east-1,eu-west-1", us-east-1]\n'
    )
    assert account.regions == ("us-east-1", "eu-west-1")
    [every] = read(f'accounts:\n  - account_id: "{A}"\n    regions: [all]\n')
    assert every.regions == ("all",)


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ("account_id: 111122223333", "quoted so YAML keeps it a string"),
        ('account_id: "1111"', "is not an AWS account id"),
        (f'account_id: "{A}"\n    regions: us-east-1', "regions must be a list of strings"),
        (f'account_id: "{A}"\n    regions: []', "regions is empty"),
        (f'account_id: "{A}"\n    name: [a]', "name must be a string"),
        (f'account_id: "{A}"\n    vars: [a]', "vars must be a mapping"),
        (f'account_id: "{A}"\n    role: {{a: b}}', "role must be a role name, a role ARN"),
        (f'account_id: "{A}"\n    external_id: "x"', "ExternalId is not one AWS accepts"),
    ],
)
def test_a_malformed_entry_is_refused_naming_its_line(entry: str, problem: str) -> None:
    message = refused(f"accounts:\n  - {entry}\n")
    assert message.startswith("accounts.yml, line 2:")
    assert problem in message


def test_accounts_that_is_not_a_list_is_refused() -> None:
    assert "`accounts` must be a list" in refused("accounts:\n  prod: x\n")


def test_an_entry_that_is_not_a_mapping_is_refused() -> None:
    assert "an account entry must be a mapping" in refused(f'accounts:\n  - "{A}"\n')


def test_invalid_yaml_is_refused_naming_the_file() -> None:
    assert refused("accounts: [\n").startswith("accounts.yml is not valid YAML")


# --- Account values and account ids -----------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"account_id": "1111"}, "is not an AWS account id"),
        ({"role_arn": "Auditor"}, "is not an IAM role ARN"),
        ({"role_chain": (HUB,)}, "a role chain needs the role it ends in"),
        ({"role_arn": ROLE_A, "role_chain": ("hub",)}, "in its role chain is not an IAM role ARN"),
        ({"regions": ()}, "regions must be a non-empty tuple"),
        ({"regions": ["us-east-1"]}, "regions must be a non-empty tuple"),
        ({"regions": ("eu-wset-1",)}, "eu-wset-1"),
        ({"profile": ""}, "the profile must be a profile name"),
        ({"external_id": "x"}, "ExternalId"),
    ],
)
def test_an_account_is_checked_where_it_is_made(fields: dict[str, Any], problem: str) -> None:
    with pytest.raises(InvalidSettingError, match=problem):
        Account(**{"account_id": A, **fields})


def test_an_accounts_external_id_is_not_in_its_repr() -> None:
    assert "account-external-id" not in repr(Account(A, external_id="account-external-id"))


def test_an_account_id_is_twelve_ascii_digits() -> None:
    assert check_account_id(A, source="--account") == A
    for bad in (
        "11112222333",
        "\uff11\uff11\uff11\uff11\uff12\uff12\uff12\uff12\uff13\uff13\uff13\uff13",
        111122223333,
    ):
        with pytest.raises(InvalidSettingError, match=r"\(--account\) is not an AWS account id"):
            check_account_id(bad, source="--account")


def test_an_allowlist_is_a_collection_of_ids_never_a_bare_string() -> None:
    assert account_ids([A, B, A], source="allowlist") == {A, B}
    with pytest.raises(InvalidSettingError, match="must be a collection of account ids"):
        account_ids(A, source="allowlist")


def test_accounts_given_twice_alike_are_audited_once() -> None:
    assert unique_accounts([Account(A), Account(B), Account(A)]) == (Account(A), Account(B))


def test_an_account_given_twice_with_different_settings_is_refused() -> None:
    with pytest.raises(InvalidSettingError, match=f"account {A} is given twice"):
        unique_accounts([Account(A), Account(A, role_arn=ROLE_A)])


@pytest.mark.parametrize("accounts", [A, {A: Account(A)}, [A]])
def test_accounts_must_be_account_values(accounts: Any) -> None:
    with pytest.raises(InvalidSettingError, match=r"imgperms_async\.Account"):
        unique_accounts(accounts)
