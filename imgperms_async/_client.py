"""``ImagePermissionsClient``: the public face that wires the layers together and owns their lifetime.

Each call goes: validation → the call pipeline (retry loop with the client's rate limiter → the
operation's protocol → signing, once the transport has a connection slot free → transport).
Nothing is resolved at
construction: the botocore configuration chain may read files or call metadata services, so it
runs in a worker thread when the client is entered.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncGenerator, AsyncIterable, Callable, Coroutine, Iterable
from contextlib import aclosing
from dataclasses import dataclass
from functools import cache, partial
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from imgperms_async._aiohttp_transport import AiohttpTransport
from imgperms_async._aws_config import RetrySettings, ServiceEndpoint, read_config
from imgperms_async._client_config import ClientConfig
from imgperms_async._credentials import CredentialSource, credential_source
from imgperms_async._exceptions import ClientClosedError, ExceptionsNamespace
from imgperms_async._fanout import FanOut, fetch_image, stop
from imgperms_async._http import Transport
from imgperms_async._identity import Identity
from imgperms_async._paginate import paginate
from imgperms_async._pipeline import CallPipeline
from imgperms_async._protocol import IMAGE_IDS, IMAGE_PERMISSIONS, Operation
from imgperms_async._regions import WORKSPACES
from imgperms_async._stats import AuditTotals, StatsSnapshot
from imgperms_async._validation import (
    validate_image_listing,
    validate_image_permissions_params,
    validate_page_size,
    validate_update_permission_params,
)

if TYPE_CHECKING:
    from imgperms_async._modeled import ModeledOperation


@dataclass(frozen=True, slots=True)
class Resolved:
    """What a client needs before its first request, resolved from botocore's configuration."""

    endpoint: ServiceEndpoint
    credentials: CredentialSource
    retry: RetrySettings


def make_transport(config: ClientConfig, retry: RetrySettings) -> AiohttpTransport:
    """The transport a client makes when given none (and an audit shares between its scopes);
    run in a thread, as it loads the CA bundle when one is set (whatever the endpoint's scheme:
    a broken bundle is an error at once)."""
    return AiohttpTransport(
        max_connections=config.max_connections,
        connect_timeout_secs=config.connect_timeout_secs,
        read_timeout_secs=config.read_timeout_secs,
        verify_tls=config.verify_tls,
        ca_bundle=config.ca_bundle or retry.ca_bundle,
    )


def _resolve(identity: Identity) -> Resolved:
    """The client's region, endpoint, credentials and retry settings. It may block (files, SSO
    caches, IMDS): call it in a thread."""
    config = read_config(identity)
    region = config.home_region()
    return Resolved(
        config.endpoint(WORKSPACES, region),
        credential_source(config.credentials()),
        config.retry,
    )


class _Open:
    """Everything that exists only between ``__aenter__`` and ``aclose``."""

    def __init__(
        self,
        resolved: Resolved,
        config: ClientConfig,
        transport: Transport,
        *,
        owns: bool,
        totals: AuditTotals | None,
    ) -> None:
        self.endpoint = resolved.endpoint
        self.loop = asyncio.get_running_loop()
        self.transport = transport
        self.owns_transport = owns
        self.pipeline = CallPipeline(
            service_endpoint=resolved.endpoint,
            credentials=resolved.credentials,
            transport=transport,
            config=config,
            retry=resolved.retry,
            totals=totals,
        )
        self.images_operation: ModeledOperation | None = None
        self.update_operation: ModeledOperation | None = None


def _update_operation() -> ModeledOperation:
    from imgperms_async._modeled import ModeledOperation

    return ModeledOperation(WORKSPACES, "UpdateWorkspaceImagePermission")


def _images_operation() -> ModeledOperation:
    """Loaded on first use, in a thread: botocore's model, loader and validator cost start-up
    time that a client auditing permissions never needs."""
    from imgperms_async._modeled import ModeledOperation

    return ModeledOperation(
        WORKSPACES, "DescribeWorkspaceImages", required=("Images", "Images[].ImageId")
    )


_LOADED: dict[str, ModeledOperation] = {}
"""Operations built so far, shared by every client of the process (an operation holds nothing of
a client's): an audit's thousands of scope clients build each once, not once each."""
_LOADING = threading.Lock()


