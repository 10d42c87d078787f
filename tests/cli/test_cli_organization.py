"""`imgperms audit --organization | --accounts-file | --account` and `imgperms demo --organization`
against the emulator's organization: the records, the table, the summary and every exit code."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientSession, web
from cli_support import Cli, serving_in_thread
from click.testing import Result
from organization_support import (
    ACCOUNTS,
    EVERYWHERE,
    FACTS,
    MANAGEMENT,
    MEMBERS,
    OPTED_OUT,
    SUSPENDED,
    organization,
)

from imgperms_async import _regions
from imgperms_async.cli import _progress
from imgperms_async.emulator import Emulator, ScopedTruth

pytestmark = pytest.mark.usefixtures("one_botocore_loader")


@pytest.fixture
def keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """The emulator's management keys (the same for every seed) and its first region in the
    environment, as ``imgperms emulator`` exports them."""
    credentials = organization().credentials
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", credentials.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", credentials.secret_key)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


@pytest.fixture
def org(keys: None) -> Iterator[Emulator]:
    with organization() as served:
        yield served


def audit(emu: Emulator, *args: str, regions: bool = True) -> Result:
    """``imgperms audit`` at the emulator, in every region it serves unless told otherwise."""
    where = [part for region in emu.regions for part in ("--region", region)] if regions else []
    return Cli(emu.endpoint_url)(
        "audit", "--endpoint-url", emu.endpoint_url, "--no-progress", "--max-rate", "10000",
        *where, *args,
    )  # fmt: skip


def active_images(truth: ScopedTruth) -> dict[tuple[str, str, str], tuple[str, ...]]:
    assert truth.organization is not None
    return {
        (account.account_id, region, image): shares
        for account in truth.organization.accounts
        if account.status == "ACTIVE"
        for region, images in truth.images[account.account_id].items()
        for image, shares in images.items()
    }


def image_records(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in records if r.get("kind") != "scope"]


def scope_records(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in records if r.get("kind") == "scope"]


def by_image(records: list[dict[str, Any]]) -> dict[tuple[str, str, str], tuple[str, ...]]:
    found = {
        (r["account_id"], r["region"], r["image_id"]): tuple(r["shared_account_ids"])
        for r in image_records(records)
    }
    assert len(found) == len(image_records(records)), "an image was written twice"
    return found


def outsiders(truth: ScopedTruth) -> list[str]:
    shared = {a for shares in active_images(truth).values() for a in shares}
    return sorted(shared - set(ACCOUNTS))


def allowlist_of_every_outsider(emu: Emulator, tmp_path: Path) -> str:
    path = tmp_path / "partners.txt"
    path.write_text("\n".join(outsiders(emu.scoped_truth)) + "\n")
    return str(path)


def one_error_line(result: Result) -> str:
    lines = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1, result.stderr
    return lines[0]


# -- records -----------------------------------------------------------------------------------


def test_json_records_carry_the_owner_its_name_and_each_shares_class(org: Emulator) -> None:
    result = audit(org, "--organization", "--format", "json")

    records = json.loads(result.stdout)
    assert by_image(records) == active_images(org.scoped_truth)
    for record in image_records(records):
        assert record["account_name"] == ACCOUNTS[record["account_id"]].name
        classes = {
            account: "organization" if account in ACCOUNTS else "external"
            for account in record["shared_account_ids"]
        }
        assert record["share_classes"] == classes
        assert record["unexpected_account_ids"] == [
            a for a in record["shared_account_ids"] if classes[a] == "external"
        ]
        assert record["error"] is None


def test_json_has_a_scope_record_for_each_account_or_region_not_audited(keys: None) -> None:
    denied = next(m for m in MEMBERS if m != OPTED_OUT)
    with organization(deny_role=[denied]) as emu:
        result = audit(emu, "--organization", "--format", "json")

    scopes = {(r["account_id"], r["region"]): r for r in scope_records(json.loads(result.stdout))}
    assert set(scopes) == {(denied, None), (SUSPENDED, None), (OPTED_OUT, "af-south-1")}
    failed = scopes[denied, None]
    assert failed == {
        "kind": "scope",
        "account_id": denied,
        "account_name": ACCOUNTS[denied].name,
        "region": None,
        "status": "failed",
        "error": {"code": "AccessDenied", "message": failed["error"]["message"]},
    }
    assert emu.role_arn(denied) in failed["error"]["message"]
    assert scopes[SUSPENDED, None]["status"] == "skipped"
    assert scopes[SUSPENDED, None]["error"] is None
    assert scopes[OPTED_OUT, "af-south-1"]["status"] == "not_enabled"


def test_jsonl_writes_each_image_and_scope_a_line(org: Emulator) -> None:
    result = audit(org, "--organization", "--format", "jsonl")

    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert by_image(records) == active_images(org.scoped_truth)
    assert {(r["account_id"], r["region"], r["status"]) for r in scope_records(records)} == {
        (SUSPENDED, None, "skipped"),
        (OPTED_OUT, "af-south-1", "not_enabled"),
    }
    assert all("share_classes" in r and "account_name" in r for r in image_records(records))


def test_csv_has_the_organization_header_a_row_per_share_and_one_per_failed_scope(
    keys: None,
) -> None:
    denied = MEMBERS[0]
    with organization(deny_role=[denied]) as emu:
        result = audit(emu, "--organization", "--format", "csv")

    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert result.stdout.splitlines()[0] == (
        "account_id,region,image_id,shared_account_id,class,unexpected,error_code"
    )
    rebuilt: dict[tuple[str, str, str], tuple[str, ...]] = {}
    for row in rows:
        if row["image_id"]:
            key = (row["account_id"], row["region"], row["image_id"])
            rebuilt.setdefault(key, ())
            if row["shared_account_id"]:
                rebuilt[key] = (*rebuilt[key], row["shared_account_id"])
                member = row["shared_account_id"] in ACCOUNTS
                assert row["class"] == ("organization" if member else "external")
                assert row["unexpected"] == ("false" if member else "true")
    expected = {k: v for k, v in active_images(emu.scoped_truth).items() if k[0] != denied}
    assert rebuilt == expected
    assert [r for r in rows if not r["image_id"]] == [
        {"account_id": denied, "region": "", "image_id": "", "shared_account_id": "",
         "class": "", "unexpected": "", "error_code": "AccessDenied"},
    ]  # fmt: skip


def test_the_table_marks_shares_outside_and_allowlisted_ones(org: Emulator) -> None:
    truth = active_images(org.scoped_truth)
    image, shares = next((k, v) for k, v in truth.items() if len(set(v) - set(ACCOUNTS)) >= 2)
    allowed, *outside = [a for a in shares if a not in ACCOUNTS]

    result = audit(org, "--account", image[0], "--allow-account", allowed)

    assert f"+{allowed}" in result.stdout
    assert f"!{outside[0]}" in result.stdout
    assert "FLAGGED" in result.stdout


def test_the_table_groups_the_images_by_account(org: Emulator) -> None:
    result = audit(org, "--organization")

    owners = [
        found[1]
        for line in result.stdout.splitlines()
        if (found := re.match(r"│ ([0-9]{12})", line)) is not None
    ]
    runs = [owner for n, owner in enumerate(owners) if n == 0 or owners[n - 1] != owner]
    assert len(runs) == len(set(runs)) > 1, "each account's rows come together"
    assert runs == sorted(runs)
    assert result.stdout.count("├") >= len(runs) - 1


# -- exit codes --------------------------------------------------------------------------------


def test_a_share_outside_the_organization_exits_1(org: Emulator) -> None:
    result = audit(org, "--organization", "--format", "json")

    assert result.exit_code == 1
    assert any(r["unexpected_account_ids"] for r in image_records(json.loads(result.stdout)))


def test_members_and_allowlisted_only_exit_0_despite_skipped_and_not_enabled_scopes(
    org: Emulator, tmp_path: Path
) -> None:
    partners = allowlist_of_every_outsider(org, tmp_path)

    result = audit(org, "--organization", "--allowlist", partners, "--format", "json")

    records = json.loads(result.stdout)
    assert result.exit_code == 0, result.stderr
    assert {r["status"] for r in scope_records(records)} == {"skipped", "not_enabled"}
    classes = {c for r in image_records(records) for c in r["share_classes"].values()}
    assert classes == {"organization", "allowlisted"}


def test_a_failed_scope_exits_3(keys: None, tmp_path: Path) -> None:
    with organization(deny_role=[MEMBERS[0]]) as emu:
        result = audit(
            emu, "--organization", "--allowlist", allowlist_of_every_outsider(emu, tmp_path)
        )

    assert result.exit_code == 3


def test_a_failed_image_exits_3(keys: None, tmp_path: Path) -> None:
    image = next(iter(FACTS.images[MEMBERS[0]]["us-east-1"]))
    with organization(deny_images=[image]) as emu:
        result = audit(
            emu, "--organization", "--allowlist", allowlist_of_every_outsider(emu, tmp_path),
            "--format", "json",
        )  # fmt: skip

    [failed] = [r for r in image_records(json.loads(result.stdout)) if r["error"]]
    assert (failed["image_id"], failed["error"]["code"]) == (image, "AccessDeniedException")
    assert result.exit_code == 3


def test_a_share_outside_wins_over_a_failure(keys: None) -> None:
    with organization(deny_role=[MEMBERS[0]]) as emu:
        result = audit(emu, "--organization")

    assert result.exit_code == 1


@contextmanager
def listing_refused_in(emu: Emulator, region: str) -> Iterator[str]:
    """A proxy to ``emu`` that refuses every DescribeWorkspaceImages in ``region``."""

    async def forward(request: web.Request) -> web.Response:
        body = await request.read()
        target = request.headers.get("X-Amz-Target", "")
        if target.endswith("DescribeWorkspaceImages") and f"/{region}/" in request.headers.get(
            "Authorization", ""
        ):
            return web.json_response(
                {"__type": "AccessDeniedException", "message": "listing refused"},
                status=400,
                content_type="application/x-amz-json-1.1",
            )
        async with (
            ClientSession() as session,
            session.post(emu.endpoint_url + "/", headers=request.headers, data=body) as answer,
        ):
            headers = {
                k: v
                for k, v in answer.headers.items()
                if k.lower() not in ("content-length", "transfer-encoding", "connection")
            }
            return web.Response(status=answer.status, body=await answer.read(), headers=headers)

    application = web.Application()
    application.router.add_post("/", forward)
    with serving_in_thread(application) as url:
        yield url


def test_a_region_whose_listing_fails_is_a_record_a_row_and_a_summary_line(
    org: Emulator, tmp_path: Path
) -> None:
    member = MEMBERS[0]
    partners = allowlist_of_every_outsider(org, tmp_path)
    with listing_refused_in(org, "eu-west-1") as url:
        outputs = {
            form: Cli(url)(
                "audit", "--endpoint-url", url, "--no-progress", "--max-rate", "10000",
                "--account", member, "--region", "us-east-1", "--region", "eu-west-1",
                "--allowlist", partners, "--format", form,
            )
            for form in ("json", "csv", "table")
        }  # fmt: skip

    [scope] = scope_records(json.loads(outputs["json"].stdout))
    assert scope == {
        "kind": "scope", "account_id": member, "account_name": ACCOUNTS[member].name,
        "region": "eu-west-1", "status": "failed",
        "error": {"code": "AccessDeniedException", "message": "listing refused"},
    }  # fmt: skip
    assert f"{member},eu-west-1,,,,,AccessDeniedException" in outputs["csv"].stdout.splitlines()
    assert "AccessDeniedException" in outputs["table"].stdout
    assert (
        f"error: account {member} ({ACCOUNTS[member].name}), eu-west-1: "
        "AccessDeniedException: listing refused"
    ) in outputs["table"].stderr.splitlines()
    assert {result.exit_code for result in outputs.values()} == {3}


# -- the summary -------------------------------------------------------------------------------


def test_the_summary_counts_each_account_and_says_why_scopes_were_not_audited(
    keys: None,
) -> None:
    denied = next(m for m in MEMBERS if m != OPTED_OUT)
    with organization(deny_role=[denied]) as emu:
        result = audit(emu, "--organization", "--format", "json")

    records = image_records(json.loads(result.stdout))
    lines = result.stderr.splitlines()
    flagged_owners = {r["account_id"] for r in records if r["unexpected_account_ids"]}
    for owner in flagged_owners:
        mine = [r for r in records if r["account_id"] == owner]
        shared = sum(1 for r in mine if r["shared_account_ids"])
        outside = sum(1 for r in mine if r["unexpected_account_ids"])
        assert (
            f"account {owner} ({ACCOUNTS[owner].name}): {len(mine)} images, {shared} shared, "
            f"{outside} shared outside, 0 errors"
        ) in lines
    assert (
        f"skipped: account {SUSPENDED} ({ACCOUNTS[SUSPENDED].name}), every region: "
        "not ACTIVE in the organization"
    ) in lines
    [denial] = [line for line in lines if line.startswith(f"error: account {denied}")]
    assert denial.startswith(
        f"error: account {denied} ({ACCOUNTS[denied].name}), every region: AccessDenied: User: "
    )
    assert (
        "not enabled: 1 (account, region) pair in 1 account (an opt-in region the account has "
        "not enabled: nothing there to audit)"
    ) in lines


def test_a_role_that_cannot_be_assumed_is_one_summary_line_and_no_traceback(keys: None) -> None:
    with organization(deny_role=[MEMBERS[0]]) as emu:
        result = audit(emu, "--organization")

    assert "Traceback" not in result.stderr
    assert "WARNING" not in result.stderr
    assert len([line for line in result.stderr.splitlines() if MEMBERS[0] in line]) == 1


def test_the_summary_names_the_accounts_and_regions_audited(org: Emulator) -> None:
    result = audit(org, "--organization")

    active = len(MEMBERS) + 1
    assert re.search(
        rf"audited {len(active_images(org.scoped_truth))} images in {active} accounts, 3 regions: ",
        result.stderr,
    )


def test_progress_counts_accounts_and_regions_done_of_all_and_the_images(
    org: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "120")

    result = audit(org, "--organization", "--progress")

    active = len(MEMBERS) + 1
    scopes = active * len(org.regions)
    assert "auditing scopes" in result.stderr
    assert f"{scopes}/{scopes}" in result.stderr
    assert f"{active}/{active} accounts" in result.stderr
    assert f"{len(MEMBERS)} roles assumed" in result.stderr
    assert f"{len(active_images(org.scoped_truth))} images" in result.stderr


def test_a_progress_bar_at_80_columns_keeps_the_count_of_scopes_done(
    org: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")

    result = audit(org, "--organization", "--progress")

    scopes = (len(MEMBERS) + 1) * len(org.regions)
    [last] = [line for line in result.stderr.split("\r") if "auditing scopes" in line][-1:]
    assert f"{scopes}/{scopes}" in last
    assert "images" in last


def test_without_a_terminal_progress_is_a_line_now_and_then_not_a_bar(org: Emulator) -> None:
    result = Cli(org.endpoint_url)(
        "audit", "--endpoint-url", org.endpoint_url, "--region", "us-east-1", "--organization",
        "--max-rate", "10000",
    )  # fmt: skip

    assert "\x1b" not in result.stderr
    assert "auditing scopes" not in result.stderr, "a run shorter than 10 s writes no line"


def test_without_a_terminal_a_slow_listing_says_how_many_accounts_it_has_read(
    keys: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """5,000 accounts are 250 pages read one after another before the first scope: the log says
    how far the listing has come, though no result comes meanwhile."""
    monkeypatch.setattr(_progress, "REFRESH_EVERY_SECS", 0.01)
    monkeypatch.setattr(_progress, "LOG_EVERY_SECS", 0.0)
    with organization(latency=0.2, images=1) as emu:
        result = Cli(emu.endpoint_url)(
            "audit", "--endpoint-url", emu.endpoint_url, "--region", "us-east-1",
            "--organization", "--max-rate", "10000",
        )  # fmt: skip

    listing = emu.scoped_truth.organization
    assert listing is not None
    assert f"progress: listing accounts {len(listing.accounts)}\n" in result.stderr


# -- where the accounts come from --------------------------------------------------------------


def test_accounts_from_a_c7n_org_file_and_one_by_one(keys: None, tmp_path: Path) -> None:
    needs, plain, extra = MEMBERS[0], MEMBERS[1], MEMBERS[2]
    accounts = tmp_path / "accounts.yml"
    with organization(external_id_role=[needs]) as emu:
        accounts.write_text(
            "accounts:\n"
            f"  - account_id: '{needs}'\n    name: alpha\n    external_id: {emu.external_id}\n"
            f"  - account_id: '{plain}'\n    regions: [eu-west-1]\n"
        )
        result = audit(
            emu, "--accounts-file", str(accounts), "--account", extra, "--format", "json"
        )

    records = json.loads(result.stdout)
    truth = active_images(emu.scoped_truth)
    expected = {
        key: shares
        for key, shares in truth.items()
        if key[0] in (needs, extra) or (key[0] == plain and key[1] == "eu-west-1")
    }
    assert by_image(records) == expected
    assert {r["account_name"] for r in image_records(records) if r["account_id"] == needs} == {
        "alpha"
    }
    assert scope_records(records) == [] or all(
        r["status"] == "not_enabled" for r in scope_records(records)
    )


def test_a_role_needing_an_external_id_is_audited_with_external_id(keys: None) -> None:
    needs = MEMBERS[0]
    with organization(external_id_role=[needs]) as emu:
        refused = audit(emu, "--account", needs, "--format", "json")
        admitted = audit(
            emu, "--account", needs, "--external-id", str(emu.external_id), "--format", "json"
        )

    assert refused.exit_code == 3
    assert [r["status"] for r in scope_records(json.loads(refused.stdout))] == ["failed"]
    assert by_image(json.loads(admitted.stdout)) == {
        k: v for k, v in active_images(emu.scoped_truth).items() if k[0] == needs
    }


def test_the_role_is_named_or_templated(keys: None) -> None:
    with organization(role_name="AuditRole") as emu:
        named = audit(emu, "--account", MEMBERS[0], "--role-name", "AuditRole", "--format", "json")
        templated = audit(
            emu, "--account", MEMBERS[0], "--role-arn",
            "arn:{partition}:iam::{account_id}:role/AuditRole", "--format", "json",
        )  # fmt: skip
        default = audit(emu, "--account", MEMBERS[0], "--format", "json")

    expected = {k: v for k, v in active_images(emu.scoped_truth).items() if k[0] == MEMBERS[0]}
    assert by_image(json.loads(named.stdout)) == expected
    assert by_image(json.loads(templated.stdout)) == expected
    assert [r["error"]["code"] for r in scope_records(json.loads(default.stdout))] == [
        "AccessDenied"
    ]


def test_without_a_configured_region_the_first_region_given_is_home(
    org: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION")

    result = audit(
        org, "--organization", "--region", "eu-west-1", "--format", "json", regions=False
    )

    assert result.exit_code == 1, result.stderr
    assert by_image(json.loads(result.stdout)) == {
        k: v for k, v in active_images(org.scoped_truth).items() if k[1] == "eu-west-1"
    }


def test_all_regions_audits_every_workspaces_region_each_account_enabled(org: Emulator) -> None:
    result = audit(org, "--organization", "--all-regions", "--format", "jsonl", regions=False)

    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert by_image(records) == active_images(org.scoped_truth)
    not_enabled = {(r["account_id"], r["region"]) for r in scope_records(records)} - {
        (SUSPENDED, None)
    }
    assert (OPTED_OUT, "af-south-1") in not_enabled
    assert {region for _, region in not_enabled} > {"af-south-1"}, "and the emulator's unserved"


@pytest.fixture
def botocore_without_eu_west_1(monkeypatch: pytest.MonkeyPatch) -> None:
    """A botocore whose data lists WorkSpaces everywhere but in eu-west-1, as a botocore older
    than a WorkSpaces region does."""
    known = _regions._workspaces_regions()
    fewer = {p: tuple(r for r in regions if r != "eu-west-1") for p, regions in known.items()}
    monkeypatch.setattr(_regions, "_workspaces_regions", lambda: fewer)


@pytest.mark.usefixtures("botocore_without_eu_west_1")
def test_all_regions_names_each_enabled_region_where_botocore_knows_no_workspaces(
    org: Emulator,
) -> None:
    result = audit(org, "--organization", "--all-regions", regions=False)

    (line,) = [line for line in result.stderr.splitlines() if line.startswith("not offered:")]
    assert "WorkSpaces does not run in 1 region the accounts enabled" in line
    assert line.endswith("none was audited there: eu-west-1 (a newer botocore knows newer ones)")


@pytest.mark.usefixtures("botocore_without_eu_west_1")
def test_regions_named_one_by_one_leave_none_out_unnamed(org: Emulator) -> None:
    result = audit(org, "--organization", "--region", "us-east-1", regions=False)

    assert "not offered:" not in result.stderr


# -- usage errors ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--organization", "wsi-aaaaaaaaa"], "give no IMAGE_ID"),
        (["--organization", "--all"], "give no IMAGE_ID, --images-file or --all"),
        (["--account", "123456789012", "--images-file", "-"], "--images-file"),
        (["--organization", "--images-file", "-"], "give no IMAGE_ID, --images-file or --all"),
        (
            ["--organization", "--role-name", "A", "--role-arn", "arn:aws:iam::{account_id}:role/A"],
            "give --role-name or --role-arn, not both",
        ),
        (["--all", "--role-name", "Audit"], "are for audits of accounts"),
        (["--all", "--external-id", "secret"], "are for audits of accounts"),
        (["--organization", "--role-arn", "arn:aws:iam::123456789012:role/Audit"],
         "does not give a role in each account"),
        (["--organization", "--role-arn", "arn:aws:iam::{account}:role/Audit"],
         "does not give a role in each account"),
        (["--account", "12345"], "'12345' (--account) is not an AWS account id"),
    ],
    ids=["image-id", "all", "images-file", "organization-images-file", "both-roles",
         "role-alone", "external-id-alone", "template-one-account", "template-unknown-field",
         "bad-account"],
)  # fmt: skip
def test_a_usage_error_is_one_line_and_sends_no_request(
    org: Emulator, args: list[str], named: str
) -> None:
    result = audit(org, *args)

    assert result.exit_code == 2, result.output
    assert named in one_error_line(result)
    assert "Traceback" not in result.output
    assert org.requests == []


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--organization"], "needs --all-regions or --region"),
        (["--organization", "--all-regions", "--region", "us-east-1"], "not both"),
    ],
    ids=["no-region", "both"],
)
def test_the_regions_of_an_organization_audit_are_asked_for(
    org: Emulator, args: list[str], named: str
) -> None:
    result = audit(org, *args, regions=False)

    assert result.exit_code == 2
    assert named in one_error_line(result)
    assert org.requests == []


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("123456789012\n\n12345  # typo\n", "line 3: '12345' is not an AWS account id"),
        (
            "accounts:\n  - account_id: '123456789012'\n  - account_id: 210987654321\n",
            "line 3: account_id 210987654321 is not an AWS account id (12 digits, quoted so "
            "YAML keeps it a string)",
        ),
        (
            "accounts:\n  - account_id: '123456789012'\n    regions: [us-east-1, EU-WEST-1]\n",
            "line 2: region 'EU-WEST-1'",
        ),
    ],
    ids=["plain-line", "unquoted-entry", "region"],
)
def test_a_malformed_accounts_file_is_named_with_its_line_or_entry(
    org: Emulator, tmp_path: Path, text: str, named: str
) -> None:
    accounts = tmp_path / "accounts.yml"
    accounts.write_text(text)

    result = audit(org, "--accounts-file", str(accounts))

    assert result.exit_code == 2
    assert f"{accounts}, {named}" in one_error_line(result)
    assert len(result.stderr.strip().splitlines()) == 1
    assert org.requests == []


@pytest.mark.parametrize(
    ("text", "named"),
    [
        (f"accounts:\n  - account_id: '{MEMBERS[0]}'\n  - account_id: '{MEMBERS[1]}'\n"
         f"  - account_id: '{MEMBERS[0]}'\n    name: again\n",
         f"line 4: account {MEMBERS[0]} is already on line 2"),
        (f"{MEMBERS[0]}\n{MEMBERS[1]}\n\n{MEMBERS[0]}  # again\n",
         f"line 4: account {MEMBERS[0]} is already on line 1"),
        (f"accounts:\n  - account_id: '{MEMBERS[0]}'\n    regoins: [us-east-1]\n",
         "line 2: unknown key 'regoins'"),
    ],
    ids=["yaml-duplicate", "plain-duplicate", "unknown-key"],
)  # fmt: skip
def test_an_accounts_file_that_would_audit_the_wrong_thing_is_refused_naming_its_lines(
    org: Emulator, tmp_path: Path, text: str, named: str
) -> None:
    accounts = tmp_path / "accounts.yml"
    accounts.write_text(text)

    result = audit(org, "--accounts-file", str(accounts))

    assert result.exit_code == 2
    assert f"{accounts}, {named}" in one_error_line(result)
    assert org.requests == []


def test_a_c7n_org_accounts_file_with_a_role_chain_a_profile_and_vars_is_followed(
    keys: None, tmp_path: Path
) -> None:
    """The chain is followed hop by hop, each signed by the session before it; the emulator's
    roles trust only the management account (as Organizations creates them), so its last hop
    is refused, which is that account's failure alone."""
    first, chained = EVERYWHERE[0], next(m for m in MEMBERS if m != EVERYWHERE[0])
    with organization() as emu:
        (tmp_path / "aws-config").write_text(
            "[profile management]\n"
            f"aws_access_key_id = {emu.credentials.access_key}\n"
            f"aws_secret_access_key = {emu.credentials.secret_key}\n"
        )
        accounts = tmp_path / "accounts.yml"
        accounts.write_text(
            "# the accounts c7n-org runs against\n"
            "---\n"
            "vars:\n"
            "  charge_code: sec-42\n"
            "accounts:\n"
            f"  - account_id: '{chained}'\n"
            "    name: chained\n"
            "    role:\n"
            f"      - {emu.role_arn(first)}\n"
            f"      - {emu.role_arn(chained)}\n"
            "    regions: [us-east-1]\n"
            "    vars:\n"
            "      owner: team-a\n"
            f"  - account_id: '{MANAGEMENT}'  # reached with its own profile, no role\n"
            "    profile: management\n"
        )
        result = audit(emu, "--accounts-file", str(accounts), "--format", "json")
        assumed = [(r.access_key, r.role_arn) for r in emu.requests if r.operation == "AssumeRole"]

    records = json.loads(result.stdout)
    assert by_image(records) == {
        key: shares
        for key, shares in active_images(emu.scoped_truth).items()
        if key[0] == MANAGEMENT
    }
    [refused] = scope_records(records)
    assert (refused["account_id"], refused["account_name"]) == (chained, "chained")
    assert refused["error"]["code"] == "AccessDenied"
    assert f"arn:aws:sts::{first}:assumed-role/" in refused["error"]["message"]
    assert [role for _, role in assumed] == [emu.role_arn(first), emu.role_arn(chained)]
    assert assumed[0][0] == emu.credentials.access_key
    assert str(assumed[1][0]).startswith("ASIA"), "the second hop is signed by the first's session"


