"""The plan `imgperms unshare` makes of a report: what it may touch, narrowed as asked."""

from __future__ import annotations

import json
from typing import Any

from imgperms_async.cli._reports import Report, read_report
from imgperms_async.cli._unshare import Plan, plan_from

OWNER = "100000000001"
MEMBER = "100000000002"
OUTSIDER = "200000000001"
OTHER_OUTSIDER = "200000000002"
ALLOWED = "300000000001"


def image(image_id: str, classes: dict[str, str], **fields: Any) -> dict[str, Any]:
    return {
        "account_id": OWNER,
        "account_name": "owner",
        "region": "us-east-1",
        "image_id": image_id,
        "shared_account_ids": list(classes),
        "share_classes": classes,
        "unexpected_account_ids": [a for a, c in classes.items() if c == "external"],
        "pages": 1,
        "error": None,
        **fields,
    }


def report_of(*records: dict[str, Any]) -> Report:
    return read_report("".join(json.dumps(r) + "\n" for r in records), source="report.jsonl")


def plan(report: Report, **narrowed: frozenset[str]) -> Plan:
    return plan_from(
        report,
        images=narrowed.get("images"),
        accounts=narrowed.get("accounts"),
        allowlist=narrowed.get("allowlist", frozenset()),
    )


def unshares(made: Plan) -> dict[str, tuple[str, ...]]:
    return {u.image_id: u.accounts for u in made.unshares}


MIXED = image(
    "wsi-aaaaaaaaa",
    {MEMBER: "organization", OUTSIDER: "external", ALLOWED: "allowlisted", OTHER_OUTSIDER: "external"},
)  # fmt: skip


def test_the_plan_is_the_external_accounts_of_each_image() -> None:
    assert unshares(plan(report_of(MIXED))) == {"wsi-aaaaaaaaa": (OUTSIDER, OTHER_OUTSIDER)}


def test_an_image_shared_with_nobody_outside_is_not_in_the_plan() -> None:
    made = plan(report_of(image("wsi-bbbbbbbbb", {MEMBER: "organization"})))

    assert made.unshares == ()
    assert made.count == 0


def test_an_account_allowlisted_at_unshare_is_not_planned() -> None:
    made = plan(report_of(MIXED), allowlist=frozenset({OUTSIDER}))

    assert unshares(made) == {"wsi-aaaaaaaaa": (OTHER_OUTSIDER,)}


def test_the_owner_is_not_planned_even_when_classed_external() -> None:
    made = plan(report_of(image("wsi-ccccccccc", {OWNER: "external", OUTSIDER: "external"})))

    assert unshares(made) == {"wsi-ccccccccc": (OUTSIDER,)}


def test_accounts_asked_for_and_not_planned_are_left_alone_with_why() -> None:
    owned = image("wsi-ccccccccc", {OWNER: "external"})
    asked = frozenset({OWNER, MEMBER, ALLOWED, "999999999999"})

    made = plan(report_of(MIXED, owned), accounts=asked)

    assert made.unshares == ()
    assert dict(made.left_alone) == {
        OWNER: "the image owner's own account",
        MEMBER: "a member of the organization",
        ALLOWED: "allowlisted",
        "999999999999": "not shared outside in the report",
    }


def test_one_account_reports_plan_the_accounts_outside_their_allowlist() -> None:
    record = {
        "region": "us-east-1",
        "image_id": "wsi-ddddddddd",
        "shared_account_ids": [ALLOWED, OUTSIDER],
        "unexpected_account_ids": [OUTSIDER],
        "pages": 1,
        "error": None,
    }

    made = plan(report_of(record))

    assert unshares(made) == {"wsi-ddddddddd": (OUTSIDER,)}
    assert made.unshares[0].account_id is None


def test_image_and_account_narrow_the_plan() -> None:
    other = image("wsi-eeeeeeeee", {OUTSIDER: "external"})

    made = plan(
        report_of(MIXED, other),
        images=frozenset({"wsi-aaaaaaaaa"}),
        accounts=frozenset({OUTSIDER}),
    )

    assert unshares(made) == {"wsi-aaaaaaaaa": (OUTSIDER,)}


def test_an_image_recorded_twice_is_planned_once_with_every_account() -> None:
    """A jsonl report that audits appended to, day after day, holds an image once a run."""
    yesterday = image("wsi-aaaaaaaaa", {OUTSIDER: "external"})
    today = image("wsi-aaaaaaaaa", {OUTSIDER: "external", OTHER_OUTSIDER: "external"})

    made = plan(report_of(yesterday, today))

    assert unshares(made) == {"wsi-aaaaaaaaa": (OUTSIDER, OTHER_OUTSIDER)}
    assert made.count == 2
    assert made.describe() == "2 unshares on 1 image in 1 account"


def test_the_same_image_id_in_two_regions_is_two_unshares() -> None:
    east = image("wsi-aaaaaaaaa", {OUTSIDER: "external"})
    west = image("wsi-aaaaaaaaa", {OUTSIDER: "external"}, region="eu-west-1")

    made = plan(report_of(east, west))

    assert [(u.region, u.accounts) for u in made.unshares] == [
        ("us-east-1", (OUTSIDER,)),
        ("eu-west-1", (OUTSIDER,)),
    ]


def test_an_account_another_record_protects_is_never_planned() -> None:
    """Yesterday's record says outside; today's says it joined the organization."""
    yesterday = image("wsi-aaaaaaaaa", {OUTSIDER: "external", OTHER_OUTSIDER: "external"})
    today = image("wsi-aaaaaaaaa", {OUTSIDER: "organization", OTHER_OUTSIDER: "external"})

    made = plan(report_of(yesterday, today), accounts=frozenset({OUTSIDER, OTHER_OUTSIDER}))

    assert unshares(made) == {"wsi-aaaaaaaaa": (OTHER_OUTSIDER,)}
    assert dict(made.left_alone) == {OUTSIDER: "a member of the organization"}
