"""The public API is what ``__all__`` says: every name there exists, nothing public is left out,
and every modeled error can be imported from the package."""

from __future__ import annotations

import imgperms_async
from imgperms_async._exceptions import MODELED_ERRORS


def test_all_is_sorted_and_names_only_what_exists() -> None:
    exported = imgperms_async.__all__
    assert exported == sorted(exported)
    assert [name for name in exported if not hasattr(imgperms_async, name)] == []


def test_every_public_name_of_the_package_is_in_all() -> None:
    public = {
        name
        for name, value in vars(imgperms_async).items()
        if not name.startswith("_") and not isinstance(value, type(imgperms_async))
    }
    assert public - set(imgperms_async.__all__) == set()


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
