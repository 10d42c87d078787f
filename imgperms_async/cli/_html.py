"""The ``--format html`` report: one self-contained file that opens fast at any size.

Peers' reports fail in two ways: they never load (hundreds of MB of markup, a DOM node for every
finding of every host) or they trust the data (an id that is markup runs as markup). This one:

- **Summary first, without script.** The numbers a reader needs (shares outside, accounts affected,
  what could not be audited) are static HTML at the top, each a ``<data data-stat=KEY value=N>``,
  so the page shows them as soon as it is parsed, and a test or a scraper reads them by key.
- **Data once, rendered lazily.** Every record becomes one compact row in a JSON payload (strings
  deduplicated in one table) inside a ``<script type="application/json">``, which the browser
  never executes. A small script draws a section's account groups when the section is open, an
  account's regions when the account is opened, a region's images when it is opened, a hundred at
  a time: the DOM holds what is on screen, never the whole audit.
- **Nothing runs but our script.** Text reaches the page through ``html.escape`` here and
  ``textContent`` in the script, never as markup; control, bidirectional and zero-width
  characters are shown as escapes (``\\x1b``), as the terminal output does; the payload escapes
  ``<``, ``>``, ``&`` and the line separators so no string can close its element. A
  Content-Security-Policy allows no network at all and only our script and style, by hash.

Sections follow the finding → account → region → image order: the findings (shared outside,
images from outside, unknown and excepted shares, expired exceptions), then what could not be
audited, then everything else. ``render_html`` is pure: records in, a string out.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import html
import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
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
_CHANGES: Final = ("appeared", "disappeared", "changed", "unchanged")


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
        return (self.account_id or "", self.region or "", self.image_id or "", _row_type(self))


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


def _row_type(item: Item) -> int:
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


def sections(organization: bool) -> tuple[Section, ...]:
    """Every section, in the order the page shows them."""
    outside = _outside(organization)
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
    *(f"changes-{kind}" for kind in _CHANGES),
)


# ---------------------------------------------------------------------------------------------
# The payload


class _Strings:
    """Every text of the payload once; rows refer to them by index."""

    def __init__(self) -> None:
        self._index: dict[str, int] = {}

    def __call__(self, text: str) -> int:
        found = self._index.get(text)
        if found is None:
            found = self._index[text] = len(self._index)
        return found

    def many(self, texts: Iterable[str]) -> list[int]:
        return [self(text) for text in texts]

    def table(self) -> list[str]:
        return [shown(text) for text in self._index]


@dataclass
class Payload:
    """What the page's script reads: ``s`` the strings, ``c`` the classes, ``rows`` one per
    record (keys below), ``sec`` each section's rows in order, ``names`` account → name.

    Row keys, each left out when empty: ``t`` type (0 image, omitted; 1 inbound, 2 exception,
    3 scope, 4 other), ``k`` kind (type 4), ``a`` account, ``r`` region, ``i`` image id, ``n``
    image name, ``sh`` shares as [account, class, ...] (an inbound image's owner is its one
    share), ``nw`` shares new since the baseline, ``x`` exceptions as [account or -1, reason,
    owner, expires, ...] (-1 for none), ``e`` [code, message], ``st`` status, ``ch`` change,
    ``rm`` accounts removed since the baseline, ``im`` / ``rg`` an exception's images / regions,
    ``p`` pages when more than one, ``xk`` unknown keys as [key, value, ...]. Strings and
    accounts are indexes into ``s``; classes into ``c``.
    """

    strings: _Strings = field(default_factory=_Strings)
    classes: list[str] = field(default_factory=lambda: list(CLASSES))
    rows: list[dict[str, object]] = field(default_factory=list)
    sections: dict[str, list[int]] = field(default_factory=dict)
    names: dict[int, int] = field(default_factory=dict)

    def add(self, item: Item) -> None:
        for key in sections_of(item):
            self.sections.setdefault(key, []).append(len(self.rows))
        self.rows.append(self._row(item))
        if item.account_id is not None and item.account_name is not None:
            self.names.setdefault(self.strings(item.account_id), self.strings(item.account_name))

    def to_json(self) -> dict[str, object]:
        return {
            "s": self.strings.table(),
            "c": [shown(name) for name in self.classes],
            "rows": self.rows,
            "sec": self.sections,
            "names": self.names,
        }

    def _row(self, item: Item) -> dict[str, object]:
        s = self.strings
        row: dict[str, object] = {}
        if (row_type := _row_type(item)) != 0:
            row["t"] = row_type
        if row_type == 4:
            row["k"] = s(item.kind)
        optional: dict[str, str | None] = {
            "a": item.account_id,
            "r": item.region,
            "i": item.image_id,
            "n": item.image_name,
            "st": item.status,
            "ch": item.change,
        }
        row.update((key, s(text)) for key, text in optional.items() if text is not None)
        row.update(self._lists(item))
        if item.error is not None:
            row["e"] = s.many(item.error)
        if item.pages is not None and item.pages != 1:
            row["p"] = item.pages
        return row

    def _lists(self, item: Item) -> Iterator[tuple[str, list[int]]]:
        s = self.strings
        lists = {
            "sh": [n for share in item.shares for n in (s(share.account_id), self._class(share))],
            "nw": [s(share.account_id) for share in item.shares if share.new],
            "x": self._exceptions(item),
            "rm": s.many(item.removed_account_ids),
            "im": s.many(item.image_ids),
            "rg": s.many(item.regions),
            "xk": [s(text) for pair in item.extra for text in pair],
        }
        return ((key, value) for key, value in lists.items() if value)

    def _class(self, share: Share) -> int:
        if share.share_class not in self.classes:
            self.classes.append(share.share_class)
        return self.classes.index(share.share_class)

    def _exceptions(self, item: Item) -> list[int]:
        covered: list[tuple[str | None, ExceptionEntry | None]] = [
            (share.account_id, share.exception) for share in item.shares
        ]
        if item.kind == "exception":
            covered = [(None, item.exception)]
        return [
            self._optional(text)
            for account, entry in covered
            if entry is not None
            for text in (account, entry.reason, entry.owner, entry.expires)
        ]

    def _optional(self, text: str | None) -> int:
        return -1 if text is None else self.strings(text)


def payload(items: Iterable[Item]) -> Payload:
    built = Payload()
    for item in items:
        built.add(item)
    return built


def embedded_json(value: object) -> str:
    """JSON that can sit inside a ``<script>`` element: nothing in it can end the element, open a
    comment or break a line for a JavaScript parser, whatever the strings hold."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    for character in "<>&\u2028\u2029":
        text = text.replace(character, f"\\u{ord(character):04x}")
    return text


