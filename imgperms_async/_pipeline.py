"""The one path every call takes: rate limiter and retries, protocol, signing, transport.

A ``CallPipeline`` calls one service endpoint, signed as one caller. It owns what AWS counts per
caller and endpoint: a clock-skew estimate, a retry quota, a rate limiter and the stats. The
WorkSpaces client, the control plane (STS, Organizations, EC2) and the Security Hub import each
make their calls through one, so every call has the same retry policy, clock-skew handling and
error mapping, over the same shared connection pool.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from imgperms_async._aws_config import RetrySettings, ServiceEndpoint
from imgperms_async._client_config import DEFAULT_MAX_ATTEMPTS, ClientConfig
from imgperms_async._clock import SkewClock
from imgperms_async._credentials import CredentialSource
from imgperms_async._http import Transport
from imgperms_async._modeled import ModeledOperation
from imgperms_async._protocol import Endpoint, Operation
from imgperms_async._ratelimit import (
    AdaptiveRateLimiter,
    FixedRateLimiter,
    NoRateLimiter,
    RateLimiter,
    SlowStart,
)
from imgperms_async._retry import Retrier, RetryQuota
from imgperms_async._signing import RequestSigner, SigningSender
from imgperms_async._stats import AuditTotals, Stats


class CallPipeline:
    """Calls to one service endpoint, signed with one credential source."""

    __slots__ = ("_endpoint", "_retrier", "clock", "credentials", "service_endpoint", "stats")

    def __init__(
        self,
        *,
        service_endpoint: ServiceEndpoint,
        credentials: CredentialSource,
        transport: Transport,
        config: ClientConfig,
        retry: RetrySettings,
        totals: AuditTotals | None = None,
    ) -> None:
        """``totals``: an audit's, which every call made here adds to as it is made."""
        # Nothing below may refer back to the pipeline: a cycle leaves each one (an audit makes
        # one per scope) to the cyclic collector, whose passes then took a fifth of the CPU of
        # an audit of a thousand accounts.
        self.service_endpoint = service_endpoint
        self.credentials = credentials
        self.clock = clock = SkewClock()
        self.stats = Stats(totals=totals)
        signer = RequestSigner(
            service=service_endpoint.signing_name,
            region_name=service_endpoint.signing_region,
            now=clock.time,
        )
        self._endpoint = Endpoint(
            url=service_endpoint.url,
            send=SigningSender(transport, signer, credentials).send,
            observe_date=clock.observe,
        )
        self._retrier = Retrier(
            max_attempts=config.max_attempts or retry.max_attempts or DEFAULT_MAX_ATTEMPTS,
            quota=RetryQuota(),
            limiter=rate_limiter(config, retry),
            stats=self.stats,
            clock_skew_secs=lambda: clock.skew_secs,
            credentials=lambda: credentials.current,
        )

    async def call(self, operation: Operation, params: Mapping[str, Any]) -> dict[str, Any]:
        return await self._retrier.call(self._endpoint.call, operation, params)


def rate_limiter(config: ClientConfig, retry: RetrySettings) -> RateLimiter:
    """Adaptive mode slows down when throttled, under ``max_rate`` when the caller knows the
    limit; standard mode only keeps to ``max_rate``."""
    adaptive = (config.retry_mode or retry.retry_mode or "adaptive") == "adaptive"
    burst = config.burst or 1
    if adaptive and config.max_rate is not None:
        return AdaptiveRateLimiter(ceiling=config.max_rate, burst=burst)
    if adaptive:
        return SlowStart(AdaptiveRateLimiter(), max_window=config.max_connections)
    if config.max_rate is not None:
        return FixedRateLimiter(max_rate=config.max_rate, burst=burst)
    return NoRateLimiter()


class ServiceClient:
    """Any operation of one service, in one account and region, by its name, as botocore's model
    describes it: a small async client over the same pipeline as every other call. Each
    operation's model is loaded once, in a thread."""

    def __init__(self, service: str, pipeline: CallPipeline) -> None:
        self.service = service
        self.pipeline = pipeline
        self._operations: dict[str, ModeledOperation] = {}

    @property
    def stats(self) -> Stats:
        return self.pipeline.stats

    async def call(self, operation: str, **params: Any) -> dict[str, Any]:
        """One call, validated as botocore validates it, answered as boto3 answers it."""
        modeled = self._operations.get(operation)
        if modeled is None:
            modeled = await asyncio.to_thread(ModeledOperation, self.service, operation)
            self._operations[operation] = modeled
        modeled.validate(params)
        return await self.pipeline.call(modeled, params)
