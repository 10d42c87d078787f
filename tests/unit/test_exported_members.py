"""The public API is what ``__all__`` says: every name there exists, nothing public is left out,
nothing private is exported, and every modeled error can be imported from the package."""

from __future__ import annotations

import subprocess
import sys

import pytest

import imgperms_async
from imgperms_async._exceptions import MODELED_ERRORS


def isort_key(name: str) -> tuple[int, str]:
    """ruff's RUF022 order (isort's): CONSTANTS, then Classes, then everything else."""
    if name.isupper() and len(name) > 1:
        return (0, name)
    if name[:1].isupper():
        return (1, name)
    return (2, name)


def test_all_is_sorted_as_ruff_sorts_it() -> None:
    exported = imgperms_async.__all__
    assert exported == sorted(exported, key=isort_key)


def test_all_names_each_member_once() -> None:
    exported = imgperms_async.__all__
    assert len(exported) == len(set(exported))


def test_all_names_only_what_exists() -> None:
    assert [name for name in imgperms_async.__all__ if not hasattr(imgperms_async, name)] == []


def test_every_name_of_all_is_importable() -> None:
    namespace: dict[str, object] = {}
    exec("from imgperms_async import *", namespace)
    assert set(imgperms_async.__all__) <= set(namespace)


def test_nothing_private_is_exported() -> None:
    private = [
        name
        for name in imgperms_async.__all__
        if name.startswith("_") and not (name.startswith("__") and name.endswith("__"))
    ]
    assert private == []


def test_every_public_name_of_the_package_is_in_all() -> None:
    public = {
        name
        for name, value in vars(imgperms_async).items()
        if not name.startswith("_") and not isinstance(value, type(imgperms_async))
    }
    assert public - set(imgperms_async.__all__) == set()


def test_the_public_api_holds_what_the_redesign_made_public() -> None:
    """The names the CLI and users' code build on: the audit, its records, the organization
    wing's values, the settings and the seam; one missing is an API break."""
    expected = {
        "Account",
        "Audit",
        "AuditedImage",
        "Baseline",
        "ClientConfig",
        "ErrorInfo",
        "Exemption",
        "Identity",
        "ImagePermissionsClient",
        "ImageRecord",
        "InboundRecord",
        "InvalidSettingError",
        "MockTransport",
        "OrganizationAudit",
        "Role",
        "ScopeRecord",
        "ScopeResult",
        "ServiceClient",
        "UnshareRefused",
        "accounts_from_text",
        "apply_unshares",
        "check_account_id",
        "check_endpoint_url",
        "check_region_name",
        "exemptions_from_text",
        "known_secrets",
        "plan_unshares",
        "read_report",
        "record_of",
        "sorted_records",
    }
    assert expected - set(imgperms_async.__all__) == set()


def test_exported_classes_name_the_package_as_their_home_module() -> None:
    homes = {
        name: getattr(imgperms_async, name).__module__
        for name in imgperms_async.__all__
        if isinstance(getattr(imgperms_async, name), type)
    }
    assert {
        name: home for name, home in homes.items() if not home.startswith("imgperms_async")
    } == {}


def test_every_modeled_error_is_exported_and_on_client_exceptions() -> None:
    namespace = imgperms_async.ImagePermissionsClient.exceptions
    for name, error in MODELED_ERRORS.items():
        assert getattr(imgperms_async, name) is error
        assert getattr(namespace, name) is error


@pytest.mark.slow
def test_importing_the_package_leaves_the_audits_modules_for_their_first_use() -> None:
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, imgperms_async; print(*sorted(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()

    assert [module for module in imgperms_async._LAZY_MODULES if module in loaded] == []
