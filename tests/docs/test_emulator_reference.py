"""docs/emulator.md names every option of ``imgperms emulator``, every argument of
``Emulator(...)`` and everything an emulator exposes: one added to the code without a word on the
page fails here."""

from __future__ import annotations

import inspect
from pathlib import Path

import click
import pytest

from imgperms_async.emulator import Emulator
from imgperms_async.emulator._command import emulator

PAGE = Path(__file__).resolve().parents[2] / "docs" / "emulator.md"
OPTIONS = [
    option
    for param in emulator.params
    if isinstance(param, click.Option)
    for option in param.opts
    if option != "--help"
]
ARGUMENTS = list(inspect.signature(Emulator).parameters)
EXPOSED = [
    name
    for name, value in vars(Emulator).items()
    if not name.startswith("_") and (isinstance(value, property) or inspect.isfunction(value))
]


@pytest.mark.parametrize("option", OPTIONS)
def test_the_page_names_each_option(option: str) -> None:
    assert f"`{option}" in PAGE.read_text()


@pytest.mark.parametrize("argument", ARGUMENTS)
def test_the_page_names_each_argument(argument: str) -> None:
    assert f"`{argument}" in PAGE.read_text()


@pytest.mark.parametrize("name", EXPOSED)
def test_the_page_names_each_property_and_method(name: str) -> None:
    assert f"`{name}" in PAGE.read_text()
