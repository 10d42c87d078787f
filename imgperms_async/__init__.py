"""Asyncio client for Amazon WorkSpaces image permissions: one call, every page, or thousands of images."""

from imgperms_async._aiohttp_transport import AiohttpTransport
from imgperms_async._client import ImagePermissionsClient
from imgperms_async._client_config import ClientConfig
from imgperms_async._exceptions import (
    AccessDeniedException,
    ClientClosedError,
    ClientError,
    InvalidParameterValuesException,
    InvalidSettingError,
    MalformedResponseError,
    PaginationError,
    ParamValidationError,
    ResourceNotFoundException,
    ThrottlingException,
    error_code,
)
from imgperms_async._fanout import FanOut, ImagePermissionsResult
from imgperms_async._http import HttpRequest, HttpResponse, Transport
from imgperms_async._mock_transport import MockResponse, MockTransport
from imgperms_async._stats import StatsSnapshot
from imgperms_async._version import __version__

__all__ = [
    "AccessDeniedException",
    "AiohttpTransport",
    "ClientClosedError",
    "ClientConfig",
    "ClientError",
    "FanOut",
    "HttpRequest",
    "HttpResponse",
    "ImagePermissionsClient",
    "ImagePermissionsResult",
    "InvalidParameterValuesException",
    "InvalidSettingError",
    "MalformedResponseError",
    "MockResponse",
    "MockTransport",
    "PaginationError",
    "ParamValidationError",
    "ResourceNotFoundException",
    "StatsSnapshot",
    "ThrottlingException",
    "Transport",
    "__version__",
    "error_code",
]
