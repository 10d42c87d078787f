"""The plan `imgperms unshare` makes of a report: what it may touch, narrowed as asked, and a
narrowing that matches nothing in the report refused rather than planned as nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest

from imgperms_async import Plan, Record, UnshareRefused, plan_unshares, read_report
from imgperms_async.cli._unshare import describe_plan

OWNER = "100000000001"
OTHER_OWNER = "100000000003"
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


def report_of(*records: dict[str, Any]) -> list[Record]:
    return read_report("".join(json.dumps(r) + "\n" for r in records), source="report.jsonl")


def plan(records: list[Record], **narrowed: Any) -> Plan:
    return plan_unshares(records, **narrowed)


def unshares(made: Plan) -> dict[str, tuple[str, ...]]:
    return {u.image_id: u.accounts for u in made.unshares}


MIXED = image(
    "wsi-aaaaaaaaa",
    {MEMBER: "organization", OUTSIDER: "external", ALLOWED: "allowlisted", OTHER_OUTSIDER: "external"},
)  # fmt: skip


def test_the_plan_is_the_external_accounts_of_each_image() -> None:
    assert unshares(plan(report_of(MIXED))) == {"wsi-aaaaaaaaa": (OUTSIDER, OTHER_OUTSIDER)}


def test_the_plan_is_in_owner_region_and_image_order_whatever_the_report_order() -> None:
    later = image("wsi-bbbbbbbbb", {OUTSIDER: "external"}, region="eu-west-1")
    other = image("wsi-ccccccccc", {OUTSIDER: "external"}, account_id=OTHER_OWNER)

    made = plan(report_of(other, MIXED, later))

    assert [(u.account_id, u.region, u.image_id) for u in made.unshares] == [
        (OWNER, "eu-west-1", "wsi-bbbbbbbbb"),
        (OWNER, "us-east-1", "wsi-aaaaaaaaa"),
        (OTHER_OWNER, "us-east-1", "wsi-ccccccccc"),
    ]


def test_each_unshare_names_its_owner_and_region() -> None:
    [unshare] = plan(report_of(MIXED)).unshares
    assert (unshare.account_id, unshare.account_name, unshare.region) == (
        OWNER,
        "owner",
        "us-east-1",
    )
    assert unshare.to_json()["unshare_account_ids"] == [OUTSIDER, OTHER_OUTSIDER]


def test_an_image_shared_with_nobody_outside_is_not_in_the_plan() -> None:
    made = plan(report_of(image("wsi-bbbbbbbbb", {MEMBER: "organization"})))

    assert made.unshares == ()
    assert made.count == 0


@pytest.mark.parametrize("share_class", ["unknown", "excepted", "allowlisted", "organization"])
def test_a_share_not_known_to_be_outside_is_never_planned(share_class: str) -> None:
    made = plan(report_of(image("wsi-bbbbbbbbb", {OUTSIDER: share_class})))

    assert made.unshares == ()


def test_an_account_allowlisted_at_unshare_is_not_planned() -> None:
    made = plan(report_of(MIXED), allowlist={OUTSIDER})

    assert unshares(made) == {"wsi-aaaaaaaaa": (OTHER_OUTSIDER,)}


def test_the_owner_is_not_planned_even_when_classed_external() -> None:
    made = plan(report_of(image("wsi-ccccccccc", {OWNER: "external", OUTSIDER: "external"})))

    assert unshares(made) == {"wsi-ccccccccc": (OUTSIDER,)}


def test_accounts_asked_for_and_not_planned_are_left_alone_with_why() -> None:
    owned = image("wsi-ccccccccc", {OWNER: "external"})
    asked = {OWNER, MEMBER, ALLOWED, "999999999999"}

    made = plan(report_of(MIXED, owned), shared_with=asked)

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

    made = plan(report_of(MIXED, other), images={"wsi-aaaaaaaaa"}, shared_with={OUTSIDER})

    assert unshares(made) == {"wsi-aaaaaaaaa": (OUTSIDER,)}


def test_owners_narrow_the_plan_to_their_images() -> None:
    other = image("wsi-eeeeeeeee", {OUTSIDER: "external"}, account_id=OTHER_OWNER)

    made = plan(report_of(MIXED, other), owners={OTHER_OWNER})

    assert unshares(made) == {"wsi-eeeeeeeee": (OUTSIDER,)}


def test_regions_narrow_the_plan() -> None:
    west = image("wsi-eeeeeeeee", {OUTSIDER: "external"}, region="eu-west-1")

    made = plan(report_of(MIXED, west), regions={"eu-west-1"})

    assert unshares(made) == {"wsi-eeeeeeeee": (OUTSIDER,)}


@pytest.mark.parametrize(
    ("narrowed", "named"),
    [
        ({"images": {"wsi-zzzzzzzzz"}}, "image 'wsi-zzzzzzzzz'"),
        ({"owners": {"999999999999"}}, "account '999999999999'"),
        ({"regions": {"eu-west-1"}}, "region 'eu-west-1'"),
    ],
)
def test_narrowing_to_what_the_report_does_not_hold_is_refused_naming_it(
    narrowed: dict[str, Any], named: str
) -> None:
    with pytest.raises(UnshareRefused, match=f"the report has no {named}"):
        plan(report_of(MIXED), **narrowed)


def test_an_image_recorded_twice_is_planned_once_with_every_account() -> None:
    """A jsonl report that audits appended to, day after day, holds an image once a run."""
    yesterday = image("wsi-aaaaaaaaa", {OUTSIDER: "external"})
    today = image("wsi-aaaaaaaaa", {OUTSIDER: "external", OTHER_OUTSIDER: "external"})

    made = plan(report_of(yesterday, today))

    assert unshares(made) == {"wsi-aaaaaaaaa": (OUTSIDER, OTHER_OUTSIDER)}
    assert made.count == 2
    assert describe_plan(made) == "2 unshares on 1 image in 1 account"


def test_the_same_image_id_in_two_regions_is_two_unshares() -> None:
    east = image("wsi-aaaaaaaaa", {OUTSIDER: "external"})
    west = image("wsi-aaaaaaaaa", {OUTSIDER: "external"}, region="eu-west-1")

    made = plan(report_of(east, west))

    assert [(u.region, u.accounts) for u in made.unshares] == [
        ("eu-west-1", (OUTSIDER,)),
        ("us-east-1", (OUTSIDER,)),
    ]


def test_an_account_another_record_protects_is_never_planned() -> None:
    """Yesterday's record says outside; today's says it joined the organization."""
    yesterday = image("wsi-aaaaaaaaa", {OUTSIDER: "external", OTHER_OUTSIDER: "external"})
    today = image("wsi-aaaaaaaaa", {OUTSIDER: "organization", OTHER_OUTSIDER: "external"})

    made = plan(report_of(yesterday, today), shared_with={OUTSIDER, OTHER_OUTSIDER})

    assert unshares(made) == {"wsi-aaaaaaaaa": (OTHER_OUTSIDER,)}
    assert dict(made.left_alone) == {OUTSIDER: "a member of the organization"}


def test_images_shared_in_are_counted_and_never_planned() -> None:
    shared_in = {
        "kind": "inbound",
        "account_id": OWNER,
        "account_name": "owner",
        "region": "us-east-1",
        "image_id": "wsi-fffffffff",
        "image_name": None,
        "owner_account_id": OUTSIDER,
        "owner_class": "external",
    }

    made = plan(report_of(shared_in))

    assert (made.unshares, made.inbound) == ((), 1)


def test_an_image_the_report_says_disappeared_is_not_planned() -> None:
    gone = image(
        "wsi-aaaaaaaaa",
        {OUTSIDER: "external"},
        change="disappeared",
        removed_account_ids=[OUTSIDER],
    )

    assert plan(report_of(gone)).unshares == ()
