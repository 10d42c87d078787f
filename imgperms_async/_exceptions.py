"""The errors this package raises, all rooted in botocore's so boto3 code catches them unchanged.

    botocore.exceptions.ClientError
     └── ClientError                         any error answer from the service
          ├── AccessDeniedException
          ├── InvalidParameterValuesException
          ├── OperationNotSupportedException
          ├── ResourceNotFoundException
          ├── ResourceUnavailableException
          └── ThrottlingException
    botocore.exceptions.ParamValidationError
     └── ParamValidationError                bad input, raised before any request
    botocore.exceptions.PaginationError
     └── PaginationError                     a server that never stops paginating
    botocore.parsers.ResponseParserError
     └── MalformedResponseError              an answer that is not the operation's output
    botocore.exceptions.InvalidConfigError, ValueError
     └── InvalidSettingError                 a setting that cannot work, named with its source
          └── InvalidEndpointError           ... an endpoint URL (also botocore's
                                             InvalidEndpointConfigurationError)
    RuntimeError
     └── ClientClosedError                   the client used outside ``async with``

Transport failures stay botocore's own classes (``EndpointConnectionError``,
``ConnectTimeoutError``, ``ReadTimeoutError``, ``ConnectionClosedError``): boto3 users already catch them.
Region and credential problems are botocore's ``NoRegionError`` and ``NoCredentialsError``.

The modeled errors are the subclasses of ``ClientError`` defined here: everything that lists them
(``error_class_for``, ``client.exceptions``) is derived from these class definitions.
"""

from __future__ import annotations

from typing import Any, ClassVar

from botocore import exceptions as _botocore
from botocore import parsers as _parsers

__all__ = [
    "MODELED_ERRORS",
    "AccessDeniedException",
    "ClientClosedError",
    "ClientError",
    "ExceptionsNamespace",
    "InvalidEndpointError",
    "InvalidParameterValuesException",
    "InvalidSettingError",
    "MalformedResponseError",
    "OperationNotSupportedException",
    "PaginationError",
    "ParamValidationError",
    "ResourceNotFoundException",
    "ResourceUnavailableException",
    "ThrottlingException",
    "error_class_for",
    "error_code",
]


class ClientError(_botocore.ClientError):
    """An error answer from WorkSpaces, shaped exactly as boto3 reports it."""

    members: ClassVar[tuple[str, ...]] = ()
    """Members of the error's shape in the service model, copied to the top of the response by
    boto3 (``error.response["ResourceId"]``)."""

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (self.response, self.operation_name)


class AccessDeniedException(ClientError):
    members = ("message",)


class InvalidParameterValuesException(ClientError):
    members = ("message",)


class OperationNotSupportedException(ClientError):
    members = ("message", "reason")


class ResourceNotFoundException(ClientError):
    members = ("message", "ResourceId")


class ResourceUnavailableException(ClientError):
    members = ("message", "ResourceId")


class ThrottlingException(ClientError):
    pass


MODELED_ERRORS: dict[str, type[ClientError]] = {
    cls.__name__: cls for cls in ClientError.__subclasses__()
}
"""Every modeled error by its code, from the classes above."""


class ParamValidationError(_botocore.ParamValidationError):
    """An input that the service model rejects; nothing was sent."""


class PaginationError(_botocore.PaginationError):
    """The server kept paginating past the point where it could be making progress."""


class MalformedResponseError(_parsers.ResponseParserError):
    """A success status with a body that is not valid output: retried, since proxies and dropped
    connections produce such bodies and the next answer is usually whole."""


class InvalidSettingError(_botocore.InvalidConfigError, ValueError):
    """A setting (argument, environment variable, config file entry, option) that cannot work:
    raised when the client is built or entered, never per request. Built as
    ``InvalidSettingError(error_msg=...)``, botocore's form."""


class InvalidEndpointError(  # type: ignore[misc]  # both bases keep botocore's **kwargs
    InvalidSettingError, _botocore.InvalidEndpointConfigurationError
):
    """An endpoint URL that cannot be a WorkSpaces endpoint; boto3 code catching botocore's
    ``InvalidEndpointConfigurationError`` catches it too."""


class ClientClosedError(RuntimeError):
    """The client was used before ``async with`` opened it or after it was closed."""


def error_class_for(code: str) -> type[ClientError]:
    """The modeled subclass for an error code, so callers can catch by name as with boto3."""
    return MODELED_ERRORS.get(code, ClientError)


def error_code(error: BaseException) -> str:
    """The service's error code when the error is an answer that has one, else the class name."""
    if isinstance(error, _botocore.ClientError):
        code = error.response.get("Error", {}).get("Code")
        if code:
            return str(code)
    return type(error).__name__


_Modeled = ClientError


class ExceptionsNamespace:
    """``client.exceptions``: the modeled errors by name, as boto3 clients expose them."""

    ClientError = ClientError
    ParamValidationError = ParamValidationError

    def __getattr__(self, name: str) -> type[_Modeled]:
        try:
            return MODELED_ERRORS[name]
        except KeyError:
            raise AttributeError(f"{name!r} is not an error WorkSpaces models") from None
