"""A real browser for the HTML report's tests: Debian's chromium, driven by Playwright.

One browser per module, a fresh context per test. Every request the page makes is recorded and,
but for the report file itself, refused; console errors, page errors and dialogs are recorded
too, and a test that leaves any of them fails at teardown. Without chromium or Playwright the
browser tests are skipped on a developer's machine and fail under CI (``CI`` set), which installs
both (``.ci/install-browser``): a skip must not hide a broken CI.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import pytest
from browser_support import CHROMIUM, CHROMIUM_ARGS, OpenedReport, OpenReport
from html_support import render

if TYPE_CHECKING:
    from playwright.sync_api import Browser


def unavailable(reason: str) -> NoReturn:
    """Skip, except under CI, where what is missing is a broken install step."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI installs it (.ci/install-browser, the test extra)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS)
        )
        yield launched
        launched.close()


@pytest.fixture
def open_report(browser: Browser, tmp_path: Path) -> Iterator[OpenReport]:
    """Writes records as a report file and opens it from disk; checks at the end that nothing
    went to the network and nothing complained."""
    context = browser.new_context(service_workers="block")
    opened: list[OpenedReport] = []

    def open_(records: Sequence[Mapping[str, Any]], **options: Any) -> OpenedReport:
        path = tmp_path / f"report-{len(opened)}.html"
        path.write_text(render(records, **options), encoding="utf-8")
        report = OpenedReport(context.new_page(), path.as_uri())
        opened.append(report)
        report.page.route("**/*", report._route)
        report.page.on("console", report._console)
        report.page.on("pageerror", lambda error: report.problems.append(f"page error: {error}"))
        report.page.on("dialog", report._dialog)
        report.page.goto(report.url)
        report.settle()
        return report

    yield open_
    context.close()
    assert [(r.url, r.requests, r.problems) for r in opened] == [
        (r.url, [r.url], []) for r in opened
    ]
