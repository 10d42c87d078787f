"""``--format ocsf``: findings as OCSF Detection Finding events (class 2004), one JSON line each.

Security Hub and most SIEMs ingest OCSF. An image shared with an account outside the organization
and the allowlist (or, in a one-account audit, outside the allowlist) is one finding: the image
as the resource, with its account and region, the accounts outside as evidence, a severity, and
how to remediate. Against a baseline, a finding is New when an outside account is new since it,
In Progress when all of them were already there, and Resolved when an image the baseline
flagged is no longer shared outside (or is gone).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from functools import cache
from typing import Any, Final

from imgperms_async import __version__
from imgperms_async.cli._records import AuditRecord, Record

OCSF_VERSION: Final = "1.1.0"
DETECTION_FINDING: Final = 2004
FINDINGS_CATEGORY: Final = 2
ACTIVITY_CREATE: Final = 1
ACTIVITY_CLOSE: Final = 3
SEVERITY_HIGH: Final = 4
SEVERITY_INFORMATIONAL: Final = 1
STATUS: Final = {"new": (1, "New"), "in_progress": (2, "In Progress"), "resolved": (4, "Resolved")}
ACTIVITIES: Final = {ACTIVITY_CREATE: "Create", ACTIVITY_CLOSE: "Close"}


def findings(record: Record, *, account_id: str | None) -> Iterator[str]:
    """The JSON lines for one record: a finding if it is shared outside, or if it stopped being
    so since the baseline; nothing otherwise. ``account_id`` stands in for a one-account audit's
    own account, which its records do not carry."""
    if not isinstance(record, AuditRecord):
        return
    status = _status(record)
    if status is None:
        return
    yield json.dumps(_event(record, status, record.account_id or account_id, time.time()))
    yield "\n"


def _status(record: AuditRecord) -> str | None:
    change = record.change
    if record.flagged:
        return "new" if change is None or record.new_unexpected else "in_progress"
    if change is not None and change.was_flagged and record.error is None:
        return "resolved"
    return None


def _event(record: AuditRecord, status: str, account_id: str | None, at: float) -> dict[str, Any]:
    millis = int(at * 1000)
    status_id, status_name = STATUS[status]
    activity = ACTIVITY_CLOSE if status == "resolved" else ACTIVITY_CREATE
    outside = list(record.unexpected_account_ids)
    partition = _partition(record.region)
    arn = (
        f"arn:{partition}:workspaces:{record.region}:{account_id}:workspaceimage/{record.image_id}"
        if account_id
        else record.image_id
    )
    where = f"account {account_id}, {record.region}" if account_id else record.region
    if status == "resolved":
        title = f"WorkSpaces image {record.image_id} is no longer shared outside"
        desc = (
            f"Since the baseline audit, {record.image_id} ({where}) stopped being shared outside."
        )
    else:
        title = f"WorkSpaces image {record.image_id} is shared outside the organization"
        desc = (
            f"{record.image_id} ({where}) is shared with {len(outside)} account(s) outside the "
            f"organization and the allowlist: {', '.join(outside)}."
        )
    event: dict[str, Any] = {
        "activity_id": activity,
        "activity_name": ACTIVITIES[activity],
        "category_uid": FINDINGS_CATEGORY,
        "category_name": "Findings",
        "class_uid": DETECTION_FINDING,
        "class_name": "Detection Finding",
        "type_uid": DETECTION_FINDING * 100 + activity,
        "type_name": f"Detection Finding: {ACTIVITIES[activity]}",
        "severity_id": SEVERITY_INFORMATIONAL if status == "resolved" else SEVERITY_HIGH,
        "severity": "Informational" if status == "resolved" else "High",
        "status_id": status_id,
        "status": status_name,
        "time": millis,
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
            "uid": f"imgperms/{account_id or '-'}/{record.region}/{record.image_id}",
            "title": title,
            "desc": desc,
            "types": ["WorkSpaces image shared outside"],
            "created_time": millis,
        },
        "resources": [
            {
                "uid": arn,
                "name": record.image_id,
                "type": "AWS::WorkSpaces::WorkspaceImage",
                "region": record.region,
                "cloud_partition": partition,
                "data": {
                    "shared_account_ids": list(record.shared_account_ids),
                    "outside_account_ids": outside,
                },
            }
        ],
        "cloud": {"provider": "AWS", "region": record.region},
        "remediation": {
            "desc": (
                "Unshare the image from each account outside: `imgperms unshare REPORT --apply` "
                "(REPORT: this audit as json or jsonl), or `aws workspaces "
                f"update-workspace-image-permission --image-id {record.image_id} "
                "--shared-account-id ACCOUNT --no-allow-copy-image` for each account."
            )
        },
    }
    if account_id:
        # OCSF requires none of the account's attributes, but py-ocsf-models, which consumers
        # validate with, requires name, type_id and uid: the id stands in for an unknown name.
        name = record.owner.account_name if record.owner is not None else None
        event["cloud"]["account"] = {
            "uid": account_id,
            "name": name or account_id,
            "type": "AWS Account",
            "type_id": 10,
        }
    return event


@cache
def _partition(region: str) -> str:
    """The region's partition (aws, aws-cn, aws-us-gov, ...), from botocore's endpoint data;
    botocore's default, aws, for a region its data does not know."""
    from botocore.exceptions import BotoCoreError
    from botocore.session import get_session

    try:
        return str(get_session().get_partition_for_region(region))
    except BotoCoreError:
        return "aws"
