"""The aiohttp application: every service on one port, every request through one pipeline.

A request goes to the service its credential scope names, as `AWS_ENDPOINT_URL` sends every
service to one place; an unsigned one goes where its envelope points. Then, in AWS's order:
authenticate, check the account has enabled the region, throttle, inject faults, read the
envelope, answer. Every step raises ServiceError; the service's protocol renders it.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable, Sequence
from email.utils import formatdate

from aiohttp import web
from multidict import MultiMapping

from ._errors import AuthFailure, ServiceError
from ._faults import NO_FAULT, FaultDecision, FaultPlan
from ._identity import Identities, Principal
from ._json_protocol import JsonProtocol, Params
from ._query_protocol import FORM_CONTENT_TYPE
from ._request_log import RequestLog, RequestRecord
from ._service import Call, Service
from ._sigv4 import INVALID_TOKEN, CredentialScope, SignedRequest, SigV4Verifier, credential_scope
from ._throttle import TokenBucket
from ._truth import scoped_truth
from ._world import World

__all__ = ["EmulatorServer", "RequestIds"]

GLOBAL_REGION = "us-east-1"
_SERVER_FAULTS = {
    "http_500": ("InternalFailure", "An internal error occurred.", 500),
    "http_503": ("ServiceUnavailable", "The service is unavailable.", 503),
}
"""Each injected fault raises an error of its own: one raised again and again would gather every
faulted request's frames in its traceback."""


class RequestIds:
    """UUID-shaped request ids from a seeded prefix and a counter: unique, and cheap to make."""

    def __init__(self, seed: int) -> None:
        digest = hashlib.sha256(f"request-ids-{seed}".encode()).hexdigest()
        self._prefix = f"{digest[:8]}-{digest[8:12]}-4{digest[12:15]}-a{digest[15:18]}-"
        self._next = 0

    def next(self) -> str:
        self._next += 1
        return f"{self._prefix}{self._next:012x}"


