"""The signer's shortcuts change nothing: its headers are exactly what botocore's SigV4Auth makes."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import botocore.auth
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotocoreCredentials

from imgperms_async._credentials import Credentials
from imgperms_async._http import HttpRequest
from imgperms_async._signing import RequestSigner

MOMENT = dt.datetime(2026, 11, 29, 1, 2, 3, tzinfo=dt.UTC)
URL = "https://workspaces.us-east-1.amazonaws.com/"
HEADERS = {
    "Content-Type": "application/x-amz-json-1.1",
    "X-Amz-Target": "WorkspacesService.DescribeWorkspaceImagePermissions",
}
BODY = b'{"ImageId":"wsi-abc123def"}'


def freeze_botocores_clock(monkeypatch: pytest.MonkeyPatch, at: dt.datetime) -> None:
    """botocore's signer reads ``get_current_datetime`` (1.36+) or ``datetime.utcnow`` (before)."""
    naive = at.replace(tzinfo=None)
    if hasattr(botocore.auth, "get_current_datetime"):
        monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda *args, **kwargs: naive)
        return

    class Frozen(dt.datetime):
        @classmethod
        def utcnow(cls) -> dt.datetime:
            return naive

    monkeypatch.setattr(botocore.auth, "datetime", SimpleNamespace(datetime=Frozen))


def botocore_headers(
    monkeypatch: pytest.MonkeyPatch, token: str | None, *, at: dt.datetime = MOMENT
) -> dict[str, str]:
    freeze_botocores_clock(monkeypatch, at)
    request = AWSRequest(method="POST", url=URL, data=BODY, headers=dict(HEADERS))
    SigV4Auth(
        BotocoreCredentials("AKIDSIGN", "sign-secret", token), "workspaces", "us-east-1"
    ).add_auth(request)
    return dict(request.headers.items())


async def our_headers(token: str | None, *, at: float = MOMENT.timestamp()) -> dict[str, str]:
    signer = RequestSigner(region_name="us-east-1", now=lambda: at)
    credentials = Credentials("AKIDSIGN", "sign-secret", token)
    return dict(signer.sign_with(credentials, HttpRequest(URL, HEADERS, BODY)).headers)


@pytest.mark.parametrize("token", [None, "session-token"])
async def test_headers_equal_botocores_add_auth_at_the_same_moment(
    monkeypatch: pytest.MonkeyPatch, token: str | None
) -> None:
    assert await our_headers(token) == botocore_headers(monkeypatch, token)


async def test_the_timestamp_follows_the_clock_across_seconds() -> None:
    first = await our_headers(None, at=MOMENT.timestamp())
    later = await our_headers(None, at=MOMENT.timestamp() + 1.5)
    assert first["X-Amz-Date"] == "20261129T010203Z"
    assert later["X-Amz-Date"] == "20261129T010204Z"
    assert first["Authorization"] != later["Authorization"]


async def test_a_new_day_derives_a_new_key(monkeypatch: pytest.MonkeyPatch) -> None:
    signer = RequestSigner(
        region_name="us-east-1",
        now=iter([MOMENT.timestamp(), MOMENT.timestamp() + 86_400]).__next__,
    )
    credentials = Credentials("AKIDSIGN", "sign-secret", None)
    today = signer.sign_with(credentials, HttpRequest(URL, HEADERS, BODY))
    tomorrow = signer.sign_with(credentials, HttpRequest(URL, HEADERS, BODY))
    assert today.headers == botocore_headers(monkeypatch, None)
    assert tomorrow.headers == botocore_headers(monkeypatch, None, at=MOMENT + dt.timedelta(days=1))
