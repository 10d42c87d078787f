"""What the report does with a missing client and with a server that may have been the limit.

Measurements are built by hand: no process is started and nothing is timed.
"""

from __future__ import annotations

from dataclasses import replace

from benchmarks import _report
from benchmarks._scenarios import (
    THROUGHPUT_VARIANTS,
    Measurement,
    Throughput,
    Truth,
    runnable,
)

TRUTH = Truth(images=10, pages=30, shared=600, digest="0" * 64)


def measured(requests_per_sec: float, cpu_us: float, server_share: float = 0.1) -> Measurement:
    wall = TRUTH.pages / requests_per_sec
    return Measurement(
        wall_secs=wall,
        cpu_secs=cpu_us * TRUTH.pages / 1e6,
        peak_rss_mb=40.0,
        images=TRUTH.images,
        pages=TRUTH.pages,
        shared=TRUTH.shared,
        failed=0,
        errors={},
        digest=TRUTH.digest,
        server_cpu_secs=server_share * wall,
    )


def test_a_client_whose_module_is_missing_is_skipped_and_said_why() -> None:
    ready, skipped = runnable(THROUGHPUT_VARIANTS, has=lambda name: name != "aiobotocore")
    assert skipped == {"aiobotocore": "aiobotocore not installed"}
    assert "aiobotocore" not in {variant.label for variant in ready}
    assert {"imgperms_async", "imgperms_async+uvloop", "raw floor"} <= {
        variant.label for variant in ready
    }


def test_without_uvloop_only_the_uvloop_row_goes() -> None:
    ready, skipped = runnable(THROUGHPUT_VARIANTS, has=lambda name: name != "uvloop")
    assert list(skipped) == ["imgperms_async+uvloop"]
    assert len(ready) == len(THROUGHPUT_VARIANTS) - 1


def test_server_bound_rounds_are_left_out_of_a_ratio() -> None:
    ours = [measured(4_000, 150), measured(9_000, 100, server_share=0.95)]
    base = [measured(1_000, 600), measured(1_000, 600)]
    assert _report.median_ratio(ours, base, _report.requests_per_sec) == 4.0
    assert _report.median_ratio(ours[1:], base[1:], _report.requests_per_sec) is None
    assert _report.median_ratio(ours, None, _report.requests_per_sec) is None


def test_a_report_without_aiobotocore_says_so_instead_of_crashing() -> None:
    _, skipped = runnable(
        THROUGHPUT_VARIANTS, has=lambda name: name not in ("aiobotocore", "uvloop")
    )
    throughput = Throughput(images=TRUTH.images, truth=TRUTH, skipped=skipped)
    for concurrency in (16, 64):
        throughput.runs[concurrency] = {
            "imgperms_async": [measured(5_000, 150)],
            "raw floor": [measured(4_000, 250, server_share=0.9)],
            "bare floor": [measured(6_000, 100)],
        }
    report = _report.render(_report.Results(quick=True, throughput=throughput))
    assert "| c=64 req/s >= 3.5x aiobotocore | n/a | not measured |" in report
    assert "| c=64 CPU/request <= 0.75x raw floor | n/a | not measured |" in report
    assert "aiobotocore (aiobotocore not installed)" in report
    assert "imgperms_async+uvloop (uvloop not installed)" in report
    assert "0.90 SERVER-BOUND" in report
    assert "left out of the ratios: 2." in report
    assert (
        "The fastest run (bare floor, c=16, 6,000 req/s) kept the server 0.10 of a core" in report
    )


def test_targets_pass_and_fail_on_the_measured_ratios() -> None:
    throughput = Throughput(images=TRUTH.images, truth=TRUTH)
    throughput.runs[64] = {
        "imgperms_async": [measured(5_000, 150)],
        "aiobotocore": [measured(1_000, 600)],
        "raw floor": [measured(4_000, 250)],
    }
    throughput.runs[16] = {
        label: [replace(runs[0], digest="f" * 64) if label == "imgperms_async" else runs[0]]
        for label, runs in throughput.runs[64].items()
    }
    verdicts = {t.name: t.verdict for t in _report.targets(_report.Results(True, throughput))}
    assert verdicts["c=64 req/s >= 3.5x aiobotocore"] == "PASS"
    assert verdicts["c=64 CPU/request <= 0.75x raw floor"] == "PASS"
    assert verdicts["c=16 results equal the truth"] == "FAIL"
