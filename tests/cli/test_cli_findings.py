"""`imgperms audit --format ocsf|junit` against the emulator: findings for Security Hub and
SIEMs, test reports for CI dashboards, each validated as its consumers read it."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from junitparser import Error, Failure, JUnitXml, TestCase, TestSuite
from py_ocsf_models.events.findings.detection_finding import (  # type: ignore[import-untyped]
    DetectionFinding,
)
from report_support import (
    Audited,
    Served,
    account_emulator,
    allowlist_file,
    images_of,
    invoke,
    organization_emulator,
    point_at,
    serving,
    write_jsonl,
)

from imgperms_async import ImageRecord
from imgperms_async.cli._ocsf import findings

DETECTION_FINDING = 2004
FINDINGS = 2
CREATE, UPDATE, CLOSE = 1, 2, 3
UNKNOWN, NEW, IN_PROGRESS, SUPPRESSED, RESOLVED, OTHER = 0, 1, 2, 3, 4, 99
INFORMATIONAL, LOW, MEDIUM, HIGH = 1, 2, 3, 4
SHARED_OUTSIDE = "WorkSpaces image shared outside"
AUDITED = "WorkSpaces image audited"


@dataclass(frozen=True)
class OrganizationRun:
    audited: Audited
    ocsf: str
    junit: str

    @property
    def records(self) -> list[dict[str, Any]]:
        return images_of(self.audited.report.read_text())


@pytest.fixture(scope="module")
def org_run(org_audit: Audited) -> OrganizationRun:
    """The organization audited once, also as OCSF and as JUnit."""
    ocsf = org_audit.served.audit("--format", "ocsf")
    junit = org_audit.served.audit("--format", "junit")
    assert ocsf.exit_code == junit.exit_code == 1
    return OrganizationRun(org_audit, ocsf.stdout, junit.stdout)


@pytest.fixture
def org(org_run: OrganizationRun, seen: Audited) -> OrganizationRun:
    """The run, with the environment pointed at its organization (``seen``)."""
    return org_run


def events_of(text: str) -> list[dict[str, Any]]:
    lines = text.splitlines()
    assert all(line.startswith("{") for line in lines)
    return [json.loads(line) for line in lines]


def of_type(events: list[dict[str, Any]], finding_type: str) -> list[dict[str, Any]]:
    return [e for e in events if e["finding_info"]["types"] == [finding_type]]


def by_resource(events: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The events about an image, by image id."""
    return {event["resources"][0]["name"]: event for event in events if "resources" in event}


def exceptions_file(path: Path, account: str, *, expires: str, **fields: object) -> Path:
    extra = "".join(f"    {name}: {json.dumps(value)}\n" for name, value in fields.items())
    path.write_text(
        "exceptions:\n"
        f"  - account_id: '{account}'\n"
        "    reason: the vendor that builds our golden image\n"
        "    owner: alice@example.com\n"
        f"    expires: {expires}\n" + extra
    )
    return path


# --- OCSF: the schema, checked by hand and by py-ocsf-models ------------------------------------


