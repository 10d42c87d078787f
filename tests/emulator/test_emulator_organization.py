"""A seeded organization: deterministic, realistic, holding every case an audit must classify,
and configured by options that must name what exists."""

from __future__ import annotations

import re
from typing import Any

import pytest

from imgperms_async.emulator import Emulator, ScopedTruth


def members(truth: ScopedTruth) -> list[str]:
    assert truth.organization is not None
    return [account.account_id for account in truth.organization.accounts[1:]]


def every_image(truth: ScopedTruth) -> list[tuple[str, str, str, tuple[str, ...]]]:
    return [
        (account, region, image, shares)
        for account, regions in truth.images.items()
        for region, images in regions.items()
        for image, shares in images.items()
    ]


def kinds(truth: ScopedTruth) -> set[str]:
    """How each image is shared: nobody, members, outsiders, both, or across pages."""
    inside = set(members(truth)) | {next(iter(truth.images))}
    found = set()
    for _, _, _, shares in every_image(truth):
        internal = {account for account in shares if account in inside}
        external = set(shares) - internal
        if len(shares) > 25:
            found.add("many")
        found.add(
            "both"
            if internal and external
            else "members"
            if internal
            else "outsiders"
            if external
            else "nobody"
        )
    return found


def test_same_seed_generates_the_same_organization() -> None:
    assert Emulator(accounts=8, seed=4).scoped_truth == Emulator(accounts=8, seed=4).scoped_truth


def test_another_seed_generates_another_organization() -> None:
    assert Emulator(accounts=8, seed=4).scoped_truth != Emulator(accounts=8, seed=5).scoped_truth


def test_the_emulators_keys_belong_to_the_management_account_listed_first() -> None:
    emulator = Emulator(accounts=3, seed=1)
    organization = emulator.scoped_truth.organization
    assert organization is not None
    assert emulator.account_id == organization.management_account_id
    assert organization.accounts[0].account_id == emulator.account_id
    assert organization.accounts[0].role_access == "none"


def test_every_account_holds_the_asked_images_in_every_region_it_enabled() -> None:
    truth = Emulator(accounts=5, seed=2, images=7).scoped_truth
    for account, regions in truth.images.items():
        enabled = [r for r in truth.regions if r not in truth.disabled_regions.get(account, ())]
        assert list(regions) == enabled
        assert all(len(images) == 7 for images in regions.values())


def test_by_default_an_organization_spans_two_regions_and_an_opt_in_one() -> None:
    assert Emulator(accounts=2).regions == ("us-east-1", "eu-west-1", "af-south-1")


@pytest.mark.parametrize("seed", range(4))
def test_some_members_have_not_enabled_the_opt_in_region(seed: int) -> None:
    truth = Emulator(accounts=6, seed=seed).scoped_truth
    assert truth.disabled_regions
    for account, regions in truth.disabled_regions.items():
        assert account in members(truth)
        assert regions == ("af-south-1",)
        assert "af-south-1" not in truth.images[account]


@pytest.mark.parametrize(("count", "suspended"), [(3, 0), (4, 1), (6, 1), (30, 3)])
def test_a_tenth_of_the_members_are_suspended_once_there_are_four(
    count: int, suspended: int
) -> None:
    organization = Emulator(accounts=count, seed=1).scoped_truth.organization
    assert organization is not None
    assert [a.status for a in organization.accounts].count("SUSPENDED") == suspended
    assert organization.accounts[0].status == "ACTIVE"


@pytest.mark.parametrize("seed", range(4))
def test_the_organization_holds_an_image_of_every_kind(seed: int) -> None:
    assert kinds(Emulator(accounts=2, seed=seed, images=3).scoped_truth) == {
        "nobody",
        "members",
        "outsiders",
        "both",
        "many",
    }


def test_an_organization_without_members_still_shares_with_outsiders_and_across_pages() -> None:
    assert kinds(Emulator(accounts=0, seed=1, images=3).scoped_truth) >= {
        "nobody",
        "outsiders",
        "many",
    }


def test_no_image_is_shared_with_its_owner_or_twice_with_one_account() -> None:
    for account, _, _, shares in every_image(Emulator(accounts=10, seed=3).scoped_truth):
        assert account not in shares
        assert len(set(shares)) == len(shares)


def test_image_ids_are_unique_across_accounts_and_regions() -> None:
    ids = [image for _, _, image, _ in every_image(Emulator(accounts=10, seed=3).scoped_truth)]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"wsi-[0-9a-z]{9}", image) for image in ids)


def test_account_ids_are_twelve_digits_and_names_unique() -> None:
    organization = Emulator(accounts=70, seed=3).scoped_truth.organization
    assert organization is not None
    assert all(re.fullmatch(r"[1-9]\d{11}", a.account_id) for a in organization.accounts)
    assert len({a.name for a in organization.accounts}) == 71
    assert re.fullmatch(r"o-[a-z0-9]{10}", organization.organization_id)


def test_the_flat_truth_holds_every_image_of_every_scope() -> None:
    emulator = Emulator(accounts=3, seed=1, images=4)
    assert emulator.truth == {
        image: shares for _, _, image, shares in every_image(emulator.scoped_truth)
    }


def test_a_standalone_account_in_several_regions_keeps_its_first_region_as_it_was() -> None:
    alone = Emulator(images=30, seed=5)
    spread = Emulator(images=30, seed=5, regions=["us-east-1", "eu-west-1"])
    (account,) = spread.scoped_truth.images
    assert spread.scoped_truth.images[account]["us-east-1"] == alone.truth
    assert spread.scoped_truth.organization is None
    assert len(spread.truth) == 60


