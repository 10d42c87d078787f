"""Key pairs the emulator accepts; fixed by default so shell exports stay stable between runs."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["DEFAULT_CREDENTIALS", "EmulatorCredentials"]


@dataclass(frozen=True, slots=True)
class EmulatorCredentials:
    """One access key the emulator recognises; secrets stay out of reprs and logs.

    `expiration` (epoch seconds, on the emulator's clock) is set on temporary credentials that
    STS AssumeRole issued; from then on every service answers that the token is expired.
    """

    access_key: str
    secret_key: str = field(repr=False)
    session_token: str | None = field(default=None, repr=False)
    expiration: float | None = None


DEFAULT_CREDENTIALS: tuple[EmulatorCredentials, ...] = (
    EmulatorCredentials("AKIAEMULATOR00000001", "emulator/secret/key/0000000000000000001"),
    EmulatorCredentials(
        "ASIAEMULATOR00000002",
        "emulator/secret/key/0000000000000000002",
        session_token="emulator-session-token-FwoGZXIvYXdzEJr//////////wEaDEMULATOR",
    ),
)
