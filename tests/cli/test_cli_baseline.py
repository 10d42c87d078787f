"""`imgperms audit --baseline PREVIOUS` against the emulator: what changed since the last run."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from report_support import (
    Audited,
    Served,
    account_emulator,
    allowlist_file,
    images_of,
    point_at,
    serving,
    write_jsonl,
)

NEWCOMER = "999988887777"


def by_image(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["image_id"]: r for r in records}


def flagged_report(one: Served) -> tuple[Path, list[dict[str, Any]]]:
    """A jsonl audit of the account with its allowlist, and its image records."""
    report = one.report("--allowlist", str(allowlist_file(one)))
    return report, images_of(report.read_text())


def audit_against(served: Served, baseline: Path, *args: str) -> tuple[int, list[dict[str, Any]]]:
    result = served.audit("--baseline", str(baseline), "--format", "jsonl", *args)
    return result.exit_code, images_of(result.stdout)


# --- what each record gains --------------------------------------------------------------------


def test_each_record_gains_its_new_and_removed_accounts_and_what_changed(one: Served) -> None:
    _, records = flagged_report(one)
    gained, lost = [r for r in records if len(r["shared_account_ids"]) > 1][:2]
    new_account = gained["shared_account_ids"].pop()
    lost["shared_account_ids"].append(NEWCOMER)
    for record in records:
        record["unexpected_account_ids"] = [
            a for a in record["unexpected_account_ids"] if a in record["shared_account_ids"]
        ]
    baseline = write_jsonl(one.tmp_path / "baseline.jsonl", records)

    _, now = audit_against(one, baseline, "--allowlist", str(allowlist_file(one)))

    changed = by_image(now)
    assert changed[gained["image_id"]]["change"] == "changed"
    assert changed[gained["image_id"]]["new_account_ids"] == [new_account]
    assert changed[gained["image_id"]]["removed_account_ids"] == []
    assert changed[lost["image_id"]]["change"] == "changed"
    assert changed[lost["image_id"]]["new_account_ids"] == []
    assert changed[lost["image_id"]]["removed_account_ids"] == [NEWCOMER]
    others = [r for i, r in changed.items() if i not in (gained["image_id"], lost["image_id"])]
    assert {r["change"] for r in others} == {"unchanged"}
    assert all(r["new_account_ids"] == r["removed_account_ids"] == [] for r in others)


def test_an_image_the_baseline_did_not_have_appeared_with_every_share_new(one: Served) -> None:
    _, records = flagged_report(one)
    newcomer = next(r for r in records if r["shared_account_ids"])
    baseline = write_jsonl(
        one.tmp_path / "baseline.jsonl",
        [r for r in records if r["image_id"] != newcomer["image_id"]],
    )

    _, now = audit_against(one, baseline)

    record = by_image(now)[newcomer["image_id"]]
    assert record["change"] == "appeared"
    assert record["new_account_ids"] == newcomer["shared_account_ids"]
    assert record["removed_account_ids"] == []


def test_a_json_baseline_is_read_like_a_jsonl_one(one: Served) -> None:
    result = one.audit("--format", "json", "--output", str(one.tmp_path / "baseline.json"))
    assert result.exit_code == 0

    _, now = audit_against(one, one.tmp_path / "baseline.json")

    assert {r["change"] for r in now} == {"unchanged"}
    assert len(now) == len(one.emu.truth)


@dataclass(frozen=True)
class Gone:
    """An organization audited against a baseline with an image it no longer has, one in a
    region this run does not audit, and one the baseline said disappeared but is back; then
    audited against that run's report."""

    model: dict[str, Any]
    back: dict[str, Any]
    first: dict[str, dict[str, Any]]
    first_summary: list[str]
    second: dict[str, dict[str, Any]]


@pytest.fixture(scope="module")
def gone(org_audit: Audited) -> Gone:
    served = org_audit.served
    with pytest.MonkeyPatch.context() as monkeypatch:
        point_at(monkeypatch, served.emu)
        records = images_of(org_audit.report.read_text())
        model = next(r for r in records if r["unexpected_account_ids"])
        back = next(r for r in records if r["shared_account_ids"] and r is not model)
        said_gone = {
            **back,
            "shared_account_ids": [],
            "share_classes": {},
            "unexpected_account_ids": [],
            "pages": 0,
            "change": "disappeared",
            "new_account_ids": [],
            "removed_account_ids": back["shared_account_ids"],
        }
        baseline = write_jsonl(served.tmp_path / "gone.jsonl", [
            *(r for r in records if r is not back),
            said_gone,
            {**model, "image_id": "wsi-gone00000"},
            {**model, "image_id": "wsi-elsewhere", "region": "eu-central-1"},
        ])  # fmt: skip
        report = served.tmp_path / "after-gone.jsonl"
        first = served.audit(
            "--baseline", str(baseline), "--format", "jsonl", "--output", str(report)
        )
        _, second = audit_against(served, report)
    return Gone(
        model,
        back,
        by_image(images_of(report.read_text())),
        first.stderr.splitlines(),
        by_image(second),
    )


