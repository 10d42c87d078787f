"""Data flows one way: CLI -> client -> fan-out/paginator -> retry/limiter -> protocol -> signing ->
transport. This walks the package's imports and holds them to that table, so the direction cannot
erode one convenient import at a time. The CLI is a package of its own on top; nothing below it
imports it, and the emulator is a side branch the client never touches."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import imgperms_async

PACKAGE = Path(imgperms_async.__file__).parent

BASE = {"_exceptions", "_version"}
CORE: dict[str, set[str]] = {
    "__init__": {
        "_accounts",
        "_aiohttp_transport",
        "_client",
        "_client_config",
        "_fanout",
        "_http",
        "_mock_transport",
        "_organization",
        "_stats",
    },
    "_organization": {
        "_accounts",
        "_botocore_settings",
        "_client_config",
        "_control_plane",
        "_fanout",
        "_http",
        "_scopes",
        "_stats",
    },
    "_scopes": {
        "_accounts",
        "_botocore_settings",
        "_client",
        "_client_config",
        "_control_plane",
        "_credentials",
        "_http",
    },
    "_accounts": {"_botocore_settings", "_validation"},
    "_control_plane": {"_botocore_settings", "_credentials"},
    "__main__": {"cli"},
    "_client": {
        "_aiohttp_transport",
        "_botocore_settings",
        "_client_config",
        "_clock",
        "_credentials",
        "_fanout",
        "_http",
        "_paginate",
        "_protocol",
        "_ratelimit",
        "_retry",
        "_service_model",
        "_signing",
        "_stats",
        "_validation",
    },
    "_client_config": set(),
    "_botocore_settings": {"_client_config", "_credentials"},
    "_fanout": {"_paginate", "_validation"},
    "_paginate": set(),
    "_retry": {"_ratelimit", "_stats"},
    "_ratelimit": set(),
    "_stats": set(),
    "_service_model": {"_http", "_protocol"},
    "_protocol": {"_http"},
    "_validation": set(),
    "_signing": {"_credentials", "_http"},
    "_aiohttp_transport": {"_http"},
    "_mock_transport": {"_http"},
    "_http": set(),
    "_credentials": set(),
    "_clock": set(),
    "_exceptions": set(),
    "_version": set(),
}
"""What each core module may import from the package, besides the base modules everyone may use."""

CLI_MAY_IMPORT = {
    "__init__",
    "_accounts",
    "_botocore_settings",
    "_client_config",
    "_control_plane",
    "_scopes",
    "_validation",
    "emulator",
}
"""The CLI builds on the public API, plus the checks and defaults it shares with the library
(settings, account ids, the default role), and the emulator for ``demo`` and ``emulator``."""


def imports_of(path: Path) -> set[str]:
    """Every module one file imports, by its dotted name (relative imports resolved)."""
    package = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1])
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                found.add(f"{base}.{node.module}" if node.module else base)
            elif node.module:
                found.add(node.module)
    return found


def package_imports(path: Path) -> set[str]:
    """The package modules one file imports, by their first name inside the package."""
    found: set[str] = set()
    for name in imports_of(path):
        if name == "imgperms_async":
            found.add("__init__")
        elif name.startswith("imgperms_async."):
            found.add(name.split(".")[1])
    return found


def third_party_imports(path: Path) -> set[str]:
    return {name.split(".")[0] for name in imports_of(path) if not name.startswith("imgperms")}


def core_modules() -> dict[str, Path]:
    return {path.stem: path for path in sorted(PACKAGE.glob("*.py"))}


def cli_modules() -> dict[str, Path]:
    return {path.stem: path for path in sorted((PACKAGE / "cli").glob("*.py"))}


def test_every_core_module_is_in_the_table() -> None:
    assert set(core_modules()) == set(CORE)


def test_no_core_module_imports_against_the_flow() -> None:
    wrong = {
        name: sorted(package_imports(path) - CORE[name] - BASE - {name})
        for name, path in core_modules().items()
    }
    assert {name: edges for name, edges in wrong.items() if edges} == {}


def test_nothing_outside_the_cli_imports_it_but_the_module_entry_point() -> None:
    users = {name for name, path in core_modules().items() if "cli" in package_imports(path)}
    assert users == {"__main__"}


def test_the_cli_builds_on_the_public_api() -> None:
    reached = {
        name: sorted(package_imports(path) - CLI_MAY_IMPORT - {"cli"})
        for name, path in cli_modules().items()
    }
    assert {name: edges for name, edges in reached.items() if edges} == {}


def test_only_the_aiohttp_transport_touches_aiohttp() -> None:
    users = {
        name for name, path in core_modules().items() if "aiohttp" in third_party_imports(path)
    }
    assert users == {"_aiohttp_transport"}


def test_the_client_side_never_loads_the_cli_libraries() -> None:
    users = {
        name
        for name, path in core_modules().items()
        if third_party_imports(path) & {"click", "rich"}
    }
    assert users == set()


def test_the_client_never_imports_the_emulator() -> None:
    users = {name for name, path in core_modules().items() if "emulator" in package_imports(path)}
    assert users == set()


def test_the_audit_command_loads_neither_the_emulator_nor_the_aiohttp_server() -> None:
    code = (
        "import sys\n"
        "from imgperms_async.cli import main\n"
        "try:\n"
        "    main(['audit', '--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith(('imgperms_async.emulator', "
        "'aiohttp.web'))))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.splitlines()[-1] == "[]"
