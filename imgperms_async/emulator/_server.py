"""The aiohttp application: the request pipeline from signature check to rendered answer.

Pipeline order mirrors AWS: authenticate, throttle, inject faults, parse the JSON 1.1
envelope, refuse denied images, run the operation. Every step raises ServiceError to answer.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from email.utils import formatdate

from aiohttp import web

from ._errors import ServiceError
from ._faults import FaultDecision, FaultPlan
from ._operations import Operations, Params
from ._request_log import RequestLog, RequestRecord
from ._sigv4 import SignedRequest, SigV4Verifier, access_key_of
from ._throttle import TokenBucket

__all__ = ["CONTENT_TYPE", "EmulatorServer"]

CONTENT_TYPE = "application/x-amz-json-1.1"
_TARGET_PREFIX = "WorkspacesService."
_SERVER_FAULTS = {
    "http_500": ServiceError("InternalFailure", "An internal error occurred.", 500),
    "http_503": ServiceError("ServiceUnavailable", "The service is unavailable.", 503),
}


class EmulatorServer:
    """Owns the per-request path; everything it needs is built once, before the first request."""

    def __init__(
        self,
        *,
        operations: Operations,
        verifier: SigV4Verifier | None,
        region: str,
        bucket: TokenBucket | None,
        faults: FaultPlan,
        denied_images: frozenset[str],
        clock: Callable[[], float],
        retry_after: float | None,
        log: RequestLog,
    ) -> None:
        self._operations = operations
        self._verifier = verifier
        self._region = region
        self._bucket = bucket
        self._faults = faults
        self._denied_images = denied_images
        self._clock = clock
        self._log = log
        self._throttle_headers = (
            {} if retry_after is None else {"x-amz-retry-after": str(round(retry_after * 1000))}
        )
        self._date_second = -1
        self._date = ""

    def application(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/", self._handle)
        app.router.add_get("/_emulator/stats", self._stats)
        app.router.add_get("/_emulator/health", self._health)
        app.router.add_route("*", "/{tail:.*}", self._not_found)
        return app

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        target = request.headers.get("X-Amz-Target", "")
        operation = target.removeprefix(_TARGET_PREFIX) if target else None
        access_key: str | None = None
        params: Params = {}
        decision = FaultDecision()
        try:
            access_key = self._authenticate(request, body)
            self._throttle(access_key)
            decision = self._faults.decide(target, body)
            await self._inject(decision)
            params = _parse(request, body, target)
            payload = self._answer(operation or "", params)
            if decision.malformed:
                self._log.count("malformed")
                payload = payload[: len(payload) // 2]
            status, error_code, headers = 200, None, self._headers()
        except ServiceError as error:
            status, error_code = error.status, error.code
            headers, payload = self._error(error)
        self._log.add(
            RequestRecord(
                operation=operation,
                image_id=_str_or_none(params.get("ImageId")),
                next_token=_str_or_none(params.get("NextToken")),
                status=status,
                error_code=error_code,
                time=self._clock(),
                access_key=access_key,
            )
        )
        if decision.failure == "dropped":
            return await _cut(request, status, headers, payload)
        return web.Response(status=status, body=payload, headers=headers)

    def _authenticate(self, request: web.Request, body: bytes) -> str | None:
        if self._verifier is None:
            return access_key_of(request.headers.get("Authorization", ""))
        signed = SignedRequest(
            method=request.method,
            raw_path=request.raw_path.partition("?")[0],
            query_string=request.query_string,
            headers=request.headers,
            body=body,
        )
        return self._verifier.verify(signed).access_key

    def _throttle(self, access_key: str | None) -> None:
        if self._bucket is not None and not self._bucket.allow(access_key or ""):
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
            raise server_fault

    def _answer(self, operation: str, params: Params) -> bytes:
        handler = self._operations.handler(operation)
        image_id = params.get("ImageId")
        if image_id in self._denied_images:
            self._log.count("denied")
            raise ServiceError(
                "AccessDeniedException",
                f"User: {self._operations.caller_arn} is not authorized to perform:"
                f" workspaces:{operation} on resource:"
                f" arn:aws:workspaces:{self._region}:{self._operations.owner_account_id}"
                f":workspaceimage/{image_id}",
            )
        return handler(params)

    def _headers(self) -> dict[str, str]:
        now = self._clock()
        if int(now) != self._date_second:
            self._date_second = int(now)
            self._date = formatdate(now, usegmt=True)
        return {
            "x-amzn-RequestId": str(uuid.uuid4()),
            "Date": self._date,
            "Content-Type": CONTENT_TYPE,
        }

    def _error(self, error: ServiceError) -> tuple[dict[str, str], bytes]:
        headers = self._headers()
        headers["x-amzn-ErrorType"] = error.code
        if error.code == "ThrottlingException":
            headers.update(self._throttle_headers)
        payload = json.dumps({"__type": error.code, "message": error.message}).encode()
        return headers, payload

    async def _stats(self, _: web.Request) -> web.Response:
        return web.json_response(
            {"requests": len(self._log.records), "counters": dict(self._log.counters)}
        )

    async def _health(self, _: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def _not_found(self, _: web.Request) -> web.Response:
        headers, payload = self._error(
            ServiceError("UnknownOperationException", "Only POST / is served.", 404)
        )
        return web.Response(status=404, body=payload, headers=headers)


def _parse(request: web.Request, body: bytes, target: str) -> Params:
    if request.headers.get("Content-Type", "").partition(";")[0].strip() != CONTENT_TYPE:
        raise ServiceError("SerializationException", f"Content-Type must be {CONTENT_TYPE}.")
    if not target.startswith(_TARGET_PREFIX):
        raise ServiceError("UnknownOperationException", f"Unknown target '{target}'.")
    if not body:
        return {}
    try:
        params = json.loads(body)
    except ValueError:
        raise ServiceError(
            "SerializationException", "The request body is not valid JSON."
        ) from None
    if not isinstance(params, dict):
        raise ServiceError("SerializationException", "The request body must be a JSON object.")
    return params


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None


async def _cut(
    request: web.Request, status: int, headers: dict[str, str], payload: bytes
) -> web.StreamResponse:
    """Send the headers and half the body, then close: a connection lost mid-response."""
    response = web.StreamResponse(status=status, headers=headers)
    response.content_length = len(payload)
    await response.prepare(request)
    await response.write(payload[: len(payload) // 2])
    if request.transport is not None:
        request.transport.close()
    return response