def test_an_image_gone_from_a_scope_listed_in_full_disappeared(gone: Gone) -> None:
    record = gone.first["wsi-gone00000"]

    assert (record["account_id"], record["region"]) == (
        gone.model["account_id"],
        gone.model["region"],
    )
    assert record["change"] == "disappeared"
    assert record["removed_account_ids"] == gone.model["shared_account_ids"]
    assert record["shared_account_ids"] == []


def test_an_image_of_a_scope_not_listed_this_run_is_not_said_to_have_disappeared(
    gone: Gone,
) -> None:
    assert "wsi-elsewhere" not in gone.first


def test_an_image_the_baseline_said_disappeared_and_is_back_appeared(gone: Gone) -> None:
    assert gone.first[gone.back["image_id"]]["change"] == "appeared"


def test_the_summary_counts_each_kind_of_change_since_the_baseline(gone: Gone) -> None:
    unchanged = len(gone.first) - 2

    assert (
        f"since the baseline: 1 appeared, 1 disappeared, 0 changed, {unchanged} unchanged"
        in gone.first_summary
    )


def test_an_image_the_baseline_said_disappeared_is_not_said_to_again(gone: Gone) -> None:
    assert "wsi-gone00000" not in gone.second
    assert {r["change"] for r in gone.second.values()} == {"unchanged"}


def test_an_image_gone_from_an_account_audited_with_all_disappeared(one: Served) -> None:
    _, records = flagged_report(one)
    gone = {**records[0], "image_id": "wsi-gone00000"}
    baseline = write_jsonl(one.tmp_path / "baseline.jsonl", [*records, gone])

    _, now = audit_against(one, baseline)

    assert by_image(now).get("wsi-gone00000", {}).get("change") == "disappeared"


def test_an_image_gone_since_the_baseline_is_not_counted_as_audited_nor_given_a_csv_row(
    one: Served,
) -> None:
    _, records = flagged_report(one)
    gone = {**records[0], "image_id": "wsi-gone00000"}
    baseline = write_jsonl(one.tmp_path / "baseline.jsonl", [*records, gone])

    result = one.audit("--baseline", str(baseline), "--format", "csv")

    assert f"audited {len(one.emu.truth)} images in 1 region" in result.stderr
    assert "1 disappeared" in result.stderr
    assert "wsi-gone00000" not in result.stdout


def test_an_image_that_could_not_be_audited_is_not_said_to_have_lost_its_shares(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with serving(monkeypatch, tmp_path, account_emulator(), organization=False) as clean:
        baseline = clean.report()
        denied = next(i for i, shares in clean.emu.truth.items() if shares)
    with serving(
        monkeypatch, tmp_path, account_emulator(deny_images=[denied]), organization=False
    ) as broken:
        _, now = audit_against(broken, baseline)

    record = by_image(now)[denied]
    assert record["error"]["code"] == "AccessDeniedException"
    assert record["removed_account_ids"] == []


# --- the summary and the exit status -----------------------------------------------------------


def share_outside_new_since(one: Served) -> tuple[Path, dict[str, Any]]:
    """A baseline that did not have one of today's shares outside, and that image's record."""
    _, records = flagged_report(one)
    record = next(r for r in records if r["unexpected_account_ids"])
    fresh = record["unexpected_account_ids"][-1]
    edited = {
        **record,
        "shared_account_ids": [a for a in record["shared_account_ids"] if a != fresh],
        "unexpected_account_ids": record["unexpected_account_ids"][:-1],
    }
    others = [r for r in records if r["image_id"] != record["image_id"]]
    return write_jsonl(one.tmp_path / "baseline.jsonl", [*others, edited]), {
        **record,
        "fresh": fresh,
    }


def test_the_summary_lists_shares_outside_new_since_the_baseline_first(one: Served) -> None:
    baseline, record = share_outside_new_since(one)

    result = one.audit("--allowlist", str(allowlist_file(one)), "--baseline", str(baseline))

    first = result.stderr.splitlines()[0]
    assert first == (
        f"new since the baseline: us-east-1, {record['image_id']} shared with {record['fresh']}"
    )


def test_fail_on_new_exits_1_for_a_share_outside_new_since_the_baseline(one: Served) -> None:
    baseline, _ = share_outside_new_since(one)

    code, _ = audit_against(
        one, baseline, "--allowlist", str(allowlist_file(one)), "--fail-on", "new"
    )

    assert code == 1


def test_fail_on_new_exits_0_when_every_share_outside_was_in_the_baseline(one: Served) -> None:
    baseline, records = flagged_report(one)
    assert any(r["unexpected_account_ids"] for r in records)

    code, _ = audit_against(
        one, baseline, "--allowlist", str(allowlist_file(one)), "--fail-on", "new"
    )

    assert code == 0


def test_without_fail_on_new_a_share_outside_in_the_baseline_still_exits_1(one: Served) -> None:
    baseline, _ = flagged_report(one)

    code, _ = audit_against(one, baseline, "--allowlist", str(allowlist_file(one)))

    assert code == 1


def test_fail_on_new_is_not_failed_by_a_new_share_inside_the_allowlist(one: Served) -> None:
    baseline, records = flagged_report(one)
    record = next(r for r in records if r["shared_account_ids"])
    one.share(record["image_id"], NEWCOMER, shared=True)
    allowed = allowlist_file(one)
    allowed.write_text(allowed.read_text() + NEWCOMER + "\n")

    code, now = audit_against(one, baseline, "--allowlist", str(allowed), "--fail-on", "new")

    assert by_image(now)[record["image_id"]]["new_account_ids"] == [NEWCOMER]
    assert code == 0


def test_fail_on_new_without_a_baseline_is_a_usage_error(one: Served) -> None:
    result = one.audit("--fail-on", "new")

    assert result.exit_code == 2
    assert "--baseline" in result.stderr
    assert one.emu.requests == []


def test_a_malformed_baseline_is_a_usage_error_naming_it_before_any_request(
    one: Served,
) -> None:
    baseline = one.tmp_path / "baseline.jsonl"
    baseline.write_text(json.dumps({"region": "us-east-1"}) + "\n")

    result = one.audit("--baseline", str(baseline))

    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"Error: {baseline}, line 1: image_id must be a non-empty string"
    ]
    assert one.emu.requests == []


