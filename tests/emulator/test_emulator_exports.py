"""What `imgperms emulator` exports sends every service it serves to it, for a standalone
account and an organization alike, whatever endpoint variables the shell held before."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from imgperms_async.emulator import Emulator

URL = "http://127.0.0.1:4599"
SERVICE_VARIABLES = [
    "AWS_ENDPOINT_URL_WORKSPACES",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_STS",
    "AWS_ENDPOINT_URL_ORGANIZATIONS",
    "AWS_ENDPOINT_URL_EC2",
    "AWS_ENDPOINT_URL_RESOURCE_GROUPS_TAGGING_API",
    "AWS_ENDPOINT_URL_SECURITYHUB",
]
# One cheap call per service as boto3 names it, answered 200 by a standalone account and an
# organization alike.
CALLS = {
    "workspaces": ("describe_workspace_images", {"ImageType": "OWNED"}),
    "sts": ("get_caller_identity", {}),
    "ec2": ("describe_regions", {}),
    "resourcegroupstaggingapi": ("get_resources", {}),
    "securityhub": ("get_findings", {}),
}


@pytest.mark.parametrize("options", [{}, {"accounts": 1}], ids=["standalone", "organization"])
def test_every_emulator_exports_its_keys_then_an_endpoint_for_every_service(
    options: dict[str, Any],
) -> None:
    emulator = Emulator(port=4599, **options)
    assert emulator.environment == {
        "AWS_ACCESS_KEY_ID": emulator.credentials.access_key,
        "AWS_SECRET_ACCESS_KEY": emulator.credentials.secret_key,
        "AWS_DEFAULT_REGION": "us-east-1",
        **dict.fromkeys(SERVICE_VARIABLES, URL),
        "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "false",
    }


@pytest.fixture(params=[{}, {"accounts": 1}], ids=["standalone", "organization"])
def exported(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    """An emulator whose exports are the only AWS variables set, over stale ones."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:1")
    monkeypatch.setenv(
        "AWS_ENDPOINT_URL_SECURITYHUB", "https://securityhub.us-east-1.amazonaws.com"
    )
    monkeypatch.setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true")
    with Emulator(images=2, **request.param) as served:
        for name, value in served.environment.items():
            monkeypatch.setenv(name, value)
        yield served


@pytest.mark.parametrize("service", CALLS)
def test_with_the_exports_alone_boto3_reaches_the_emulator_for_every_service(
    exported: Emulator, service: str
) -> None:
    operation, arguments = CALLS[service]
    client = boto3.session.Session().client(service)
    try:
        answer = getattr(client, operation)(**arguments)
    finally:
        client.close()
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert [record.service for record in exported.requests] == [
        client.meta.service_model.signing_name
    ]


def test_with_the_exports_alone_organizations_reaches_the_emulator(exported: Emulator) -> None:
    """A standalone account is in no organization: the emulator says so, AWS would too."""
    client = boto3.session.Session().client("organizations")
    with contextlib.suppress(client.exceptions.AWSOrganizationsNotInUseException):
        client.describe_organization()
    client.close()
    assert [record.service for record in exported.requests] == ["organizations"]
