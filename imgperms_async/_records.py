"""An audit's records: what a report holds, written as JSON and read back, one schema both ways.

A record is built once from an audit's result, and is what every report format, the summary,
a baseline comparison and ``unshare`` read, so a field's name and meaning live here and nowhere
else. ``to_json`` writes the report's keys; ``from_json`` reads them back as strictly as they are
written: a record that lacks a field, or holds a value of the wrong kind, is a ``ReportError``
naming where, since acting on a misread report would unshare, or miss, the wrong accounts.

The caller's own account audited alone writes the contract's image record exactly
(``region, image_id, shared_account_ids, unexpected_account_ids, pages, error``); a record whose
account is known adds ``account_id``, ``account_name`` and ``share_classes``. An image shared into
an audited account is ``"kind": "inbound"``; a scope that was not audited is ``"kind": "scope"``;
an exception past its date is ``"kind": "exception"``.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal, get_args

from botocore.exceptions import ClientError as BotocoreClientError

from imgperms_async._audit import AuditedImage, InboundImage, ScopeResult, ScopeStatus, ShareClass
from imgperms_async._exceptions import InvalidSettingError, error_code
from imgperms_async._exemptions import Exemption
from imgperms_async._regions import check_region_name
from imgperms_async._validation import ACCOUNT_ID

ChangeKind = Literal["appeared", "disappeared", "changed", "unchanged"]
SHARE_CLASSES: Final = frozenset(get_args(ShareClass))
_CHANGE_KINDS: Final = frozenset(get_args(ChangeKind))
_SEVERITY: Final[dict[ShareClass, int]] = {
    "organization": 0,
    "allowlisted": 0,
    "excepted": 0,
    "unknown": 1,
    "external": 2,
}
"""How bad a class is: a share whose class got worse since the baseline is new for
``--fail-on new`` (an account that left the organization, an allowlist narrowed)."""


class ReportError(InvalidSettingError):
    """A report that is not what ``imgperms audit`` writes; the message names where."""


def worse(now: ShareClass, before: ShareClass | None) -> bool:
    """Whether a share's class is worse than it was (``None``: it was not there)."""
    return before is None or _SEVERITY[now] > _SEVERITY[before]


@dataclass(frozen=True, slots=True)
class ErrorInfo:
    """Why an image or a scope could not be audited: the service's code, else the class name."""

    code: str
    message: str

    @classmethod
    def of(cls, error: BaseException) -> ErrorInfo:
        message = str(error)
        if isinstance(error, BotocoreClientError):
            message = error.response.get("Error", {}).get("Message") or message
        code = error_code(error)
        return cls(code, " ".join(message.split()) or code)

    def to_json(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}

    @classmethod
    def from_json(cls, value: Any, where: str) -> ErrorInfo | None:
        if value is None:
            return None
        if not (isinstance(value, dict) and isinstance(value.get("code"), str)):
            raise ReportError(error_msg=f"{where}: error must be null or {{code, message}}")
        message = value.get("message")
        return cls(value["code"], message if isinstance(message, str) else "")


@dataclass(frozen=True, slots=True)
class Change:
    """What changed for an image since the baseline: accounts added and removed, and those
    that are flagged now but were not then (new, or their class got worse)."""

    kind: ChangeKind
    new_account_ids: tuple[str, ...] = ()
    removed_account_ids: tuple[str, ...] = ()
    newly_flagged: tuple[str, ...] = ()
    was_flagged: tuple[str, ...] = ()

    def to_json(self) -> dict[str, object]:
        return {
            "change": self.kind,
            "new_account_ids": list(self.new_account_ids),
            "removed_account_ids": list(self.removed_account_ids),
            "newly_flagged_account_ids": list(self.newly_flagged),
        }

    @classmethod
    def from_json(cls, record: Mapping[str, Any], where: str) -> Change | None:
        kind = record.get("change")
        if kind is None:
            return None
        if kind not in _CHANGE_KINDS:
            raise ReportError(
                error_msg=f"{where}: change {kind!r} is not one of {sorted(_CHANGE_KINDS)}"
            )
        return cls(
            kind,
            _account_list(record, "new_account_ids", where, required=False),
            _account_list(record, "removed_account_ids", where, required=False),
            _account_list(record, "newly_flagged_account_ids", where, required=False),
        )


