"""Benchmarks that back the project's claims against aiobotocore and boto3, side by side in one run.

    .venv/bin/python -m benchmarks            # full run (1 000 images x 3 pages, 5 rounds)
    .venv/bin/python -m benchmarks --quick    # smaller sizes, to check a change
    .venv/bin/python -m benchmarks --scenario throughput --scenario startup

The report (targets with pass/fail, then throughput, throttling, memory and start-up) is printed
and written to ``benchmarks/results/latest.md``, with ``throughput.png`` when matplotlib is
installed. The emulator runs in its own process on CPU 0 and every measurement in a fresh client
process on CPU 1, so server work never counts as client CPU.

Modules: ``__main__`` (CLI and plan sizes), ``_scenarios`` (what is measured), ``_server``
(emulator processes), ``_clients`` and ``_drive`` (one driver per client, run as
``python -m benchmarks._drive CLIENT JOB_JSON``), ``_report`` (markdown and chart).
"""
