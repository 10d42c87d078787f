"""The Resource Groups Tagging API's GetResources: nothing in the emulator is tagged.

Cloud Custodian asks it for the tags of the WorkSpaces images it audits; an empty answer, well
formed and validated, lets it run against the emulator unchanged.
"""

from __future__ import annotations

from .._errors import ServiceError
from .._protocols import Params
from .._protocols.json11 import JsonProtocol, dumps
from .._protocols.params import optional
from . import AccessDenied, Call, Permission

__all__ = ["Tagging"]

_BOUNDS = {"ResourcesPerPage": (1, 100), "TagsPerPage": (100, 500)}
_LISTS = {"TagFilters": 50, "ResourceTypeFilters": 100, "ResourceARNList": 100}
_EMPTY = dumps({"PaginationToken": "", "ResourceTagMappingList": []})


def _invalid(message: str) -> ServiceError:
    return ServiceError("InvalidParameterException", message)


class Tagging:
    name = "tagging"
    endpoint_variable = "RESOURCE_GROUPS_TAGGING_API"
    protocol = JsonProtocol("ResourceGroupsTaggingAPI_20170126.", message_key="Message")
    global_endpoint = False
    access_denied = AccessDenied("AccessDeniedException")

    def permissions(self, operation: str, params: Params, call: Call) -> tuple[Permission, ...]:
        return (Permission(f"tag:{operation}", "*"),)

    def answer(self, operation: str, params: Params, call: Call) -> bytes:
        if operation != "GetResources":
            raise ServiceError("UnknownOperationException", f"Unknown operation {operation}")
        for key, (low, high) in _BOUNDS.items():
            value = optional(params, key, int)
            if value is not None and not low <= value <= high:
                raise _invalid(f"{key} must be between {low} and {high}, got {value}.")
        for key, most in _LISTS.items():
            items = optional(params, key, list)
            if items is not None and len(items) > most:
                raise _invalid(f"{key} holds at most {most} items, got {len(items)}.")
        if optional(params, "PaginationToken", str):
            raise _invalid("The pagination token is invalid.")
        return _EMPTY
