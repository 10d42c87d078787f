"""Reading JSON request parameters with the types and bounds the service models give them.

Constraints are hand-coded so the emulator needs no botocore at runtime.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from .._errors import ServiceError
from . import Params

__all__ = ["optional", "required"]

_T = TypeVar("_T")


def optional(params: Params, key: str, kind: type[_T]) -> _T | None:
    """A JSON member of the given type, or None; a wrong type is AWS's SerializationException."""
    value = params.get(key)
    if value is None:
        return None
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ServiceError(
            "SerializationException", f"Unexpected value type for '{key}': {type(value).__name__}"
        )
    return value


def required(
    params: Params, key: str, kind: type[_T], missing: Callable[[str], ServiceError]
) -> _T:
    """A member that must be there; `missing` builds the service's own error for its absence."""
    value = optional(params, key, kind)
    if value is None:
        raise missing(key)
    return value