@dataclass(frozen=True, slots=True)
class ImageRecord:
    """One image in one region: whom it is shared with, and each share's class (in the order of
    ``shared_account_ids``); ``exemptions`` the exception accepting each excepted share."""

    region: str
    image_id: str
    shared_account_ids: tuple[str, ...]
    share_classes: tuple[ShareClass, ...]
    pages: int
    error: ErrorInfo | None
    account_id: str | None = None
    account_name: str | None = None
    exemptions: Mapping[str, Exemption] = field(default_factory=dict)
    change: Change | None = None

    @classmethod
    def of(cls, result: AuditedImage) -> ImageRecord:
        return cls(
            result.region or "",
            result.image_id,
            result.shared_account_ids,
            result.share_classes,
            result.pages,
            None if result.error is None else ErrorInfo.of(result.error),
            result.account_id,
            result.account_name,
            dict(result.exemptions),
        )

    @property
    def key(self) -> tuple[str, str | None, str, str]:
        return ("image", self.account_id, self.region, self.image_id)

    @property
    def unexpected_account_ids(self) -> tuple[str, ...]:
        """The shares flagged: with an account known to be outside, and not accepted."""
        return self.accounts_of("external")

    def accounts_of(self, share_class: ShareClass) -> tuple[str, ...]:
        return tuple(
            account
            for account, found in zip(self.shared_account_ids, self.share_classes, strict=True)
            if found == share_class
        )

    def class_of(self, account_id: str) -> ShareClass | None:
        for account, found in zip(self.shared_account_ids, self.share_classes, strict=True):
            if account == account_id:
                return found
        return None

    @property
    def flagged(self) -> bool:
        return "external" in self.share_classes

    @property
    def gone(self) -> bool:
        """In the baseline, but no longer served: a record of the change, not an image audited."""
        return self.change is not None and self.change.kind == "disappeared"

    def to_json(self) -> dict[str, object]:
        record: dict[str, object] = {}
        if self.account_id is not None:
            record["account_id"] = self.account_id
            record["account_name"] = self.account_name
        record.update(
            region=self.region,
            image_id=self.image_id,
            shared_account_ids=list(self.shared_account_ids),
        )
        if self.account_id is not None:
            record["share_classes"] = dict(
                zip(self.shared_account_ids, self.share_classes, strict=True)
            )
        record.update(
            unexpected_account_ids=list(self.unexpected_account_ids),
            pages=self.pages,
            error=None if self.error is None else self.error.to_json(),
        )
        if self.exemptions:
            record["exceptions"] = {
                account: _exemption_json(exemption)
                for account, exemption in self.exemptions.items()
            }
        if self.change is not None:
            record.update(self.change.to_json())
        return record

    @classmethod
    def from_json(cls, record: Mapping[str, Any], where: str) -> ImageRecord:
        region = _region(record, where)
        error = ErrorInfo.from_json(record.get("error"), where)
        # An id given to the audit that it refused (an error record) is written as given.
        image_id = record.get("image_id")
        if not (error is not None and isinstance(image_id, str)):
            image_id = _text(record, "image_id", where)
        shared = _account_list(record, "shared_account_ids", where)
        unexpected = _account_list(record, "unexpected_account_ids", where)
        if not set(unexpected) <= set(shared):
            raise ReportError(
                error_msg=f"{where}: unexpected_account_ids must be among shared_account_ids"
            )
        written = record.get("share_classes")
        if written is None:
            # A one-account report: what it flagged is all it judged.
            classes: tuple[ShareClass, ...] = tuple(
                "external" if account in unexpected else "unknown" for account in shared
            )
        elif (
            isinstance(written, dict)
            and set(written) == set(shared)
            and all(value in SHARE_CLASSES for value in written.values())
        ):
            classes = tuple(written[account] for account in shared)
        else:
            raise ReportError(error_msg=f"{where}: share_classes must class every shared account")
        pages = record.get("pages", 0)
        return cls(
            region,
            image_id,
            shared,
            classes,
            pages if isinstance(pages, int) else 0,
            error,
            _owner(record, where),
            _name(record),
            change=Change.from_json(record, where),
        )


