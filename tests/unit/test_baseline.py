"""An audit compared with a baseline report: what each image gained and lost, and which shares
are flagged now that were not then (new, or their class got worse)."""

from __future__ import annotations

import json

from imgperms_async import (
    Baseline,
    ErrorInfo,
    ImageRecord,
    InboundRecord,
    Record,
    ShareClass,
    read_report,
)

OWNER = "100000000001"
MEMBER = "100000000002"
OUTSIDER = "200000000001"
OTHER_OUTSIDER = "200000000002"


def image(
    image_id: str = "wsi-aaaaaaaaa",
    shares: dict[str, ShareClass] | None = None,
    *,
    region: str = "us-east-1",
    account_id: str | None = OWNER,
    error: ErrorInfo | None = None,
) -> ImageRecord:
    shares = shares or {}
    return ImageRecord(
        region,
        image_id,
        tuple(shares),
        tuple(shares.values()),
        1,
        error,
        account_id,
        None if account_id is None else "owner",
    )


def inbound(owner_class: ShareClass, image_id: str = "wsi-ccccccccc") -> InboundRecord:
    return InboundRecord(OWNER, "owner", "us-east-1", image_id, None, OUTSIDER, owner_class)


def baseline_of(*records: Record) -> Baseline:
    """A baseline as read from a report, the way ``--baseline`` reads one."""
    text = "".join(json.dumps(r.to_json()) + "\n" for r in records)
    return Baseline(read_report(text, source="baseline.jsonl"))


def test_an_unchanged_image_is_unchanged() -> None:
    before = image(shares={OUTSIDER: "external"})

    change = baseline_of(before).compare(before).change

    assert change is not None
    assert (change.kind, change.newly_flagged, change.was_flagged) == (
        "unchanged",
        (),
        (OUTSIDER,),
    )


def test_an_image_the_baseline_did_not_have_appeared_with_its_external_shares_flagged() -> None:
    now = image(shares={MEMBER: "organization", OUTSIDER: "external"})

    change = baseline_of(image("wsi-bbbbbbbbb")).compare(now).change

    assert change is not None
    assert change.kind == "appeared"
    assert change.new_account_ids == (MEMBER, OUTSIDER)
    assert change.newly_flagged == (OUTSIDER,)


def test_accounts_gained_and_lost_are_told_apart() -> None:
    before = image(shares={MEMBER: "organization", OUTSIDER: "external"})
    now = image(shares={MEMBER: "organization", OTHER_OUTSIDER: "external"})

    change = baseline_of(before).compare(now).change

    assert change is not None
    assert change.kind == "changed"
    assert (change.new_account_ids, change.removed_account_ids) == ((OTHER_OUTSIDER,), (OUTSIDER,))
    assert change.newly_flagged == (OTHER_OUTSIDER,)


def test_a_member_that_left_the_organization_is_newly_flagged() -> None:
    before = image(shares={OUTSIDER: "organization"})
    now = image(shares={OUTSIDER: "external"})

    change = baseline_of(before).compare(now).change

    assert change is not None
    assert change.kind == "changed"
    assert change.new_account_ids == ()
    assert change.newly_flagged == (OUTSIDER,)


def test_a_share_of_unknown_class_now_known_to_be_external_is_newly_flagged() -> None:
    before = image(shares={OUTSIDER: "unknown"})
    now = image(shares={OUTSIDER: "external"})

    change = baseline_of(before).compare(now).change

    assert change is not None
    assert change.newly_flagged == (OUTSIDER,)


def test_a_share_no_longer_allowlisted_is_newly_flagged() -> None:
    before = image(shares={OUTSIDER: "allowlisted"})
    now = image(shares={OUTSIDER: "external"})

    change = baseline_of(before).compare(now).change

    assert change is not None
    assert change.newly_flagged == (OUTSIDER,)


def test_a_share_flagged_then_and_now_is_not_newly_flagged() -> None:
    before = image(shares={OUTSIDER: "external"})
    now = image(shares={OUTSIDER: "external", MEMBER: "organization"})

    change = baseline_of(before).compare(now).change

    assert change is not None
    assert change.kind == "changed"
    assert change.newly_flagged == ()


def test_a_share_whose_class_got_better_is_not_flagged() -> None:
    before = image(shares={OUTSIDER: "external"})
    now = image(shares={OUTSIDER: "organization"})

    change = baseline_of(before).compare(now).change

    assert change is not None
    assert (change.kind, change.newly_flagged) == ("unchanged", ())


