"""The HTML report's reading of the records: each record once into one shape (``Item``), the
sections it belongs to (finding → account → region → image), and the summary's counts. Every
text that reaches the page goes through ``shown``."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Final

from imgperms_async.cli._literal import literal

CLASSES: Final = ("external", "unknown", "excepted", "unclassified", "organization", "allowlisted")
"""Share classes from most to least in need of a look. ``unclassified`` is a share of a one-account
audit that the audit did not flag (its records carry no classes); the other five are the
organization audit's. A class the report does not know is shown as it is, and sorted and counted
with ``unknown``: not judged, not flagged."""

_UNJUDGED: Final = "unknown"
_FINE: Final = frozenset({"organization", "allowlisted", "unclassified"})

_INVISIBLE: Final = re.compile(r"[\u00ad\u061c\u180e\u200b-\u200f\u2060-\u2064\ufeff\ud800-\udfff]")
"""What ``literal`` leaves that a page must not show as is: zero-width and invisible formatting
characters (an account id that looks like another one) and lone surrogates (which no UTF-8 file
can hold)."""

_IMAGE_KEYS: Final = frozenset(
    {
        "account_id",
        "account_name",
        "region",
        "image_id",
        "shared_account_ids",
        "share_classes",
        "unexpected_account_ids",
        "pages",
        "error",
        "exceptions",
        "change",
        "new_account_ids",
        "removed_account_ids",
    }
)
_COMMON_KEYS: Final = frozenset(
    {"kind", "account_id", "account_name", "region", "status", "error", "change"}
)
"""What every record is read for, whatever its kind."""
_KNOWN_KEYS: Final[Mapping[str, frozenset[str]]] = {
    "image": _IMAGE_KEYS,
    "inbound": frozenset(
        {
            "kind",
            "account_id",
            "account_name",
            "region",
            "image_id",
            "image_name",
            "owner_account_id",
            "owner_class",
            "exception",
            "change",
            "new_account_ids",
            "removed_account_ids",
        }
    ),
    "scope": frozenset({"kind", "account_id", "account_name", "region", "status", "error"}),
    "exception": frozenset(
        {"kind", "status", "account_id", "account_name", "image_ids", "regions"}
        | {"reason", "owner", "expires"}
    ),
}
"""The keys each kind of record is drawn from; any other key is shown as ``key: value``, and a
kind the report does not know is read for the common keys only."""

_ROW_TYPES: Final = {"image": 0, "inbound": 1, "exception": 2, "scope": 3}
"""The payload's ``t`` of each kind; any other kind is 4."""

_SCOPE_STATUSES: Final = ("failed", "skipped", "not_enabled", "not_offered")
CHANGES: Final = ("appeared", "disappeared", "changed", "unchanged")


def shown(text: str) -> str:
    """``text`` as the report shows it: every character that could hide, move or reorder what is
    shown becomes a visible escape. Markup needs nothing here: it is escaped where it is written."""
    return _INVISIBLE.sub(_escape, literal(text))


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


# ---------------------------------------------------------------------------------------------
# Records, read once into one shape


@dataclass(frozen=True, slots=True)
class ExceptionEntry:
    """An exception entry that covers a share: why, who answers for it, until when."""

    reason: str | None
    owner: str | None
    expires: str | None


@dataclass(frozen=True, slots=True)
class Share:
    """An account that can use an image, and its class. For an inbound image, the owner."""

    account_id: str
    share_class: str
    exception: ExceptionEntry | None = None
    new: bool = False
    """Not in the baseline."""


@dataclass(frozen=True, slots=True)
class Item:
    """One record as the report reads it, whatever its kind; absent keys are empty."""

    kind: str
    account_id: str | None
    account_name: str | None
    region: str | None
    image_id: str | None = None
    image_name: str | None = None
    shares: tuple[Share, ...] = ()
    error: tuple[str, str] | None = None
    status: str | None = None
    change: str | None = None
    removed_account_ids: tuple[str, ...] = ()
    exception: ExceptionEntry | None = None
    """An expired exception record's entry (a share's own is on the share)."""
    image_ids: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    pages: int | None = None
    extra: tuple[tuple[str, str], ...] = ()
    """Keys the report does not know, with their values as JSON text: shown, never dropped."""

    @property
    def gone(self) -> bool:
        """In the baseline but no longer there: a change to show, not something audited."""
        return self.change == "disappeared"

    def classes(self) -> set[str]:
        return {share.share_class for share in self.shares}

    def order(self) -> tuple[str, str, str, int]:
        return (self.account_id or "", self.region or "", self.image_id or "", row_type(self))


