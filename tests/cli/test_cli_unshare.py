"""`imgperms unshare` against the emulator: from an audit report to a plan, and applied safely."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from report_support import (
    Audited,
    Served,
    account_emulator,
    allowlist_file,
    audited_once,
    become,
    images_of,
    invoke,
    organization_emulator,
    records_of,
    serving,
    write_jsonl,
)


@pytest.fixture
def org(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Served]:
    """An organization of its own, for a test that changes it."""
    with serving(monkeypatch, tmp_path, organization_emulator(), organization=True) as served:
        yield served


def planned(result_stdout: str) -> dict[str, list[str]]:
    return {u["image_id"]: u["unshare_account_ids"] for u in json.loads(result_stdout)}


def flagged_in(report: Path) -> dict[str, list[str]]:
    return {
        r["image_id"]: r["unexpected_account_ids"]
        for r in images_of(report.read_text())
        if r["unexpected_account_ids"]
    }


class TerminalInput(io.BytesIO):
    """What the user types, on a stdin that is a terminal."""

    def isatty(self) -> bool:
        return True


# --- from the audit to no share outside --------------------------------------------------------


@dataclass(frozen=True)
class Unshared:
    """An organization audited, unshared from its report, and audited again."""

    served: Served
    before: dict[tuple[str, str, str], tuple[str, ...]]
    outside: dict[tuple[str, str, str], tuple[str, ...]]
    sent: int
    applied: Result
    again: Result


@pytest.fixture(scope="module")
def unshared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Unshared]:
    with audited_once(
        tmp_path_factory.mktemp("unshared"), organization_emulator(), organization=True
    ) as audited:
        served = audited.served
        before, outside, sent = shares_of(served), served.outside_shares(), len(served.emu.requests)
        applied = served.apply(audited.report)
        yield Unshared(served, before, outside, sent, applied, served.audit("--format", "jsonl"))


def shares_of(served: Served) -> dict[tuple[str, str, str], tuple[str, ...]]:
    return {
        (owner, region, image): shares
        for owner, regions in served.emu.scoped_truth.images.items()
        for region, images in regions.items()
        for image, shares in images.items()
    }


def test_an_organization_unshared_from_its_audit_exits_0_every_unshare_verified(
    unshared: Unshared,
) -> None:
    planned_count = sum(len(outside) for outside in unshared.outside.values())

    assert unshared.applied.exit_code == 0, unshared.applied.stderr
    assert f"unshared {planned_count}, already done 0, failed 0" in unshared.applied.stderr


def test_an_organization_unshared_from_its_audit_has_nothing_outside_at_the_next(
    unshared: Unshared,
) -> None:
    assert unshared.outside
    assert unshared.again.exit_code == 0
    assert all(r["unexpected_account_ids"] == [] for r in images_of(unshared.again.stdout))
    assert unshared.served.outside_shares() == {}


def test_an_organization_unshare_leaves_every_member_share_in_place(unshared: Unshared) -> None:
    members = unshared.served.members

    assert shares_of(unshared.served) == {
        key: tuple(a for a in shares if a in members) for key, shares in unshared.before.items()
    }


def test_an_organization_unshare_writes_in_each_owner_account_and_region(
    unshared: Unshared,
) -> None:
    writes = unshared.served.writes(since=unshared.sent)

    assert sorted((w.account_id, w.region, w.image_id, w.shared_account_id) for w in writes) == (
        sorted(
            (owner, region, image, account)
            for (owner, region, image), outside in unshared.outside.items()
            for account in outside
        )
    )
    assert all(w.status == 200 and w.changed and w.allow_copy_image is False for w in writes)


def test_one_account_unshared_from_an_audit_with_an_allowlist_is_clean_at_the_next(
    one: Served,
) -> None:
    allowed = allowlist_file(one)
    report = one.report("--allowlist", str(allowed))
    assert flagged_in(report)

    applied = one.apply(report)
    again = one.audit("--allowlist", str(allowed), "--format", "jsonl")

    assert applied.exit_code == 0, applied.stderr
    assert again.exit_code == 0
    assert all(r["unexpected_account_ids"] == [] for r in images_of(again.stdout))
    allowed_ids = set(allowed.read_text().split())
    assert {a for shares in one.emu.truth.values() for a in shares} == allowed_ids


# --- a dry run ---------------------------------------------------------------------------------


@pytest.mark.parametrize("output_format", ["table", "json", "jsonl"])
def test_a_dry_run_sends_no_write_and_exits_0(seen: Audited, output_format: str) -> None:
    sent = len(seen.served.emu.requests)

    result = seen.served.unshare(seen.report, "--format", output_format)

    assert result.exit_code == 0
    assert seen.served.writes(since=sent) == []
    assert "nothing was changed" in result.stderr


def test_a_dry_run_plans_every_share_outside_the_organization_as_json(seen: Audited) -> None:
    result = seen.served.unshare(seen.report, "--format", "json")

    expected = {
        image: list(outside) for (_, _, image), outside in seen.served.outside_shares().items()
    }
    assert planned(result.stdout) == expected


def test_a_dry_run_as_jsonl_is_one_image_a_line_with_its_owner_and_region(seen: Audited) -> None:
    lines = seen.served.unshare(seen.report, "--format", "jsonl").stdout.splitlines()

    records = [json.loads(line) for line in lines]
    expected = seen.served.outside_shares()
    assert len(records) == len(expected)
    assert {
        (r["account_id"], r["region"], r["image_id"]): tuple(r["unshare_account_ids"])
        for r in records
    } == expected


def test_a_dry_run_as_a_table_shows_each_image_and_says_the_count_once_on_stderr(
    seen: Audited,
) -> None:
    outside = seen.served.outside_shares()

    result = seen.served.unshare(seen.report)

    count = sum(len(accounts) for accounts in outside.values())
    owners = len({owner for owner, _, _ in outside})
    assert all(image in result.stdout for _, _, image in outside)
    assert result.stderr.splitlines() == [
        f"plan: {count} unshares on {len(outside)} images in {owners} accounts; nothing was "
        "changed (--apply makes it)"
    ]
    assert "plan:" not in result.stdout
    assert f"{count} unshares" not in " ".join(result.stdout.split())


# --- acting on the present ---------------------------------------------------------------------


def test_an_account_unshared_since_the_audit_is_already_done_not_an_error(one: Served) -> None:
    report = one.report("--allowlist", str(allowlist_file(one)))
    image, outside = next(iter(flagged_in(report).items()))
    one.share(image, outside[0], shared=False)
    sent = len(one.emu.requests)

    result = one.apply(report)

    assert result.exit_code == 0, result.stderr
    [entry] = [a for a in one.actions() if a["shared_account_id"] == outside[0]]
    assert (entry["image_id"], entry["outcome"], entry["error"]) == (image, "already_done", None)
    assert outside[0] not in {w.shared_account_id for w in one.writes(since=sent)}
    assert "already done 1" in result.stderr


@dataclass(frozen=True)
class Denied:
    """An organization one member of which may not write: applied, then applied again."""

    served: Served
    member: str
    left: set[tuple[str, str]]
    """(image, account) of that member's images shared outside."""
    first: Result
    rerun: Result
    rerun_writes: list[tuple[str | None, str | None]]


