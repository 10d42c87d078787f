"""The emulator is a side branch: it imports nothing of the client and no botocore signer, loads
no HTTP server until it serves, and states its public names once."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import imgperms_async.emulator as emulator_package

PACKAGE_DIR = Path(emulator_package.__file__).parent


def imported_modules(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module)
    return modules


def emulator_imports() -> set[str]:
    return set().union(*(imported_modules(path) for path in PACKAGE_DIR.rglob("*.py")))


def test_emulator_imports_nothing_from_the_client_package() -> None:
    client_modules = {
        name
        for name in emulator_imports()
        if name.startswith("imgperms_async") and not name.startswith("imgperms_async.emulator")
    }
    assert client_modules == set()


def test_emulator_does_not_depend_on_botocore() -> None:
    assert {name for name in emulator_imports() if name.split(".")[0] in {"botocore", "boto3"}} == (
        set()
    )


def test_only_the_http_module_imports_aiohttps_server() -> None:
    importers = {
        path.relative_to(PACKAGE_DIR).as_posix()
        for path in PACKAGE_DIR.rglob("*.py")
        if {"aiohttp", "aiohttp.web"} & imported_modules(path)
    }
    assert importers == {"_http.py"}


def test_importing_the_package_loads_no_http_server() -> None:
    code = "import sys, imgperms_async.emulator; print('aiohttp.web' in sys.modules)"
    shown = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert shown.split() == ["False"]


def test_public_names_are_the_package_re_exports_sorted() -> None:
    exported = emulator_package.__all__
    re_exported = {
        alias.asname
        for node in ast.parse((PACKAGE_DIR / "__init__.py").read_text()).body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
        if alias.asname == alias.name
    }
    assert exported == sorted(re_exported)
    assert {"Emulator", "EmulatorCredentials", "ScopedTruth"} <= set(exported)
    assert all(getattr(emulator_package, name).__module__.startswith(
        "imgperms_async.emulator._"
    ) for name in exported)  # fmt: skip
