"""Reading back a report ``imgperms audit`` wrote (json or jsonl), for ``unshare`` and ``--baseline``.

A report is checked as strictly as it was written: a record that does not have the fields and
types the audit writes is an error naming the file and the record, since acting on a misread
report would unshare, or miss, the wrong accounts.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, get_args

from imgperms_async import InvalidSettingError, ShareClass
from imgperms_async._botocore_settings import check_region_name
from imgperms_async._validation import ACCOUNT_ID
from imgperms_async.cli._errors import SetupError

_CLASSES = frozenset(get_args(ShareClass))


@dataclass(frozen=True, slots=True)
class ReportedImage:
    """One image as a report recorded it; ``account_id`` ``None`` for a one-account report,
    whose images are the caller's own."""

    account_id: str | None
    account_name: str | None
    region: str
    image_id: str
    shared_account_ids: tuple[str, ...]
    share_classes: dict[str, ShareClass] | None
    unexpected_account_ids: tuple[str, ...]
    audited: bool
    """Whether the audit got every page: the shares of one that failed are only those it read."""
    present: bool = True
    """False for a record of an image that disappeared since that report's own baseline: it
    records an absence, not an image."""

    @property
    def key(self) -> tuple[str | None, str, str]:
        return (self.account_id, self.region, self.image_id)


@dataclass(frozen=True, slots=True)
class ReportedScope:
    """An (account, region) the report says was not audited."""

    account_id: str | None
    region: str | None
    status: str


@dataclass(frozen=True, slots=True)
class Report:
    images: tuple[ReportedImage, ...]
    scopes: tuple[ReportedScope, ...]

    @property
    def organization(self) -> bool:
        return any(image.account_id is not None for image in self.images) or bool(self.scopes)


def read_report(text: str, *, source: str) -> Report:
    """A json array or jsonl, as ``imgperms audit --format json|jsonl`` writes them."""
    images: list[ReportedImage] = []
    scopes: list[ReportedScope] = []
    for where, record in _records(text, source=source):
        if not isinstance(record, dict):
            raise SetupError(f"{where} is not an audit record")
        if record.get("kind") == "scope":
            scopes.append(_scope(record, where))
        else:
            images.append(_image(record, where))
    return Report(tuple(images), tuple(scopes))


def _records(text: str, *, source: str) -> Iterator[tuple[str, Any]]:
    text = text.removeprefix("\ufeff")
    if text.lstrip().startswith("["):
        try:
            document = json.loads(text)
        except ValueError as error:
            raise SetupError(f"{source} is not a json report: {error}") from None
        for position, record in enumerate(document, start=1):
            yield f"{source}, record {position}", record
        return
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield f"{source}, line {number}", json.loads(line)
        except ValueError as error:
            raise SetupError(f"{source}, line {number} is not json: {error}") from None


def _image(record: dict[str, Any], where: str) -> ReportedImage:
    region = _text(record, "region", where)
    try:
        check_region_name(region, source="region")
    except InvalidSettingError as error:
        raise SetupError(f"{where}: {error}") from None
    # An id given to the audit that it refused (an error record) is written as given, even empty.
    image_id = record.get("image_id") if record.get("error") is not None else None
    if not isinstance(image_id, str):
        image_id = _text(record, "image_id", where)
    shared = _accounts(record, "shared_account_ids", where)
    unexpected = _accounts(record, "unexpected_account_ids", where)
    if not set(unexpected) <= set(shared):
        raise SetupError(f"{where}: unexpected_account_ids must be among shared_account_ids")
    classes = record.get("share_classes")
    if classes is not None and not (
        isinstance(classes, dict)
        and set(classes) == set(shared)
        and all(value in _CLASSES for value in classes.values())
    ):
        raise SetupError(f"{where}: share_classes must class every shared account")
    account_id = record.get("account_id")
    if account_id is not None and not (
        isinstance(account_id, str) and ACCOUNT_ID.fullmatch(account_id)
    ):
        raise SetupError(f"{where}: account_id must be an account id (12 digits)")
    name = record.get("account_name")
    return ReportedImage(
        account_id,
        name if isinstance(name, str) else None,
        region,
        image_id,
        shared,
        classes,
        unexpected,
        record.get("error") is None,
        record.get("change") != "disappeared",
    )


def _scope(record: dict[str, Any], where: str) -> ReportedScope:
    status = record.get("status")
    if not isinstance(status, str):
        raise SetupError(f"{where}: a scope record needs its status")
    account = record.get("account_id")
    region = record.get("region")
    return ReportedScope(
        account if isinstance(account, str) else None,
        region if isinstance(region, str) else None,
        status,
    )


def _text(record: dict[str, Any], name: str, where: str) -> str:
    value = record.get(name)
    if not isinstance(value, str) or not value:
        raise SetupError(f"{where}: {name} must be a non-empty string")
    return value


def _accounts(record: dict[str, Any], name: str, where: str) -> tuple[str, ...]:
    value = record.get(name)
    if not isinstance(value, list) or not all(
        isinstance(a, str) and ACCOUNT_ID.fullmatch(a) for a in value
    ):
        raise SetupError(f"{where}: {name} must be a list of account ids (12 digits each)")
    return tuple(value)
