"""Benchmarks that back the project's claims against aiobotocore, boto3 and Cloud Custodian, side by side.

    .bench/bin/python -m benchmarks            # full run (1 000 images x 3 pages, 5 rounds)
    .bench/bin/python -m benchmarks --quick    # smaller sizes, to check a change
    .bench/bin/python -m benchmarks --scenario throughput --scenario startup
    .bench/bin/python -m benchmarks.profile    # imgperms_async's hot path under cProfile
    .venv/bin/python -m benchmarks.html_report  # the HTML report in chromium (test extra)

Run it in an environment of its own (``pip install -e '.[bench]' c7n-org``), where every peer is
at the version a user installing today gets. The report (targets with pass/fail, then throughput,
throttling, memory, start-up, the audit beside Cloud Custodian, the organization audit, the
enterprise audit and c7n-org beside us) is printed and written to
``benchmarks/results/latest.md`` (a full run also to a dated file there), with ``throughput.png``
when matplotlib is installed; docs/benchmarks.md gives the method, the scenarios and the targets.
The server runs in its own process on CPU 0 and every measurement in a fresh client process on
CPU 1, so server work never counts as client CPU, and the server's own CPU use is reported for
every run.

Modules: ``__main__`` (CLI and plan sizes), ``_scenarios`` (what is measured), ``_audit`` (the
audit beside Cloud Custodian), ``_organization`` (an organization audit at AWS's limits per
scope, and how the CLI is run), ``_launch`` (spawns, times and reaps a command, so its usage
is its own), ``_enterprise`` (1,000 and 5,000 accounts in every
region), ``_c7n_org`` (c7n-org beside us on one accounts file), ``_server`` (server processes),
``_lean_server`` (the throughput scenario's server), ``_clients`` and ``_drive`` (one driver per
client, run as ``python -m benchmarks._drive CLIENT JOB_JSON``), ``_env`` (versions, pins, what
is installed), ``_report`` (markdown and chart), ``profile`` (the profiling aid),
``html_report`` (the HTML report's measurement in a browser).
"""
