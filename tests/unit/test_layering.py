"""Data flows one way: CLI -> audit -> client -> fan-out / paginator -> pipeline (retry, limiter,
protocol, signing) -> transport. import-linter holds the package to the layers its
configuration names (``pyproject.toml``); the checks here are what a layer order cannot say:
which third-party libraries each side may load, and that the CLI builds on the public API."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import imgperms_async

PACKAGE = Path(imgperms_async.__file__).parent
PROJECT = PACKAGE.parent


def imports_of(path: Path) -> set[str]:
    """Every module one file imports, by its dotted name."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


def core_files() -> list[Path]:
    return [
        path
        for path in PACKAGE.rglob("*.py")
        if not {"cli", "emulator"} & set(path.relative_to(PACKAGE).parts)
    ]


def test_every_import_keeps_to_the_layers() -> None:
    result = subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports")), "--no-cache"],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout


def test_the_cli_builds_on_the_public_api_and_the_emulator_entry_alone() -> None:
    reached = {
        str(path.relative_to(PACKAGE)): sorted(
            name
            for name in imports_of(path)
            if name.startswith("imgperms_async.")
            and not name.startswith(("imgperms_async.cli", "imgperms_async.emulator"))
        )
        for path in (PACKAGE / "cli").glob("*.py")
    }
    assert {name: edges for name, edges in reached.items() if edges} == {}


def test_only_the_aiohttp_transport_touches_aiohttp() -> None:
    users = {
        path.name
        for path in core_files()
        if any(n.split(".")[0] == "aiohttp" for n in imports_of(path))
    }
    assert users == {"_aiohttp_transport.py"}


def test_the_library_never_loads_the_cli_libraries() -> None:
    users = {
        path.name
        for path in core_files()
        if {n.split(".")[0] for n in imports_of(path)} & {"click", "rich"}
    }
    assert users == set()


def test_the_library_never_imports_the_cli_or_the_emulator() -> None:
    users = {
        path.name
        for path in core_files()
        if path.name != "__main__.py"
        and any(
            n.startswith(("imgperms_async.cli", "imgperms_async.emulator"))
            for n in imports_of(path)
        )
    }
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