def read_item(record: Mapping[str, Any]) -> Item:
    """The report's view of one record, tolerant of what it does not know: an unknown key is
    kept as an extra, an unknown kind is shown as it is, a value of an odd type as its text."""
    kind = _text(record.get("kind")) or "image"
    common = Item(
        kind,
        _text(record.get("account_id")),
        _text(record.get("account_name")),
        _text(record.get("region")),
        error=_error(record.get("error")),
        status=_text(record.get("status")),
        change=_text(record.get("change")),
        extra=_extra(record, _KNOWN_KEYS.get(kind, _COMMON_KEYS)),
    )
    if kind == "image":
        return replace(
            common,
            image_id=_text(record.get("image_id")),
            shares=_outbound_shares(record),
            removed_account_ids=_texts(record.get("removed_account_ids")),
            pages=record["pages"] if isinstance(record.get("pages"), int) else None,
        )
    if kind == "inbound":
        return replace(
            common,
            image_id=_text(record.get("image_id")),
            image_name=_text(record.get("image_name")),
            shares=(_inbound_share(record),),
            removed_account_ids=_texts(record.get("removed_account_ids")),
        )
    if kind == "exception":
        return replace(
            common,
            exception=_exception(record),
            image_ids=_texts(record.get("image_ids")),
            regions=_texts(record.get("regions")),
        )
    return common


def _outbound_shares(record: Mapping[str, Any]) -> tuple[Share, ...]:
    """Each shared account with its class, the most urgent first. A flagged account is
    ``external`` whatever else the record says, and one flagged but missing from the shares is
    added: the report errs towards showing a share outside."""
    unexpected = _texts(record.get("unexpected_account_ids"))
    classes = record.get("share_classes")
    exceptions = record.get("exceptions")
    new = set(_texts(record.get("new_account_ids")))
    shared = list(dict.fromkeys(_texts(record.get("shared_account_ids")) + unexpected))
    shares = [
        Share(
            account,
            _outbound_class(account, classes, unexpected),
            _exception(exceptions.get(account)) if isinstance(exceptions, Mapping) else None,
            account in new,
        )
        for account in shared
    ]
    return tuple(sorted(shares, key=lambda share: (_rank(share.share_class), share.account_id)))


def _outbound_class(account: str, classes: object, unexpected: tuple[str, ...]) -> str:
    if account in unexpected:
        return "external"
    if not isinstance(classes, Mapping):
        return "unclassified"
    return _text(classes.get(account)) or _UNJUDGED


def _inbound_share(record: Mapping[str, Any]) -> Share:
    return Share(
        _text(record.get("owner_account_id")) or "",
        _text(record.get("owner_class")) or _UNJUDGED,
        _exception(record.get("exception")),
        _text(record.get("change")) == "appeared",
    )


def _rank(share_class: str) -> float:
    """Where a class sorts: an unknown one with ``unknown``."""
    return CLASSES.index(share_class) if share_class in CLASSES else CLASSES.index(_UNJUDGED) + 0.5


def _text(value: object) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else _json_text(value)


def _texts(value: object) -> tuple[str, ...]:
    if not isinstance(value, list | tuple):
        return () if value is None else (_json_text(value),)
    return tuple(text for text in map(_text, value) if text is not None)


def _json_text(value: object) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def _error(value: object) -> tuple[str, str] | None:
    if value is None:
        return None
    if isinstance(value, Mapping):
        return (_text(value.get("code")) or "", _text(value.get("message")) or "")
    return ("", _json_text(value))