# ---------------------------------------------------------------------------------------------
# The document


@cache
def _asset(name: str) -> str:
    return resources.files(__package__).joinpath("_html_assets", name).read_text(encoding="utf-8")


def csp_hash(source: str) -> str:
    digest = hashlib.sha256(source.encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


def content_security_policy(script: str, style: str) -> str:
    """No network at all (no fetch, image, font, frame or form target); our one script and one
    style by hash, so an element that markup injection managed to create could not run or load."""
    return (
        "default-src 'none'; "
        f"script-src {csp_hash(script)}; "
        f"style-src {csp_hash(style)}; "
        "img-src 'none'; base-uri 'none'; form-action 'none'"
    )


def _e(text: str) -> str:
    """Untrusted text as HTML text or attribute value: shown, never parsed."""
    return html.escape(shown(text), quote=True)


def render_html(
    records: Sequence[Mapping[str, Any]],
    *,
    generated_at: datetime.datetime,
    compliance: Mapping[str, Sequence[str]] = {},
    title: str = "imgperms audit",
) -> str:
    """The whole report, one self-contained HTML document (see the module docstring)."""
    items = sorted(map(read_item, records), key=Item.order)
    organization = any(item.kind != "image" or item.account_id is not None for item in items)
    stats = summary(items)
    data = payload(items)
    controls = _filters_html(items, data, stats)
    script, style = _asset("report.js"), _asset("report.css")
    return "".join(
        (
            _head(title, script, style),
            '<body><header class="top">',
            f"<h1>{_e(title)}</h1>",
            f'<p class="generated">Generated <time>{_e(generated_at.isoformat())}</time></p>',
            "</header><main>",
            _summary_html(stats, organization),
            controls,
            *_parts_html(sections(organization), data.sections, compliance),
            '</main><script type="application/json" id="report-data">',
            embedded_json(data.to_json()),
            f"</script><script>{script}</script></body></html>\n",
        )
    )


def _head(title: str, script: str, style: str) -> str:
    policy = content_security_policy(script, style)
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{html.escape(policy)}">'
        '<meta name="referrer" content="no-referrer">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{style}</style></head>"
    )


