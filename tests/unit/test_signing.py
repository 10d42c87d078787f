"""The signer's shortcuts change nothing: its headers are exactly what botocore's SigV4Auth makes."""

from __future__ import annotations

import asyncio
import datetime as dt
from types import SimpleNamespace

import botocore.auth
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotocoreCredentials
from fakes import FakeClock, settle

from imgperms_async._credentials import Credentials, StaticCredentialSource
from imgperms_async._http import HttpRequest, HttpResponse
from imgperms_async._signing import RequestSigner, SigningSender, derive_signing_key

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
        def utcnow(cls) -> dt.datetime:  # type: ignore[override]
            return naive

    monkeypatch.setattr(botocore.auth, "datetime", SimpleNamespace(datetime=Frozen))


def botocore_headers(
    monkeypatch: pytest.MonkeyPatch,
    token: str | None,
    *,
    at: dt.datetime = MOMENT,
    service: str = "workspaces",
    region: str = "us-east-1",
    method: str = "POST",
    url: str = URL,
) -> dict[str, str]:
    freeze_botocores_clock(monkeypatch, at)
    request = AWSRequest(method=method, url=url, data=BODY, headers=dict(HEADERS))
    SigV4Auth(BotocoreCredentials("AKIDSIGN", "sign-secret", token), service, region).add_auth(
        request
    )
    return dict(request.headers.items())


async def our_headers(
    token: str | None,
    *,
    at: float = MOMENT.timestamp(),
    service: str = "workspaces",
    region: str = "us-east-1",
    method: str = "POST",
    url: str = URL,
) -> dict[str, str]:
    signer = RequestSigner(service=service, region_name=region, now=lambda: at)
    credentials = Credentials("AKIDSIGN", "sign-secret", token)
    return dict(signer.sign_with(credentials, HttpRequest(url, HEADERS, BODY, method)).headers)


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
        service="workspaces",
        region_name="us-east-1",
        now=iter([MOMENT.timestamp(), MOMENT.timestamp() + 86_400]).__next__,
    )
    credentials = Credentials("AKIDSIGN", "sign-secret", None)
    today = signer.sign_with(credentials, HttpRequest(URL, HEADERS, BODY))
    tomorrow = signer.sign_with(credentials, HttpRequest(URL, HEADERS, BODY))
    assert today.headers == botocore_headers(monkeypatch, None)
    assert tomorrow.headers == botocore_headers(monkeypatch, None, at=MOMENT + dt.timedelta(days=1))


async def test_another_service_and_region_are_signed_as_botocore_signs_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = "https://sts.eu-west-1.amazonaws.com/"
    ours = await our_headers(None, service="sts", region="eu-west-1", url=url)
    assert ours == botocore_headers(monkeypatch, None, service="sts", region="eu-west-1", url=url)
    assert "/eu-west-1/sts/aws4_request" in ours["Authorization"]


async def test_the_method_of_the_request_is_the_one_signed(monkeypatch: pytest.MonkeyPatch) -> None:
    url = "https://securityhub.us-east-1.amazonaws.com/findings?MaxResults=5&a=b%20c"
    ours = await our_headers(None, method="GET", url=url)
    assert ours == botocore_headers(monkeypatch, None, method="GET", url=url)
    assert ours != await our_headers(None, url=url)


async def test_new_credentials_are_signed_with_their_own_key() -> None:
    signer = RequestSigner(service="workspaces", region_name="us-east-1", now=MOMENT.timestamp)
    first = signer.sign_with(Credentials("AKIDSIGN", "one-secret"), HttpRequest(URL, HEADERS, BODY))
    second = signer.sign_with(
        Credentials("AKIDSIGN", "another-secret"), HttpRequest(URL, HEADERS, BODY)
    )
    assert first.headers["Authorization"] != second.headers["Authorization"]


def test_the_signing_key_is_awss_documented_example() -> None:
    """The derivation example of AWS's SigV4 documentation ("Derive a signing key")."""
    key = derive_signing_key(
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1", "iam"
    )
    assert key.hex() == "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"


def test_the_signed_request_keeps_the_url_body_and_method() -> None:
    signer = RequestSigner(service="workspaces", region_name="us-east-1", now=MOMENT.timestamp)
    request = HttpRequest(URL, HEADERS, BODY, "PUT")
    signed = signer.sign_with(Credentials("AKIDSIGN", "sign-secret"), request)
    assert (signed.url, signed.body, signed.method) == (URL, BODY, "PUT")
    assert dict(request.headers) == HEADERS, "the request given is left as it was"


class HeldTransport:
    """A pool of one connection the test holds, recording what is sent."""

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.sent: list[HttpRequest] = []

    def slot(self) -> asyncio.Lock:
        return self.lock

    async def send(self, request: HttpRequest) -> HttpResponse:
        self.sent.append(request)
        return HttpResponse(200, {}, b"{}", 0.0, 0.0)

    async def aclose(self) -> None:
        return


async def test_a_request_is_signed_only_once_a_connection_slot_is_free() -> None:
    clock = FakeClock(start=MOMENT.timestamp())
    transport = HeldTransport()
    signer = RequestSigner(service="workspaces", region_name="us-east-1", now=clock)
    sender = SigningSender(
        transport, signer, StaticCredentialSource(Credentials("AKIDSIGN", "sign-secret"))
    )
    await transport.lock.acquire()
    sending = asyncio.create_task(sender.send(HttpRequest(URL, HEADERS, BODY)))
    await settle()
    clock.now += 90  # the request waited a minute and a half for a connection
    transport.lock.release()
    await sending

    (sent,) = transport.sent
    assert sent.headers["X-Amz-Date"] == "20261129T010333Z"


class WaitingSource:
    """Credentials that must be fetched before the first use."""

    def __init__(self) -> None:
        self.current: Credentials | None = None

    def usable(self) -> Credentials | None:
        return self.current

    async def get(self) -> Credentials:
        self.current = Credentials("AKIDFETCHED", "fetched-secret")
        return self.current

    async def aclose(self) -> None:
        return


async def test_credentials_not_usable_yet_are_awaited_before_signing() -> None:
    transport = HeldTransport()
    signer = RequestSigner(service="workspaces", region_name="us-east-1", now=MOMENT.timestamp)
    await SigningSender(transport, signer, WaitingSource()).send(HttpRequest(URL, HEADERS, BODY))
    assert "Credential=AKIDFETCHED/" in transport.sent[0].headers["Authorization"]