def _load(name: str, build: Callable[[], ModeledOperation]) -> ModeledOperation:
    """The operation, built by the first thread to ask while the others wait for it."""
    with _LOADING:
        loaded = _LOADED.get(name)
        if loaded is None:
            loaded = _LOADED[name] = build()
        return loaded


@cache
def _region_identity(region: str) -> Identity:
    """One checked ``Identity`` per region for every scope client of the process (it is frozen):
    an audit makes thousands of them, in a handful of regions."""
    return Identity(region_name=region)


def scope_client(
    resolved: Resolved, *, config: ClientConfig, transport: Transport, totals: AuditTotals
) -> ImagePermissionsClient:
    """A client whose endpoint and credentials are already at hand: an audit makes one for
    each (account, region) from one reading of botocore's configuration, with the account's
    own (assumed) credentials, instead of reading the configuration again per scope; its calls
    add to the audit's ``totals`` as they are made."""
    client = ImagePermissionsClient(
        identity=_region_identity(resolved.endpoint.signing_region),
        config=config,
        transport=transport,
    )
    client._resolved = resolved
    client._totals = totals
    return client


class ImagePermissionsClient:
    """Async client for WorkSpaces image permissions; use it as ``async with``.

    Arguments mirror ``boto3.client("workspaces", ...)`` (or give them as one ``identity``);
    anything left ``None`` comes from botocore's usual sources (environment, shared config and
    credentials files, SSO, IMDS, ...).
    ``transport`` replaces the aiohttp pool the client would make (``ClientConfig``'s connection,
    timeout and TLS settings then do not apply); the client leaves a given transport open.
    """

    exceptions = ExceptionsNamespace()

    def __init__(
        self,
        *,
        region_name: str | None = None,
        endpoint_url: str | None = None,
        aws_access_key_id: str | None = None,
        aws_secret_access_key: str | None = None,
        aws_session_token: str | None = None,
        profile_name: str | None = None,
        identity: Identity | None = None,
        config: ClientConfig | None = None,
        transport: Transport | None = None,
    ) -> None:
        self.identity = Identity.of(
            identity,
            region_name=region_name,
            endpoint_url=endpoint_url,
            aws_access_key_id=aws_access_key_id,
            aws_secret_access_key=aws_secret_access_key,
            aws_session_token=aws_session_token,
            profile_name=profile_name,
        )
        self._resolve: Callable[[], Resolved] = partial(_resolve, self.identity)
        self._resolved: Resolved | None = None
        """Given already (an audit's scope client): then nothing is read, in no thread."""
        self._totals: AuditTotals | None = None
        """An audit's, for a scope client."""
        self._config = config or ClientConfig()
        self._transport = transport
        self._open: _Open | None = None
        self._closed = False
        self._workers: set[asyncio.Task[None]] = set()

    def __repr__(self) -> str:
        state = "open" if self._open else ("closed" if self._closed else "not opened")
        region = self._open.endpoint.signing_region if self._open else self.identity.region_name
        return f"<ImagePermissionsClient region={region!r} {state}>"

    async def __aenter__(self) -> Self:
        if self._closed:
            raise ClientClosedError("this client was closed; create a new one")
        if self._open is None:
            resolved = self._resolved
            if resolved is None:
                resolved = await asyncio.to_thread(self._resolve)
            transport = self._transport
            if transport is None:
                transport = await asyncio.to_thread(make_transport, self._config, resolved.retry)
            self._open = _Open(
                resolved,
                self._config,
                transport,
                owns=self._transport is None,
                totals=self._totals,
            )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stop running fan-outs, then close connections; safe to call more than once."""
        self._closed = True
        opened, self._open = self._open, None
        await stop(list(self._workers))
        if opened is not None:
            if opened.owns_transport:
                await opened.transport.aclose()
            if self._resolved is None:
                # Credentials it resolved itself; an audit's scope client was given its
                # account's, which the audit closes: closing them here cancelled a renewal
                # another scope of the account had in flight.
                await opened.pipeline.credentials.aclose()

    @property
    def region_name(self) -> str:
        return self._opened().endpoint.signing_region

    @property
    def endpoint_url(self) -> str:
        return self._opened().endpoint.url

    @property
    def stats(self) -> StatsSnapshot:
        """Requests, retries, throttles, errors and latency so far."""
        return self._opened().pipeline.stats.snapshot()

    async def describe_workspace_image_permissions(self, **params: Any) -> dict[str, Any]:
        """One page, exactly as ``boto3``'s method of the same name returns it."""
        validate_image_permissions_params(params)
        return await self._call(IMAGE_PERMISSIONS, params)

    async def update_workspace_image_permission(self, **params: Any) -> dict[str, Any]:
        """Share (``AllowCopyImage=True``) or unshare (``False``) an image with one account, as
        boto3's method of the same name; retried like every call, since it is idempotent."""
        validate_update_permission_params(params)
        opened = self._opened(in_loop=True)
        if opened.update_operation is None:
            opened.update_operation = await asyncio.to_thread(_update_operation)
        return await self._call(opened.update_operation, params)

    async def describe_workspace_images(self, **params: Any) -> dict[str, Any]:
        """One page of DescribeWorkspaceImages, as boto3 returns it (``Created`` as a datetime)."""
        opened = self._opened(in_loop=True)
        operation = opened.images_operation or _LOADED.get("images")
        if operation is None:
            operation = await asyncio.to_thread(_load, "images", _images_operation)
        opened.images_operation = operation
        operation.validate(params)
        return await self._call(operation, params)

    async def paginate_image_permissions(
        self, image_id: str, *, page_size: int | None = None
    ) -> AsyncGenerator[dict[str, Any]]:
        """Every page of one image, until the server stops sending ``NextToken``."""
        params: dict[str, Any] = {"ImageId": image_id}
        if page_size is not None:
            params["MaxResults"] = page_size
        validate_image_permissions_params(params)
        async with aclosing(paginate(self._call_permissions, params)) as pages:
            async for page in pages:
                yield page

    async def iter_image_ids(
        self, *, image_type: str | None = "OWNED", page_size: int | None = None
    ) -> AsyncGenerator[str]:
        """The id of every image, over all pages of DescribeWorkspaceImages."""
        validate_image_listing(image_type, page_size)
        params: dict[str, Any] = {}
        if image_type is not None:
            params["ImageType"] = image_type
        if page_size is not None:
            params["MaxResults"] = page_size

        async def call(request: dict[str, Any]) -> dict[str, Any]:
            return await self._call(IMAGE_IDS, request)

        async with aclosing(paginate(call, params)) as pages:
            async for page in pages:
                for image_id in page["ImageIds"]:
                    yield image_id

    def fan_out(
        self,
        image_ids: Iterable[str] | AsyncIterable[str],
        *,
        concurrency: int = 32,
        page_size: int | None = None,
        ordered: bool = False,
    ) -> FanOut:
        """Audit many images at once: one ``ImagePermissionsResult`` per distinct id.

        ``image_ids`` is consumed lazily; ``concurrency`` images are in flight at most (and never
        more requests than the connection pool allows). Results come in completion order, or in
        input order with ``ordered=True``. Leaving the loop early, ``aclose()`` or cancelling the
        consumer cancels the requests in flight.
        """
        self._opened(in_loop=True)
        validate_page_size(page_size)
        return FanOut(
            image_ids,
            partial(fetch_image, self._call_permissions, page_size=page_size),
            concurrency=concurrency,
            ordered=ordered,
            spawn=self._spawn,
        )

    def _spawn(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(work)
        self._workers.add(task)
        task.add_done_callback(self._workers.discard)
        return task

    async def _call_permissions(self, params: dict[str, Any]) -> dict[str, Any]:
        return await self._call(IMAGE_PERMISSIONS, params)

    async def _call(self, operation: Operation, params: dict[str, Any]) -> dict[str, Any]:
        return await self._opened(in_loop=True).pipeline.call(operation, params)

    def _opened(self, *, in_loop: bool = False) -> _Open:
        """The open state; ``in_loop`` also checks that the caller runs on the client's loop, whose
        connections, locks and tasks cannot serve another."""
        opened = self._open
        if opened is None:
            if self._closed:
                raise ClientClosedError("this client is closed")
            raise ClientClosedError(
                "the client is not open: use `async with ImagePermissionsClient(...) as client:`"
            )
        if in_loop and asyncio.get_running_loop() is not opened.loop:
            raise RuntimeError(
                "this client was opened in another event loop: a client belongs to the loop that "
                "opened it, so open one in each loop (`async with ImagePermissionsClient(...)`)"
            )
        return opened
