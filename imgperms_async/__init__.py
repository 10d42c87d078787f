"""Asyncio client for Amazon WorkSpaces image permissions: one call, every page, or thousands of images."""

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
from imgperms_async._version import __version__

__all__ = [
    "AccessDeniedException",
    "ClientClosedError",
    "ClientError",
    "InvalidParameterValuesException",
    "MalformedResponseError",
    "PaginationError",
    "ParamValidationError",
    "ResourceNotFoundException",
    "ThrottlingException",
    "__version__",
]
