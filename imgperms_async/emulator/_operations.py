"""The three WorkSpaces operations, validated as the 2015-04-08 service model says.

Constraints are hand-coded so the emulator needs no botocore at runtime.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

from ._errors import ServiceError
from ._state import ImageStore
from ._tokens import PageTokens

__all__ = ["MAX_IMAGES_PAGE", "Operations", "Params"]

Params = Mapping[str, object]
MAX_IMAGES_PAGE = 25
MAX_PERMISSIONS_PAGE = 25
_IMAGE_ID = re.compile(r"wsi-[0-9a-z]{9,63}")
_ACCOUNT_ID = re.compile(r"\d{12}")
_IMAGE_ID_PATTERN = "wsi-[0-9a-z]{9,63}$"
_T = TypeVar("_T")


def _dumps(payload: object) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()


def _invalid(message: str) -> ServiceError:
    return ServiceError("InvalidParameterValuesException", message)


def _typed(params: Params, key: str, kind: type[_T]) -> _T | None:
    value = params.get(key)
    if value is None:
        return None
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ServiceError(
            "SerializationException", f"Unexpected value type for '{key}': {type(value).__name__}"
        )
    return value


def _required(params: Params, key: str, kind: type[_T]) -> _T:
    value = _typed(params, key, kind)
    if value is None:
        raise _invalid(f"The parameter '{key}' is required.")
    return value


def _image_id(value: str, key: str = "imageId") -> str:
    if not _IMAGE_ID.fullmatch(value):
        raise _invalid(
            f"1 validation error detected: Value '{value}' at '{key}' failed to satisfy"
            f" constraint: Member must satisfy regular expression pattern: {_IMAGE_ID_PATTERN}"
        )
    return value


def _limit(params: Params, maximum: int) -> int | None:
    value = _typed(params, "MaxResults", int)
    if value is None:
        return None
    if not 1 <= value <= maximum:
        raise _invalid(
            f"1 validation error detected: Value '{value}' at 'maxResults' failed to satisfy"
            f" constraint: Member must have value between 1 and {maximum}"
        )
    return value


def _next_token(params: Params) -> str | None:
    value = _typed(params, "NextToken", str)
    if value is not None and not 1 <= len(value) <= 2048:
        raise _invalid(
            "1 validation error detected: Value at 'nextToken' failed to satisfy constraint:"
            " Member must have length between 1 and 2048"
        )
    return value


def _not_found(image_id: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException", f"The image {image_id} could not be found.")


class Operations:
    """Answers validated requests from the store; page bodies are cached until the store changes.

    `page_size` is the most shares a page holds: requests may ask for 1 to 25 (as the service
    model allows) and get min(asked, page_size), as AWS may return fewer than asked.
    """

    def __init__(self, store: ImageStore, tokens: PageTokens, *, page_size: int) -> None:
        self._store = store
        self.owner_account_id = store.owner_account_id
        self.caller_arn = f"arn:aws:iam::{store.owner_account_id}:user/emulator"
        self._tokens = tokens
        self._page_size = page_size
        self._pages: dict[tuple[str, int, int], bytes] = {}
        self._handlers: dict[str, Callable[[Params], bytes]] = {
            "DescribeWorkspaceImagePermissions": self.describe_workspace_image_permissions,
            "DescribeWorkspaceImages": self.describe_workspace_images,
            "UpdateWorkspaceImagePermission": self.update_workspace_image_permission,
        }

    def handler(self, operation: str) -> Callable[[Params], bytes]:
        handler = self._handlers.get(operation)
        if handler is None:
            raise ServiceError("UnknownOperationException", f"Unknown operation {operation}")
        return handler

    def describe_workspace_image_permissions(self, params: Params) -> bytes:
        image_id = _image_id(_required(params, "ImageId", str))
        asked = _limit(params, MAX_PERMISSIONS_PAGE)
        limit = self._page_size if asked is None else min(asked, self._page_size)
        token = _next_token(params)
        if image_id not in self._store:
            raise _not_found(image_id)
        offset = 0 if token is None else self._tokens.offset(image_id, token)
        key = (image_id, offset, limit)
        body = self._pages.get(key)
        if body is None:
            body = self._pages[key] = self._permissions_page(image_id, offset, limit)
        return body

    def _permissions_page(self, image_id: str, offset: int, limit: int) -> bytes:
        accounts = self._store.shares(image_id)
        page: dict[str, object] = {
            "ImageId": image_id,
            "ImagePermissions": [
                {"SharedAccountId": account} for account in accounts[offset : offset + limit]
            ],
        }
        if offset + limit < len(accounts):
            page["NextToken"] = self._tokens.issue(image_id, offset + limit)
        return _dumps(page)

    def describe_workspace_images(self, params: Params) -> bytes:
        """List owned images; SHARED lists nothing because every generated image is owned."""
        requested = _typed(params, "ImageIds", list)
        image_type = _typed(params, "ImageType", str)
        limit = _limit(params, MAX_IMAGES_PAGE) or MAX_IMAGES_PAGE
        token = _next_token(params)
        if image_type not in (None, "OWNED", "SHARED"):
            raise _invalid(f"The image type {image_type} is not valid.")
        candidates = self._candidates(requested, image_type)
        scope = "images:" + hashlib.sha256(_dumps([requested, image_type])).hexdigest()[:16]
        offset = 0 if token is None else self._tokens.offset(scope, token)
        page: dict[str, object] = {
            "Images": [
                self._store.record(image_id).to_json(self._store.owner_account_id)
                for image_id in candidates[offset : offset + limit]
            ]
        }
        if offset + limit < len(candidates):
            page["NextToken"] = self._tokens.issue(scope, offset + limit)
        return _dumps(page)

    def _candidates(self, requested: list[object] | None, image_type: str | None) -> Sequence[str]:
        if image_type == "SHARED":
            return ()
        if requested is None:
            return self._store.image_ids
        if not 1 <= len(requested) <= MAX_IMAGES_PAGE:
            raise _invalid("The parameter 'ImageIds' must hold between 1 and 25 image ids.")
        ids = [_image_id(str(image_id), "imageIds") for image_id in requested]
        return [image_id for image_id in ids if image_id in self._store]

    def update_workspace_image_permission(self, params: Params) -> bytes:
        image_id = _image_id(_required(params, "ImageId", str))
        allow = _required(params, "AllowCopyImage", bool)
        account_id = _required(params, "SharedAccountId", str)
        if not _ACCOUNT_ID.fullmatch(account_id):
            raise _invalid(
                f"1 validation error detected: Value '{account_id}' at 'sharedAccountId' failed"
                " to satisfy constraint: Member must satisfy regular expression pattern: ^\\d{12}$"
            )
        if image_id not in self._store:
            raise _not_found(image_id)
        if allow:
            self._store.share(image_id, account_id)
        else:
            self._store.unshare(image_id, account_id)
        self._pages.clear()
        return b"{}"