@pytest.fixture(scope="module")
def denied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Denied]:
    organization = organization_emulator().scoped_truth.organization
    assert organization is not None
    member = organization.accounts[1].account_id
    with audited_once(
        tmp_path_factory.mktemp("denied"),
        organization_emulator(deny_writes=[member]),
        organization=True,
    ) as audited:
        served = audited.served
        left = {
            (image, account)
            for (owner, _, image), outside in served.outside_shares().items()
            if owner == member
            for account in outside
        }
        first = served.apply(audited.report)
        sent = len(served.emu.requests)
        rerun = served.apply(audited.report)
        writes = [(w.image_id, w.shared_account_id) for w in served.writes(since=sent)]
        yield Denied(served, member, left, first, rerun, writes)


def test_a_denied_write_exits_3_naming_each_failure(denied: Denied) -> None:
    failures = [line for line in denied.first.stderr.splitlines() if line.startswith("error: ")]

    assert denied.left
    assert denied.first.exit_code == 3
    assert len(failures) == len(denied.left)
    for image, account in denied.left:
        [line] = [f for f in failures if image in f and f"{account}:" in f]
        assert line.startswith(f"error: account {denied.member}, ")
        assert "AccessDeniedException" in line


def test_a_denied_write_does_not_stop_the_other_accounts(denied: Denied) -> None:
    still_outside = denied.served.outside_shares()

    assert {owner for owner, _, _ in still_outside} == {denied.member}


