"""The errors this package raises, all rooted in botocore's so boto3 code catches them unchanged.

    botocore.exceptions.ClientError
     └── ClientError                         any error answer from the service
          ├── AccessDeniedException
          ├── InvalidParameterValuesException
          ├── ResourceNotFoundException
          └── ThrottlingException
    botocore.exceptions.ParamValidationError
     └── ParamValidationError                bad input, raised before any request
    botocore.exceptions.PaginationError
     └── PaginationError                     a server that never stops paginating
    botocore.parsers.ResponseParserError
     └── MalformedResponseError              an answer that is not the operation's output
    RuntimeError
     └── ClientClosedError                   the client used outside ``async with``

Transport failures stay botocore's own classes (``EndpointConnectionError``,
``ConnectTimeoutError``, ``ReadTimeoutError``, ``ConnectionClosedError``): boto3 users already catch them.
Region and credential problems are botocore's ``NoRegionError`` and ``NoCredentialsError``.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from botocore import exceptions as _botocore
from botocore import parsers as _parsers

__all__ = [
    "AccessDeniedException",
    "ClientClosedError",
    "ClientError",
    "ExceptionsNamespace",
    "InvalidParameterValuesException",
    "MalformedResponseError",
    "PaginationError",
    "ParamValidationError",
    "ResourceNotFoundException",
    "ThrottlingException",
    "error_class_for",
]


class ClientError(_botocore.ClientError):
    """An error answer from WorkSpaces, shaped exactly as boto3 reports it."""

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (self.response, self.operation_name)


class AccessDeniedException(ClientError):
    pass


class InvalidParameterValuesException(ClientError):
    pass


class ResourceNotFoundException(ClientError):
    pass


class ThrottlingException(ClientError):
    pass


class ParamValidationError(_botocore.ParamValidationError):
    """An input that the service model rejects; nothing was sent."""


class PaginationError(_botocore.PaginationError):
    """The server kept paginating past the point where it could be making progress."""


class MalformedResponseError(_parsers.ResponseParserError):
    """A success status with a body that is not valid output: retried, since proxies and dropped
    connections produce such bodies and the next answer is usually whole."""


class ClientClosedError(RuntimeError):
    """The client was used before ``async with`` opened it or after it was closed."""


_MODELED: MappingProxyType[str, type[ClientError]] = MappingProxyType(
    {
        cls.__name__: cls
        for cls in (
            AccessDeniedException,
            InvalidParameterValuesException,
            ResourceNotFoundException,
            ThrottlingException,
        )
    }
)


def error_class_for(code: str) -> type[ClientError]:
    """The modeled subclass for an error code, so callers can catch by name as with boto3."""
    return _MODELED.get(code, ClientError)


class ExceptionsNamespace:
    """``client.exceptions``: the modeled errors by name, as boto3 clients expose them."""

    ClientError = ClientError
    AccessDeniedException = AccessDeniedException
    InvalidParameterValuesException = InvalidParameterValuesException
    ResourceNotFoundException = ResourceNotFoundException
    ThrottlingException = ThrottlingException
    ParamValidationError = ParamValidationError
