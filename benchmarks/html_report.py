"""``python -m benchmarks.html_report``: the HTML report at organization scale, in a real browser.

File size, time to render it in Python, and in Debian's chromium the time to first render, median
of several runs. A measurement, not a test: it needs the test extra (playwright) and chromium,
which the suite's environment need not have, so ``python -m benchmarks`` does not run it.

    .venv/bin/python -m benchmarks.html_report --accounts 1000 5000 --runs 5

For each size: records for ACCOUNTS accounts in 17 regions (html_records.organization_records:
about 0.95 images per account and region, 8 % shared outside, failed and not-enabled scopes), the
report written to a temporary file and opened from disk in a fresh page per run, every request
but the file refused. Times are from navigation start: ``summary`` is when the summary's first
line was painted (Element Timing on ``#verdict``), ``fcp`` the first contentful paint, ``ready``
when the script had drawn the open sections and the controls worked (the ``report-ready``
mark), ``load`` the load event's end; ``filter`` is one class filter over every record, from the
change to the redrawn sections. ``heap`` is the page's JS heap once ready, ``nodes`` its elements.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, Route, sync_playwright

from imgperms_async.cli._html import render_html

HTML_TESTS = Path(__file__).resolve().parents[1] / "tests" / "html"


def _html_tests(module: str) -> Any:
    """A helper module of the HTML tests: the records and the browser they check are what is
    measured here, defined once, there."""
    if str(HTML_TESTS) not in sys.path:
        sys.path.insert(0, str(HTML_TESTS))
    return importlib.import_module(module)


_browser = _html_tests("browser_support")
CHROMIUM, CHROMIUM_ARGS = _browser.CHROMIUM, _browser.CHROMIUM_ARGS
organization_records = _html_tests("html_records").organization_records

COMPLIANCE = {"SOC 2": ["CC6.6"], "NIST 800-53 r5": ["AC-3", "AC-4(21)", "AC-6"]}

_TIMINGS = """() => new Promise((resolve) => {
  const read = () => {
    const paint = performance.getEntriesByName("first-contentful-paint")[0];
    const ready = performance.getEntriesByName("report-ready")[0];
    const navigation = performance.getEntriesByType("navigation")[0];
    return { fcp: paint && paint.startTime, ready: ready && ready.startTime,
             load: navigation.loadEventEnd, nodes: document.getElementsByTagName("*").length };
  };
  new PerformanceObserver((list) => {
    const summary = list.getEntries().find((entry) => entry.identifier === "summary");
    if (summary) resolve({ ...read(), summary: summary.renderTime || summary.loadTime });
  }).observe({ type: "element", buffered: true });
})"""

_FILTER = """() => new Promise((resolve) => {
  const select = document.getElementById("f-class");
  const start = performance.now();
  new MutationObserver((_, observer) => {
    if (!document.documentElement.dataset.pending) {
      observer.disconnect();
      resolve(performance.now() - start);
    }
  }).observe(document.documentElement, { attributes: true });
  select.value = "0";
  select.dispatchEvent(new Event("change"));
})"""


def _open(browser: Browser, url: str) -> Page:
    page = browser.new_page()

    def refuse_others(route: Route) -> None:
        if route.request.url == url:
            route.continue_()
        else:
            raise SystemExit(f"the report asked for {route.request.url}")

    page.route("**/*", refuse_others)
    page.goto(url)
    page.wait_for_selector("html[data-ready]", state="attached")
    return page


def _run(browser: Browser, url: str) -> dict[str, float]:
    page = _open(browser, url)
    try:
        found: dict[str, Any] = page.evaluate(_TIMINGS)
        session = page.context.new_cdp_session(page)
        session.send("Performance.enable")
        metrics = session.send("Performance.getMetrics")["metrics"]
        heap = next(m["value"] for m in metrics if m["name"] == "JSHeapUsedSize")
        found["heap"] = heap / 1e6
        found["filter"] = page.evaluate(_FILTER)
        return {key: float(value) for key, value in found.items()}
    finally:
        page.close()


def measure(browser: Browser, accounts: int, runs: int, directory: Path) -> None:
    records = organization_records(accounts, 17)
    started = time.perf_counter()
    document = render_html(
        records, generated_at=datetime.datetime.now(datetime.UTC), compliance=COMPLIANCE
    )
    rendered = time.perf_counter() - started
    path = directory / f"report-{accounts}.html"
    path.write_text(document, encoding="utf-8")
    results = [_run(browser, path.as_uri()) for _ in range(runs)]
    medians = {key: statistics.median(r[key] for r in results) for key in results[0]}
    print(
        f"{accounts:>6} accounts  {len(records):>6} records  "
        f"{path.stat().st_size / 1e6:5.2f} MB  python {rendered:4.2f} s  | "
        f"summary {medians['summary']:4.0f} ms  fcp {medians['fcp']:4.0f} ms  "
        f"ready {medians['ready']:4.0f} ms  load {medians['load']:4.0f} ms  "
        f"filter {medians['filter']:4.0f} ms  heap {medians['heap']:5.1f} MB  "
        f"nodes {medians['nodes']:5.0f}"
    )


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--runs", type=int, default=5)
    options = parser.parse_args(argv)
    print(f"medians of {options.runs} runs in {CHROMIUM}, a fresh page each")
    with tempfile.TemporaryDirectory() as directory, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS)
        )
        for accounts in options.accounts:
            measure(browser, accounts, options.runs, Path(directory))
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1:])
