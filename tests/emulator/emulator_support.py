"""Helpers of the emulator tests: requests signed by botocore's reference signer, boto3 clients
for any service, a clock the test moves."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import boto3_clients
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

from imgperms_async.emulator import Emulator, EmulatorCredentials

JSON_11 = "application/x-amz-json-1.1"
FORM = "application/x-www-form-urlencoded; charset=utf-8"
AwsClients = Callable[..., Any]


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def error_code(self) -> str:
        return str(self.json["__type"])


def botocore_signed(
    target: Emulator,
    operation: str,
    payload: dict[str, Any] | bytes,
    *,
    credentials: EmulatorCredentials | None = None,
    region: str = "us-east-1",
    content_type: str = JSON_11,
    service: str = "workspaces",
    target_prefix: str = "WorkspacesService.",
) -> tuple[dict[str, str], bytes]:
    """Headers and body of a JSON 1.1 call exactly as botocore's reference signer makes them."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = {"Content-Type": content_type, "X-Amz-Target": f"{target_prefix}{operation}"}
    return _signed(target, body, headers, credentials, service, region)


def botocore_signed_query(
    target: Emulator,
    params: dict[str, str],
    *,
    service: str,
    credentials: EmulatorCredentials | None = None,
    region: str = "us-east-1",
) -> tuple[dict[str, str], bytes]:
    """Headers and body of a query-protocol call (STS, EC2), signed by botocore."""
    return _signed(
        target, urlencode(params).encode(), {"Content-Type": FORM}, credentials, service, region
    )


def _signed(
    target: Emulator,
    body: bytes,
    headers: dict[str, str],
    credentials: EmulatorCredentials | None,
    service: str,
    region: str,
) -> tuple[dict[str, str], bytes]:
    cred = credentials or target.credentials
    request = AWSRequest(method="POST", url=target.endpoint_url + "/", data=body, headers=headers)
    SigV4Auth(
        Credentials(cred.access_key, cred.secret_key, cred.session_token), service, region
    ).add_auth(request)
    return dict(request.headers.items()), body


def aws_client(
    target: Emulator,
    service: str,
    *,
    credentials: EmulatorCredentials | None = None,
    region: str | None = None,
    parameter_validation: bool = True,
    **keys: str,
) -> Any:
    """A boto3 client for any service, aimed at the emulator, with no retries.

    `keys` (aws_access_key_id, ...) take the place of `credentials`, for assumed roles; without
    `parameter_validation` botocore sends what its model would refuse, for the server to judge.
    """
    cred = credentials or target.credentials
    session_keys = keys or {
        "aws_access_key_id": cred.access_key,
        "aws_secret_access_key": cred.secret_key,
        **({"aws_session_token": cred.session_token} if cred.session_token else {}),
    }
    return boto3_clients.session(**session_keys).client(
        service,
        endpoint_url=target.endpoint_url,
        region_name=region or target.region,
        config=Config(retries={"max_attempts": 1}, parameter_validation=parameter_validation),
    )


def assumed_keys(credentials: dict[str, Any]) -> dict[str, str]:
    """boto3 session keys from an AssumeRole answer's Credentials."""
    return {
        "aws_access_key_id": credentials["AccessKeyId"],
        "aws_secret_access_key": credentials["SecretAccessKey"],
        "aws_session_token": credentials["SessionToken"],
    }


def client_as(
    aws: AwsClients, target: Emulator, service: str, account_id: str, region: str | None = None
) -> Any:
    """A client acting as that account: the emulator's own keys in its home account, a session
    of the organization's role in a member."""
    if account_id == target.account_id:
        return aws(target, service, region=region)
    credentials = aws(target, "sts").assume_role(
        RoleArn=target.role_arn(account_id), RoleSessionName="test"
    )["Credentials"]
    return aws(target, service, region=region, **assumed_keys(credentials))