class EmulatorServer:
    """Owns the per-request path; everything it needs is built once, before the first request."""

    def __init__(
        self,
        *,
        world: World,
        identities: Identities,
        services: Sequence[Service],
        verify: bool,
        clock: Callable[[], float],
        bucket: TokenBucket | None,
        faults: FaultPlan,
        retry_after: float | None,
        log: RequestLog,
        request_ids: RequestIds,
    ) -> None:
        self._world = world
        self._identities = identities
        self._services = {service.name: service for service in services}
        self._regions = {service.name: self._served(service) for service in services}
        self._verifiers = {
            service.name: SigV4Verifier(
                identities.credential,
                service=service.name,
                regions=self._regions[service.name],
                clock=clock,
            )
            for service in services
            if verify
        }
        self._default_service = services[0]
        self._clock = clock
        self._bucket = bucket
        self._faults = faults
        self._log = log
        self._request_ids = request_ids
        self._throttle_headers = (
            {} if retry_after is None else {"x-amz-retry-after": str(round(retry_after * 1000))}
        )
        self._date_second = -1
        self._date = ""
        self._inspections: dict[str, Callable[[], web.Response]] = {
            "/_emulator/stats": self._stats,
            "/_emulator/health": self._health,
            "/_emulator/truth": self._truth,
        }

    def _served(self, service: Service) -> frozenset[str]:
        """The regions a scope may name for this service: STS and Organizations, global
        services, also answer for the region of their global endpoint."""
        regions = frozenset(self._world.regions)
        return regions | {GLOBAL_REGION} if service.global_endpoint else regions

    def handler(self) -> web.Server:
        """aiohttp's low-level server: one route table of four entries needs no router."""
        return web.Server(self._route, access_log=None)

    async def _route(self, request: web.BaseRequest) -> web.StreamResponse:
        if request.method == "POST" and request.path == "/":
            return await self._handle(request)
        if request.method == "GET":
            inspect = self._inspections.get(request.path)
            if inspect is not None:
                return inspect()
        return self._not_found()

    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        body = await request.read()
        headers = request.headers
        scope = credential_scope(headers.get("Authorization"))
        service = (scope and self._services.get(scope.service)) or self._addressed(headers, body)
        protocol = service.protocol
        operation = protocol.operation(headers, body)
        request_id = self._request_ids.next()
        params: Params = {}
        call: Call | None = None
        decision = NO_FAULT
        try:
            call = self._caller(service, request, body, scope)
            if service.throttled:
                self._throttle(call)
            if self._faults.active:
                decision = self._faults.decide(
                    f"{service.name}|{call.account.account_id}|{call.region}|{operation}", body
                )
                await self._inject(decision)
            operation, params = protocol.read(headers, body)
            payload = protocol.wrap(operation, service.answer(operation, params, call), request_id)
            if decision.malformed:
                self._log.count("malformed")
                payload = payload[: len(payload) // 2]
            status, error_code = 200, None
            answer_headers = {"Content-Type": protocol.content_type}
        except ServiceError as error:
            status, error_code, answer_headers, payload = protocol.error(error, request_id)
            if error.code == "ThrottlingException":
                answer_headers.update(self._throttle_headers)
        now = self._clock()
        answer_headers.update(self._common_headers(request_id, now))
        self._log.add(_record(service, operation, params, status, error_code, call, now))
        if decision.failure == "dropped":
            return await _cut(request, status, answer_headers, payload)
        return web.Response(status=status, body=payload, headers=answer_headers)

    def _addressed(self, headers: MultiMapping[str], body: bytes) -> Service:
        """The service an unsigned (or oddly signed) request's envelope names."""
        target = headers.get("X-Amz-Target")
        form = headers.get("Content-Type", "").startswith(FORM_CONTENT_TYPE)
        for service in self._services.values():
            protocol = service.protocol
            if isinstance(protocol, JsonProtocol):
                if target is not None and target.startswith(protocol.target_prefix):
                    return service
            elif form and protocol.operation(headers, body) in service.operations:
                return service
        return self._default_service

    def _caller(
        self, service: Service, request: web.BaseRequest, body: bytes, scope: CredentialScope | None
    ) -> Call:
        """Who calls and where, or the error AWS answers before looking at the request."""
        verifier = self._verifiers.get(service.name)
        principal: Principal | None
        if verifier is None:
            principal = None if scope is None else self._identities.principal(scope.access_key)
            region = scope.region if scope is not None else self._world.regions[0]
            if region not in self._regions[service.name]:
                region = self._world.regions[0]
        else:
            signed = SignedRequest(
                method=request.method,
                raw_path=request.raw_path.partition("?")[0],
                query_string=request.query_string,
                headers=request.headers,
                body=body,
            )
            principal = self._identities.principal(verifier.verify(signed).access_key)
            region = scope.region if scope is not None else self._world.regions[0]
        if principal is None:
            principal = self._identities.home
        account = self._world.accounts[principal.account_id]
        if region in account.disabled_regions:
            raise AuthFailure("unrecognized", INVALID_TOKEN)
        return Call(principal, account, region)

    def _throttle(self, call: Call) -> None:
        if self._bucket is not None and not self._bucket.allow(
            (call.account.account_id, call.region)
        ):
            self._log.count("throttled")
            raise ServiceError("ThrottlingException", "Rate exceeded")

    async def _inject(self, decision: FaultDecision) -> None:
        if decision.delay > 0:
            self._log.count("latency")
            await asyncio.sleep(decision.delay)
        if decision.failure is not None:
            self._log.count(decision.failure)
        server_fault = _SERVER_FAULTS.get(decision.failure or "")
        if server_fault is not None:
            raise ServiceError(*server_fault)

    def _common_headers(self, request_id: str, now: float) -> dict[str, str]:
        if int(now) != self._date_second:
            self._date_second = int(now)
            self._date = formatdate(now, usegmt=True)
        return {"x-amzn-RequestId": request_id, "Date": self._date}

    def _stats(self) -> web.Response:
        return web.json_response(
            {
                "requests": len(self._log.records),
                "counters": dict(self._log.counters),
                "scopes": {
                    f"{account}/{region}": dict(counters)
                    for (account, region), counters in self._log.scopes.items()
                },
            }
        )

    def _health(self) -> web.Response:
        return web.json_response({"status": "ok"})

    def _truth(self) -> web.Response:
        return web.json_response(scoped_truth(self._world).to_json())

    def _not_found(self) -> web.Response:
        error = ServiceError("UnknownOperationException", "Only POST / is served.", 404)
        request_id = self._request_ids.next()
        status, _code, headers, payload = self._default_service.protocol.error(error, request_id)
        headers.update(self._common_headers(request_id, self._clock()))
        return web.Response(status=status, body=payload, headers=headers)


def _record(
    service: Service,
    operation: str | None,
    params: Params,
    status: int,
    error_code: str | None,
    call: Call | None,
    time: float,
) -> RequestRecord:
    allow = params.get("AllowCopyImage")
    return RequestRecord(
        operation=operation,
        image_id=_str_or_none(params.get("ImageId")),
        next_token=_str_or_none(params.get("NextToken")),
        status=status,
        error_code=error_code,
        time=time,
        access_key=None if call is None else call.principal.credentials.access_key,
        service=service.name,
        account_id=None if call is None else call.account.account_id,
        region=None if call is None else call.region,
        shared_account_id=_str_or_none(params.get("SharedAccountId")),
        allow_copy_image=allow if isinstance(allow, bool) else None,
        changed=None if call is None else call.changed,
        role_arn=_str_or_none(params.get("RoleArn")),
    )


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None


async def _cut(
    request: web.BaseRequest, status: int, headers: dict[str, str], payload: bytes
) -> web.StreamResponse:
    """Send the headers and half the body, then close: a connection lost mid-response."""
    response = web.StreamResponse(status=status, headers=headers)
    response.content_length = len(payload)
    await response.prepare(request)
    await response.write(payload[: len(payload) // 2])
    if request.transport is not None:
        request.transport.close()
    return response
