"""Asyncio client for Amazon WorkSpaces image permissions: one call, every page, or thousands of images."""

from imgperms_async._accounts import Account, accounts_from_text
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
    OperationNotSupportedException,
    PaginationError,
    ParamValidationError,
    ResourceNotFoundException,
    ResourceUnavailableException,
    ThrottlingException,
    error_code,
)
from imgperms_async._fanout import FanOut, ImagePermissionsResult
from imgperms_async._http import HttpRequest, HttpResponse, Transport
from imgperms_async._mock_transport import MockResponse, MockTransport
from imgperms_async._organization import (
    AuditTotals,
    OrganizationAudit,
    OrganizationUnavailableError,
    ScopeResult,
    ShareClass,
)
from imgperms_async._stats import StatsSnapshot
from imgperms_async._version import __version__

__all__ = [
    "AccessDeniedException",
    "Account",
    "AiohttpTransport",
    "AuditTotals",
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
    "OperationNotSupportedException",
    "OrganizationAudit",
    "OrganizationUnavailableError",
    "PaginationError",
    "ParamValidationError",
    "ResourceNotFoundException",
    "ResourceUnavailableException",
    "ScopeResult",
    "ShareClass",
    "StatsSnapshot",
    "ThrottlingException",
    "Transport",
    "__version__",
    "accounts_from_text",
    "error_code",
]
