"""The emulator is a side branch: it imports nothing of the client and no botocore signer."""

from __future__ import annotations

import ast
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
    return set().union(*(imported_modules(path) for path in PACKAGE_DIR.glob("*.py")))


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


def test_public_names_are_exported_sorted() -> None:
    assert emulator_package.__all__ == sorted(emulator_package.__all__)
    assert set(emulator_package.__all__) == {
        "AccountTruth",
        "Emulator",
        "EmulatorCredentials",
        "OrganizationTruth",
        "RequestRecord",
        "ScopedTruth",
        "run_emulator",
    }
