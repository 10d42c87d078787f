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
from collections.abc import Iterator, Mapping, Sequence
from functools import cache
from importlib import resources
from typing import Any, Final

from imgperms_async.cli._html_items import (
    CHANGES,
    Item,
    Section,
    outside_of,
    read_item,
    sections,
    shown,
    summary,
)
from imgperms_async.cli._html_payload import (
    Payload,
    embedded_json,
    payload,
)

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
    outside = outside_of(organization)
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
    if any(s[f"changes-{kind}"] for kind in CHANGES):
        cards.insert(1, _baseline_card(s))
    return (
        '<section id="summary" aria-label="Summary"><h2>Summary</h2>'
        f"{_verdict(s, outside)}"
        f'<div class="cards">{"".join(cards)}</div></section>'
    )


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
    changes = ", ".join(f"{_stat(stats, f'changes-{kind}')} {kind}" for kind in CHANGES)
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
        if any(stats[f"changes-{kind}"] for kind in CHANGES)
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
