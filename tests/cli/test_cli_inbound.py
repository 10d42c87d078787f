"""`imgperms audit --inbound`: the images other accounts share into each audited account, each
owner classed as a share would be; one from outside is flagged (only its owner can unshare it)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from click.testing import Result
from report_support import Served, organization_emulator, point_at, records_of, serving

INBOUND_HEADER = (
    "account_id,region,image_id,shared_account_id,class,unexpected,error_code,direction,"
    "owner_account_id"
)


@dataclass(frozen=True)
class Inbound:
    """An organization into each account and region of which an outsider shares one image,
    audited with --inbound (as jsonl, csv and a table) and without."""

    served: Served
    truth: dict[tuple[str, str, str], str]
    """(recipient, region, image) -> owner, for every image shared into an audited account."""
    jsonl: Result
    csv: Result
    table: Result
    without: Result


@pytest.fixture(scope="module")
def inbound(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Inbound]:
    with (
        pytest.MonkeyPatch.context() as monkeypatch,
        serving(
            monkeypatch, tmp_path_factory.mktemp("inbound"),
            organization_emulator(inbound_outside=1), organization=True,
        ) as served,
    ):  # fmt: skip
        truth = {
            (account, region, image): owner
            for account, regions in served.emu.scoped_truth.inbound.items()
            for region, images in regions.items()
            for image, owner in images.items()
        }
        yield Inbound(
            served, truth,
            served.audit("--inbound", "--format", "jsonl"),
            served.audit("--inbound", "--format", "csv"),
            served.audit("--inbound"),
            served.audit("--format", "jsonl"),
        )  # fmt: skip


@pytest.fixture
def shared_in(inbound: Inbound, monkeypatch: pytest.MonkeyPatch) -> Inbound:
    point_at(monkeypatch, inbound.served.emu)
    return inbound


def inbound_records(result: Result) -> list[dict[str, Any]]:
    return [r for r in records_of(result.stdout) if r.get("kind") == "inbound"]


def test_every_image_shared_into_an_audited_account_is_a_record_naming_its_owner(
    shared_in: Inbound,
) -> None:
    records = inbound_records(shared_in.jsonl)

    assert {(r["account_id"], r["region"], r["image_id"]): r["owner_account_id"]
            for r in records} == shared_in.truth  # fmt: skip
    assert len(records) == len(shared_in.truth)


def test_an_owner_is_classed_as_a_share_would_be(shared_in: Inbound) -> None:
    members = shared_in.served.members

    for record in inbound_records(shared_in.jsonl):
        expected = "organization" if record["owner_account_id"] in members else "external"
        assert record["owner_class"] == expected
    assert {r["owner_class"] for r in inbound_records(shared_in.jsonl)} == {
        "organization",
        "external",
    }


def test_an_image_shared_in_from_outside_is_flagged_with_exit_1_and_named(
    shared_in: Inbound,
) -> None:
    outside = [r for r in inbound_records(shared_in.jsonl) if r["owner_class"] == "external"]
    lines = shared_in.table.stderr.splitlines()

    assert shared_in.table.exit_code == 1
    for record in outside:
        assert (
            f"shared in from outside: account {record['account_id']}, {record['region']}, "
            f"{record['image_id']} owned by {record['owner_account_id']} (only its owner can "
            "remove the share: ask them, and do not launch from it)"
        ) in lines
        assert f"from !{record['owner_account_id']}" in shared_in.table.stdout


def test_inbound_csv_has_a_row_per_image_shared_in_with_its_direction_and_owner(
    shared_in: Inbound,
) -> None:
    rows = list(csv.DictReader(io.StringIO(shared_in.csv.stdout)))

    assert shared_in.csv.stdout.splitlines()[0] == INBOUND_HEADER
    assert {r["direction"] for r in rows} == {"outbound", "inbound"}
    assert {
        (r["account_id"], r["region"], r["image_id"]): r["owner_account_id"]
        for r in rows
        if r["direction"] == "inbound"
    } == shared_in.truth
    assert all(r["owner_account_id"] == "" for r in rows if r["direction"] == "outbound")


def test_without_inbound_no_image_shared_in_is_listed(shared_in: Inbound) -> None:
    assert inbound_records(shared_in.without) == []
    assert "image_id" in shared_in.without.stdout


def test_an_exception_accepts_an_image_shared_in_by_its_owner(
    shared_in: Inbound,
) -> None:
    served = shared_in.served
    outside = [r for r in inbound_records(shared_in.jsonl) if r["owner_class"] == "external"]
    accepted = served.tmp_path / "exceptions.yml"
    accepted.write_text(
        "exceptions:\n"
        + "".join(
            f"  - account_id: '{owner}'\n    reason: our vendor\n    owner: bob@example.com\n"
            "    expires: 2999-12-31\n"
            for owner in sorted({r["owner_account_id"] for r in outside})
        )
    )

    result = served.audit("--inbound", "--exceptions", str(accepted), "--format", "jsonl")

    classes = {r["image_id"]: r["owner_class"] for r in inbound_records(result)}
    assert {classes[r["image_id"]] for r in outside} == {"excepted"}
    assert {r["exception"]["reason"] for r in inbound_records(result)
            if r["owner_class"] == "excepted"} == {"our vendor"}  # fmt: skip
