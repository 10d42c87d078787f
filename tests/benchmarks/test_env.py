"""The report's environment line: every measured package named, and which modules are missing."""

from __future__ import annotations

import platform

from benchmarks import _env


def test_versions_name_python_and_every_measured_package() -> None:
    line = _env.versions()
    assert line.startswith(f"Python {platform.python_version()}; ")
    for name in _env.MEASURED:
        assert f"{name} " in line
    assert f"imgperms_async {_env.version('imgperms_async')}" in line


def test_a_package_that_is_not_installed_is_said_so() -> None:
    assert _env.version("no-such-package-here") is None
    assert _env.missing(["json", "no_such_module_here"]) == ("no_such_module_here",)


def test_only_tight_pins_between_measured_packages_are_reported() -> None:
    assert _env._TIGHT.search("==1.43.103")
    assert _env._TIGHT.search("<1.43.118,>=1.43.115")
    assert not _env._TIGHT.search("<4.0.0,>=3.12.0")
    assert not _env._TIGHT.search("<1.44.0,>=1.43.46")
    for pin in _env.pins():
        package, _, requirement = pin.partition(": ")
        assert package.split()[0] in _env.MEASURED
        assert any(requirement.startswith(name) for name in _env.MEASURED)
        assert _env._TIGHT.search(requirement)
