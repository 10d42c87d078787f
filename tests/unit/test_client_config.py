"""ClientConfig refuses, when it is made, every value that could only fail later."""

from __future__ import annotations

from typing import Any

import pytest

from imgperms_async import ClientConfig, InvalidSettingError


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("max_rate", float("nan")),
        ("max_rate", float("inf")),
        ("max_rate", 0),
        ("connect_timeout_secs", float("inf")),
        ("read_timeout_secs", -1),
        ("read_timeout_secs", True),
        ("max_attempts", 0),
        ("max_attempts", 2.5),
        ("max_connections", 0),
        ("retry_mode", "bogus"),
        ("verify_tls", "yes"),
        ("ca_bundle", ""),
        ("burst", 0),
    ],
)
def test_a_value_that_cannot_work_is_refused_naming_the_field(field: str, value: Any) -> None:
    with pytest.raises(InvalidSettingError, match=f"ClientConfig.{field}"):
        ClientConfig(**{field: value})


def test_the_refusal_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="retry_mode"):
        ClientConfig(retry_mode="bogus")  # type: ignore[arg-type]


def test_sensible_values_are_kept() -> None:
    config = ClientConfig(max_rate=2.5, max_attempts=3, retry_mode="standard", read_timeout_secs=1)
    assert (config.max_rate, config.max_attempts, config.retry_mode) == (2.5, 3, "standard")


def test_a_burst_is_refused_without_the_rate_it_belongs_to() -> None:
    with pytest.raises(InvalidSettingError, match="given with max_rate"):
        ClientConfig(burst=4)


def test_a_burst_within_a_rate_is_kept() -> None:
    assert ClientConfig(max_rate=2.0, burst=4).burst == 4