# --- newly outside: a share whose class got worse since the baseline ----------------------------


def test_fail_on_new_exits_1_when_the_allowlist_narrowed_since_the_baseline(one: Served) -> None:
    allowed = allowlist_file(one)
    baseline = one.report("--allowlist", str(allowed))
    dropped = sorted(allowed.read_text().split())[0]
    narrower = one.tmp_path / "narrower.txt"
    narrower.write_text("".join(f"{a}\n" for a in allowed.read_text().split() if a != dropped))

    result = one.audit(
        "--allowlist", str(narrower), "--baseline", str(baseline), "--fail-on", "new",
        "--format", "jsonl",
    )  # fmt: skip

    newly = [r for r in images_of(result.stdout) if r["newly_flagged_account_ids"]]
    assert {a for r in newly for a in r["newly_flagged_account_ids"]} == {dropped}
    assert all(r["new_account_ids"] == [] for r in newly), "no account is new to the image"
    assert result.exit_code == 1
    assert any(
        line.startswith("new since the baseline: ") and line.endswith(dropped)
        for line in result.stderr.splitlines()
    )


def test_fail_on_new_exits_1_for_an_account_that_left_the_organization(seen: Audited) -> None:
    served = seen.served
    records = images_of(seen.report.read_text())
    record = next(r for r in records if r["unexpected_account_ids"])
    left = record["unexpected_account_ids"][0]
    was_member = {
        **record,
        "share_classes": {**record["share_classes"], left: "organization"},
        "unexpected_account_ids": record["unexpected_account_ids"][1:],
    }
    baseline = write_jsonl(
        served.tmp_path / "was-member.jsonl",
        [was_member if r is record else r for r in records],
    )

    result = served.audit("--baseline", str(baseline), "--fail-on", "new", "--format", "jsonl")

    [newly] = [r for r in images_of(result.stdout) if r["newly_flagged_account_ids"]]
    assert (newly["image_id"], newly["newly_flagged_account_ids"]) == (record["image_id"], [left])
    assert result.exit_code == 1


def test_fail_on_new_exits_0_when_no_share_got_worse(seen: Audited) -> None:
    result = seen.served.audit("--baseline", str(seen.report), "--fail-on", "new")

    assert result.exit_code == 0, result.stderr
    assert "new since the baseline" not in result.stderr


def test_a_baseline_that_shares_no_image_with_the_run_is_warned_of(one: Served) -> None:
    _, records = flagged_report(one)
    elsewhere = write_jsonl(
        one.tmp_path / "elsewhere.jsonl", [{**r, "region": "eu-west-1"} for r in records]
    )

    result = one.audit("--baseline", str(elsewhere))

    assert (
        f"warning: the baseline shares no image with this run ({len(records)} images in it): "
        "is it a report of other accounts or regions?"
    ) in result.stderr.splitlines()


def test_a_baseline_that_shares_images_with_the_run_is_not_warned_of(one: Served) -> None:
    baseline, _ = flagged_report(one)

    result = one.audit("--baseline", str(baseline))

    assert "warning" not in result.stderr