def _exception(value: object) -> ExceptionEntry | None:
    if not isinstance(value, Mapping):
        return None
    return ExceptionEntry(
        _text(value.get("reason")), _text(value.get("owner")), _text(value.get("expires"))
    )


def _extra(record: Mapping[str, Any], known: frozenset[str]) -> tuple[tuple[str, str], ...]:
    return tuple(
        (str(key), _text(value) or "null") for key, value in record.items() if key not in known
    )


def row_type(item: Item) -> int:
    return _ROW_TYPES.get(item.kind, 4)


# ---------------------------------------------------------------------------------------------
# Sections and the summary


@dataclass(frozen=True, slots=True)
class Section:
    """One group of the report; ``part`` is where it stands (findings, coverage, other)."""

    key: str
    part: str
    title: str
    note: str
    noun: tuple[str, str] = ("image", "images")
    flagged: bool = False
    """Its rows are findings that matter: shared outside."""
    when_empty: bool = False
    """Shown with a zero: that nothing is in it is itself worth saying."""


def outside_of(organization: bool) -> str:
    return "outside the organization" if organization else "outside the allowlist"


def sections(organization: bool) -> tuple[Section, ...]:
    """Every section, in the order the page shows them."""
    outside = outside_of(organization)
    return (
        Section(
            "new-external",
            "findings",
            f"New {outside} since the baseline",
            "Shares the baseline report did not have.",
            flagged=True,
        ),
        Section(
            "external",
            "findings",
            f"Shared {outside}",
            "Images that accounts outside can launch, copy or share on.",
            flagged=True,
            when_empty=True,
        ),
        Section(
            "inbound-external",
            "findings",
            "Images shared in from outside the organization",
            "Images owned outside that an audited account can launch from.",
            flagged=True,
            when_empty=organization,
        ),
        Section(
            "unknown",
            "findings",
            "Shares that could not be judged",
            "The account's membership of the organization could not be read: not flagged, "
            "not known to be fine.",
        ),
        Section(
            "excepted",
            "findings",
            "Excepted shares",
            "Shares an exception entry allows: its reason, owner and expiry are shown.",
        ),
        Section(
            "expired",
            "findings",
            "Expired exceptions",
            "Exception entries past their date: what they covered is judged again.",
            noun=("exception", "exceptions"),
        ),
        Section(
            "failed-images",
            "coverage",
            "Images that could not be audited",
            "Their permissions could not be read; what they are shared with is not known.",
        ),
        Section(
            "scopes-failed",
            "coverage",
            "Accounts and regions that could not be audited",
            "Listing or reaching them failed: their images are not in this report.",
            noun=("scope", "scopes"),
        ),
        Section(
            "scopes-other",
            "coverage",
            "Accounts and regions not audited",
            "Skipped, WorkSpaces not enabled, or not offered in the region.",
            noun=("scope", "scopes"),
        ),
        Section(
            "shared-fine",
            "other",
            "Shared with allowed accounts only",
            "Inside the organization or allowlisted.",
        ),
        Section(
            "inbound-fine",
            "other",
            "Images shared in from inside the organization",
            "Owned by a member or an allowlisted account.",
        ),
        Section("private", "other", "Shared with nobody", "Audited and private."),
        Section(
            "gone",
            "other",
            "Gone since the baseline",
            "In the baseline report, no longer there.",
        ),
        Section(
            "other",
            "other",
            "Other records",
            "Records of a kind this report does not know, shown as they are.",
            noun=("record", "records"),
        ),
    )


def sections_of(item: Item) -> list[str]:
    """The sections a record is shown in: one image can be in several (an external and an
    unknown share), and each section lists it once."""
    if item.gone:
        return ["gone"]
    if item.kind == "image":
        return _image_sections(item)
    if item.kind == "inbound":
        return _inbound_sections(item)
    if item.kind == "exception":
        return ["expired"]
    if item.kind == "scope":
        return ["scopes-failed" if item.status == "failed" else "scopes-other"]
    return ["other"]