@dataclass(frozen=True, slots=True)
class InboundRecord(InboundImage):
    """An image shared into an audited account, with its owner and the owner's class; and,
    against a baseline, what changed."""

    change: Change | None = None

    @classmethod
    def of(cls, image: InboundImage) -> InboundRecord:
        return cls(*(getattr(image, each.name) for each in dataclasses.fields(InboundImage)))

    @property
    def key(self) -> tuple[str, str | None, str, str]:
        return ("inbound", self.account_id, self.region, self.image_id)

    @property
    def flagged(self) -> bool:
        return self.owner_class == "external"

    @property
    def gone(self) -> bool:
        return self.change is not None and self.change.kind == "disappeared"

    def to_json(self) -> dict[str, object]:
        record: dict[str, object] = {
            "kind": "inbound",
            "account_id": self.account_id,
            "account_name": self.account_name,
            "region": self.region,
            "image_id": self.image_id,
            "image_name": self.image_name,
            "owner_account_id": self.owner_account_id,
            "owner_class": self.owner_class,
            "exception": None if self.exemption is None else _exemption_json(self.exemption),
        }
        if self.change is not None:
            record.update(self.change.to_json())
        return record

    @classmethod
    def from_json(cls, record: Mapping[str, Any], where: str) -> InboundRecord:
        owner = record.get("owner_account_id")
        if not (isinstance(owner, str) and ACCOUNT_ID.fullmatch(owner)):
            raise ReportError(error_msg=f"{where}: owner_account_id must be an account id")
        owner_class = _share_class(record.get("owner_class"))
        if owner_class is None:
            raise ReportError(
                error_msg=f"{where}: owner_class must be one of {sorted(SHARE_CLASSES)}"
            )
        image_name = record.get("image_name")
        return cls(
            _owner(record, where),
            _name(record),
            _region(record, where),
            _text(record, "image_id", where),
            image_name if isinstance(image_name, str) else None,
            owner,
            owner_class,
            change=Change.from_json(record, where),
        )


@dataclass(frozen=True, slots=True)
class ScopeRecord:
    """How an (account, region) went; ``region`` ``None`` is every region of the account
    (skipped as not ACTIVE, or it could not be reached). Reports hold the scopes that were not
    audited; an audited one tells OCSF and HTML readers "looked at, and clean" apart from "not
    looked at"."""

    account_id: str | None
    account_name: str | None
    region: str | None
    status: ScopeStatus
    error: ErrorInfo | None
    images: int = 0

    @classmethod
    def of(cls, result: ScopeResult) -> ScopeRecord:
        return cls(
            result.account_id,
            result.account_name,
            result.region,
            result.status,
            None if result.error is None else ErrorInfo.of(result.error),
            result.images,
        )

    @property
    def incomplete(self) -> bool:
        """Asked for and not audited: a failure, or a region where WorkSpaces does not run."""
        return self.status in ("failed", "not_offered")

    def to_json(self) -> dict[str, object]:
        record: dict[str, object] = {
            "kind": "scope",
            "account_id": self.account_id,
            "account_name": self.account_name,
            "region": self.region,
            "status": self.status,
            "error": None if self.error is None else self.error.to_json(),
        }
        if self.status == "audited":
            record["images"] = self.images
        return record

    @classmethod
    def from_json(cls, record: Mapping[str, Any], where: str) -> ScopeRecord:
        status = _scope_status(record.get("status"))
        if status is None:
            raise ReportError(
                error_msg=f"{where}: a scope record's status must be one of "
                f"{', '.join(get_args(ScopeStatus))}"
            )
        region = record.get("region")
        images = record.get("images", 0)
        return cls(
            _owner(record, where),
            _name(record),
            None if region is None else _region(record, where),
            status,
            ErrorInfo.from_json(record.get("error"), where),
            images if isinstance(images, int) and not isinstance(images, bool) else 0,
        )


@dataclass(frozen=True, slots=True)
class ExpiredExemptionRecord:
    """An exception past its date: no longer applied, reported so it is reviewed."""

    exemption: Exemption

    def to_json(self) -> dict[str, object]:
        return {"kind": "exception", "status": "expired", **self.exemption.to_json()}

    @classmethod
    def from_json(cls, record: Mapping[str, Any], where: str) -> ExpiredExemptionRecord:
        try:
            expires = datetime.date.fromisoformat(_text(record, "expires", where))
            return cls(
                Exemption(
                    account_id=_text(record, "account_id", where),
                    reason=_text(record, "reason", where),
                    owner=_text(record, "owner", where),
                    expires=expires,
                    image_ids=tuple(record.get("image_ids") or ()),
                    regions=tuple(record.get("regions") or ()),
                )
            )
        except (ValueError, TypeError) as error:
            raise ReportError(error_msg=f"{where}: {error}") from None


Record = ImageRecord | InboundRecord | ScopeRecord | ExpiredExemptionRecord
_KINDS: Final[dict[str, Callable[[Mapping[str, Any], str], Record]]] = {
    "inbound": InboundRecord.from_json,
    "scope": ScopeRecord.from_json,
    "exception": ExpiredExemptionRecord.from_json,
}


