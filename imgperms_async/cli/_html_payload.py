"""The HTML report's data: every item once, as compact rows over one table of strings, embedded
so that nothing in it can end its element or run."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from imgperms_async.cli._html_items import (
    CLASSES,
    ExceptionEntry,
    Item,
    Share,
    row_type,
    sections_of,
    shown,
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
        if (kind := row_type(item)) != 0:
            row["t"] = kind
        if kind == 4:
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
