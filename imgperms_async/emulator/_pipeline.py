"""One request in, one answer out: every service on one port, every request through one chain.

A request goes to the service its credential scope names, as `AWS_ENDPOINT_URL` sends every
service to one place; an unsigned one goes where its envelope points. Then, in AWS's order:
authenticate, check the account has enabled the region, throttle, inject faults, read the
envelope, authorize, answer. Every step raises ServiceError; the service's protocol renders it.
Nothing here knows the HTTP server: `_http` hands requests in and sends answers out.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from email.utils import formatdate

from ._errors import AuthFailure, ServiceError, Throttled
from ._faults import NO_FAULT, FaultDecision, FaultPlan
from ._iam.authorization import Authorizer
from ._identity import Identities, Principal
from ._model.accounts import World
from ._protocols import Params, RawRequest
from ._request_log import RequestLog, RequestRecord
from ._services import Call, Service
from ._sigv4 import INVALID_TOKEN, CredentialScope, SignedRequest, SigV4Verifier, credential_scope
from ._throttle import RateLimit

__all__ = ["Answer", "RequestIds", "RequestPipeline"]

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


@dataclass(frozen=True, slots=True)
class Answer:
    """What to send back; `cut` asks the server to drop the connection halfway through."""

    status: int
    headers: dict[str, str]
    body: bytes
    cut: bool = False


class RequestPipeline:
    """Owns the per-request path; everything it needs is built once, before the first request."""

    def __init__(
        self,
        *,
        world: World,
        identities: Identities,
        services: Sequence[Service],
        verify: bool,
        clock: Callable[[], float],
        limits: Mapping[str, RateLimit],
        faults: FaultPlan,
        retry_after: float | None,
        authorizer: Authorizer | None,
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
        self._limits = limits
        self._faults = faults
        self._authorizer = authorizer
        self._log = log
        self._request_ids = request_ids
        self._throttle_headers = (
            {} if retry_after is None else {"x-amz-retry-after": str(round(retry_after * 1000))}
        )
        self._date_second = -1
        self._date = ""

    def _served(self, service: Service) -> frozenset[str]:
        """The regions a scope may name for this service: STS and Organizations, global
        services, also answer for the region of their global endpoint."""
        regions = frozenset(self._world.regions)
        return regions | {GLOBAL_REGION} if service.global_endpoint else regions

    def serves(self, request: RawRequest) -> bool:
        """Whether a POST to this path is for some service: `/`, or a REST service's route."""
        return request.path == "/" or any(
            service.protocol.addressed_by(request) for service in self._services.values()
        )

    async def answer(self, request: RawRequest) -> Answer:
        scope = credential_scope(request.headers.get("Authorization"))
        service = (scope and self._services.get(scope.service)) or self._addressed(request)
        protocol = service.protocol
        operation = protocol.operation(request)
        request_id = self._request_ids.next()
        params: Params = {}
        call: Call | None = None
        decision = NO_FAULT
        try:
            call = self._caller(service, request, scope)
            limit = self._limits.get(service.name)
            if limit is not None:
                self._spend(limit, operation, call)
            if self._faults.active:
                decision = self._faults.decide(
                    f"{service.name}|{call.account.account_id}|{call.region}|{operation}",
                    request.body,
                )
                await self._inject(decision)
            operation, params = protocol.read(request)
            if self._authorizer is not None:
                self._authorizer.check(service, service.permissions(operation, params, call), call)
            payload = protocol.wrap(operation, service.answer(operation, params, call), request_id)
            if decision.malformed:
                self._log.count("malformed")
                payload = payload[: len(payload) // 2]
            status, error_code = 200, None
            headers = {"Content-Type": protocol.content_type}
        except ServiceError as error:
            status, error_code, headers, payload = protocol.error(error, request_id)
            if isinstance(error, Throttled):
                headers.update(self._throttle_headers)
        now = self._clock()
        headers.update(self._common_headers(request_id, now))
        self._log.add(_record(service, operation, params, status, error_code, call, now))
        return Answer(status, headers, payload, cut=decision.failure == "dropped")

    def not_found(self) -> Answer:
        """The answer to a request no service serves, in the first service's words."""
        error = ServiceError("UnknownOperationException", "No service is served here.", 404)
        request_id = self._request_ids.next()
        status, _code, headers, payload = self._default_service.protocol.error(error, request_id)
        headers.update(self._common_headers(request_id, self._clock()))
        return Answer(status, headers, payload)

    def _addressed(self, request: RawRequest) -> Service:
        """The service an unsigned (or oddly signed) request's envelope names."""
        for service in self._services.values():
            if service.protocol.addressed_by(request):
                return service
        return self._default_service

    def _caller(self, service: Service, request: RawRequest, scope: CredentialScope | None) -> Call:
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
                raw_path=request.raw_path,
                query_string=request.query_string,
                headers=request.headers,
                body=request.body,
            )
            principal = self._identities.principal(verifier.verify(signed).access_key)
            region = scope.region if scope is not None else self._world.regions[0]
        if principal is None:
            principal = self._identities.home
        account = self._world.accounts[principal.account_id]
        if region in account.disabled_regions:
            raise AuthFailure("unrecognized", INVALID_TOKEN)
        return Call(principal, account, region)

    def _spend(self, limit: RateLimit, operation: str | None, call: Call) -> None:
        try:
            limit.spend(operation, call.account.account_id, call.region)
        except Throttled:
            self._log.count("throttled")
            raise

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
