"""Amazon WorkSpaces: the three image operations, per account and region, validated as the
2015-04-08 service model says.

DescribeWorkspaceImages lists the caller's own images (ImageType OWNED), the images other
accounts share with it in that region (SHARED, each with its OwnerAccountId), or both, owned
first, when no ImageType is given, as AWS does. Page bodies of DescribeWorkspaceImagePermissions
are rendered once and kept until a write changes the image, because that page is what a bulk
audit asks for again and again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence

from .._errors import ServiceError
from .._model.accounts import World
from .._options import ACCOUNT_ID, IMAGE_ID, MAX_PAGE_SIZE
from .._page_tokens import PageTokens
from .._protocols import Params
from .._protocols.json11 import JsonProtocol, dumps
from .._protocols.params import optional, required
from . import AccessDenied, Call, Permission

__all__ = ["MAX_IMAGES_PAGE", "Workspaces"]

MAX_IMAGES_PAGE = 25
_IMAGE_ID_PATTERN = "wsi-[0-9a-z]{9,63}$"
_UPDATE = "UpdateWorkspaceImagePermission"
_IMAGE_TYPES = (None, "OWNED", "SHARED")


def _invalid(message: str) -> ServiceError:
    return ServiceError("InvalidParameterValuesException", message)


def _missing(key: str) -> ServiceError:
    return _invalid(f"The parameter '{key}' is required.")


def _image_id(value: str, key: str = "imageId") -> str:
    if not IMAGE_ID.holds(value):
        raise _invalid(
            f"1 validation error detected: Value '{value}' at '{key}' failed to satisfy"
            f" constraint: Member must satisfy regular expression pattern: {_IMAGE_ID_PATTERN}"
        )
    return value


def _limit(params: Params, maximum: int) -> int | None:
    value = optional(params, "MaxResults", int)
    if value is not None and not 1 <= value <= maximum:
        raise _invalid(
            f"1 validation error detected: Value '{value}' at 'maxResults' failed to satisfy"
            f" constraint: Member must have value between 1 and {maximum}"
        )
    return value


def _next_token(params: Params) -> str | None:
    value = optional(params, "NextToken", str)
    if value is not None and not 1 <= len(value) <= 2048:
        raise _invalid(
            "1 validation error detected: Value at 'nextToken' failed to satisfy constraint:"
            " Member must have length between 1 and 2048"
        )
    return value


def _not_found(image_id: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException", f"The image {image_id} could not be found.")


def _image_arn(call: Call, image_id: str) -> str:
    return f"arn:aws:workspaces:{call.region}:{call.account.account_id}:workspaceimage/{image_id}"


def _access_denied(call: Call, operation: str, image_id: str) -> ServiceError:
    return ServiceError(
        "AccessDeniedException",
        f"User: {call.principal.arn} is not authorized to perform: workspaces:{operation}"
        f" on resource: {_image_arn(call, image_id)}",
    )


class _Scope:
    """One account's images in one region, answered; `page_size` caps every page."""

    def __init__(
        self, world: World, account_id: str, region: str, tokens: PageTokens, page_size: int
    ) -> None:
        self._world = world
        self._account_id = account_id
        self._region = region
        self.store = world.stores[account_id, region]
        self._tokens = tokens
        self._page_size = page_size
        self._pages: dict[tuple[str, int, int], bytes] = {}

    def describe_workspace_image_permissions(self, params: Params, call: Call) -> bytes:
        """A page holds min(MaxResults, page_size) shares: AWS may return fewer than asked."""
        image_id = _image_id(required(params, "ImageId", str, _missing))
        asked = _limit(params, MAX_PAGE_SIZE)
        limit = self._page_size if asked is None else min(asked, self._page_size)
        token = _next_token(params)
        if image_id not in self.store:
            raise _not_found(image_id)
        offset = 0 if token is None else self._tokens.offset(image_id, token)
        key = (image_id, offset, limit)
        body = self._pages.get(key)
        if body is None:
            body = self._pages[key] = self._permissions_page(image_id, offset, limit)
        return body

    def _permissions_page(self, image_id: str, offset: int, limit: int) -> bytes:
        accounts = self.store.shares(image_id)
        page: dict[str, object] = {
            "ImageId": image_id,
            "ImagePermissions": [
                {"SharedAccountId": account} for account in accounts[offset : offset + limit]
            ],
        }
        if offset + limit < len(accounts):
            page["NextToken"] = self._tokens.issue(image_id, offset + limit)
        return dumps(page)

    def describe_workspace_images(self, params: Params, call: Call) -> bytes:
        requested = optional(params, "ImageIds", list)
        image_type = optional(params, "ImageType", str)
        limit = _limit(params, MAX_IMAGES_PAGE) or MAX_IMAGES_PAGE
        token = _next_token(params)
        if image_type not in _IMAGE_TYPES:
            raise _invalid(f"The image type {image_type} is not valid.")
        candidates = self._candidates(requested, image_type)
        scope = "images:" + hashlib.sha256(dumps([requested, image_type])).hexdigest()[:16]
        offset = 0 if token is None else self._tokens.offset(scope, token)
        page: dict[str, object] = {
            "Images": [self._describe(image_id) for image_id in candidates[offset : offset + limit]]
        }
        if offset + limit < len(candidates):
            page["NextToken"] = self._tokens.issue(scope, offset + limit)
        return dumps(page)

    def _candidates(self, requested: list[object] | None, image_type: str | None) -> Sequence[str]:
        """The images the call lists, owned ones first; named ones in the order named."""
        shared = self._world.inbound.images(self._account_id, self._region)
        listed: Sequence[str]
        if image_type == "OWNED":
            listed = self.store.image_ids
        elif image_type == "SHARED":
            listed = tuple(shared)
        else:
            listed = (*self.store.image_ids, *shared)
        if requested is None:
            return listed
        if not 1 <= len(requested) <= MAX_IMAGES_PAGE:
            raise _invalid("The parameter 'ImageIds' must hold between 1 and 25 image ids.")
        ids = [_image_id(str(image_id), "imageIds") for image_id in requested]
        owned = image_type != "SHARED"
        received = image_type != "OWNED"
        return [
            image_id
            for image_id in ids
            if (owned and image_id in self.store) or (received and image_id in shared)
        ]

    def _describe(self, image_id: str) -> dict[str, object]:
        if image_id in self.store:
            return self.store.record(image_id).to_json(self._account_id)
        image = self._world.inbound.images(self._account_id, self._region)[image_id]
        return image.record.to_json(image.owner_account_id)

    def update_workspace_image_permission(self, params: Params, call: Call) -> bytes:
        """Share or unshare; doing what is already done succeeds and changes nothing."""
        image_id = _image_id(required(params, "ImageId", str, _missing))
        allow = required(params, "AllowCopyImage", bool, _missing)
        account_id = required(params, "SharedAccountId", str, _missing)
        if not ACCOUNT_ID.holds(account_id):
            raise _invalid(
                f"1 validation error detected: Value '{account_id}' at 'sharedAccountId' failed"
                " to satisfy constraint: Member must satisfy regular expression pattern: ^\\d{12}$"
            )
        if image_id not in self.store:
            raise _not_found(image_id)
        if account_id == self._account_id:
            raise _invalid(
                f"The image {image_id} cannot be shared with {account_id}, the account that owns"
                " it."
            )
        change = self._world.share if allow else self._world.unshare
        call.changed = change(self._account_id, self._region, image_id, account_id)
        if call.changed:
            self._pages = {key: body for key, body in self._pages.items() if key[0] != image_id}
        return b"{}"