def test_an_image_this_run_could_not_read_in_full_lost_nothing() -> None:
    before = image(shares={MEMBER: "organization", OUTSIDER: "external"})
    now = image(shares={MEMBER: "organization"}, error=ErrorInfo("ThrottlingException", "p2"))

    change = baseline_of(before).compare(now).change

    assert change is not None
    assert (change.kind, change.removed_account_ids) == ("unchanged", ())


def test_a_one_account_baseline_matches_a_run_that_names_its_account() -> None:
    before = image(shares={OUTSIDER: "external"}, account_id=None)
    baseline = baseline_of(before)

    change = baseline.compare(image(shares={OUTSIDER: "external"})).change

    assert change is not None
    assert change.kind == "unchanged"
    assert baseline.matched == 1


def test_the_same_image_in_another_region_is_another_image() -> None:
    baseline = baseline_of(image(shares={OUTSIDER: "external"}))

    change = baseline.compare(image(shares={OUTSIDER: "external"}, region="eu-west-1")).change

    assert change is not None
    assert change.kind == "appeared"
    assert (baseline.matched, baseline.size) == (0, 1)


def test_an_image_not_seen_in_a_scope_listed_in_full_disappeared() -> None:
    baseline = baseline_of(image(shares={OUTSIDER: "external", MEMBER: "organization"}))

    [gone] = baseline.disappeared([(OWNER, "us-east-1")])

    assert isinstance(gone, ImageRecord)
    assert gone.change is not None
    assert gone.change.kind == "disappeared"
    assert gone.change.removed_account_ids == (OUTSIDER, MEMBER)
    assert gone.change.was_flagged == (OUTSIDER,)
    assert (gone.shared_account_ids, gone.gone) == ((), True)


def test_an_image_of_a_scope_not_listed_in_full_is_no_evidence_of_anything() -> None:
    baseline = baseline_of(image(shares={OUTSIDER: "external"}))

    assert baseline.disappeared([(OWNER, "eu-west-1")]) == []


def test_an_image_seen_has_not_disappeared() -> None:
    before = image(shares={OUTSIDER: "external"})
    baseline = baseline_of(before)
    baseline.compare(before)

    assert baseline.disappeared([(OWNER, "us-east-1")]) == []


def test_a_disappeared_image_is_compared_once_and_stays_disappeared() -> None:
    baseline = baseline_of(image(shares={OUTSIDER: "external"}))

    [gone] = baseline.disappeared([(OWNER, "us-east-1")])

    assert gone.change is not None
    assert gone.change.kind == "disappeared"
    assert gone.change.removed_account_ids == gone.change.was_flagged == (OUTSIDER,)


def test_the_last_record_of_an_image_in_an_appended_report_is_its_baseline() -> None:
    earlier = image(shares={OUTSIDER: "external"})
    later = image()

    compared = baseline_of(earlier, later).compare(image())

    assert compared.change is not None
    assert compared.change.kind == "unchanged"


def test_an_image_an_appended_report_last_saw_disappear_is_not_in_the_baseline() -> None:
    earlier = image(shares={OUTSIDER: "external"})
    [gone] = baseline_of(earlier).disappeared([(OWNER, "us-east-1")])

    baseline = baseline_of(earlier, gone)

    assert baseline.size == 0
    assert baseline.disappeared([(OWNER, "us-east-1")]) == []


# --- images shared in -------------------------------------------------------------------------


def test_an_image_shared_in_by_an_owner_now_outside_is_newly_flagged() -> None:
    change = baseline_of(inbound("organization")).compare(inbound("external")).change

    assert change is not None
    assert (change.kind, change.newly_flagged) == ("changed", (OUTSIDER,))


def test_an_image_shared_in_by_an_owner_outside_then_and_now_is_unchanged() -> None:
    change = baseline_of(inbound("external")).compare(inbound("external")).change

    assert change is not None
    assert (change.kind, change.newly_flagged, change.was_flagged) == (
        "unchanged",
        (),
        (OUTSIDER,),
    )


def test_a_new_image_shared_in_from_outside_appeared_flagged() -> None:
    change = baseline_of().compare(inbound("external")).change

    assert change is not None
    assert (change.kind, change.newly_flagged) == ("appeared", (OUTSIDER,))


def test_an_image_shared_in_no_longer_there_disappeared() -> None:
    [gone] = baseline_of(inbound("external")).disappeared([(OWNER, "us-east-1")])

    assert isinstance(gone, InboundRecord)
    assert gone.change is not None
    assert (gone.change.kind, gone.change.removed_account_ids) == ("disappeared", (OUTSIDER,))
