"""Exceptions: accepted shares, each with a reason, an owner and the date it ends; a file people
keep by hand, whose every mistake is an error naming its line."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from imgperms_async import Exemption, InvalidSettingError, exemptions_from_text
from imgperms_async._exemptions import Exemptions

PARTNER = "111122223333"
VENDOR = "444455556666"
TODAY = datetime.date(2027, 3, 31)


def exemption(**fields: Any) -> Exemption:
    values: dict[str, Any] = {
        "account_id": PARTNER,
        "reason": "the vendor that builds our golden image",
        "owner": "alice@example.com",
        "expires": TODAY,
    }
    values.update(fields)
    return Exemption(**values)


FILE = f"""\
# accepted shares
exceptions:
  - account_id: "{PARTNER}"
    images: [wsi-aaaaaaaaa]
    regions: [us-east-1]
    reason: the vendor that builds our golden image
    owner: alice@example.com
    expires: 2027-03-31

  - account_id: "{VENDOR}"
    reason: support contract
    owner: bob@example.com
    expires: "2026-01-01"
"""


# --- reading the file -------------------------------------------------------------------------


def test_a_file_reads_as_its_exceptions_in_order() -> None:
    assert exemptions_from_text(FILE, source="exceptions.yml") == [
        exemption(image_ids=("wsi-aaaaaaaaa",), regions=("us-east-1",)),
        Exemption(VENDOR, "support contract", "bob@example.com", datetime.date(2026, 1, 1)),
    ]


@pytest.mark.parametrize("text", ["", "# nothing\n", "exceptions:\n", "exceptions: []\n"])
def test_an_empty_file_or_list_has_no_exceptions(text: str) -> None:
    assert exemptions_from_text(text, source="exceptions.yml") == []


def test_a_byte_order_mark_is_read_past() -> None:
    assert len(exemptions_from_text("\ufeff" + FILE, source="exceptions.yml")) == 2


def entry(**fields: Any) -> str:
    values: dict[str, Any] = {
        "account_id": f'"{PARTNER}"',
        "reason": "partner",
        "owner": "alice",
        "expires": "2027-03-31",
    }
    values.update(fields)
    lines = [f"    {key}: {value}" for key, value in values.items() if value is not None]
    lines[0] = "  - " + lines[0].lstrip()
    return "\n".join(lines) + "\n"


def second_entry_error(**fields: Any) -> str:
    text = "exceptions:\n" + entry() + "\n" + entry(**fields)
    with pytest.raises(InvalidSettingError) as caught:
        exemptions_from_text(text, source="exceptions.yml")
    return str(caught.value)


def test_an_unknown_key_is_refused_naming_it_and_its_entrys_line() -> None:
    message = second_entry_error(regoins="[us-east-1]")
    assert "exceptions.yml, line 7:" in message
    assert "unknown key 'regoins'" in message


@pytest.mark.parametrize("missing", ["reason", "owner", "expires", "account_id"])
def test_a_missing_field_is_refused_naming_it_and_the_line(missing: str) -> None:
    message = second_entry_error(**{missing: None})
    assert message.startswith("exceptions.yml, line 7:")
    assert f"has no {missing}" in message


@pytest.mark.parametrize("expires", ["soon", "2027-02-30", "31/03/2027", "2027-03-31T00:00:00"])
def test_an_expiry_that_is_not_a_date_is_refused_naming_the_line(expires: str) -> None:
    message = second_entry_error(expires=f'"{expires}"')
    assert message.startswith("exceptions.yml, line 7: expires")
    assert "YYYY-MM-DD" in message


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"account_id": "111122223333"}, "is not an account id"),  # YAML reads it as a number
        ({"account_id": '"1111-2222-3333"'}, "is not an account id"),
        ({"images": "[not-an-image]"}, "is not a WorkSpaces image id"),
        ({"images": "wsi-aaaaaaaaa"}, "images must be a list of strings"),
        ({"regions": "[eu-wset-1]"}, "eu-wset-1"),
        ({"reason": '"  "'}, "needs a reason"),
    ],
)
def test_a_malformed_value_is_refused_naming_the_line(fields: dict[str, str], problem: str) -> None:
    message = second_entry_error(**fields)
    assert message.startswith("exceptions.yml, line 7:")
    assert problem in message


def test_a_file_of_another_shape_is_refused() -> None:
    with pytest.raises(InvalidSettingError, match="expected one key, `exceptions:`"):
        exemptions_from_text("accounts:\n  - x\n", source="exceptions.yml")


def test_an_entry_that_is_not_a_mapping_is_refused_naming_its_line() -> None:
    with pytest.raises(InvalidSettingError, match=r"line 6: an exception must be a mapping"):
        exemptions_from_text("exceptions:\n" + entry() + "  - just text\n", source="exceptions.yml")


def test_invalid_yaml_is_refused_naming_the_file() -> None:
    with pytest.raises(InvalidSettingError, match=r"exceptions\.yml is not valid YAML"):
        exemptions_from_text("exceptions: [\n", source="exceptions.yml")


# --- in force, or expired ---------------------------------------------------------------------


def test_an_exception_applies_up_to_and_including_its_date() -> None:
    assert exemption().applies(today=TODAY)
    assert exemption().applies(today=TODAY - datetime.timedelta(days=30))
    assert not exemption().applies(today=TODAY + datetime.timedelta(days=1))


def test_expired_exceptions_are_kept_apart_by_the_day_given() -> None:
    active = exemption()
    expired = exemption(account_id=VENDOR, expires=TODAY - datetime.timedelta(days=1))

    exemptions = Exemptions([active, expired], today=TODAY)

    assert (exemptions.active, exemptions.expired) == ((active,), (expired,))


def test_an_expired_exception_accepts_nothing() -> None:
    exemptions = Exemptions([exemption()], today=TODAY + datetime.timedelta(days=1))

    assert exemptions.match(PARTNER, image_id="wsi-aaaaaaaaa", region="us-east-1") is None


def test_exemptions_hold_only_exemptions() -> None:
    with pytest.raises(InvalidSettingError, match=r"imgperms_async\.Exemption"):
        Exemptions([{"account_id": PARTNER}], today=TODAY)  # type: ignore[list-item]


# --- what an exception covers -----------------------------------------------------------------


def test_an_exception_without_images_or_regions_covers_every_share_with_its_account() -> None:
    exemptions = Exemptions([exemption()], today=TODAY)

    assert exemptions.match(PARTNER, image_id="wsi-zzzzzzzzz", region="eu-west-1") is not None
    assert exemptions.match(VENDOR, image_id="wsi-zzzzzzzzz", region="eu-west-1") is None


def test_an_exception_with_images_covers_only_those_images() -> None:
    scoped = exemption(image_ids=("wsi-aaaaaaaaa",))
    exemptions = Exemptions([scoped], today=TODAY)

    assert exemptions.match(PARTNER, image_id="wsi-aaaaaaaaa", region="us-east-1") is scoped
    assert exemptions.match(PARTNER, image_id="wsi-bbbbbbbbb", region="us-east-1") is None


def test_an_exception_with_regions_covers_only_those_regions() -> None:
    scoped = exemption(regions=("us-east-1",))
    exemptions = Exemptions([scoped], today=TODAY)

    assert exemptions.match(PARTNER, image_id="wsi-aaaaaaaaa", region="us-east-1") is scoped
    assert exemptions.match(PARTNER, image_id="wsi-aaaaaaaaa", region="eu-west-1") is None


def test_an_exception_is_written_as_a_report_holds_it() -> None:
    assert exemption(regions=("us-east-1",)).to_json() == {
        "account_id": PARTNER,
        "image_ids": [],
        "regions": ["us-east-1"],
        "reason": "the vendor that builds our golden image",
        "owner": "alice@example.com",
        "expires": "2027-03-31",
    }


def test_an_expiry_with_a_time_is_refused() -> None:
    with pytest.raises(InvalidSettingError, match="must be a date"):
        exemption(expires=datetime.datetime(2027, 3, 31, 12, 0))
