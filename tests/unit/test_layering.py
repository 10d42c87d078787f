"""Data flows one way: CLI -> client -> fan-out/paginator -> retry/limiter -> protocol -> signing +
transport. This walks the package's imports and holds them to that table, so the direction cannot
erode one convenient import at a time."""

from __future__ import annotations

import ast
from pathlib import Path

import imgperms_async

PACKAGE = Path(imgperms_async.__file__).parent

BASE = {"_exceptions", "_version"}
ALLOWED: dict[str, set[str]] = {
    "__init__": {"_client", "_config", "_exceptions", "_fanout", "_stats", "_version"},
    "__main__": {"_cli"},
    "_cli": {"__init__", "_audit", "_inputs", "_redact", "_report", "emulator"},
    "_audit": {"__init__", "_report"},
    "_redact": set(),
    "_report": {"_fanout"},
    "_inputs": set(),
    "_client": {
        "_clock",
        "_config",
        "_credentials",
        "_fanout",
        "_model",
        "_paginate",
        "_protocol",
        "_ratelimit",
        "_retry",
        "_settings",
        "_signing",
        "_stats",
        "_transport",
        "_validation",
    },
    "_config": set(),
    "_settings": {"_credentials"},
    "_fanout": {"_paginate", "_validation"},
    "_paginate": set(),
    "_retry": {"_ratelimit", "_stats"},
    "_ratelimit": set(),
    "_stats": set(),
    "_model": {"_protocol", "_transport"},
    "_protocol": {"_transport"},
    "_validation": set(),
    "_signing": {"_credentials", "_transport"},
    "_transport": set(),
    "_credentials": set(),
    "_clock": set(),
    "_exceptions": set(),
    "_version": set(),
}
"""What each module may import from the package, besides the base modules everyone may use."""

CLIENT_SIDE = set(ALLOWED) - {"__main__", "_cli", "_audit", "_redact", "_report", "_inputs"}


def package_imports(path: Path) -> set[str]:
    """The package modules one file imports, by their name inside the package."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = (
            [node.module]
            if isinstance(node, ast.ImportFrom) and node.module
            else [alias.name for alias in node.names]
            if isinstance(node, ast.Import)
            else []
        )
        for name in names:
            if name == "imgperms_async":
                found.add("__init__")
            elif name.startswith("imgperms_async."):
                found.add(name.split(".")[1])
    return found


def third_party_imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found


def modules() -> dict[str, Path]:
    return {path.stem: path for path in sorted(PACKAGE.glob("*.py"))}


def test_every_module_is_in_the_table() -> None:
    assert set(modules()) == set(ALLOWED)


def test_no_module_imports_against_the_flow() -> None:
    wrong = {
        name: sorted(package_imports(path) - ALLOWED[name] - BASE - {name})
        for name, path in modules().items()
    }
    assert {name: edges for name, edges in wrong.items() if edges} == {}


def test_only_the_transport_touches_aiohttp() -> None:
    users = {name for name, path in modules().items() if "aiohttp" in third_party_imports(path)}
    assert users == {"_transport"}


def test_the_client_side_never_loads_the_cli_libraries() -> None:
    users = {
        name
        for name, path in modules().items()
        if name in CLIENT_SIDE and third_party_imports(path) & {"click", "rich"}
    }
    assert users == set()


def test_the_client_never_imports_the_emulator() -> None:
    users = {name for name in CLIENT_SIDE if "emulator" in package_imports(modules()[name])}
    assert users == set()
