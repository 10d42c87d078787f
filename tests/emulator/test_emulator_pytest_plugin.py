"""The pytest plugin users get: registered, serving, cleaned up. Its page's examples
(docs/pytest-plugin.md) run as tests of their own (tests/docs/doc_examples.py)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from importlib.metadata import entry_points
from pathlib import Path

import aiohttp

from imgperms_async.emulator import Emulator


def test_the_plugin_is_registered_as_a_pytest11_entry_point() -> None:
    (plugin,) = [e for e in entry_points(group="pytest11") if e.name == "imgperms_async_emulator"]
    assert plugin.value == "imgperms_async.emulator.pytest_plugin"


async def test_workspaces_emulator_is_the_default_emulator_serving(
    workspaces_emulator: Emulator,
) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.get(workspaces_emulator.endpoint_url + "/_emulator/health") as response,
    ):
        assert response.status == 200
    assert len(workspaces_emulator.truth) == 200


def test_the_factory_takes_the_constructors_options(
    workspaces_emulator_factory: Callable[..., Emulator],
) -> None:
    first = workspaces_emulator_factory(accounts=2, seed=4, images=3)
    second = workspaces_emulator_factory(images=5)
    assert first.scoped_truth == Emulator(accounts=2, seed=4, images=3).scoped_truth
    assert len(second.truth) == 5
    assert first.endpoint_url != second.endpoint_url


def test_an_emulator_from_the_factory_stops_after_its_test(tmp_path: Path) -> None:
    (tmp_path / "test_port.py").write_text(
        "import socket\n"
        "PORT = []\n"
        "def test_serve(workspaces_emulator_factory):\n"
        "    PORT.append(int(workspaces_emulator_factory(images=1).endpoint_url.rsplit(':', 1)[1]))\n"
        "def test_then_free():\n"
        "    with socket.socket() as probe:\n"
        "        probe.bind(('127.0.0.1', PORT[0]))\n"
    )
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:randomly",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
