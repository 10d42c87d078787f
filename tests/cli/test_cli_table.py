"""The table format as a person reads it: each share's class marked, every account id whole at
any width, what was not audited listed among the images."""

from __future__ import annotations

import re

import pytest

from imgperms_async import (
    ErrorInfo,
    ImageRecord,
    InboundRecord,
    Record,
    ScopeRecord,
    ShareClass,
)
from imgperms_async.cli._table import render_table

OWNER = "100000000001"
SHARES: dict[str, ShareClass] = {
    "200000000001": "external",
    "200000000002": "unknown",
    "200000000003": "excepted",
    "200000000004": "allowlisted",
    "200000000005": "organization",
}


def image(
    shares: dict[str, ShareClass],
    *,
    account_id: str | None = OWNER,
    image_id: str = "wsi-aaaaaaaaa",
) -> ImageRecord:
    return ImageRecord(
        "us-east-1", image_id, tuple(shares), tuple(shares.values()), 1, None, account_id, "team"
    )


def accounts_cell(table: str) -> list[str]:
    """The accounts the table shows, each with its mark (or none)."""
    return re.findall(r"(?<![0-9])([!?~+]?[0-9]{12})(?![0-9])", table)


def test_an_organization_table_marks_each_class_of_share() -> None:
    member = {"200000000005": SHARES["200000000005"]}
    records = [image(SHARES), image(member, image_id="wsi-bbbbbbbbb")]

    table = render_table(records, width=200, color=False, per_account=True)

    shown = set(accounts_cell(table))
    assert {"!200000000001", "?200000000002", "~200000000003", "+200000000004"} <= shown
    assert "200000000005" in shown, "a member of the organization is not marked"


def test_a_row_lists_four_accounts_the_flagged_first_and_counts_the_rest() -> None:
    shares: dict[str, ShareClass] = {
        **{f"5{n:011d}": "organization" for n in range(4)},
        **{f"6{n:011d}": "external" for n in range(2)},
    }

    table = render_table([image(shares)], width=200, color=False, per_account=True)

    assert accounts_cell(table)[1:] == ["!600000000000", "!600000000001", "500000000000",
                                        "500000000001"]  # fmt: skip
    assert "… +2 more" in table


def test_an_organization_table_explains_every_mark() -> None:
    table = render_table([image(SHARES)], width=200, color=False, per_account=True)

    legend = " ".join(table.split())
    for meaning in ("! outside the organization and the allowlist (flagged)",
                    "? membership unknown", "~ accepted by an exception", "+ allowlisted"):  # fmt: skip
        assert meaning in legend


def test_a_one_account_table_marks_only_shares_outside_and_excepted_ones() -> None:
    table = render_table([image(SHARES, account_id=None)], width=200, color=False)

    shown = set(accounts_cell(table))
    assert {"!200000000001", "~200000000003", "200000000002", "200000000004"} <= shown
    assert not {"?200000000002", "+200000000004"} & shown
    assert "! outside the allowlist (flagged), ~ accepted by an exception" in table


def many_shares(count: int) -> dict[str, ShareClass]:
    return {f"3{n:011d}": "external" for n in range(count)}


@pytest.mark.parametrize("per_account", [True, False], ids=["organization", "one-account"])
def test_no_account_id_is_cut_short_at_80_columns(per_account: bool) -> None:
    records = [
        image(many_shares(30), account_id=OWNER if per_account else None),
        image(SHARES, image_id="wsi-bbbbbbbbb", account_id=OWNER if per_account else None),
    ]

    table = render_table(records, width=80, color=False, per_account=per_account)

    lines = table.splitlines()
    assert max(map(len, lines)) <= 80
    shown = {account.lstrip("!?~+") for account in accounts_cell(table)}
    assert set(many_shares(30)) <= shown
    for run in re.findall(r"[0-9]+", table):
        assert len(run) in (1, 2, 12), f"{run!r}: an account id folded, or a stray number"


def test_a_long_account_name_is_folded_but_its_id_is_kept_whole() -> None:
    record = ImageRecord(
        "us-east-1", "wsi-aaaaaaaaa", ("200000000001",), ("external",), 1, None, OWNER,
        "a-very-long-account-name-that-cannot-fit-in-its-column-at-eighty-columns",
    )  # fmt: skip

    table = render_table([record], width=80, color=False, per_account=True)

    assert OWNER in table
    assert "!200000000001" in table


def test_a_scope_not_audited_and_an_image_shared_in_are_rows_of_an_organization_table() -> None:
    records: list[Record] = [
        image(SHARES),
        ScopeRecord(OWNER, "team", "eu-west-1", "failed", ErrorInfo("AccessDenied", "no")),
        ScopeRecord(OWNER, "team", "us-west-1", "not_offered", None),
        InboundRecord(OWNER, "team", "us-east-1", "wsi-ccccccccc", None, "400000000004",
                      "external"),
    ]  # fmt: skip

    table = render_table(records, width=200, color=False, per_account=True)

    assert "not audited: AccessDenied" in table
    assert "not audited: not_offered" in table
    assert "from !400000000004" in table
    assert "1 image shared in, 1 from outside" in table
