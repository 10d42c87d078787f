"""A report open in the browser, and what the tests ask of it; the fixtures are in conftest.py."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from playwright.sync_api import ConsoleMessage, Dialog, Page, Route

CHROMIUM: Final = Path("/usr/bin/chromium")
CHROMIUM_ARGS: Final = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
"""Debian's chromium as CI runs it: no sandbox (root), no GPU, and none of the background
traffic (component updates, sync, QUIC probes) a first run would start."""


@dataclass
class OpenedReport:
    """A report open in the browser, with everything it tried that it should not have."""

    page: Page
    url: str
    requests: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def settle(self) -> None:
        """Wait until the filters typed or chosen so far have been applied."""
        self.page.wait_for_selector("html[data-ready]:not([data-pending])", state="attached")

    def stats(self) -> dict[str, tuple[int, str]]:
        """Each summary number by its key: its value and the text shown."""
        found: dict[str, list[Any]] = self.page.eval_on_selector_all(
            "[data-stat]",
            "nodes => Object.fromEntries(nodes.map(n => [n.dataset.stat, "
            "[Number(n.value), n.textContent]]))",
        )
        return {key: (int(value), str(text)) for key, (value, text) in found.items()}

    def section_count(self, key: str) -> int:
        return int(
            self.page.get_attribute(f"[data-section='{key}'] [data-count]", "data-count") or -1
        )

    def match_count(self) -> int:
        return int(self.page.get_attribute("#match-count", "data-value") or -1)

    def expand(self, key: str) -> list[str]:
        """Open every group of a section and show all its rows; the image ids drawn."""
        self.page.evaluate(_EXPAND, key)
        ids: list[str] = self.page.eval_on_selector_all(
            f"[data-section='{key}'] .row .id", "nodes => nodes.map(n => n.textContent)"
        )
        return ids

    def _route(self, route: Route) -> None:
        self.requests.append(route.request.url)
        if route.request.url == self.url:
            route.continue_()
        else:
            route.abort()

    def _console(self, message: ConsoleMessage) -> None:
        if message.type in {"error", "warning"}:
            self.problems.append(f"console {message.type}: {message.text}")

    def _dialog(self, dialog: Dialog) -> None:
        self.problems.append(f"dialog {dialog.type}: {dialog.message}")
        dialog.dismiss()


_EXPAND = """async (key) => {
  const section = document.querySelector(`[data-section="${key}"]`);
  const unfilled = (d) => d.matches(".account, .region") && d.open && d.childElementCount < 2;
  for (let round = 0; round < 200; round++) {
    const closed = [section, ...section.querySelectorAll("details")].filter((d) => !d.open);
    const more = [...section.querySelectorAll("button.more")];
    const waiting = [...section.querySelectorAll("details")].some(unfilled);
    if (!closed.length && !more.length && !waiting) return;
    closed.forEach((d) => { d.open = true; });
    more.forEach((b) => b.click());
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`section ${key} did not finish opening`);
}"""


OpenReport = Callable[..., OpenedReport]
