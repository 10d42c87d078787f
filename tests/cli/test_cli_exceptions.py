"""`--exceptions FILE`: shares a team has accepted, each with a reason, an owner and a date it ends.
An accepted share is reported, never flagged and never unshared; past its date an exception stops
applying and is itself reported; a file that cannot be read as written is a usage error naming
its line, before any request."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from report_support import Served, allowlist_file, images_of

FOREVER = "2999-12-31"
LONG_AGO = "2001-02-03"


def flagged(one: Served) -> tuple[dict[str, Any], str]:
    """An image the allowlist leaves shared outside, and one account outside it is shared with."""
    result = one.audit("--allowlist", str(allowlist_file(one)), "--format", "jsonl")
    record = next(r for r in images_of(result.stdout) if len(r["unexpected_account_ids"]) == 1)
    return record, record["unexpected_account_ids"][0]


def exceptions(one: Served, *entries: str) -> Path:
    path = one.tmp_path / "exceptions.yml"
    path.write_text("exceptions:\n" + "".join(entries))
    return path


def entry(account: str, *, expires: str = FOREVER, extra: str = "") -> str:
    return (
        f"  - account_id: '{account}'\n"
        "    reason: the vendor that builds our golden image\n"
        "    owner: alice@example.com\n"
        f"    expires: {expires}\n" + extra
    )


def audit_with(one: Served, accepted: Path, *args: str) -> Any:
    return one.audit("--allowlist", str(allowlist_file(one)), "--exceptions", str(accepted), *args)


def only_outside_accepted(one: Served) -> tuple[Path, dict[str, Any], str]:
    """Exceptions for every account outside the allowlist; the record and account looked at."""
    record, account = flagged(one)
    outside = {
        a
        for r in images_of(one.audit("--allowlist", str(allowlist_file(one)), "--format",
                                     "jsonl").stdout)
        for a in r["unexpected_account_ids"]
    }  # fmt: skip
    return exceptions(one, *(entry(a) for a in sorted(outside))), record, account


def test_an_accepted_share_is_classed_excepted_with_its_reason_owner_and_date(one: Served) -> None:
    record, account = flagged(one)
    accepted = exceptions(one, entry(account))

    result = audit_with(one, accepted, "--format", "json")

    [now] = [r for r in json.loads(result.stdout) if r["image_id"] == record["image_id"]]
    assert now["unexpected_account_ids"] == []
    assert now["exceptions"] == {
        account: {
            "reason": "the vendor that builds our golden image",
            "owner": "alice@example.com",
            "expires": FOREVER,
        }
    }


def test_accepted_shares_are_never_flagged_and_are_counted_in_the_summary(one: Served) -> None:
    accepted, _, _ = only_outside_accepted(one)

    result = audit_with(one, accepted)

    assert result.exit_code == 0, result.stderr
    assert "FLAGGED" not in result.stdout
    assert any(line.startswith("excepted: ") and "accepted by an exception" in line
               for line in result.stderr.splitlines())  # fmt: skip


def test_an_accepted_share_is_marked_in_the_table(one: Served) -> None:
    _, account = flagged(one)

    result = audit_with(one, exceptions(one, entry(account)))

    assert f"~{account}" in result.stdout
    assert f"!{account}" not in result.stdout


def test_an_expired_exception_no_longer_applies_and_is_reported_to_review(one: Served) -> None:
    record, account = flagged(one)
    expired = exceptions(one, entry(account, expires=LONG_AGO))

    result = audit_with(one, expired, "--format", "jsonl")

    records = [json.loads(line) for line in result.stdout.splitlines()]
    [now] = [r for r in records if r.get("image_id") == record["image_id"]]
    assert now["unexpected_account_ids"] == [account]
    assert result.exit_code == 1
    [reported] = [r for r in records if r.get("kind") == "exception"]
    assert (reported["status"], reported["account_id"], reported["expires"]) == (
        "expired",
        account,
        LONG_AGO,
    )
    assert (
        f"expired exception: account {account} (the vendor that builds our golden image; owner "
        f"alice@example.com) ended {LONG_AGO} and no longer applies: review it"
    ) in result.stderr.splitlines()


def test_an_exception_for_other_images_does_not_accept_this_one(one: Served) -> None:
    record, account = flagged(one)
    elsewhere = exceptions(one, entry(account, extra="    images: [wsi-notthisone]\n"))

    result = audit_with(one, elsewhere, "--format", "jsonl")

    [now] = [r for r in images_of(result.stdout) if r["image_id"] == record["image_id"]]
    assert now["unexpected_account_ids"] == [account]


def test_an_exception_for_its_image_and_region_accepts_it(one: Served) -> None:
    record, account = flagged(one)
    there = exceptions(
        one,
        entry(account, extra=f"    images: [{record['image_id']}]\n    regions: [us-east-1]\n"),
    )

    result = audit_with(one, there, "--format", "jsonl")

    [now] = [r for r in images_of(result.stdout) if r["image_id"] == record["image_id"]]
    assert now["unexpected_account_ids"] == []
    assert list(now["exceptions"]) == [account]


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("exceptions:\n  - account_id: '111122223333'\n    reason: r\n    owner: o\n"
         "    expires: 2030-01-01\n  - account_id: '111122223333'\n    reason: r\n"
         "    expires: 2030-01-01\n", "line 6: the exception has no owner"),
        ("exceptions:\n  - account_id: '111122223333'\n    reason: r\n    owner: o\n"
         "    expires: 2030-01-01\n    expiry: 2031-01-01\n", "line 2: unknown key 'expiry'"),
        ("exceptions:\n  - account_id: '111122223333'\n    reason: r\n    owner: o\n"
         "    expires: next year\n", "line 2: expires 'next year' is not a date"),
        ("exceptions:\n  - account_id: 111122223333\n    reason: r\n    owner: o\n"
         "    expires: 2030-01-01\n", "line 2: exception account_id 111122223333 is not"),
        ("exceptions: [\n", "is not valid YAML"),
        ("- account_id: '111122223333'\n", "line 1: expected one key, `exceptions:`"),
    ],
    ids=["missing-owner", "unknown-key", "not-a-date", "unquoted-account", "not-yaml",
         "no-exceptions-key"],
)  # fmt: skip
def test_an_exceptions_file_that_cannot_be_read_as_written_is_a_usage_error_naming_it(
    one: Served, text: str, named: str
) -> None:
    path = one.tmp_path / "exceptions.yml"
    path.write_text(text)

    result = one.audit("--exceptions", str(path))

    assert result.exit_code == 2
    [line] = result.stderr.splitlines()
    assert line.startswith(f"Error: {path}")
    assert named in line
    assert one.emu.requests == []


def test_an_accepted_share_is_never_unshared(one: Served) -> None:
    record, account = flagged(one)
    accepted = exceptions(one, entry(account))
    report = one.report("--allowlist", str(allowlist_file(one)), "--exceptions", str(accepted))
    sent = len(one.emu.requests)

    result = one.apply(report)

    assert result.exit_code == 0, result.stderr
    assert account not in {w.shared_account_id for w in one.writes(since=sent)}
    assert account in one.emu.truth[record["image_id"]]


def test_exceptions_given_to_unshare_protect_the_shares_they_accept(one: Served) -> None:
    record, account = flagged(one)
    report = one.report("--allowlist", str(allowlist_file(one)))
    sent = len(one.emu.requests)

    result = one.apply(report, "--exceptions", str(exceptions(one, entry(account))))

    assert result.exit_code == 0, result.stderr
    written = {w.shared_account_id for w in one.writes(since=sent)}
    assert written
    assert account not in written
    assert account in one.emu.truth[record["image_id"]]
