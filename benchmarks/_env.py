"""What this environment holds: the versions the report states, what pins them, what can run here.

Figures are only worth quoting on the versions a user installing today gets, so the report names
every version it ran on, and the pins between the measured packages that held one of them back
(aiobotocore caps botocore, c7n fixes boto3). The dev environment is not that place: it holds
whatever its test tools and the day it was made left in it (a test pin once kept aiohttp below
3.14 there, and aiobotocore two releases back with it), so the report warns when the test tooling
is installed. A client whose package is missing is skipped and named in the report, never a crash.
"""

from __future__ import annotations

import importlib.util
import platform
import re
from collections.abc import Callable, Iterable
from importlib import metadata
from typing import Final

MEASURED: Final = (
    "imgperms_async",
    "aiohttp",
    "botocore",
    "aiobotocore",
    "boto3",
    "c7n",
    "uvloop",
    "matplotlib",
)
TEST_TOOLING: Final = "moto"
"""Installed by the test extra only, so its presence marks the pinned dev environment."""

_NAME: Final = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_TIGHT: Final = re.compile(r"==|<\d+\.\d+\.(?!0\b)\d+")
"""An exact pin, or a cap below a patch release: what holds a peer back, unlike a major-version cap."""

HasModule = Callable[[str], bool]


def has_module(name: str) -> bool:
    """Whether ``import name`` would find something, without importing it."""
    return importlib.util.find_spec(name) is not None


def missing(modules: Iterable[str], has: HasModule = has_module) -> tuple[str, ...]:
    """The modules among ``modules`` that this environment lacks, in the order given."""
    return tuple(name for name in modules if not has(name))


def version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def versions() -> str:
    """``Python 3.11.7; imgperms_async 0.1.0, aiohttp 3.14.5, ..., uvloop (not installed)``."""
    found = []
    for name in MEASURED:
        found.append(f"{name} {version(name) or '(not installed)'}")
    return f"Python {platform.python_version()}; {', '.join(found)}"


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def pins() -> list[str]:
    """Tight requirements of one measured package on another: ``c7n 0.9.53: boto3==1.43.103``.

    Extras-only requirements are left out: they are not installed for a plain ``pip install``.
    """
    measured = {_normalise(name) for name in MEASURED}
    found = []
    for package in MEASURED:
        installed = version(package)
        if installed is None:
            continue
        for requirement in metadata.requires(package) or ():
            spec, _, marker = requirement.partition(";")
            match = _NAME.match(spec)
            if match is None or "extra" in marker:
                continue
            bounds = re.sub(r"[\s()]", "", spec[match.end() :])
            if _normalise(match[1]) in measured and _TIGHT.search(bounds):
                found.append(f"{package} {installed}: {match[1]}{bounds}")
    return found


def dev_environment() -> bool:
    return version(TEST_TOOLING) is not None
