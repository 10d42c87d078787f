"""``python -S -I benchmarks/_launch.py USAGE_FILE COMMAND...``: run COMMAND, then write what it
cost to USAGE_FILE as JSON (wall seconds, CPU seconds, peak RSS in KiB) and exit with its status.

Linux keeps a process's peak RSS across ``exec``: a command the suite forks directly starts with
the suite's own peak as its floor, and the suite grows as it holds an enterprise's truth (to
83 MB, above a whole one-account audit). This launcher is a few MB when it spawns the command,
so the command's peak is its own. It imports only the standard library and measures the wall
time itself, so its own start-up is not in the figures. The usage covers the command and every
child it waited for (c7n-org's workers).
"""

from __future__ import annotations

import json
import os
import sys
import time


def main() -> int:
    usage_file, *command = sys.argv[1:]
    started = time.perf_counter()
    pid = os.posix_spawnp(command[0], command, os.environ)
    _, status, usage = os.wait4(pid, 0)
    wall_secs = time.perf_counter() - started
    with open(usage_file, "w") as written:
        json.dump(
            {
                "wall_secs": wall_secs,
                "cpu_secs": usage.ru_utime + usage.ru_stime,
                "peak_rss_kib": usage.ru_maxrss,
            },
            written,
        )
    return os.waitstatus_to_exitcode(status)


if __name__ == "__main__":
    sys.exit(main())
