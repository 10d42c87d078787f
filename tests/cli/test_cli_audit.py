"""`imgperms audit` against the emulator: formats checked against its truth, and each exit code."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from cli_support import Cli, closed_port_url, redirecting_server
from click.testing import Result

from imgperms_async.emulator import Emulator


def shares_of(records: list[dict[str, object]]) -> dict[str, tuple[str, ...]]:
    return {str(r["image_id"]): tuple(r["shared_account_ids"]) for r in records}  # type: ignore[call-overload]


def test_json_output_is_one_array_matching_the_emulator(
    cli: Cli, threaded_emulator: Emulator
) -> None:
    result = cli.audit("--all", "--format", "json")

    records = json.loads(result.stdout)
    assert result.exit_code == 0
    assert shares_of(records) == dict(threaded_emulator.truth)
    assert all(r["region"] == "us-east-1" and r["error"] is None for r in records)
    assert all(r["unexpected_account_ids"] == [] for r in records)


def test_json_record_has_exactly_the_contract_fields(cli: Cli, threaded_emulator: Emulator) -> None:
    image_id = threaded_emulator.owned_image_ids[0]

    [record] = json.loads(cli.audit(image_id, "--format", "json").stdout)

    assert record == {
        "region": "us-east-1",
        "image_id": image_id,
        "shared_account_ids": list(threaded_emulator.truth[image_id]),
        "unexpected_account_ids": [],
        "pages": record["pages"],
        "error": None,
    }
    assert record["pages"] >= 1


def test_jsonl_output_is_one_record_a_line_matching_the_emulator(
    cli: Cli, threaded_emulator: Emulator
) -> None:
    result = cli.audit("--all", "--format", "jsonl")

    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert shares_of(records) == dict(threaded_emulator.truth)
    assert len(records) == len(threaded_emulator.truth)


def test_csv_has_a_row_per_shared_account_and_one_per_private_image(
    cli: Cli, threaded_emulator: Emulator
) -> None:
    result = cli.audit("--all", "--format", "csv")

    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == ["region", "image_id", "shared_account_id", "unexpected", "error_code"]
    rebuilt: dict[str, tuple[str, ...]] = {}
    for row in rows:
        accounts = rebuilt.setdefault(row["image_id"], ())
        if row["shared_account_id"]:
            rebuilt[row["image_id"]] = (*accounts, row["shared_account_id"])
    assert rebuilt == dict(threaded_emulator.truth)
    private = [image for image, shared in threaded_emulator.truth.items() if not shared]
    assert sorted(r["image_id"] for r in rows if not r["shared_account_id"]) == sorted(private)


def test_table_marks_flagged_accounts_and_ends_with_a_summary(
    cli: Cli, threaded_emulator: Emulator
) -> None:
    image_id = next(image for image, shared in threaded_emulator.truth.items() if len(shared) == 2)
    allowed, unexpected = threaded_emulator.truth[image_id]

    result = cli.audit(image_id, "--allow-account", allowed)

    assert f"!{unexpected}" in result.stdout
    assert f"!{allowed}" not in result.stdout
    assert "FLAGGED" in result.stdout
    assert "1 image: 1 shared, 1 flagged, 0 errors" in result.stdout


def test_account_outside_the_allowlist_is_flagged_with_exit_1(
    cli: Cli, threaded_emulator: Emulator
) -> None:
    image_id = next(image for image, shared in threaded_emulator.truth.items() if len(shared) >= 2)
    allowed, *unexpected = threaded_emulator.truth[image_id]

    result = cli.audit(image_id, "--allow-account", allowed, "--format", "json")

    [record] = json.loads(result.stdout)
    assert result.exit_code == 1
    assert record["unexpected_account_ids"] == unexpected


def test_every_share_inside_the_allowlist_exits_0(
    cli: Cli, threaded_emulator: Emulator, tmp_path: Path
) -> None:
    allowlist = tmp_path / "allowed.txt"
    accounts = sorted({a for shared in threaded_emulator.truth.values() for a in shared})
    allowlist.write_text("# our accounts\n\n" + "\n".join(f"{a}  # team" for a in accounts) + "\n")

    result = cli.audit("--all", "--allowlist", str(allowlist), "--format", "json")

    assert result.exit_code == 0
    assert all(r["unexpected_account_ids"] == [] for r in json.loads(result.stdout))


def test_malformed_allowlist_line_is_a_usage_error_naming_file_and_line(
    cli: Cli, tmp_path: Path
) -> None:
    allowlist = tmp_path / "allowed.txt"
    allowlist.write_text("# ok\n123456789012\n12345\n")

    result = cli.audit("--all", "--allowlist", str(allowlist))

    assert result.exit_code == 2
    assert f"{allowlist}, line 3" in result.stderr
    assert "'12345'" in result.stderr


def test_malformed_allow_account_is_a_usage_error(cli: Cli) -> None:
    result = cli.audit("--all", "--allow-account", "not-an-account")

    assert result.exit_code == 2
    assert "'not-an-account' (--allow-account) is not an AWS account id" in result.stderr


def test_image_ids_are_read_from_stdin(cli: Cli, threaded_emulator: Emulator) -> None:
    wanted = threaded_emulator.owned_image_ids[:5]
    stdin = "# from a pipe\n\n" + "\n".join(wanted) + "\n"

    result = cli.audit("--images-file", "-", "--format", "json", stdin=stdin)

    assert shares_of(json.loads(result.stdout)) == {i: threaded_emulator.truth[i] for i in wanted}


def test_unreadable_images_file_is_a_usage_error(cli: Cli, tmp_path: Path) -> None:
    result = cli.audit("--images-file", str(tmp_path / "missing.txt"))

    assert result.exit_code == 2
    assert "missing.txt" in result.stderr


def test_nothing_to_audit_is_a_usage_error(cli: Cli) -> None:
    result = cli.audit()

    assert result.exit_code == 2
    assert "nothing to audit" in result.stderr


def test_two_regions_are_audited_and_tagged(emulator_keys: dict[str, str]) -> None:
    with Emulator(images=40, seed=7, regions=["us-east-1", "eu-west-1"]) as emulator:
        result = Cli(emulator.endpoint_url)(
            "audit", "--all", "--endpoint-url", emulator.endpoint_url, "--no-progress",
            "--region", "us-east-1", "--region", "eu-west-1", "--format", "json",
        )  # fmt: skip
        truth = emulator.scoped_truth.images[emulator.account_id]

    records = json.loads(result.stdout)
    for region in ("us-east-1", "eu-west-1"):
        in_region = [r for r in records if r["region"] == region]
        assert shares_of(in_region) == dict(truth[region])


def test_all_regions_audits_every_region_the_account_has_enabled(
    emulator_keys: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with Emulator(images=10, seed=7, regions=["us-east-1", "eu-west-1"]) as emulator:
        result = Cli(emulator.endpoint_url)(
            "audit", "--all", "--all-regions", "--endpoint-url", emulator.endpoint_url,
            "--no-progress", "--format", "json",
        )  # fmt: skip
        truth = emulator.scoped_truth.images[emulator.account_id]

    records = json.loads(result.stdout)
    images = [r for r in records if "image_id" in r]
    assert {r["region"] for r in images} == {"us-east-1", "eu-west-1"}
    for region in ("us-east-1", "eu-west-1"):
        assert shares_of([r for r in images if r["region"] == region]) == dict(truth[region])
    assert {r["status"] for r in records if r.get("kind") == "scope"} == {"not_enabled"}
    assert result.exit_code == 0, result.stderr


def test_invalid_ids_are_listed_and_the_rest_audited_with_exit_3(
    cli: Cli, threaded_emulator: Emulator
) -> None:
    good = threaded_emulator.owned_image_ids[0]

    result = cli.audit(good, "not-an-image", "wsi-UPPER", "--format", "json")

    records = {r["image_id"]: r for r in json.loads(result.stdout)}
    assert result.exit_code == 3
    assert records[good]["error"] is None
    assert records["not-an-image"]["error"]["code"] == "ParamValidationError"
    assert "invalid image ids, not audited: not-an-image, wsi-UPPER" in result.stderr


def test_unknown_image_is_reported_with_the_service_error_code(cli: Cli) -> None:
    result = cli.audit("wsi-000000000", "--format", "json", "--max-attempts", "1")

    [record] = json.loads(result.stdout)
    assert result.exit_code == 3
    assert record["error"]["code"] == "ResourceNotFoundException"


def test_flagged_wins_over_could_not_audit(cli: Cli, threaded_emulator: Emulator) -> None:
    image_id = next(image for image, shared in threaded_emulator.truth.items() if shared)

    result = cli.audit(image_id, "wsi-000000000", "--allow-account", "000000000000")

    assert result.exit_code == 1


def test_wrong_credentials_fail_every_image_with_the_service_code(
    cli: Cli, threaded_emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-right-secret")

    result = cli.audit(
        *threaded_emulator.owned_image_ids[:3], "--format", "json", "--max-attempts", "1"
    )

    records = json.loads(result.stdout)
    assert result.exit_code == 3
    assert {r["error"]["code"] for r in records} == {"InvalidSignatureException"}


def test_missing_credentials_say_where_botocore_looked(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")

    result = cli.audit("--all")

    assert result.exit_code == 2
    for place in ("environment variables", "shared credentials file", "SSO", "IMDS"):
        assert place in result.stderr
    assert "Traceback" not in result.output


def test_missing_region_is_a_usage_error(cli: Cli, threaded_emulator: Emulator) -> None:
    result = cli(
        "audit", "--all", "--endpoint-url", threaded_emulator.endpoint_url, "--no-progress"
    )

    assert result.exit_code == 2
    assert "no AWS region" in result.stderr


def test_region_from_the_environment_tags_the_records(
    cli: Cli, threaded_emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-southeast-2")

    result = cli(
        "audit",
        threaded_emulator.owned_image_ids[0],
        "--endpoint-url",
        threaded_emulator.endpoint_url,
        "--format",
        "json",
    )

    assert json.loads(result.stdout)[0]["region"] == "ap-southeast-2"


def test_unreachable_endpoint_writes_each_image_with_its_error_and_exits_3(cli: Cli) -> None:
    result = cli(
        "audit", "wsi-aaaaaaaaa", "wsi-bbbbbbbbb", "--endpoint-url", closed_port_url(),
        "--region", "us-east-1", "--max-attempts", "1", "--format", "json",
    )  # fmt: skip

    records = json.loads(result.stdout)
    assert result.exit_code == 3
    assert {r["error"]["code"] for r in records} == {"EndpointConnectionError"}
    assert "2 images could not be audited: EndpointConnectionError" in result.stderr


def failed_listing(cli: Cli, output_format: str) -> Result:
    """``--all`` at an endpoint nobody answers: the listing of us-east-1 fails."""
    return cli(
        "audit", "--all", "--endpoint-url", closed_port_url(), "--region", "us-east-1",
        "--max-attempts", "1", "--format", output_format,
    )  # fmt: skip


def test_a_failed_listing_is_a_scope_record_of_a_one_account_json_report(cli: Cli) -> None:
    result = failed_listing(cli, "json")

    [scope] = json.loads(result.stdout)
    assert scope == {
        "kind": "scope", "account_id": None, "account_name": None, "region": "us-east-1",
        "status": "failed",
        "error": {"code": "EndpointConnectionError", "message": scope["error"]["message"]},
    }  # fmt: skip
    assert result.exit_code == 3
    assert "error: us-east-1: EndpointConnectionError: Could not connect" in result.stderr


def test_a_failed_listing_is_a_scope_record_of_a_one_account_jsonl_report(cli: Cli) -> None:
    result = failed_listing(cli, "jsonl")

    [line] = result.stdout.splitlines()
    assert json.loads(line)["kind"] == "scope"
    assert json.loads(line)["status"] == "failed"
    assert result.exit_code == 3


def test_a_failed_listing_is_a_row_without_an_image_of_a_one_account_csv_report(
    cli: Cli,
) -> None:
    result = failed_listing(cli, "csv")

    assert result.stdout.replace("\r\n", "\n") == (
        "region,image_id,shared_account_id,unexpected,error_code\n"
        "us-east-1,,,,EndpointConnectionError\n"
    )
    assert result.exit_code == 3


@pytest.mark.parametrize("output_format", ["json", "jsonl", "csv"])
def test_a_scope_audited_is_never_a_record_of_a_one_account_report(
    cli: Cli, threaded_emulator: Emulator, output_format: str
) -> None:
    result = cli.audit("--all", "--format", output_format)

    assert "scope" not in result.stdout
    assert "audited" not in result.stdout
    assert threaded_emulator.owned_image_ids[0] in result.stdout


def test_a_failed_listing_is_a_row_of_the_table(cli: Cli) -> None:
    result = failed_listing(cli, "table")

    assert result.exit_code == 3
    assert "not audited: EndpointConnectionError" in result.stdout


def test_summary_goes_to_stderr(cli: Cli, threaded_emulator: Emulator) -> None:
    result = cli.audit("--all", "--format", "json")

    assert f"audited {len(threaded_emulator.truth)} images in 1 region" in result.stderr
    assert "requests" in result.stderr
    assert "audited" not in result.stdout


def test_progress_bar_is_off_when_stderr_is_not_a_terminal(cli: Cli) -> None:
    result = cli("audit", "--all", "--endpoint-url", cli.endpoint_url, "--region", "us-east-1")

    assert "auditing" not in result.stderr


def test_progress_flag_forces_the_bar_onto_stderr(cli: Cli, threaded_emulator: Emulator) -> None:
    result = cli("audit", "--all", "--endpoint-url", cli.endpoint_url, "--region", "us-east-1",
                 "--progress", "--format", "json")  # fmt: skip

    assert "auditing scopes" in result.stderr
    assert "1/1" in result.stderr
    assert f"{len(threaded_emulator.truth)} images" in result.stderr
    assert len(json.loads(result.stdout)) == len(threaded_emulator.truth)


def test_progress_of_images_given_counts_them_done_of_all(
    cli: Cli, threaded_emulator: Emulator
) -> None:
    wanted = threaded_emulator.owned_image_ids[:7]

    result = cli("audit", *wanted, "--endpoint-url", cli.endpoint_url, "--region", "us-east-1",
                 "--progress", "--format", "json")  # fmt: skip

    assert "auditing images" in result.stderr
    assert "7/7" in result.stderr


def test_a_rate_limited_audit_at_the_widest_concurrency_loses_no_image(
    emulator_keys: dict[str, str], tmp_path: Path
) -> None:
    with Emulator(images=300, seed=4, rate=400, burst=10) as emulator:
        ids = tmp_path / "ids.txt"
        ids.write_text("\n".join(emulator.owned_image_ids) + "\n")
        result = Cli(emulator.endpoint_url).audit(
            "--images-file", str(ids), "--concurrency", "1024", "--format", "json"
        )

    records = json.loads(result.stdout)
    assert result.exit_code == 0, result.stderr
    assert shares_of(records) == dict(emulator.truth)


def test_a_redirecting_endpoint_is_an_error_never_a_clean_audit(
    emulator_keys: dict[str, str],
) -> None:
    with redirecting_server() as url:
        result = Cli(url).audit("wsi-aaaaaaaaa", "--format", "json")

    [record] = json.loads(result.stdout)
    assert result.exit_code == 3
    assert record["error"]["code"] == "302"