def test_naming_accounts_and_regions_leaves_the_seeded_rest_alone() -> None:
    plain = Emulator(accounts=6, seed=2).scoped_truth
    member, other = members(plain)[:2]
    configured = Emulator(
        accounts=6, seed=2, deny_role=[member], opt_in_disabled=[(other, "af-south-1")]
    ).scoped_truth
    assert configured.images[member] == plain.images[member]
    assert configured.images[other] == {
        region: images for region, images in plain.images[other].items() if region != "af-south-1"
    }
    assert configured.disabled_regions[other] == ("af-south-1",)


def test_role_options_set_how_assume_role_answers_in_the_truth() -> None:
    names = members(Emulator(accounts=4, seed=2).scoped_truth)
    organization = Emulator(
        accounts=4, seed=2, deny_role=[names[0]], external_id_role=[names[1]]
    ).scoped_truth.organization
    assert organization is not None
    access = {a.account_id: a.role_access for a in organization.accounts}
    assert (access[names[0]], access[names[1]], access[names[2]]) == (
        "denied",
        "external_id",
        "trusted",
    )


def test_the_external_id_and_role_name_are_the_ones_given() -> None:
    emulator = Emulator(accounts=2, external_id="partner-42", role_name="AuditRole")
    assert emulator.external_id == "partner-42"
    assert emulator.role_arn("123456789012") == "arn:aws:iam::123456789012:role/AuditRole"


def test_by_default_the_external_id_comes_from_the_seed() -> None:
    first, again, other = (Emulator(accounts=1, seed=s).external_id for s in (1, 1, 2))
    assert first == again != other
    assert Emulator().external_id is None


@pytest.mark.parametrize(
    ("options", "refusal"),
    [
        ({"accounts": -1}, r"^accounts must be a whole number, 0 or more"),
        ({"regions": ["us-west-1"]}, r"^regions names 'us-west-1', where WorkSpaces is not"),
        ({"regions": ["xx-fake-9"]}, r"^regions names 'xx-fake-9'"),
        ({"regions": []}, r"^regions must name at least one region"),
        ({"regions": ["eu-west-1", "eu-west-1"]}, r"^regions names a region twice"),
        ({"deny_role": ["123"]}, r"^deny_role must be a 12-digit account id"),
        ({"deny_role": ["000000000000"]}, r"^deny_role names 000000000000, which is not"),
        ({"external_id_role": ["000000000000"]}, r"^external_id_role names 000000000000"),
        ({"delegated_admins": ["000000000000"]}, r"^delegated_admins names 000000000000"),
        ({"deny_writes": ["000000000000"]}, r"^deny_writes names 000000000000"),
        ({"credential_duration": 0}, r"^credential_duration must be a finite number above 0"),
        ({"role_name": "no spaces"}, r"^role_name must be an IAM role name"),
        ({"external_id": "x"}, r"^external_id must be 2 to 1224"),
        ({"images": {"wsi-aaaaaaaaa": ()}}, r"^images given image by image are for a standalone"),
    ],
)
def test_organization_options_that_name_nothing_real_are_refused(
    options: dict[str, Any], refusal: str
) -> None:
    with pytest.raises(ValueError, match=refusal):
        Emulator(**{"accounts": 3, **options})


def test_the_management_account_has_no_role_to_deny() -> None:
    management = Emulator(accounts=2).account_id
    with pytest.raises(ValueError, match=r"^deny_role names \d{12}, the management account"):
        Emulator(accounts=2, deny_role=[management])


def test_a_role_cannot_be_both_denied_and_wanting_an_external_id() -> None:
    member = members(Emulator(accounts=2).scoped_truth)[0]
    with pytest.raises(ValueError, match=r"^external_id_role names \d{12}, whose role deny_role"):
        Emulator(accounts=2, deny_role=[member], external_id_role=[member])


@pytest.mark.parametrize(
    ("region", "refusal"),
    [
        ("us-east-1", r"names us-east-1, which is not an opt-in region"),
        ("il-central-1", r"names il-central-1, which is not served here"),
    ],
)
def test_only_a_served_opt_in_region_can_be_left_disabled(region: str, refusal: str) -> None:
    member = members(Emulator(accounts=2).scoped_truth)[0]
    with pytest.raises(ValueError, match=refusal):
        Emulator(accounts=2, opt_in_disabled=[(member, region)])


@pytest.mark.parametrize(
    "options",
    [
        {"deny_role": ["123456789012"]},
        {"external_id_role": ["123456789012"]},
        {"delegated_admins": ["123456789012"]},
        {"credential_duration": 60},
        {"role_name": "AuditRole"},
        {"external_id": "partner-42"},
    ],
)
def test_organization_options_need_an_organization(options: dict[str, Any]) -> None:
    (name,) = options
    with pytest.raises(ValueError, match=rf"^{name} needs an organization"):
        Emulator(**options)


def test_aws_limits_and_an_explicit_rate_are_refused_together() -> None:
    with pytest.raises(ValueError, match=r"^aws_limits sets the rate and burst"):
        Emulator(aws_limits=True, rate=10)


def test_options_naming_accounts_may_come_from_any_iterable() -> None:
    member = members(Emulator(accounts=2, seed=1).scoped_truth)[0]
    emulator = Emulator(accounts=2, seed=1, deny_role=(a for a in [member]))
    assert Emulator(deny_role=iter(())).scoped_truth.organization is None
    organization = emulator.scoped_truth.organization
    assert organization is not None
    assert organization.accounts[1].role_access == "denied"