def integer(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def text(value: object) -> bool:
    return isinstance(value, str) and value != ""


def check_ocsf_detection_finding(event: dict[str, Any]) -> None:
    """What OCSF 1.x requires of a Detection Finding (class 2004), and of its objects, with the
    types the schema gives them: the base event's attributes, the finding's ``finding_info``,
    the cloud profile's ``cloud``, and the enumerations' ranges. An event about an image names
    it as its resource; one about an (account, region) or an exception has none."""
    assert event["class_uid"] == DETECTION_FINDING
    assert event["category_uid"] == FINDINGS
    assert integer(event["activity_id"])
    assert event["activity_id"] in {0, 1, 2, 3, 99}
    assert event["type_uid"] == event["class_uid"] * 100 + event["activity_id"]
    assert integer(event["severity_id"])
    assert event["severity_id"] in {*range(7), 99}
    assert integer(event["time"])
    assert event["time"] > 10**12
    if "status_id" in event:
        assert integer(event["status_id"])
        assert event["status_id"] in {*range(7), 99}
    metadata = event["metadata"]
    assert re.fullmatch(r"1\.\d+\.\d+", metadata["version"])
    assert text(metadata["product"]["name"])
    assert text(metadata["product"]["vendor_name"])
    finding = event["finding_info"]
    assert text(finding["uid"])
    assert text(finding["title"])
    cloud = event["cloud"]
    assert text(cloud["provider"])
    if "account" in cloud:
        assert re.fullmatch(r"\d{12}", cloud["account"]["uid"])
        assert integer(cloud["account"]["type_id"])
    for resource in event.get("resources", ()):
        assert text(cloud["region"])
        assert text(resource["uid"])
        assert text(resource["region"])
        assert text(resource["type"])
    assert text(event["remediation"]["desc"])
    compliance = event["compliance"]
    assert compliance["standards"]
    assert all(text(s) for s in compliance["standards"])
    assert compliance["requirements"]
    assert all(text(r) for r in compliance["requirements"])
    assert text(compliance["control"])


def check_valid(events: list[dict[str, Any]]) -> None:
    assert events
    for event in events:
        DetectionFinding.model_validate(event)
        check_ocsf_detection_finding(event)


def test_ocsf_has_one_high_finding_per_image_shared_outside(org: OrganizationRun) -> None:
    events = of_type(events_of(org.ocsf), SHARED_OUTSIDE)

    flagged = {
        (r["account_id"], r["region"], r["image_id"])
        for r in org.records
        if r["unexpected_account_ids"]
    }
    assert len(events) == len(flagged)
    assert {
        (e["cloud"]["account"]["uid"], e["cloud"]["region"], e["resources"][0]["name"])
        for e in events
    } == flagged
    assert {(e["severity_id"], e["status_id"]) for e in events} == {(HIGH, NEW)}


def test_ocsf_says_each_scope_audited_with_its_image_count(org: OrganizationRun) -> None:
    events = of_type(events_of(org.ocsf), AUDITED)

    counted: dict[tuple[str, str], int] = {}
    for record in org.records:
        scope = (record["account_id"], record["region"])
        counted[scope] = counted.get(scope, 0) + 1
    assert {
        (e["cloud"]["account"]["uid"], e["cloud"]["region"]): e["unmapped"]["images"]
        for e in events
    } == counted
    assert {(e["severity_id"], e["status_id"], e["status"]) for e in events} == {
        (INFORMATIONAL, OTHER, "Other")
    }
    assert all("resources" not in e for e in events)


def test_every_ocsf_event_is_a_valid_detection_finding(org: OrganizationRun) -> None:
    check_valid(events_of(org.ocsf))


def test_every_ocsf_event_names_the_compliance_requirements_it_maps_to(
    org: OrganizationRun,
) -> None:
    for event in events_of(org.ocsf):
        compliance = event["compliance"]
        assert "SOC 2 2017 CC6.6" in compliance["requirements"]
        assert all(
            any(r.startswith(standard) for r in compliance["requirements"])
            for standard in compliance["standards"]
        )


def test_an_ocsf_finding_names_the_image_its_account_region_and_accounts_outside(
    org: OrganizationRun,
) -> None:
    record = next(r for r in org.records if len(r["unexpected_account_ids"]) > 1)

    event = by_resource(events_of(org.ocsf))[record["image_id"]]

    account, region, image = record["account_id"], record["region"], record["image_id"]
    resource = event["resources"][0]
    assert resource["uid"] == f"arn:aws:workspaces:{region}:{account}:workspaceimage/{image}"
    assert resource["region"] == event["cloud"]["region"] == region
    assert event["cloud"]["account"]["uid"] == account
    assert event["cloud"]["account"]["name"] == record["account_name"]
    assert resource["data"]["outside_account_ids"] == record["unexpected_account_ids"]
    assert (event["severity_id"], event["severity"]) == (HIGH, "High")
    assert (event["status_id"], event["activity_id"]) == (NEW, CREATE)


def test_an_ocsf_remediation_names_the_command_its_image_and_its_region(
    org: OrganizationRun,
) -> None:
    for event in of_type(events_of(org.ocsf), SHARED_OUTSIDE):
        remedy = event["remediation"]["desc"]
        assert "imgperms unshare" in remedy
        assert f"--region {event['cloud']['region']}" in remedy
        assert f"--image-id {event['resources'][0]['name']}" in remedy


def test_a_one_account_ocsf_audit_names_the_account_sts_says_it_is(one: Served) -> None:
    result = one.audit("--allowlist", str(allowlist_file(one)), "--format", "ocsf")

    events = events_of(result.stdout)
    check_valid(events)
    assert {e["cloud"]["account"]["uid"] for e in events} == {one.emu.account_id}
    assert "GetCallerIdentity" in {r.operation for r in one.emu.requests}


def test_a_one_account_ocsf_audit_without_an_allowlist_has_a_finding_per_shared_image(
    one: Served,
) -> None:
    result = one.audit("--format", "ocsf")

    events = events_of(result.stdout)
    shared = {image for image, shares in one.emu.truth.items() if shares}
    judged = [e for e in events if "resources" in e]
    assert shared
    assert {e["resources"][0]["name"] for e in judged} == shared
    assert {(e["severity_id"], e["status_id"]) for e in judged} == {(MEDIUM, NEW)}
    assert of_type(events, SHARED_OUTSIDE) == []
    check_valid(events)
    assert result.exit_code == 0


def test_an_image_that_could_not_be_audited_is_an_ocsf_event_of_status_unknown(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    denied = next(i for i, shares in account_emulator().truth.items() if shares)
    with serving(
        monkeypatch, tmp_path, account_emulator(deny_images=[denied]), organization=False
    ) as one:
        result = one.audit("--format", "ocsf", "--allowlist", str(allowlist_file(one)))

    event = by_resource(events_of(result.stdout))[denied]
    assert (event["severity_id"], event["status_id"], event["status"]) == (
        MEDIUM,
        UNKNOWN,
        "Unknown",
    )
    assert event["status_detail"].startswith("AccessDeniedException: ")
    check_valid([event])


def test_an_account_that_could_not_be_reached_is_an_ocsf_event_of_status_unknown(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    organization = organization_emulator().scoped_truth.organization
    assert organization is not None
    member = organization.accounts[1].account_id
    with serving(
        monkeypatch, tmp_path, organization_emulator(deny_role=[member]), organization=True
    ) as served:
        result = served.audit("--format", "ocsf")

    events = events_of(result.stdout)
    [event] = [e for e in events if e["status_id"] == UNKNOWN]
    assert event["cloud"]["account"]["uid"] == member
    assert event["status_detail"] == "AccessDenied"
    assert event["severity_id"] == MEDIUM
    assert "resources" not in event
    assert member not in {e["cloud"]["account"]["uid"] for e in of_type(events, AUDITED)}
    check_valid(events)


def test_a_share_an_exception_accepts_is_a_suppressed_ocsf_event_with_its_reason(
    one: Served,
) -> None:
    image, shares = next((i, s) for i, s in one.emu.truth.items() if len(s) == 1)
    accepted = exceptions_file(one.tmp_path / "exceptions.yml", shares[0], expires="2999-12-31")

    result = one.audit("--format", "ocsf", "--exceptions", str(accepted))

    event = by_resource(events_of(result.stdout))[image]
    assert (event["severity_id"], event["status_id"], event["status"]) == (
        INFORMATIONAL,
        SUPPRESSED,
        "Suppressed",
    )
    assert "the vendor that builds our golden image" in event["status_detail"]
    assert "alice@example.com" in event["status_detail"]
    assert "2999-12-31" in event["status_detail"]
    check_valid([event])


def test_an_expired_exception_is_a_low_ocsf_event_to_review(one: Served) -> None:
    expired = exceptions_file(one.tmp_path / "exceptions.yml", "123456789012", expires="2001-02-03")

    result = one.audit("--format", "ocsf", "--exceptions", str(expired))

    [event] = [e for e in events_of(result.stdout) if e["finding_info"]["types"] == [
        "WorkSpaces image exception expired"]]  # fmt: skip
    assert (event["severity_id"], event["status_id"]) == (LOW, NEW)
    assert "123456789012" in event["finding_info"]["title"]
    assert event["unmapped"]["expires"] == "2001-02-03"
    check_valid([event])


def test_an_image_shared_in_from_outside_is_a_high_ocsf_finding_naming_its_owner(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with serving(
        monkeypatch, tmp_path, organization_emulator(inbound_outside=1), organization=True
    ) as served:
        result = served.audit("--format", "ocsf", "--inbound")
        inbound = served.emu.scoped_truth.inbound

    events = of_type(events_of(result.stdout), "WorkSpaces image shared in from outside")
    owners = {
        (account, region, image): owner
        for account, regions in inbound.items()
        for region, images in regions.items()
        for image, owner in images.items()
        if owner not in served.members
    }
    assert owners
    assert {
        (e["cloud"]["account"]["uid"], e["cloud"]["region"], e["resources"][0]["name"]):
        e["resources"][0]["data"]["owner_account_id"]
        for e in events
    } == owners  # fmt: skip
    assert {(e["severity_id"], e["status_id"]) for e in events} == {(HIGH, NEW)}
    for event in events:
        owner = event["resources"][0]["data"]["owner_account_id"]
        assert f":{owner}:workspaceimage/" in event["resources"][0]["uid"]
    check_valid(events)


@dataclass(frozen=True)
class AgainstBaseline:
    """OCSF against a baseline that already had image ``kept`` as it is, lacked one account
    outside of ``fresh``, had an account outside on ``cleared`` (now shared inside only), and
    had a flagged image that is gone."""

    kept: str
    fresh: str
    cleared: str
    events: dict[str, dict[str, Any]]


@pytest.fixture(scope="module")
def against_baseline(org_run: OrganizationRun) -> AgainstBaseline:
    records = org_run.records
    kept, fresh = [r for r in records if r["unexpected_account_ids"]][:2]
    cleared = next(
        r for r in records if r["shared_account_ids"] and not r["unexpected_account_ids"]
    )
    outsider, newcomer = fresh["unexpected_account_ids"][0], "999988887777"
    edited = {
        fresh["image_id"]: {
            **fresh,
            "shared_account_ids": [a for a in fresh["shared_account_ids"] if a != outsider],
            "share_classes": {a: c for a, c in fresh["share_classes"].items() if a != outsider},
            "unexpected_account_ids": fresh["unexpected_account_ids"][1:],
        },
        cleared["image_id"]: {
            **cleared,
            "shared_account_ids": [*cleared["shared_account_ids"], newcomer],
            "share_classes": {**cleared["share_classes"], newcomer: "external"},
            "unexpected_account_ids": [newcomer],
        },
    }
    gone = {**kept, "image_id": "wsi-gone00000"}
    served = org_run.audited.served
    baseline = write_jsonl(
        served.tmp_path / "ocsf-baseline.jsonl",
        [*(edited.get(r["image_id"], r) for r in records), gone],
    )
    with pytest.MonkeyPatch.context() as monkeypatch:
        point_at(monkeypatch, served.emu)
        result = served.audit("--baseline", str(baseline), "--format", "ocsf")
    return AgainstBaseline(
        kept["image_id"],
        fresh["image_id"],
        cleared["image_id"],
        by_resource(events_of(result.stdout)),
    )


def test_every_ocsf_event_against_a_baseline_is_a_valid_detection_finding(
    against_baseline: AgainstBaseline,
) -> None:
    assert {"New", "In Progress", "Resolved"} == {
        e["status"] for e in against_baseline.events.values()
    }
    check_valid(list(against_baseline.events.values()))


def test_a_finding_whose_accounts_outside_were_all_in_the_baseline_is_in_progress(
    against_baseline: AgainstBaseline,
) -> None:
    event = against_baseline.events[against_baseline.kept]

    assert (event["status_id"], event["status"]) == (IN_PROGRESS, "In Progress")
    assert event["activity_id"] == CREATE


def test_a_share_outside_new_since_the_baseline_is_a_new_finding(
    against_baseline: AgainstBaseline,
) -> None:
    event = against_baseline.events[against_baseline.fresh]

    assert (event["status_id"], event["status"]) == (NEW, "New")
    assert event["severity_id"] == HIGH


def test_an_image_no_longer_shared_outside_since_the_baseline_is_resolved(
    against_baseline: AgainstBaseline,
) -> None:
    event = against_baseline.events[against_baseline.cleared]

    assert (event["status_id"], event["status"]) == (RESOLVED, "Resolved")
    assert (event["activity_id"], event["type_uid"]) == (CLOSE, DETECTION_FINDING * 100 + CLOSE)
    assert event["severity_id"] == INFORMATIONAL


def test_an_image_flagged_in_the_baseline_and_gone_is_resolved(
    against_baseline: AgainstBaseline,
) -> None:
    event = against_baseline.events["wsi-gone00000"]

    assert (event["status_id"], event["activity_id"]) == (RESOLVED, CLOSE)


def test_a_finding_keeps_its_uid_from_one_run_to_the_next(
    org: OrganizationRun, against_baseline: AgainstBaseline
) -> None:
    first = by_resource(events_of(org.ocsf))

    for image in (against_baseline.kept, against_baseline.fresh):
        assert (
            first[image]["finding_info"]["uid"]
            == against_baseline.events[image]["finding_info"]["uid"]
        )


@pytest.mark.parametrize(
    ("region", "partition"),
    [("us-east-1", "aws"), ("us-gov-west-1", "aws-us-gov"), ("cn-northwest-1", "aws-cn"),
     ("xx-fake-9", "aws")],
)  # fmt: skip
def test_a_finding_names_its_resource_in_the_regions_partition(region: str, partition: str) -> None:
    record = ImageRecord(
        region, "wsi-aaaaaaaaa", ("123456789012",), ("external",), 1, None, "111122223333"
    )

    [event] = events_of("".join(findings(record)))

    [resource] = event["resources"]
    assert resource["cloud_partition"] == partition
    assert resource["uid"] == (
        f"arn:{partition}:workspaces:{region}:111122223333:workspaceimage/wsi-aaaaaaaaa"
    )


# --- JUnit: as junitparser and CI dashboards read it --------------------------------------------


def cases_of(xml: str) -> dict[tuple[str, str], TestCase]:
    suites = JUnitXml.fromstring(xml)
    return {(suite.name, case.name): case for suite in suites for case in suite}


def results(case: TestCase, kind: type[Any]) -> list[Any]:
    return [result for result in case.result if isinstance(result, kind)]


def test_junit_is_one_test_case_per_account_region_and_image(org: OrganizationRun) -> None:
    cases = cases_of(org.junit)

    expected = {(f"{r['account_id']}.{r['region']}", r["image_id"]) for r in org.records}
    assert set(cases) == expected
    assert len(cases) == len(org.records)


def test_junit_has_one_failure_per_case_shared_outside_naming_every_account_outside(
    org: OrganizationRun,
) -> None:
    cases = cases_of(org.junit)

    several = 0
    for record in org.records:
        case = cases[f"{record['account_id']}.{record['region']}", record["image_id"]]
        failures = results(case, Failure)
        assert len(failures) == (1 if record["unexpected_account_ids"] else 0)
        for outsider in record["unexpected_account_ids"]:
            assert outsider in failures[0].message
        several += len(record["unexpected_account_ids"]) > 1
        assert results(case, Error) == []
    assert several, "some case has several accounts outside, all in its one failure"


def test_junit_suite_counts_are_those_of_their_cases(org: OrganizationRun) -> None:
    suites = JUnitXml.fromstring(org.junit)

    totals = {"tests": 0, "failures": 0, "errors": 0}
    for suite in suites:
        assert isinstance(suite, TestSuite)
        cases = list(suite)
        counted = {
            "tests": len(cases),
            "failures": sum(bool(results(case, Failure)) for case in cases),
            "errors": sum(bool(results(case, Error)) for case in cases),
        }
        assert (suite.tests, suite.failures, suite.errors) == tuple(counted.values())
        for name, value in counted.items():
            totals[name] += value
    assert (suites.tests, suites.failures, suites.errors) == tuple(totals.values())
    assert totals["failures"] == sum(bool(r["unexpected_account_ids"]) for r in org.records)


def test_junit_has_an_error_for_an_image_that_could_not_be_audited(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    denied = next(i for i, shares in account_emulator().truth.items() if shares)
    with serving(
        monkeypatch, tmp_path, account_emulator(deny_images=[denied]), organization=False
    ) as one:
        result = one.audit("--format", "junit")

    cases = cases_of(result.stdout)
    [error] = results(cases["us-east-1", denied], Error)
    assert error.type == "AccessDeniedException"
    assert denied in error.message
    assert result.exit_code == 3


def test_junit_has_an_error_for_an_account_whose_role_could_not_be_assumed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    organization = organization_emulator().scoped_truth.organization
    assert organization is not None
    member = organization.accounts[1].account_id
    with serving(
        monkeypatch, tmp_path, organization_emulator(deny_role=[member]), organization=True
    ) as org:
        result = org.audit("--format", "junit")

    suites = {suite.name: suite for suite in JUnitXml.fromstring(result.stdout)}
    [case] = list(suites[f"{member}.every region"])
    [error] = results(case, Error)
    assert error.type == "AccessDenied"
    assert suites[f"{member}.every region"].errors == 1


def test_junit_has_an_error_for_a_region_whose_images_could_not_be_listed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with serving(
        monkeypatch, tmp_path, account_emulator(fault_rate=1.0), organization=False
    ) as one:
        result = one.audit("--format", "junit", "--max-attempts", "1")

    assert result.exit_code == 3
    assert JUnitXml.fromstring(result.stdout).errors == 1


@pytest.mark.parametrize(
    "image_id",
    [
        "wsi-<b>&\"x'</b>]]>",
        "wsi-\x1b[31mred\x07\x00",
        "wsi-\ufffe\uffff",
        "wsi-\udcff\ud800",
        "wsi-\u202eevil",
    ],
    ids=["markup", "control-characters", "non-characters", "lone-surrogates", "bidi-override"],
)
def test_junit_stays_valid_xml_whatever_an_image_id_holds(one: Served, image_id: str) -> None:
    result = invoke(
        "audit",
        "--endpoint-url",
        one.emu.endpoint_url,
        "--region",
        "us-east-1",
        "--no-progress",
        "--format",
        "junit",
        "--output",
        str(one.tmp_path / "audit.xml"),
        image_id,
    )

    assert result.exit_code == 3
    xml = (one.tmp_path / "audit.xml").read_bytes()
    ElementTree.fromstring(xml)
    [case] = [
        case for suite in JUnitXml.fromfile(str(one.tmp_path / "audit.xml")) for case in suite
    ]
    assert case.name.startswith("wsi-")
    [error] = results(case, Error)
    assert error.type == "ParamValidationError"
