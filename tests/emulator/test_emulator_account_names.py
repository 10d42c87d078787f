"""Account names a test chooses, hostile ones above all: served literally by ListAccounts, carried
by the truth, escaped in the notes a person reads, refused only when they name nothing."""

from __future__ import annotations

from typing import Any

import pytest
from emulator_support import AwsClients

from imgperms_async.emulator import Emulator, ScopedTruth
from imgperms_async.emulator._serve import organization_notes

HOSTILE = [
    "[red]x[/red]",
    "<script>alert(1)</script>",
    "line\nbreak\ttab\x00nul",
    "\x1b[31mred\x1b[0m\x1b]8;;https://evil.example\x07link\x1b]8;;\x07",
    "admin\u202etxt.exe",
    '=HYPERLINK("https://evil.example","click")',
    "\"quoted\" 'single' `back`",
    "名前 🚀",
]


def member_ids(truth: ScopedTruth) -> list[str]:
    assert truth.organization is not None
    return [account.account_id for account in truth.organization.accounts[1:]]


@pytest.fixture(scope="module")
def members() -> list[str]:
    return member_ids(Emulator(accounts=len(HOSTILE), seed=5).scoped_truth)


@pytest.fixture
def named(members: list[str]) -> Any:
    with Emulator(
        accounts=len(HOSTILE), seed=5, account_names=dict(zip(members, HOSTILE, strict=True))
    ) as served:
        yield served


def test_list_accounts_serves_every_name_literally(
    named: Emulator, members: list[str], aws: AwsClients
) -> None:
    pages = aws(named, "organizations").get_paginator("list_accounts").paginate()
    served = {account["Id"]: account["Name"] for page in pages for account in page["Accounts"]}
    assert [served[member] for member in members] == HOSTILE


def test_the_truth_carries_the_names(named: Emulator, members: list[str]) -> None:
    organization = named.scoped_truth.organization
    assert organization is not None
    assert [account.name for account in organization.accounts[1:]] == HOSTILE
    accounts = named.scoped_truth.to_json()["organization"]["accounts"]  # type: ignore[index]
    assert [account["name"] for account in accounts[1:]] == HOSTILE


def test_naming_accounts_changes_nothing_else(members: list[str]) -> None:
    plain = Emulator(accounts=len(HOSTILE), seed=5).scoped_truth
    renamed = Emulator(accounts=len(HOSTILE), seed=5, account_names={members[0]: "x"}).scoped_truth
    assert (renamed.images, renamed.inbound) == (plain.images, plain.inbound)
    assert plain.organization is not None
    assert renamed.organization is not None
    assert renamed.organization.accounts[2:] == plain.organization.accounts[2:]


def test_the_notes_show_unprintable_characters_escaped(named: Emulator) -> None:
    notes = organization_notes(named)
    assert notes.count("\n") == len(notes.splitlines())
    assert all(char.isprintable() for char in notes.replace("\n", ""))
    assert "line\\nbreak\\ttab\\x00nul" in notes
    assert "\\x1b[31mred\\x1b[0m" in notes
    assert "admin\\u202etxt.exe" in notes
    assert "[red]x[/red]" in notes


@pytest.mark.parametrize(
    ("names", "refusal"),
    [
        ({"000000000000": "x"}, r"^account_names names 000000000000, which is not an account"),
        ({"12345": "x"}, r"^account_names must be a 12-digit account id"),
    ],
)
def test_names_must_name_accounts_here(names: dict[str, str], refusal: str) -> None:
    with pytest.raises(ValueError, match=refusal):
        Emulator(accounts=2, account_names=names)


@pytest.mark.parametrize(("name", "shown"), [("", "''"), (7, "7"), (None, "None")])
def test_a_name_must_be_some_text(members: list[str], name: Any, shown: str) -> None:
    with pytest.raises(
        ValueError, match=rf"^account_names must give \d{{12}} a name of some text, got {shown}$"
    ):
        Emulator(accounts=len(HOSTILE), seed=5, account_names={members[0]: name})


def test_a_standalone_account_has_no_organization_to_name_it_in() -> None:
    with pytest.raises(ValueError, match=r"^account_names needs an organization"):
        Emulator(account_names={"123456789012": "x"})
