"""Input checks for DescribeWorkspaceImagePermissions, UpdateWorkspaceImagePermission and a
listing of image ids, done before anything is signed or sent; and the account-id rule every
other input shares.

The limits are the WorkSpaces service model's (botocore ``workspaces`` 2015-04-08). They are written
out here rather than loaded because loading the model costs tens of milliseconds at start-up;
``tests/unit/test_validation.py`` compares every one against botocore's model so they cannot drift.
Other operations validate with botocore's own ``ParamValidator`` (see ``_service_model.py``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from imgperms_async._exceptions import ParamValidationError

IMAGE_ID_PATTERN: Final = "wsi-[0-9a-z]{9,63}$"
ACCOUNT_ID_PATTERN: Final = "^\\d{12}$"
MAX_RESULTS_RANGE: Final = (1, 25)
NEXT_TOKEN_LENGTH_RANGE: Final = (1, 2048)
IMAGE_TYPES: Final = ("OWNED", "SHARED")

_IMAGE_ID = re.compile(IMAGE_ID_PATTERN)
"""Matched whole (``fullmatch``): with ``match``, the model's ``$`` also accepts a trailing newline."""
ACCOUNT_ID: Final = re.compile(r"[0-9]{12}")
"""The model's ``\\d{12}`` as AWS means it: ASCII digits (Python's ``\\d`` takes any script's)."""
_KNOWN: Final = frozenset({"ImageId", "NextToken", "MaxResults"})
_UPDATE_KNOWN: Final = ("ImageId", "AllowCopyImage", "SharedAccountId")


def validate_image_permissions_params(params: Mapping[str, Any]) -> None:
    """Raise ``ParamValidationError`` naming every bad parameter, as botocore reports them."""
    problems: list[str] = []
    unknown = sorted(set(params) - _KNOWN)
    for name in unknown:
        problems.append(
            f'Unknown parameter in input: "{name}", must be one of: ImageId, NextToken, MaxResults'
        )
    image_id = params.get("ImageId")
    if image_id is None:
        problems.append('Missing required parameter in input: "ImageId"')
    else:
        problems.extend(image_id_problems(image_id))
    if (max_results := params.get("MaxResults")) is not None:
        problems.extend(_max_results_problems(max_results))
    if (token := params.get("NextToken")) is not None:
        problems.extend(_next_token_problems(token))
    if problems:
        raise ParamValidationError(report="\n".join(problems))


def validate_image_listing(image_type: object, page_size: object) -> None:
    """DescribeWorkspaceImages' ``ImageType`` and ``MaxResults`` as a listing of ids sends them."""
    problems = [] if page_size is None else _max_results_problems(page_size)
    if image_type is not None and not isinstance(image_type, str):
        problems.append(
            f"Invalid type for parameter ImageType, value: {image_type!r}, "
            f"type: {type(image_type)}, valid types: {str!r}"
        )
    elif image_type is not None and image_type not in IMAGE_TYPES:
        problems.append(
            f"Invalid value for parameter ImageType, value: {image_type}, "
            f"valid values: {', '.join(IMAGE_TYPES)}"
        )
    if problems:
        raise ParamValidationError(report="\n".join(problems))


def validate_update_permission_params(params: Mapping[str, Any]) -> None:
    """UpdateWorkspaceImagePermission's input: every member required, the account 12 digits."""
    problems = [
        f'Unknown parameter in input: "{name}", must be one of: {", ".join(_UPDATE_KNOWN)}'
        for name in sorted(set(params) - set(_UPDATE_KNOWN))
    ]
    problems += [
        f'Missing required parameter in input: "{name}"'
        for name in _UPDATE_KNOWN
        if params.get(name) is None
    ]
    if (image_id := params.get("ImageId")) is not None:
        problems.extend(image_id_problems(image_id))
    if (allow := params.get("AllowCopyImage")) is not None and not isinstance(allow, bool):
        problems.append(
            f"Invalid type for parameter AllowCopyImage, value: {allow!r}, "
            f"type: {type(allow)}, valid types: {bool!r}"
        )
    if (account := params.get("SharedAccountId")) is not None:
        problems.extend(_account_id_problems(account))
    if problems:
        raise ParamValidationError(report="\n".join(problems))


def _account_id_problems(value: object) -> list[str]:
    if not isinstance(value, str):
        return [
            f"Invalid type for parameter SharedAccountId, value: {value!r}, "
            f"type: {type(value)}, valid types: {str!r}"
        ]
    if ACCOUNT_ID.fullmatch(value) is None:
        return [
            f"Invalid value for parameter SharedAccountId, value: {value!r}, "
            f"must match pattern: {ACCOUNT_ID_PATTERN}"
        ]
    return []


def image_id_problems(image_id: object) -> list[str]:
    """What is wrong with one image id, if anything; fan-out uses it to reject ids without a request."""
    if not isinstance(image_id, str):
        return [
            f"Invalid type for parameter ImageId, value: {image_id!r}, "
            f"type: {type(image_id)}, valid types: {str!r}"
        ]
    if _IMAGE_ID.fullmatch(image_id) is None:
        return [
            f"Invalid value for parameter ImageId, value: {image_id!r}, "
            f"must match pattern: {IMAGE_ID_PATTERN}"
        ]
    return []


def _max_results_problems(value: object) -> list[str]:
    low, high = MAX_RESULTS_RANGE
    if not isinstance(value, int) or isinstance(value, bool):
        return [
            f"Invalid type for parameter MaxResults, value: {value!r}, "
            f"type: {type(value)}, valid types: {int!r}"
        ]
    if value < low:
        return [f"Invalid value for parameter MaxResults, value: {value}, valid min value: {low}"]
    if value > high:
        return [f"Invalid value for parameter MaxResults, value: {value}, valid max value: {high}"]
    return []


def _next_token_problems(value: object) -> list[str]:
    low, high = NEXT_TOKEN_LENGTH_RANGE
    if not isinstance(value, str):
        return [
            f"Invalid type for parameter NextToken, value: {value!r}, "
            f"type: {type(value)}, valid types: {str!r}"
        ]
    if len(value) < low:
        return [
            f"Invalid length for parameter NextToken, value: {len(value)}, valid min length: {low}"
        ]
    if len(value) > high:
        return [
            f"Invalid length for parameter NextToken, value: {len(value)}, valid max length: {high}"
        ]
    return []


def validate_page_size(page_size: object) -> None:
    """A fan-out's ``page_size`` is every request's ``MaxResults``: check it once, up front."""
    if page_size is not None and (problems := _max_results_problems(page_size)):
        raise ParamValidationError(report="\n".join(problems))
