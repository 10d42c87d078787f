"""Amazon EC2's DescribeRegions: the regions the emulator serves, as one account has them.

Opt-in regions are `opted-in` where the account enabled them and `not-opted-in` where it did
not; those are listed only with AllRegions, or when named. The rest of EC2 is not emulated.
"""

from __future__ import annotations

from .._errors import ServiceError
from .._model.accounts import World
from .._protocols import Params
from .._protocols.query import QueryProtocol, element
from .._regions import OPT_IN_REGIONS
from . import AccessDenied, Call, Permission

__all__ = ["Ec2"]

_FILTERS = ("endpoint", "opt-in-status", "region-name")


def _invalid(message: str) -> ServiceError:
    return ServiceError("InvalidParameterValue", message)


def _boolean(params: Params, key: str) -> bool:
    value = params.get(key, "false")
    if value not in ("true", "false"):
        raise _invalid(f"Invalid value '{value}' for {key}. Valid values: true, false")
    return value == "true"


def _indexed(params: Params, prefix: str) -> list[str]:
    """`Prefix.1`, `Prefix.2`, ... as the query protocol flattens a list."""
    values: list[str] = []
    while (value := params.get(f"{prefix}.{len(values) + 1}")) is not None:
        values.append(str(value))
    return values


def _filters(params: Params) -> dict[str, list[str]]:
    filters = {}
    number = 1
    while (name := params.get(f"Filter.{number}.Name")) is not None:
        if name not in _FILTERS:
            raise _invalid(f"The filter '{name}' is invalid")
        filters[str(name)] = _indexed(params, f"Filter.{number}.Value")
        number += 1
    return filters


class Ec2:
    name = "ec2"
    endpoint_variable = "EC2"
    protocol = QueryProtocol(
        version="2016-11-15",
        xmlns="http://ec2.amazonaws.com/doc/2016-11-15/",
        dialect="ec2",
        actions=frozenset({"DescribeRegions"}),
        content_type="text/xml;charset=UTF-8",
    )
    global_endpoint = False
    access_denied = AccessDenied(
        "UnauthorizedOperation", 403, "You are not authorized to perform this operation. "
    )

    def __init__(self, world: World) -> None:
        self._world = world

    def permissions(self, operation: str, params: Params, call: Call) -> tuple[Permission, ...]:
        return (Permission(f"ec2:{operation}", "*"),)

    def answer(self, operation: str, params: Params, call: Call) -> bytes:
        if operation != "DescribeRegions":
            raise ServiceError(
                "InvalidAction", f"The action {operation} is not valid for this web service."
            )
        everything = _boolean(params, "AllRegions")
        names = _indexed(params, "RegionName")
        filters = _filters(params)
        if _boolean(params, "DryRun"):
            raise ServiceError(
                "DryRunOperation", "Request would have succeeded, but DryRun flag is set.", 412
            )
        unknown = [name for name in names if name not in self._world.regions]
        if unknown:
            raise _invalid(f"Invalid region names: {', '.join(unknown)}")
        items = []
        for region in self._world.regions:
            status = self._opt_in_status(call, region)
            row = {
                "region-name": region,
                "endpoint": f"ec2.{region}.amazonaws.com",
                "opt-in-status": status,
            }
            listed = region in names if names else everything or status != "not-opted-in"
            if listed and all(row[key] in values for key, values in filters.items()):
                items.append(
                    "<item>"
                    + element("regionName", region)
                    + element("regionEndpoint", row["endpoint"])
                    + element("optInStatus", status)
                    + "</item>"
                )
        return f"<regionInfo>{''.join(items)}</regionInfo>".encode()

    @staticmethod
    def _opt_in_status(call: Call, region: str) -> str:
        if region not in OPT_IN_REGIONS:
            return "opt-in-not-required"
        return "not-opted-in" if region in call.account.disabled_regions else "opted-in"