def _stat(stats: Mapping[str, int], key: str) -> str:
    value = stats[key]
    return f'<data class="stat" data-stat="{key}" value="{value}">{value:,}</data>'


def _card(stats: Mapping[str, int], key: str, label: str, detail: str = "", tone: str = "") -> str:
    css = f"card {tone}".strip()
    body = f'<p class="detail">{detail}</p>' if detail else ""
    return f'<div class="{css}"><p class="big">{_stat(stats, key)}</p><p>{label}</p>{body}</div>'


def _count(number: int, one: str, many: str) -> str:
    return f"{number:,} {one if number == 1 else many}"


def _verdict(stats: Mapping[str, int], outside: str) -> str:
    """The one sentence a reader needs first: is anything shared outside, is the audit whole."""
    external, inbound = stats["external-shares"], stats.get("inbound-external", 0)
    words = [
        f"{_count(external, 'share', 'shares')} {outside} on "
        f"{_count(stats['images-flagged'], 'image', 'images')} in "
        f"{_count(stats['accounts-affected'], 'account', 'accounts')}."
        if external
        else f"Nothing is shared {outside}."
    ]
    if inbound:
        words.append(f"{_count(inbound, 'image', 'images')} shared in from outside.")
    if stats["images-failed"] or stats["scopes-failed"]:
        words.append("Not everything could be audited: see below.")
    tone = "bad" if external or inbound else "good"
    return f'<p class="verdict {tone}" id="verdict" elementtiming="summary">{" ".join(words)}</p>'


def _summary_html(stats: Mapping[str, int], organization: bool) -> str:
    """The verdict, then a card per question. A one-account audit lists nothing shared in, so
    it shows no inbound count rather than a zero that would mean "none"."""
    s = stats
    outside = _outside(organization)
    cards = [
        _card(
            s,
            "external-shares",
            f"shares {outside}",
            f"on {_stat(s, 'images-flagged')} images, in {_stat(s, 'accounts-affected')} "
            f"accounts, to {_stat(s, 'external-accounts')} accounts outside",
            "bad" if s["external-shares"] else "good",
        ),
        _card(
            s, "unknown-shares", "shares that could not be judged", "", _warn(s, "unknown-shares")
        ),
        _card(
            s,
            "excepted-shares",
            "excepted shares",
            f"{_stat(s, 'expired-exceptions')} exceptions expired",
            _warn(s, "expired-exceptions"),
        ),
        _card(
            s,
            "images-audited",
            "images audited",
            f"{_stat(s, 'images-shared')} shared with someone; "
            f"{_stat(s, 'accounts')} accounts, {_stat(s, 'regions')} regions",
        ),
        _card(
            s,
            "images-failed",
            "images that could not be audited",
            _scopes_detail(s),
            _warn(s, "images-failed", "scopes-failed"),
        ),
    ]
    if organization:
        cards.insert(1, _inbound_card(s))
    if any(s[f"changes-{kind}"] for kind in _CHANGES):
        cards.insert(1, _baseline_card(s))
    return (
        '<section id="summary" aria-label="Summary"><h2>Summary</h2>'
        f"{_verdict(s, outside)}"
        f'<div class="cards">{"".join(cards)}</div></section>'
    )


def _outside(organization: bool) -> str:
    return "outside the organization" if organization else "outside the allowlist"


def _warn(stats: Mapping[str, int], *keys: str) -> str:
    return "warn" if any(stats[key] for key in keys) else ""


def _inbound_card(stats: Mapping[str, int]) -> str:
    return _card(
        stats,
        "inbound-external",
        "images shared in from outside",
        f"of {_stat(stats, 'inbound-images')} images shared in",
        "bad" if stats["inbound-external"] else "",
    )