_Handler = Callable[[_Scope, Params, Call], bytes]
_HANDLERS: dict[str, _Handler] = {
    "DescribeWorkspaceImagePermissions": _Scope.describe_workspace_image_permissions,
    "DescribeWorkspaceImages": _Scope.describe_workspace_images,
    _UPDATE: _Scope.update_workspace_image_permission,
}


class Workspaces:
    """The WorkSpaces service over every (account, region) the world holds.

    A scope's answering state is made on its first call: an organization of thousands of
    accounts starts without one per account and region.
    """

    name = "workspaces"
    endpoint_variable = "WORKSPACES"
    protocol = JsonProtocol("WorkspacesService.")
    global_endpoint = False
    access_denied = AccessDenied("AccessDeniedException")

    def __init__(
        self,
        world: World,
        *,
        seed: int,
        page_size: int,
        deny_images: Iterable[str] = (),
        deny_writes: Iterable[str] = (),
    ) -> None:
        self._world = world
        self._seed = seed
        self._page_size = page_size
        self._scopes: dict[tuple[str, str], _Scope] = {}
        self._denied_images = frozenset(deny_images)
        self._denied_writers = frozenset(deny_writes)

    def permissions(self, operation: str, params: Params, call: Call) -> tuple[Permission, ...]:
        """Image operations act on the image; the listing has no resource type, so AWS
        authorizes it against ``*`` alone (a policy narrowing it to image ARNs denies it)."""
        if operation == "DescribeWorkspaceImages":
            return (Permission(f"workspaces:{operation}", "*"),)
        image_id = params.get("ImageId")
        named = image_id if isinstance(image_id, str) else "*"
        return (Permission(f"workspaces:{operation}", _image_arn(call, named)),)

    def answer(self, operation: str, params: Params, call: Call) -> bytes:
        handler = _HANDLERS.get(operation)
        if handler is None:
            raise ServiceError("UnknownOperationException", f"Unknown operation {operation}")
        image_id = params.get("ImageId")
        if isinstance(image_id, str) and (
            image_id in self._denied_images
            or (operation == _UPDATE and call.account.account_id in self._denied_writers)
        ):
            raise _access_denied(call, operation, image_id)
        return handler(self._scope(call.account.account_id, call.region), params, call)

    def _scope(self, account_id: str, region: str) -> _Scope:
        scope = self._scopes.get((account_id, region))
        if scope is None:
            secret = f"page-tokens-{self._seed}-{account_id}-{region}".encode()
            scope = self._scopes[account_id, region] = _Scope(
                self._world,
                account_id,
                region,
                PageTokens(hashlib.sha256(secret).digest()),
                self._page_size,
            )
        return scope
