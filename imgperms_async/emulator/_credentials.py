"""Key pairs the emulator accepts; fixed by default so shell exports stay stable between runs."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["DEFAULT_CREDENTIALS", "EmulatorCredentials"]


@dataclass(frozen=True, slots=True)
class EmulatorCredentials:
    """One access key the emulator recognises; secrets stay out of reprs and logs."""

    access_key: str
    secret_key: str = field(repr=False)
    session_token: str | None = field(default=None, repr=False)


DEFAULT_CREDENTIALS: tuple[EmulatorCredentials, ...] = (
    EmulatorCredentials("AKIAEMULATOR00000001", "emulator/secret/key/0000000000000000001"),
    EmulatorCredentials(
        "ASIAEMULATOR00000002",
        "emulator/secret/key/0000000000000000002",
        session_token="emulator-session-token-FwoGZXIvYXdzEJr//////////wEaDEMULATOR",
    ),
)