def _scopes_detail(stats: Mapping[str, int]) -> str:
    named = {
        "failed": "failed",
        "skipped": "skipped",
        "not_enabled": "not enabled",
        "not_offered": "not offered",
        "other": "other",
    }
    parts = [
        f"{_stat(stats, f'scopes-{status}')} {label}"
        for status, label in named.items()
        if status != "other" or stats["scopes-other"]
    ]
    return (
        f"{_stat(stats, 'scopes-not-audited')} accounts or regions not audited: {', '.join(parts)}"
    )


def _baseline_card(stats: Mapping[str, int]) -> str:
    changes = ", ".join(f"{_stat(stats, f'changes-{kind}')} {kind}" for kind in _CHANGES)
    tone = "bad" if stats["new-external-shares"] else ""
    return _card(
        stats, "new-external-shares", "new shares outside since the baseline", changes, tone
    )


def _compliance_html(compliance: Mapping[str, Sequence[str]]) -> str:
    if not compliance:
        return ""
    items = "".join(
        f"<li><strong>{_e(framework)}</strong> {', '.join(_e(rid) for rid in requirements)}</li>"
        for framework, requirements in compliance.items()
    )
    return f'<div class="compliance"><p>The findings map to</p><ul>{items}</ul></div>'


def _filters_html(items: Sequence[Item], data: Payload, stats: Mapping[str, int]) -> str:
    """The search and filter controls; options carry payload indexes, never untrusted text."""
    classes = "".join(
        f'<option value="{index}">{_e(name)}</option>' for index, name in enumerate(data.classes)
    )
    regions = "".join(
        f'<option value="{data.strings(region)}">{_e(region)}</option>'
        for region in sorted({item.region for item in items if item.region is not None})
    )
    change = (
        '<label><input type="checkbox" id="f-change"> changes since the baseline only</label>'
        if any(stats[f"changes-{kind}"] for kind in _CHANGES)
        else ""
    )
    return (
        '<form id="filters" role="search" autocomplete="off" hidden>'
        '<input type="search" id="q" placeholder="Search ids, names, messages" '
        'aria-label="Search">'
        f'<select id="f-class" aria-label="Class"><option value="">any class</option>{classes}'
        "</select>"
        '<input id="f-account" list="account-list" placeholder="Account id or name" '
        'aria-label="Account"><datalist id="account-list"></datalist>'
        f'<select id="f-region" aria-label="Region"><option value="">any region</option>{regions}'
        f"</select>{change}"
        '<button type="reset">Clear</button>'
        '<output id="match-count" aria-live="polite"></output></form>'
        "<noscript><p>The summary is complete; browsing the records needs JavaScript.</p>"
        "</noscript>"
    )


_PARTS: Final = (
    ("findings", "Findings"),
    ("coverage", "What could not be audited"),
    ("other", "Everything else"),
)


def _parts_html(
    all_sections: Sequence[Section],
    rows: Mapping[str, Sequence[int]],
    compliance: Mapping[str, Sequence[str]],
) -> Iterator[str]:
    """Each part with its sections; a section with no rows only if it says so."""
    for part, heading in _PARTS:
        shown_here = [
            section
            for section in all_sections
            if section.part == part and (rows.get(section.key) or section.when_empty)
        ]
        if not shown_here:
            continue
        yield f'<section class="part" id="part-{part}"><h2>{heading}</h2>'
        if part == "findings":
            yield _compliance_html(compliance)
        yield from (
            _section_html(section, len(rows.get(section.key, ()))) for section in shown_here
        )
        yield "</section>"


def _section_html(section: Section, total: int) -> str:
    noun = section.noun[total != 1]
    tone = " flag" if section.flagged and total else ""
    opened = " open" if section.part == "findings" and total else ""
    return (
        f'<details class="section{tone}" id="sec-{section.key}" data-section="{section.key}" '
        f'data-total="{total}" data-noun="{section.noun[0]}" data-nouns="{section.noun[1]}"'
        f'{opened}><summary><span class="title">{html.escape(section.title)}</span> '
        f'<span class="count" data-count="{total}">{total:,} {noun}</span></summary>'
        f'<p class="note">{html.escape(section.note)}</p><div class="body"></div></details>'
    )
