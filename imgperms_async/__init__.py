"""Asyncio client for Amazon WorkSpaces image permissions: one call, every page, or thousands of images."""

from imgperms_async._client import ImagePermissionsClient
from imgperms_async._config import ClientConfig
from imgperms_async._exceptions import (
    AccessDeniedException,
    ClientClosedError,
    ClientError,
    InvalidParameterValuesException,
    MalformedResponseError,
    PaginationError,
    ParamValidationError,
    ResourceNotFoundException,
    ThrottlingException,
)
from imgperms_async._fanout import ImagePermissionsResult
from imgperms_async._stats import StatsSnapshot
from imgperms_async._version import __version__

__all__ = [
    "AccessDeniedException",
    "ClientClosedError",
    "ClientConfig",
    "ClientError",
    "ImagePermissionsClient",
    "ImagePermissionsResult",
    "InvalidParameterValuesException",
    "MalformedResponseError",
    "PaginationError",
    "ParamValidationError",
    "ResourceNotFoundException",
    "StatsSnapshot",
    "ThrottlingException",
    "__version__",
]
