"""Benchmarks that back the project's claims against aiobotocore, boto3 and Cloud Custodian, side by side.

    .bench/bin/python -m benchmarks            # full run (1 000 images x 3 pages, 5 rounds)
    .bench/bin/python -m benchmarks --quick    # smaller sizes, to check a change
    .bench/bin/python -m benchmarks --scenario throughput --scenario startup
    .bench/bin/python -m benchmarks.profile    # imgperms_async's hot path under cProfile

Run it in an environment of its own (``pip install -e '.[bench]'``), where every peer is at the
version a user installing today gets. The report (targets with pass/fail, then throughput,
throttling, memory, start-up, the audit beside Cloud Custodian and the organization audit) is
printed and written to ``benchmarks/results/latest.md``, with ``throughput.png`` when matplotlib
is installed. The server runs in its own process on CPU 0 and every measurement in a fresh client
process on CPU 1, so server work never counts as client CPU, and the server's own CPU use is
reported for every run.

Modules: ``__main__`` (CLI and plan sizes), ``_scenarios`` (what is measured), ``_audit`` (the
audit beside Cloud Custodian), ``_organization`` (an organization audit at AWS's limits per
scope), ``_server`` (server processes), ``_lean_server`` (the throughput scenario's server),
``_clients`` and ``_drive`` (one driver per client, run as
``python -m benchmarks._drive CLIENT JOB_JSON``), ``_env`` (versions, pins, what is installed),
``_report`` (markdown and chart), ``profile`` (the profiling aid).
"""