def test_a_rerun_after_denied_writes_writes_only_what_is_left(denied: Denied) -> None:
    assert denied.rerun.exit_code == 3
    assert sorted(denied.rerun_writes) == sorted(denied.left)


def test_a_rerun_reports_what_the_first_run_did_as_already_done(denied: Denied) -> None:
    done = sum(1 for a in denied.served.actions() if a["outcome"] == "verified")

    assert done
    assert f"unshared 0, already done {done}, failed {len(denied.left)}" in denied.rerun.stderr


def test_reruns_after_failures_do_only_what_is_left_and_end_at_0(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Half the requests fail once sent, none is retried: a run that fails part of the plan
    exits 3, each rerun writes only what is still shared, and the last ends at 0."""
    with serving(monkeypatch, tmp_path, account_emulator(), organization=False) as clean:
        report = clean.report("--allowlist", str(allowlist_file(clean)))
        expected = {
            image: tuple(a for a in shares if a not in flagged_in(report).get(image, ()))
            for image, shares in clean.emu.truth.items()
        }
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    with serving(
        monkeypatch, tmp_path, account_emulator(fault_rate=0.5), organization=False
    ) as faulty:
        runs = []
        for _ in range(20):
            left = {(i, a) for i, shares in faulty.emu.truth.items() for a in shares}
            sent = len(faulty.emu.requests)
            code = faulty.apply(report).exit_code
            read = [
                w for w in faulty.writes(sent) if w.image_id is not None
            ]  # a write failed unread names nothing
            runs.append((code, {(w.image_id, w.shared_account_id) for w in read}))
            assert runs[-1][1] <= left
            if code == 0:
                break

        codes = [code for code, _ in runs]
        assert 3 in codes
        assert codes[-1] == 0
        assert all(written == set() for code, written in runs if code == 2)
        assert all(w.changed for w in faulty.writes() if w.status == 200)
        assert dict(faulty.emu.truth) == expected


def test_max_attempts_reaches_the_clients_of_an_unshare(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Every WorkSpaces request throttled (an audit took the only token) and one attempt each:
    one read per image, the run fails, and nothing is retried."""
    with serving(monkeypatch, tmp_path, account_emulator(), organization=False) as clean:
        report = clean.report("--allowlist", str(allowlist_file(clean)))
    with serving(
        monkeypatch, tmp_path, account_emulator(rate=0.001, burst=1), organization=False
    ) as throttled:
        throttled.audit("--max-attempts", "1")
        before = len(throttled.emu.requests)

        result = throttled.apply(report, "--max-attempts", "1")

        sent = [r for r in throttled.emu.requests[before:] if r.service == "workspaces"]
    assert result.exit_code == 3, result.stderr
    assert {r.error_code for r in sent} == {"ThrottlingException"}
    assert len(sent) == len(flagged_in(report))


# --- never a member, the owner, or an allowlisted account --------------------------------------


def test_members_are_never_planned(seen: Audited) -> None:
    plan = planned(seen.served.unshare(seen.report, "--format", "json").stdout)

    assert {a for accounts in plan.values() for a in accounts} & seen.served.members == set()


def test_a_member_asked_for_is_left_alone_and_why(seen: Audited) -> None:
    member = next(
        a
        for r in images_of(seen.report.read_text())
        for a, share_class in r["share_classes"].items()
        if share_class == "organization"
    )
    sent = len(seen.served.emu.requests)

    result = seen.served.apply(seen.report, "--shared-account", member)

    assert f"left alone: {member}: a member of the organization" in result.stderr
    assert seen.served.writes(since=sent) == []


def test_the_owner_is_never_planned_even_if_the_report_calls_it_external(seen: Audited) -> None:
    record = next(r for r in images_of(seen.report.read_text()) if r["unexpected_account_ids"])
    owner = record["account_id"]
    record["shared_account_ids"].append(owner)
    record["share_classes"][owner] = "external"
    record["unexpected_account_ids"].append(owner)
    report = write_jsonl(seen.served.tmp_path / "edited.jsonl", [record])

    result = seen.served.unshare(report, "--format", "json", "--shared-account", owner)

    assert planned(result.stdout) == {}
    assert f"left alone: {owner}: the image owner's own account" in result.stderr


def test_an_account_allowlisted_in_the_audit_is_never_planned(seen: Audited) -> None:
    outside = next(iter(seen.served.outside_shares().values()))
    report = seen.served.report("--allow-account", outside[0], name="allowlisted.jsonl")

    result = seen.served.unshare(report, "--format", "json", "--shared-account", outside[0])

    assert planned(result.stdout) == {}
    assert f"left alone: {outside[0]}: allowlisted" in result.stderr


def test_an_account_allowlisted_at_unshare_is_never_unshared(org: Served) -> None:
    key, outside = next(iter(org.outside_shares().items()))
    report = org.report()
    sent = len(org.emu.requests)

    result = org.apply(report, "--allow-account", outside[0])

    assert result.exit_code == 0, result.stderr
    assert outside[0] not in {w.shared_account_id for w in org.writes(since=sent)}
    assert org.outside_shares()[key] == (outside[0],)


# --- the organization, read again when the plan is applied ------------------------------------


def member_called_external(
    served: Served, report: Path, *, caller: bool = False
) -> tuple[Path, dict[str, Any], str]:
    """The report, hand-edited: a member's image shared outside also shared with another member
    of the organization (or with the caller, the management account), which the edited record
    calls ``external``. Returns the edited report, the record and that member."""
    record = next(
        r
        for r in images_of(report.read_text())
        if r["unexpected_account_ids"] and r["account_id"] != served.emu.account_id
    )
    others = sorted(served.members - {record["account_id"], served.emu.account_id})
    member = served.emu.account_id if caller else others[0]
    if member not in record["shared_account_ids"]:
        served.share_in(record, member)
        record["shared_account_ids"].append(member)
    record["share_classes"][member] = "external"
    record["unexpected_account_ids"].append(member)
    return write_jsonl(served.tmp_path / "edited.jsonl", [record]), record, member


@pytest.mark.parametrize("caller", [False, True], ids=["another-member", "the-caller"])
def test_a_member_a_hand_edited_report_calls_external_is_never_unshared(
    org: Served, caller: bool
) -> None:
    edited, record, member = member_called_external(org, org.report(), caller=caller)
    sent = len(org.emu.requests)

    planned_now = planned(org.unshare(edited, "--format", "json").stdout)
    result = org.apply(edited)

    assert member in planned_now[record["image_id"]], "the report alone would unshare it"
    assert result.exit_code == 0, result.stderr
    assert f"left alone: {member}: a member of your organization, read now" in result.stderr
    written = {w.shared_account_id for w in org.writes(since=sent)}
    assert member not in written
    assert written == set(record["unexpected_account_ids"]) - {member}
    key = (record["account_id"], record["region"], record["image_id"])
    assert member in org.emu.scoped_truth.images[key[0]][key[1]][key[2]]


def test_a_report_for_an_account_outside_the_organization_is_refused_before_any_write(
    seen: Audited,
) -> None:
    record = next(r for r in images_of(seen.report.read_text()) if r["unexpected_account_ids"])
    stranger = "999988887777"
    edited = write_jsonl(
        seen.served.tmp_path / "stranger.jsonl", [{**record, "account_id": stranger}]
    )
    sent = len(seen.served.emu.requests)

    result = seen.served.apply(edited, log="stranger-actions.jsonl")

    assert result.exit_code == 2
    assert f"the report is for account {stranger}, which is not in your organization" in (
        result.stderr
    )
    assert "nothing was changed" in result.stderr
    assert seen.served.writes(since=sent) == []
    assert not (seen.served.tmp_path / "stranger-actions.jsonl").exists()


@dataclass(frozen=True)
class AsMember:
    """The organization audited by its management account, and a member's own images in that
    report, for unshares run with the member's credentials (which cannot list the organization)."""

    served: Served
    member: str
    report: Path
    records: list[dict[str, Any]]


@pytest.fixture
def as_member(org: Served, monkeypatch: pytest.MonkeyPatch) -> AsMember:
    report = org.report()
    member = next(
        r["account_id"]
        for r in images_of(report.read_text())
        if r["unexpected_account_ids"] and r["account_id"] != org.emu.account_id
    )
    records = [r for r in images_of(report.read_text()) if r["account_id"] == member]
    mine = write_jsonl(org.tmp_path / "mine.jsonl", records)
    become(monkeypatch, org.emu, member)
    return AsMember(org, member, mine, records)


def test_when_the_organization_cannot_be_read_apply_needs_the_accounts_named(
    as_member: AsMember,
) -> None:
    served = as_member.served
    sent = len(served.emu.requests)

    result = served.apply(as_member.report)

    assert result.exit_code == 2
    assert "cannot read your organization's accounts" in result.stderr
    assert "--shared-account" in result.stderr
    assert served.writes(since=sent) == []
    assert not (served.tmp_path / "actions.jsonl").exists()


def test_when_the_organization_cannot_be_read_only_the_accounts_named_are_unshared(
    as_member: AsMember,
) -> None:
    served = as_member.served
    record = next(r for r in as_member.records if r["unexpected_account_ids"])
    named = record["unexpected_account_ids"][0]
    sent = len(served.emu.requests)

    result = served.apply(as_member.report, "--shared-account", named)

    assert result.exit_code == 0, result.stderr
    writes = served.writes(since=sent)
    assert {(w.account_id, w.image_id, w.shared_account_id) for w in writes} == {
        (as_member.member, r["image_id"], named)
        for r in as_member.records
        if named in r["unexpected_account_ids"]
    }


def test_the_management_account_is_never_unshared_whatever_the_report_says(
    as_member: AsMember,
) -> None:
    served = as_member.served
    management = served.emu.account_id
    record = next(r for r in as_member.records if r["unexpected_account_ids"])
    if management not in record["shared_account_ids"]:
        served.share_in(record, management)
        record["shared_account_ids"].append(management)
    record["share_classes"][management] = "external"
    record["unexpected_account_ids"].append(management)
    edited = write_jsonl(served.tmp_path / "management.jsonl", [record])
    sent = len(served.emu.requests)

    result = served.apply(edited, "--shared-account", management)

    assert result.exit_code == 0, result.stderr
    assert f"left alone: {management}: a member of your organization, read now" in result.stderr
    assert served.writes(since=sent) == []


def test_images_shared_into_the_audited_accounts_are_left_alone_with_why(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with serving(
        monkeypatch, tmp_path, organization_emulator(inbound_outside=1), organization=True
    ) as served:
        report = served.report("--inbound")
        inbound = [r for r in records_of(report.read_text()) if r.get("kind") == "inbound"]
        sent = len(served.emu.requests)

        dry = served.unshare(report, "--format", "json")
        applied = served.apply(report)

        assert inbound
        shared_in = {r["image_id"] for r in inbound if r["owner_class"] == "external"}
        assert shared_in
        assert not shared_in & set(planned(dry.stdout))
        for result in (dry, applied):
            assert (
                f"left alone: {len(inbound)} images shared into your accounts: an image shared "
                "into your account can only be unshared by its owner"
            ) in result.stderr
        assert not shared_in & {w.image_id for w in served.writes(since=sent)}
        assert applied.exit_code == 0, applied.stderr


# --- narrowing ---------------------------------------------------------------------------------


def test_image_narrows_the_plan_to_that_image(seen: Audited) -> None:
    (_, _, image), outside = next(iter(seen.served.outside_shares().items()))

    result = seen.served.unshare(seen.report, "--format", "json", "--image", image)

    assert planned(result.stdout) == {image: list(outside)}


def test_shared_account_narrows_the_plan_to_that_account_on_every_image(seen: Audited) -> None:
    shared_twice = next(
        a
        for a in {a for outside in seen.served.outside_shares().values() for a in outside}
        if sum(a in outside for outside in seen.served.outside_shares().values()) > 1
    )

    result = seen.served.unshare(seen.report, "--format", "json", "--shared-account", shared_twice)

    expected = {
        image: [shared_twice]
        for (_, _, image), outside in seen.served.outside_shares().items()
        if shared_twice in outside
    }
    assert len(expected) > 1
    assert planned(result.stdout) == expected


def test_account_narrows_the_plan_to_the_images_of_that_account(seen: Audited) -> None:
    outside = seen.served.outside_shares()
    owner = next(iter(outside))[0]

    result = seen.served.unshare(seen.report, "--format", "json", "--account", owner)

    expected = {image: list(shares) for (o, _, image), shares in outside.items() if o == owner}
    assert len({o for o, _, _ in outside}) > 1
    assert expected
    assert planned(result.stdout) == expected


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1"])
def test_region_narrows_the_plan_to_the_images_of_that_region(seen: Audited, region: str) -> None:
    outside = seen.served.outside_shares()

    result = seen.served.unshare(seen.report, "--format", "json", "--region", region)

    assert result.exit_code == 0, result.stderr
    assert planned(result.stdout) == {
        image: list(shares) for (_, r, image), shares in outside.items() if r == region
    }
    assert {r for _, r, _ in outside} == {"eu-west-1"}, "one region has shares outside, one not"


@pytest.mark.parametrize(
    ("option", "value"),
    [("--image", "wsi-notinthere"), ("--account", "999988887777"), ("--region", "ap-south-1")],
)
def test_narrowing_to_what_the_report_does_not_hold_is_a_usage_error_naming_it(
    seen: Audited, option: str, value: str
) -> None:
    sent = len(seen.served.emu.requests)

    result = seen.served.apply(seen.report, option, value, log="never.jsonl")

    assert result.exit_code == 2
    assert f"the report has no {option.removeprefix('--')} '{value}'" in result.stderr
    assert seen.served.emu.requests[sent:] == []
    assert not (seen.served.tmp_path / "never.jsonl").exists()


def test_image_and_account_together_plan_only_that_share(org: Served) -> None:
    report = org.report()
    (_, _, image), outside = next(
        (key, outside) for key, outside in org.outside_shares().items() if len(outside) > 1
    )
    sent = len(org.emu.requests)

    result = org.apply(report, "--image", image, "--shared-account", outside[1])

    assert result.exit_code == 0, result.stderr
    assert [(w.image_id, w.shared_account_id) for w in org.writes(since=sent)] == [
        (image, outside[1])
    ]


# --- the action log ----------------------------------------------------------------------------


def test_the_action_log_has_a_line_per_action_with_what_when_and_where(one: Served) -> None:
    report = one.report("--allowlist", str(allowlist_file(one)))
    plan = {(image, a) for image, outside in flagged_in(report).items() for a in outside}

    one.apply(report)

    actions = one.actions()
    assert {a["outcome"] for a in actions} == {"unshared", "verified"}
    assert {(a["image_id"], a["shared_account_id"]) for a in actions} == plan
    for action in actions:
        assert set(action) == {
            "time",
            "account_id",
            "region",
            "image_id",
            "shared_account_id",
            "outcome",
            "request_id",
            "error",
        }
        assert action["account_id"] == one.emu.account_id
        assert action["region"] == "us-east-1"
        assert datetime.strptime(action["time"], "%Y-%m-%dT%H:%M:%SZ")
    ids = [a["request_id"] for a in actions if a["outcome"] == "unshared"]
    assert len(ids) == len(plan) == len(set(ids))
    assert all(re.fullmatch(r"[0-9a-f-]{36}", request_id) for request_id in ids)


def test_a_rerun_appends_to_the_action_log(one: Served) -> None:
    report = one.report("--allowlist", str(allowlist_file(one)))
    one.apply(report)
    first = one.actions()

    one.apply(report)

    actions = one.actions()
    assert actions[: len(first)] == first
    assert {a["outcome"] for a in actions[len(first) :]} == {"already_done"}
    assert len(actions[len(first) :]) == sum(a["outcome"] == "verified" for a in first)


def test_a_failed_unshare_is_logged_with_its_error_and_request_id(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    owner = account_emulator().account_id
    with serving(
        monkeypatch, tmp_path, account_emulator(deny_writes=[owner]), organization=False
    ) as one:
        report = one.report("--allowlist", str(allowlist_file(one)))

        one.apply(report)

        failed = [a for a in one.actions() if a["outcome"] == "failed"]
        assert failed
        assert all(a["error"]["code"] == "AccessDeniedException" for a in failed)
        assert all(a["request_id"] for a in failed)


# --- confirmation ------------------------------------------------------------------------------


def test_on_a_terminal_answering_no_changes_nothing_and_exits_0(one: Served) -> None:
    report = one.report("--allowlist", str(allowlist_file(one)))
    sent = len(one.emu.requests)

    result = one.unshare(
        report,
        "--apply",
        "--action-log",
        str(one.tmp_path / "a.jsonl"),
        stdin=TerminalInput(b"n\n"),
    )

    assert result.exit_code == 0
    assert "declined: nothing was changed" in result.stderr
    assert one.writes(since=sent) == []
    assert not (one.tmp_path / "a.jsonl").exists()


def test_on_a_terminal_the_question_shows_the_count(one: Served) -> None:
    report = one.report("--allowlist", str(allowlist_file(one)))
    count = sum(len(outside) for outside in flagged_in(report).values())

    result = one.unshare(
        report,
        "--apply",
        "--action-log",
        str(one.tmp_path / "a.jsonl"),
        stdin=TerminalInput(b"n\n"),
    )

    assert f"Make {count} unshares on " in result.stderr


def test_on_a_terminal_answering_yes_applies(one: Served) -> None:
    report = one.report("--allowlist", str(allowlist_file(one)))

    result = one.unshare(
        report,
        "--apply",
        "--action-log",
        str(one.tmp_path / "a.jsonl"),
        stdin=TerminalInput(b"y\n"),
    )

    assert result.exit_code == 0, result.stderr
    assert flagged_in(one.report("--allowlist", str(allowlist_file(one)), name="after")) == {}


def test_apply_without_yes_on_a_stdin_that_is_no_terminal_is_refused_and_changes_nothing(
    one: Served,
) -> None:
    report = one.report("--allowlist", str(allowlist_file(one)))
    sent = len(one.emu.requests)

    result = one.unshare(
        report, "--apply", "--action-log", str(one.tmp_path / "a.jsonl"), stdin="n\n"
    )

    assert result.exit_code == 2
    assert "give --yes" in result.stderr
    assert one.emu.requests[sent:] == []
    assert not (one.tmp_path / "a.jsonl").exists()


def test_yes_applies_on_a_terminal_without_asking(one: Served) -> None:
    report = one.report("--allowlist", str(allowlist_file(one)))

    result = one.unshare(
        report, "--apply", "--yes", "--action-log", str(one.tmp_path / "a.jsonl"),
        stdin=TerminalInput(b""),
    )  # fmt: skip

    assert result.exit_code == 0, result.stderr
    assert "Make " not in result.stderr


# --- a malformed report ------------------------------------------------------------------------

GOOD = {
    "region": "us-east-1",
    "image_id": "wsi-abcdefghi",
    "shared_account_ids": ["111122223333"],
    "unexpected_account_ids": ["111122223333"],
    "pages": 1,
    "error": None,
}


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("{not json\n", "line 1"),
        (json.dumps(GOOD) + "\n[1, 2\n", "line 2"),
        ("\n\n" + json.dumps(GOOD) + "\n{not json\n", "line 4"),
        ("[" + json.dumps(GOOD) + ", 7]", "record 2"),
        (json.dumps({**GOOD, "region": None}) + "\n", "line 1"),
        (json.dumps({**GOOD, "region": "not a region"}) + "\n", "line 1"),
        (json.dumps({**GOOD, "image_id": ""}) + "\n", "line 1"),
        (json.dumps({**GOOD, "shared_account_ids": "111122223333"}) + "\n", "line 1"),
        (json.dumps({**GOOD, "shared_account_ids": ["1111"], "unexpected_account_ids": ["1111"]})
         + "\n", "line 1"),
        (json.dumps({**GOOD, "unexpected_account_ids": ["444455556666"]}) + "\n", "line 1"),
        (json.dumps({**GOOD, "account_id": "4444"}) + "\n", "line 1"),
        (json.dumps({**GOOD, "account_id": "444455556666", "share_classes": {}}) + "\n", "line 1"),
        (json.dumps({"kind": "scope", "account_id": "444455556666"}) + "\n", "line 1"),
    ],
    ids=[
        "not-json",
        "second-line-not-json",
        "after-blank-lines",
        "array-with-a-number",
        "no-region",
        "not-a-region",
        "empty-image-id",
        "accounts-not-a-list",
        "account-id-too-short",
        "unexpected-not-shared",
        "owner-not-an-account-id",
        "classes-missing",
        "scope-without-status",
    ],
)  # fmt: skip
def test_a_malformed_report_is_one_usage_line_naming_file_and_record_before_any_request(
    one: Served, text: str, where: str
) -> None:
    report = one.tmp_path / "report.jsonl"
    report.write_text(text)

    result = one.apply(report)

    assert result.exit_code == 2
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith(f"Error: {report}, {where}")
    assert one.emu.requests == []


def test_a_report_that_is_no_file_is_a_usage_error(one: Served) -> None:
    result = invoke("unshare", str(one.tmp_path / "missing.jsonl"))

    assert result.exit_code == 2
    assert "missing.jsonl" in result.stderr


def test_a_role_name_and_a_role_arn_together_are_a_usage_error(seen: Audited) -> None:
    result = seen.served.unshare(
        seen.report, "--role-name", "Audit", "--role-arn", "arn:aws:iam::{account_id}:role/A"
    )

    assert result.exit_code == 2
    assert "give --role-name or --role-arn, not both" in result.stderr


def test_credentials_aws_refuses_are_one_line_and_exit_3_before_any_write(
    one: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = one.report("--allowlist", str(allowlist_file(one)))
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
    sent = len(one.emu.requests)

    result = one.apply(report)

    assert result.exit_code == 3
    [line] = result.stderr.splitlines()
    assert "SignatureDoesNotMatch" in line
    assert one.writes(since=sent) == []


def test_a_failed_setup_leaves_no_action_log_behind(
    one: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = one.report("--allowlist", str(allowlist_file(one)))
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
    monkeypatch.chdir(one.tmp_path)

    result = one.unshare(report, "--apply", "--yes")

    assert result.exit_code == 3
    assert list(one.tmp_path.glob("imgperms-unshare-*.jsonl")) == []


def test_the_default_action_log_is_made_here_once_an_action_is_written(
    one: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = one.report("--allowlist", str(allowlist_file(one)))
    monkeypatch.chdir(one.tmp_path)

    result = one.unshare(report, "--apply", "--yes")

    assert result.exit_code == 0, result.stderr
    [log] = one.tmp_path.glob("imgperms-unshare-*.jsonl")
    assert re.fullmatch(r"imgperms-unshare-\d{8}T\d{6}Z\.jsonl", log.name)
    assert f"actions in {log.name}" in result.stderr
    assert {json.loads(line)["outcome"] for line in log.read_text().splitlines()} == {
        "unshared",
        "verified",
    }