def record_of(
    item: AuditedImage | InboundImage | ScopeResult,
) -> ImageRecord | InboundRecord | ScopeRecord:
    """The record of one audit result."""
    if isinstance(item, ScopeResult):
        return ScopeRecord.of(item)
    if isinstance(item, InboundImage):
        return InboundRecord.of(item)
    return ImageRecord.of(item)


def record_from_json(record: Any, where: str) -> Record:
    """One record of a report, by its ``kind``."""
    if not isinstance(record, dict):
        raise ReportError(error_msg=f"{where} is not an audit record")
    kind = record.get("kind")
    if kind is None:
        return ImageRecord.from_json(record, where)
    reader = _KINDS.get(kind) if isinstance(kind, str) else None
    if reader is None:
        raise ReportError(error_msg=f"{where}: unknown record kind {kind!r}")
    return reader(record, where)


def sort_key(record: Record) -> tuple[str, int, str, str]:
    """Whole documents come out in a stable order, whatever order the images finished in: by
    account, then its images, images shared in, scopes; by region and image within each."""
    if isinstance(record, ExpiredExemptionRecord):
        return ("~", 3, record.exemption.account_id, record.exemption.expires.isoformat())
    if isinstance(record, ScopeRecord):
        return (record.account_id or "", 2, record.region or "", "")
    if isinstance(record, InboundRecord):
        return (record.account_id or "", 1, record.region, record.image_id)
    return (record.account_id or "", 0, record.region, record.image_id)


def sorted_records(records: Sequence[Record]) -> list[Record]:
    return sorted(records, key=sort_key)


def _share_class(value: object) -> ShareClass | None:
    for share_class in get_args(ShareClass):
        if value == share_class:
            return share_class  # type: ignore[no-any-return]
    return None


def _scope_status(value: object) -> ScopeStatus | None:
    for status in get_args(ScopeStatus):
        if value == status:
            return status  # type: ignore[no-any-return]
    return None


def _exemption_json(exemption: Exemption) -> dict[str, str]:
    return {
        "reason": exemption.reason,
        "owner": exemption.owner,
        "expires": exemption.expires.isoformat(),
    }


def _text(record: Mapping[str, Any], name: str, where: str) -> str:
    value = record.get(name)
    if not isinstance(value, str) or not value:
        raise ReportError(error_msg=f"{where}: {name} must be a non-empty string")
    return value


def _region(record: Mapping[str, Any], where: str) -> str:
    try:
        return check_region_name(_text(record, "region", where), source="region")
    except ReportError:
        raise
    except InvalidSettingError as error:
        raise ReportError(error_msg=f"{where}: {error}") from None


def _owner(record: Mapping[str, Any], where: str) -> str | None:
    account_id = record.get("account_id")
    if account_id is not None and not (
        isinstance(account_id, str) and ACCOUNT_ID.fullmatch(account_id)
    ):
        raise ReportError(error_msg=f"{where}: account_id must be an account id (12 digits)")
    return account_id


def _name(record: Mapping[str, Any]) -> str | None:
    name = record.get("account_name")
    return name if isinstance(name, str) else None


def _account_list(
    record: Mapping[str, Any], name: str, where: str, *, required: bool = True
) -> tuple[str, ...]:
    value = record.get(name)
    if value is None and not required:
        return ()
    if not isinstance(value, list) or not all(
        isinstance(a, str) and ACCOUNT_ID.fullmatch(a) for a in value
    ):
        raise ReportError(
            error_msg=f"{where}: {name} must be a list of account ids (12 digits each)"
        )
    return tuple(value)


def read_report(text: str, *, source: str) -> list[Record]:
    """Every record of a report, as ``--format json`` (one array) or ``jsonl`` writes it."""
    return [record_from_json(record, where) for where, record in _documents(text, source=source)]


def _documents(text: str, *, source: str) -> Iterator[tuple[str, Any]]:
    text = text.removeprefix("\ufeff")
    if text.lstrip().startswith("["):
        try:
            document = json.loads(text)
        except ValueError as error:
            raise ReportError(error_msg=f"{source} is not a json report: {error}") from None
        for position, record in enumerate(document, start=1):
            yield f"{source}, record {position}", record
        return
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield f"{source}, line {number}", json.loads(line)
        except ValueError as error:
            raise ReportError(error_msg=f"{source}, line {number} is not json: {error}") from None
