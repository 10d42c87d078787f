"""``--format ocsf``: OCSF 1.1 Detection Finding events (class 2004), one JSON line each.

Security Hub and most SIEMs ingest OCSF. A SIEM must tell "looked at and clean" from "not looked
at" and from "shared, but not judged", so every record says which it is:

- an image shared with an account outside: severity High; New, or In Progress when the baseline
  already flagged it, or Resolved once it no longer is;
- an image shared only with accounts whose membership could not be read (or, auditing one
  account without an allowlist, not judged at all): Medium, New;
- an image whose only shares outside an exception accepts: Informational, Suppressed, with the
  exception's reason, owner and expiry;
- an image shared *into* an audited account from outside: High, New (Medium when the owner's
  membership is unknown);
- an image, or an (account, region), that could not be audited: Medium, status Unknown, with why;
- an (account, region) audited: Informational, status Other ("audited", with its image count),
  the positive signal that an absence of findings means clean;
- an exception past its date: Low, New, so it is reviewed.

Each carries the compliance requirements the exposure maps to (``compliance``, as OCSF's
Compliance object), a stable ``finding_info.uid``, and a remediation that names the region.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from functools import cache
from typing import Any, Final

from imgperms_async import (
    ExpiredExemptionRecord,
    ImageRecord,
    InboundRecord,
    Record,
    ScopeRecord,
    __version__,
    compliance,
    partition_of,
)

OCSF_VERSION: Final = "1.1.0"
DETECTION_FINDING: Final = 2004
FINDINGS_CATEGORY: Final = 2
ACTIVITY_CREATE: Final = 1
ACTIVITY_CLOSE: Final = 3
ACTIVITIES: Final = {ACTIVITY_CREATE: "Create", ACTIVITY_CLOSE: "Close"}
SEVERITIES: Final = {1: "Informational", 2: "Low", 3: "Medium", 4: "High"}
STATUSES: Final = {
    0: "Unknown",
    1: "New",
    2: "In Progress",
    3: "Suppressed",
    4: "Resolved",
    99: "Other",
}


def findings(record: Record, *, at: float | None = None) -> Iterator[str]:
    """The JSON lines for one record."""
    event = _event(record)
    if event is None:
        return
    millis = int((time.time() if at is None else at) * 1000)
    event["time"] = millis
    event["finding_info"]["created_time"] = millis
    yield json.dumps(event)
    yield "\n"


def _event(record: Record) -> dict[str, Any] | None:
    if isinstance(record, ImageRecord):
        return _image_event(record)
    if isinstance(record, InboundRecord):
        return _inbound_event(record)
    if isinstance(record, ScopeRecord):
        return _scope_event(record)
    return _expired_event(record)


def _image_event(record: ImageRecord) -> dict[str, Any] | None:
    image, where = record.image_id, _where(record.account_id, record.region)
    remedy = _remediation(record.image_id, record.region)
    if record.error is not None:
        return _base(
            record.account_id,
            record.account_name,
            record.region,
            image,
            severity=3,
            status=0,
            kind="not audited",
            status_detail=f"{record.error.code}: {record.error.message}",
            title=f"WorkSpaces image {image} could not be audited",
            desc=f"{image} ({where}) could not be audited: {record.error.code}.",
            remediation="Grant the permission or fix the cause named, then audit again.",
            data={"shared_account_ids": list(record.shared_account_ids)},
        )
    outside = record.unexpected_account_ids
    change = record.change
    if outside:
        return _base(
            record.account_id,
            record.account_name,
            record.region,
            image,
            severity=4,
            status=1 if change is None or change.newly_flagged else 2,
            kind="shared outside",
            title=f"WorkSpaces image {image} is shared outside the organization",
            desc=f"{image} ({where}) is shared with {len(outside)} account(s) outside the "
            f"organization and the allowlist: {', '.join(outside)}.",
            remediation=remedy,
            data=_share_data(record),
        )
    if change is not None and change.was_flagged:
        return _base(
            record.account_id,
            record.account_name,
            record.region,
            image,
            severity=1,
            status=4,
            kind="shared outside",
            activity=ACTIVITY_CLOSE,
            title=f"WorkSpaces image {image} is no longer shared outside",
            desc=f"Since the baseline audit, {image} ({where}) stopped being shared outside.",
            remediation=remedy,
            data=_share_data(record),
        )
    unknown = record.accounts_of("unknown")
    if unknown:
        return _base(
            record.account_id,
            record.account_name,
            record.region,
            image,
            severity=3,
            status=1,
            kind="shared, not judged",
            title=f"WorkSpaces image {image} is shared with accounts that were not judged",
            desc=f"{image} ({where}) is shared with {len(unknown)} account(s) whose membership of "
            f"the organization could not be read, or with no allowlist to judge them by: "
            f"{', '.join(unknown)}.",
            remediation="Give an allowlist, or audit with credentials that may list the "
            "organization's accounts, to judge these shares.",
            data=_share_data(record),
        )
    excepted = record.accounts_of("excepted")
    if excepted:
        reasons = "; ".join(
            f"{account}: {e.reason} (owner {e.owner}, until {e.expires.isoformat()})"
            for account, e in record.exemptions.items()
        )
        return _base(
            record.account_id,
            record.account_name,
            record.region,
            image,
            severity=1,
            status=3,
            kind="shared outside",
            status_detail=reasons or "accepted",
            title=f"WorkSpaces image {image} is shared outside under an exception",
            desc=f"{image} ({where}) is shared with {', '.join(excepted)}, accepted by an exception.",
            remediation=remedy,
            data=_share_data(record),
        )
    return None


def _inbound_event(record: InboundRecord) -> dict[str, Any] | None:
    if record.gone or record.owner_class not in ("external", "unknown"):
        return None
    image, where = record.image_id, _where(record.account_id, record.region)
    known = record.owner_class == "external"
    return _base(
        record.account_id,
        record.account_name,
        record.region,
        image,
        severity=4 if known else 3,
        status=1,
        kind="shared in from outside",
        title=f"WorkSpaces image {image} is shared into the account from "
        + ("outside the organization" if known else "an account of unknown membership"),
        desc=f"{image} ({where}) is owned by {record.owner_account_id}, "
        + (
            "outside the organization and the allowlist."
            if known
            else "whose membership could not be read."
        ),
        remediation="Only the owner can remove the share: ask the owner, and do not launch "
        "WorkSpaces from the image meanwhile.",
        data={"owner_account_id": record.owner_account_id, "owner_class": record.owner_class},
        owner=record.owner_account_id,
    )


def _scope_event(record: ScopeRecord) -> dict[str, Any] | None:
    region = record.region or "every region"
    where = _where(record.account_id, region)
    if record.status == "audited":
        return _base(
            record.account_id,
            record.account_name,
            record.region,
            None,
            severity=1,
            status=99,
            kind="audited",
            status_detail=f"audited: {record.images} images",
            title=f"WorkSpaces images audited in {where}",
            desc=f"Every WorkSpaces image of {where} was audited ({record.images} images); "
            "findings, if any, are their own events.",
            remediation="Nothing to do.",
            data={"images": record.images},
        )
    if not record.incomplete:
        return None
    why = record.error.code if record.error is not None else record.status
    return _base(
        record.account_id,
        record.account_name,
        record.region,
        None,
        severity=3,
        status=0,
        kind="not audited",
        status_detail=why,
        title=f"WorkSpaces images of {where} could not be audited",
        desc=f"{where} was not audited: "
        + (record.error.message if record.error is not None else "WorkSpaces is not offered there")
        + ".",
        remediation="Grant the permission or fix the cause named, then audit again.",
        data={"status": record.status},
    )


def _expired_event(record: ExpiredExemptionRecord) -> dict[str, Any]:
    exemption = record.exemption
    return _base(
        None,
        None,
        None,
        None,
        severity=2,
        status=1,
        kind="exception expired",
        title=f"The exception for account {exemption.account_id} has expired",
        desc=f"The exception for {exemption.account_id} ({exemption.reason}; owner "
        f"{exemption.owner}) ended {exemption.expires.isoformat()} and no longer applies.",
        remediation="Review the exception: renew it with a new date, or remove the share.",
        data=exemption.to_json(),
        uid=f"imgperms/exception/{exemption.account_id}/{exemption.expires.isoformat()}",
    )


def _base(
    account_id: str | None,
    account_name: str | None,
    region: str | None,
    image_id: str | None,
    *,
    severity: int,
    status: int,
    kind: str,
    title: str,
    desc: str,
    remediation: str,
    data: dict[str, Any],
    status_detail: str | None = None,
    activity: int = ACTIVITY_CREATE,
    owner: str | None = None,
    uid: str | None = None,
) -> dict[str, Any]:
    partition = _partition(region)
    event: dict[str, Any] = {
        "activity_id": activity,
        "activity_name": ACTIVITIES[activity],
        "category_uid": FINDINGS_CATEGORY,
        "category_name": "Findings",
        "class_uid": DETECTION_FINDING,
        "class_name": "Detection Finding",
        "type_uid": DETECTION_FINDING * 100 + activity,
        "type_name": f"Detection Finding: {ACTIVITIES[activity]}",
        "severity_id": severity,
        "severity": SEVERITIES[severity],
        "status_id": status,
        "status": STATUSES[status],
        "message": desc,
        "metadata": {
            "version": OCSF_VERSION,
            "product": {
                "name": "imgperms",
                "vendor_name": "imgperms_async",
                "version": __version__,
            },
        },
        "finding_info": {
            "uid": uid or _uid(kind, account_id, region, image_id),
            "title": title,
            "desc": desc,
            "types": [f"WorkSpaces image {kind}"],
        },
        "cloud": {"provider": "AWS", "region": region or ""},
        "remediation": {"desc": remediation},
        "compliance": _compliance(),
    }
    if status_detail is not None:
        event["status_detail"] = status_detail
    if image_id is not None:
        arn_owner = owner or account_id
        event["resources"] = [
            {
                "uid": f"arn:{partition}:workspaces:{region}:{arn_owner}:workspaceimage/{image_id}"
                if arn_owner
                else image_id,
                "name": image_id,
                "type": "AWS::WorkSpaces::WorkspaceImage",
                "region": region,
                "cloud_partition": partition,
                "data": data,
            }
        ]
    else:
        event["unmapped"] = data
    if account_id:
        # OCSF requires none of the account's attributes, but py-ocsf-models, which consumers
        # validate with, requires name, type_id and uid: the id stands in for an unknown name.
        event["cloud"]["account"] = {
            "uid": account_id,
            "name": account_name or account_id,
            "type": "AWS Account",
            "type_id": 10,
        }
    return event


def _uid(kind: str, account_id: str | None, region: str | None, image_id: str | None) -> str:
    """Stable from run to run, so a SIEM sees one finding change state over time."""
    slug = kind.replace(",", "").replace(" ", "-")
    return f"imgperms/{slug}/{account_id or '-'}/{region or '-'}/{image_id or '-'}"


def _share_data(record: ImageRecord) -> dict[str, Any]:
    return {
        "shared_account_ids": list(record.shared_account_ids),
        "outside_account_ids": list(record.unexpected_account_ids),
        "share_classes": dict(zip(record.shared_account_ids, record.share_classes, strict=True)),
    }


def _where(account_id: str | None, region: str) -> str:
    return f"account {account_id}, {region}" if account_id else region


def _remediation(image_id: str, region: str) -> str:
    return (
        "Unshare the image from each account outside: `imgperms unshare REPORT --apply` (REPORT: "
        f"this audit as json or jsonl), or `aws workspaces update-workspace-image-permission "
        f"--region {region} --image-id {image_id} --shared-account-id ACCOUNT "
        "--no-allow-copy-image` for each account."
    )


@cache
def _compliance() -> dict[str, Any]:
    requirements = compliance()
    return {
        "standards": [r.standard for r in requirements],
        "requirements": [f"{r.standard} {item}" for r in requirements for item in r.requirements],
        "control": "WorkSpaces image shared outside the organization",
    }


def _partition(region: str | None) -> str:
    return partition_of(region) if region else "aws"
