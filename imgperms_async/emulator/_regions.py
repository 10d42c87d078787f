"""The AWS commercial partition's regions, hand-copied so the emulator needs no botocore data.

Which regions exist decides how a credential scope for an unserved region is refused; which
ones are opt-in decides what DescribeRegions reports; WorkSpaces is offered in only some.
Copied from botocore's endpoints.json and AWS's region table (2026).
"""

from __future__ import annotations

__all__ = [
    "DEFAULT_ORGANIZATION_REGIONS",
    "OPT_IN_REGIONS",
    "REGIONS",
    "WORKSPACES_REGIONS",
    "scope_region_message",
]

OPT_IN_REGIONS = frozenset(
    {
        "af-south-1",
        "ap-east-1",
        "ap-east-2",
        "ap-south-2",
        "ap-southeast-3",
        "ap-southeast-4",
        "ap-southeast-5",
        "ap-southeast-6",
        "ap-southeast-7",
        "ca-west-1",
        "eu-central-2",
        "eu-south-1",
        "eu-south-2",
        "il-central-1",
        "me-central-1",
        "me-south-1",
        "mx-central-1",
    }
)
REGIONS = OPT_IN_REGIONS | {
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "ca-central-1",
    "eu-central-1",
    "eu-north-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
}
WORKSPACES_REGIONS = frozenset(
    {
        "af-south-1",
        "ap-northeast-1",
        "ap-northeast-2",
        "ap-south-1",
        "ap-southeast-1",
        "ap-southeast-2",
        "ap-southeast-5",
        "ca-central-1",
        "eu-central-1",
        "eu-west-1",
        "eu-west-2",
        "eu-west-3",
        "il-central-1",
        "sa-east-1",
        "us-east-1",
        "us-east-2",
        "us-west-2",
    }
)

DEFAULT_ORGANIZATION_REGIONS = ("us-east-1", "eu-west-1", "af-south-1")
"""Two regions every account has, and one opt-in region some members never enabled."""


def scope_region_message(region: str) -> str:
    """AWS's words for a credential scope naming a region this endpoint does not serve.

    AWS ends both sentences with a space; botocore passes the message through as is.
    """
    if region in REGIONS:
        return f"Credential should be scoped to a valid region, not '{region}'. "
    return "Credential should be scoped to a valid region. "