def _image_sections(item: Item) -> list[str]:
    found = _judged_sections(item)
    if any(share.new and share.share_class == "external" for share in item.shares):
        found.insert(0, "new-external")
    if item.error is not None:
        found.append("failed-images")
    elif not found:
        found.append("shared-fine" if item.shares else "private")
    return found


def _inbound_sections(item: Item) -> list[str]:
    found = _judged_sections(item)
    if "external" in found:
        found[found.index("external")] = "inbound-external"
        if item.change == "appeared":
            found.insert(0, "new-external")
    return found or ["inbound-fine"]


def _judged_sections(item: Item) -> list[str]:
    classes = item.classes()
    found = []
    if "external" in classes:
        found.append("external")
    if classes - _FINE - {"external", "excepted"}:
        found.append("unknown")
    if "excepted" in classes:
        found.append("excepted")
    return found


@dataclass
class _Tally:
    counts: Counter[str] = field(default_factory=Counter)
    affected: set[str | None] = field(default_factory=set)
    outside: set[str] = field(default_factory=set)
    accounts: set[str] = field(default_factory=set)
    regions: set[str] = field(default_factory=set)

    def add(self, item: Item) -> None:
        if item.account_id is not None:
            self.accounts.add(item.account_id)
        self.regions.update(filter(None, (item.region, *item.regions)))
        if item.change is not None:
            self.counts[f"changes-{item.change}"] += 1
        if item.gone:
            return
        if item.kind == "image":
            self._image(item)
        elif item.kind == "inbound":
            self._inbound(item)
        elif item.kind == "exception":
            self.counts["expired-exceptions"] += 1
        elif item.kind == "scope":
            status = item.status if item.status in _SCOPE_STATUSES else "other"
            self.counts[f"scopes-{status}"] += 1
            self.counts["scopes-not-audited"] += 1

    def _image(self, item: Item) -> None:
        self.counts["images-failed" if item.error else "images-audited"] += 1
        self.counts["images-shared"] += bool(item.shares)
        external = [share for share in item.shares if share.share_class == "external"]
        self.counts["external-shares"] += len(external)
        self.counts["new-external-shares"] += sum(share.new for share in external)
        self.counts["images-flagged"] += bool(external)
        self.outside.update(share.account_id for share in external)
        if external:
            self.affected.add(item.account_id)
        self._judged(item.shares)

    def _inbound(self, item: Item) -> None:
        self.counts["inbound-images"] += 1
        if "external" in item.classes():
            self.counts["inbound-external"] += 1
            self.counts["new-external-shares"] += item.change == "appeared"
            self.affected.add(item.account_id)
        self._judged(item.shares)

    def _judged(self, shares: Iterable[Share]) -> None:
        for share in shares:
            if share.share_class == "excepted":
                self.counts["excepted-shares"] += 1
            elif share.share_class not in _FINE and share.share_class != "external":
                self.counts["unknown-shares"] += 1


def summary(items: Iterable[Item]) -> dict[str, int]:
    """Every number the summary shows, by its ``data-stat`` key.

    A share is an (image, account) pair: an outbound image shared with three accounts is three
    shares, an inbound image is one (its owner's). ``accounts-affected`` counts the audited
    accounts with a share outside or an image from outside; a one-account audit's account (whose
    records name none) counts as one. Images gone since the baseline count only as changes.
    """
    tally = _Tally()
    for item in items:
        tally.add(item)
    stats = {key: tally.counts[key] for key in _STAT_KEYS}
    stats.update(
        {
            "accounts-affected": len(tally.affected),
            "external-accounts": len(tally.outside),
            "accounts": len(tally.accounts),
            "regions": len(tally.regions),
        }
    )
    return stats


_STAT_KEYS: Final = (
    "external-shares",
    "new-external-shares",
    "images-flagged",
    "inbound-external",
    "unknown-shares",
    "excepted-shares",
    "expired-exceptions",
    "images-audited",
    "images-shared",
    "images-failed",
    "inbound-images",
    "scopes-not-audited",
    *(f"scopes-{status}" for status in (*_SCOPE_STATUSES, "other")),
    *(f"changes-{kind}" for kind in CHANGES),
)