@pytest.mark.parametrize("given", ["--account", "--accounts-file"])
def test_the_whole_organization_or_accounts_given_not_both(
    org: Emulator, tmp_path: Path, given: str
) -> None:
    accounts = tmp_path / "accounts.txt"
    accounts.write_text(f"{MEMBERS[0]}\n")
    value = MEMBERS[0] if given == "--account" else str(accounts)

    result = audit(org, "--organization", given, value)

    assert result.exit_code == 2
    assert given in one_error_line(result)
    assert org.requests == []


def test_an_accounts_file_that_names_no_account_is_a_usage_error(
    org: Emulator, tmp_path: Path
) -> None:
    accounts = tmp_path / "accounts.txt"
    accounts.write_text("# nobody yet\n")

    result = audit(org, "--accounts-file", str(accounts))

    assert result.exit_code == 2
    assert str(accounts) in one_error_line(result)


def test_an_empty_accounts_file_with_allow_empty_is_a_clean_audit_of_nothing(
    org: Emulator, tmp_path: Path
) -> None:
    accounts = tmp_path / "accounts.txt"
    accounts.write_text("# nobody yet\n")

    result = audit(org, "--accounts-file", str(accounts), "--allow-empty", "--format", "json")

    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == []
    assert [r for r in org.requests if r.service == "workspaces"] == []


# -- the demo ----------------------------------------------------------------------------------


def test_demo_organization_exits_0_and_lists_the_flagged_images() -> None:
    result = Cli("")("demo", "--organization", "--no-progress", "--images", "3")

    assert result.exit_code == 0, result.stderr
    assert "FLAGGED" in result.stdout
    assert "outside the organization" in result.stdout
    assert re.search(
        r"audited \d+ images in \d+ accounts, 3 regions: \d+ shared, [1-9]", result.stderr
    )
    assert "skipped: account" in result.stderr
