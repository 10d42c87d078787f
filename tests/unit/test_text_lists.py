"""Lists kept by hand: image ids and account ids, with blank lines and comments, an entry that
cannot be one named by its line."""

from __future__ import annotations

import pytest

from imgperms_async import InvalidSettingError, account_ids_from_text, image_ids_from_text
from imgperms_async._text_lists import meaningful_lines


def test_blank_lines_comments_and_surrounding_space_are_not_entries() -> None:
    text = "# header\n\n  wsi-aaaaaaaaa  # the golden one\n\t\nwsi-bbbbbbbbb\n"
    assert list(meaningful_lines(text)) == [(3, "wsi-aaaaaaaaa"), (5, "wsi-bbbbbbbbb")]


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_every_kind_of_line_break_counts_a_line(newline: str) -> None:
    text = newline.join(["# ids", "wsi-aaaaaaaaa", "", "wsi-bbbbbbbbb"])
    assert list(meaningful_lines(text)) == [(2, "wsi-aaaaaaaaa"), (4, "wsi-bbbbbbbbb")]


def test_a_byte_order_mark_is_not_part_of_the_first_entry() -> None:
    assert image_ids_from_text("\ufeffwsi-aaaaaaaaa\n") == ["wsi-aaaaaaaaa"]


def test_spacing_other_than_ascii_is_kept_so_the_entry_is_reported() -> None:
    assert image_ids_from_text("wsi-aaaaaaaaa\u00a0\n") == ["wsi-aaaaaaaaa\u00a0"]


def test_image_ids_are_kept_as_written_in_order_each_checked_when_audited() -> None:
    assert image_ids_from_text("wsi-bbbbbbbbb\nnot-an-image\nwsi-aaaaaaaaa\n") == [
        "wsi-bbbbbbbbb",
        "not-an-image",
        "wsi-aaaaaaaaa",
    ]


def test_an_empty_file_has_no_ids() -> None:
    assert image_ids_from_text("# nothing yet\n") == []
    assert account_ids_from_text("", source="allow.txt") == frozenset()


def test_account_ids_are_read_each_once() -> None:
    text = "111122223333\n# partner\n444455556666 # vendor\n111122223333\n"
    assert account_ids_from_text(text, source="allow.txt") == {"111122223333", "444455556666"}


@pytest.mark.parametrize(
    "entry",
    [
        "11112222333",
        "1111222233334",
        "1111-2222-3333",
        "\uff11\uff11\uff11\uff11\uff12\uff12\uff12\uff12\uff13\uff13\uff13\uff13",
    ],
)
def test_an_entry_that_is_not_an_account_id_is_refused_naming_its_line(entry: str) -> None:
    with pytest.raises(InvalidSettingError, match=r"^allow\.txt, line 2: .* is not an AWS account"):
        account_ids_from_text(f"111122223333\n{entry}\n", source="allow.txt")
