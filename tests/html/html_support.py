"""Reading a rendered report back as a reader's tools would: the numbers by their ``data-stat``
key, the sections by their ``data-section``, the embedded payload as JSON, and records written
the way ``--format json`` writes them."""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping, Sequence
from html.parser import HTMLParser
from typing import Any

from imgperms_async.cli._html import render_html

GENERATED_AT = datetime.datetime(2026, 12, 1, 21, 45, tzinfo=datetime.UTC)

Record = dict[str, Any]


def render(records: Sequence[Mapping[str, Any]], **options: Any) -> str:
    return render_html(records, generated_at=GENERATED_AT, **options)


class Page(HTMLParser):
    """What a rendered report holds, read with the standard library's HTML parser."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stats: dict[str, int] = {}
        self.stat_texts: dict[str, str] = {}
        self.section_totals: dict[str, int] = {}
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.styles: list[str] = []
        self.metas: list[dict[str, str | None]] = []
        self._open: tuple[str, dict[str, str | None]] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "meta":
            self.metas.append(found)
        if tag == "details" and found.get("data-section"):
            self.section_totals[str(found["data-section"])] = int(str(found["data-total"]))
        if tag in {"script", "style", "data"}:
            self._open, self._text = (tag, found), []

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._open is None or self._open[0] != tag:
            return
        attrs, text = self._open[1], "".join(self._text)
        if tag == "script":
            self.scripts.append((attrs, text))
        elif tag == "style":
            self.styles.append(text)
        elif attrs.get("data-stat"):
            key = str(attrs["data-stat"])
            self.stats[key] = int(str(attrs["value"]))
            self.stat_texts[key] = text
        self._open = None

    @property
    def payload(self) -> dict[str, Any]:
        [text] = [text for attrs, text in self.scripts if attrs.get("type") == "application/json"]
        loaded: dict[str, Any] = json.loads(text)
        return loaded

    @property
    def script(self) -> str:
        [text] = [text for attrs, text in self.scripts if "type" not in attrs]
        return text

    def section_rows(self) -> dict[str, list[str]]:
        """Each section's rows, named as ``label`` names them."""
        data = self.payload
        return {
            key: [label(data, data["rows"][i]) for i in rows] for key, rows in data["sec"].items()
        }


def read(document: str) -> Page:
    page = Page()
    page.feed(document)
    page.close()
    return page


def label(data: Mapping[str, Any], row: Mapping[str, Any]) -> str:
    """A row by what names it: its image id, or a scope's or exception's account and status."""
    strings = data["s"]
    if "i" in row:
        return str(strings[row["i"]])
    account = strings[row["a"]] if "a" in row else "-"
    return f"{account}:{strings[row['st']] if 'st' in row else '-'}"


def image(
    account: str | None,
    region: str,
    image_id: str,
    classes: Mapping[str, str],
    **extra: Any,
) -> Record:
    """An image record; ``account`` None is a one-account audit's, whose record has no classes
    (``classes`` then says which are unexpected: those marked ``external``)."""
    record: Record = {}
    if account is not None:
        record.update(account_id=account, account_name=f"name of {account}")
    record.update(region=region, image_id=image_id, shared_account_ids=list(classes))
    if account is not None:
        record["share_classes"] = dict(classes)
    record.update(
        unexpected_account_ids=[a for a, c in classes.items() if c == "external"],
        pages=1,
        error=None,
    )
    record.update(extra)
    return record


def inbound(account: str, region: str, image_id: str, owner: str, owner_class: str) -> Record:
    return {
        "kind": "inbound",
        "account_id": account,
        "account_name": f"name of {account}",
        "region": region,
        "image_id": image_id,
        "image_name": f"{image_id} name",
        "owner_account_id": owner,
        "owner_class": owner_class,
    }


def scope(account: str | None, region: str | None, status: str, **extra: Any) -> Record:
    error = {"code": "AccessDenied", "message": "no role"} if status == "failed" else None
    return {
        "kind": "scope",
        "account_id": account,
        "account_name": None,
        "region": region,
        "status": status,
        "error": error,
        **extra,
    }


def expired(account: str, image_ids: Sequence[str], regions: Sequence[str]) -> Record:
    return {
        "kind": "exception",
        "status": "expired",
        "account_id": account,
        "image_ids": list(image_ids),
        "regions": list(regions),
        "reason": "vendor pipeline",
        "owner": "platform",
        "expires": "2026-11-30",
    }
