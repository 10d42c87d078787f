"""Exceptions: shares a team has accepted, each with a reason, an owner and a date it ends.

A share that matches an exception is ``excepted``: reported with its reason, never flagged, never
unshared. An exception applies up to and including its ``expires`` date; after it, it stops
applying (the share is judged as any other) and is itself reported, so an accepted risk is
reviewed instead of forgotten. The file is YAML people keep by hand: a malformed entry or an
unknown key (a typo would silently widen or narrow an exception) is an error naming its line.

.. code-block:: yaml

    exceptions:
      - account_id: "111122223333"       # the account shared with (or, inbound, the owner)
        images: [wsi-0123456789]         # optional: only these images
        regions: [us-east-1]             # optional: only in these regions
        reason: the vendor that builds our golden image
        owner: alice@example.com
        expires: 2027-03-31
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

from imgperms_async._exceptions import InvalidSettingError
from imgperms_async._regions import check_region_name
from imgperms_async._validation import ACCOUNT_ID, image_id_problems

_REQUIRED: Final = ("account_id", "reason", "owner", "expires")
_KEYS: Final = frozenset({*_REQUIRED, "images", "regions"})


@dataclass(frozen=True, slots=True)
class Exemption:
    """One accepted share: with ``account_id``, on ``image_ids`` (every image when empty), in
    ``regions`` (every region when empty), until the end of ``expires``."""

    account_id: str
    reason: str
    owner: str
    expires: datetime.date
    image_ids: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.account_id, str) or not ACCOUNT_ID.fullmatch(self.account_id):
            raise InvalidSettingError(
                error_msg=f"exception account_id {self.account_id!r} is not an account id"
            )
        for name in ("reason", "owner"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise InvalidSettingError(error_msg=f"an exception needs a {name}")
        if not isinstance(self.expires, datetime.date) or isinstance(
            self.expires, datetime.datetime
        ):
            raise InvalidSettingError(error_msg="an exception's expires must be a date")
        for image_id in self.image_ids:
            if image_id_problems(image_id):
                raise InvalidSettingError(error_msg=f"{image_id!r} is not a WorkSpaces image id")
        for region in self.regions:
            check_region_name(region, source="exception regions")

    def applies(self, *, today: datetime.date) -> bool:
        return today <= self.expires

    def covers(self, account_id: str, *, image_id: str | None, region: str | None) -> bool:
        return (
            account_id == self.account_id
            and (not self.image_ids or image_id in self.image_ids)
            and (not self.regions or region in self.regions)
        )

    def to_json(self) -> dict[str, object]:
        return {
            "account_id": self.account_id,
            "image_ids": list(self.image_ids),
            "regions": list(self.regions),
            "reason": self.reason,
            "owner": self.owner,
            "expires": self.expires.isoformat(),
        }


class Exemptions:
    """The exceptions in force on ``today``; those already expired are kept apart, to report."""

    def __init__(self, exemptions: Iterable[Exemption], *, today: datetime.date) -> None:
        given = tuple(exemptions)
        for exemption in given:
            if not isinstance(exemption, Exemption):
                raise InvalidSettingError(
                    error_msg=f"exemptions must hold imgperms_async.Exemption, not {exemption!r}"
                )
        self.today = today
        self.active = tuple(e for e in given if e.applies(today=today))
        self.expired = tuple(e for e in given if not e.applies(today=today))

    def match(
        self, account_id: str, *, image_id: str | None, region: str | None
    ) -> Exemption | None:
        return next(
            (e for e in self.active if e.covers(account_id, image_id=image_id, region=region)),
            None,
        )


def exemptions_from_text(text: str, *, source: str) -> list[Exemption]:
    """The exceptions of a file (see the module's docstring)."""
    import yaml

    body = text.removeprefix("\ufeff")
    try:
        root = yaml.compose(body, Loader=yaml.SafeLoader)
        document = yaml.safe_load(body)
    except yaml.YAMLError as error:
        raise InvalidSettingError(
            error_msg=f"{source} is not valid YAML: {' '.join(str(error).split())}"
        ) from None
    if document is None:
        return []
    if not isinstance(document, dict) or set(document) != {"exceptions"}:
        raise InvalidSettingError(
            error_msg=f"{source}, line 1: expected one key, `exceptions:`, holding a list"
        )
    entries = document["exceptions"]
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise InvalidSettingError(error_msg=f"{source}: `exceptions` must be a list")
    lines = _entry_lines(root)
    return [
        _exemption(entry, where=f"{source}, line {lines[index] if index < len(lines) else 1}")
        for index, entry in enumerate(entries)
    ]


def _entry_lines(root: Any) -> list[int]:
    for key, value in getattr(root, "value", ()):
        if key.value == "exceptions" and isinstance(getattr(value, "value", None), list):
            return [entry.start_mark.line + 1 for entry in value.value]
    return []


def _exemption(entry: Any, *, where: str) -> Exemption:
    if not isinstance(entry, dict):
        raise InvalidSettingError(error_msg=f"{where}: an exception must be a mapping")
    unknown = sorted(str(key) for key in entry if key not in _KEYS)
    if unknown:
        raise InvalidSettingError(
            error_msg=f"{where}: unknown key {unknown[0]!r} (an exception has "
            f"{', '.join(sorted(_KEYS))})"
        )
    missing = [name for name in _REQUIRED if entry.get(name) in (None, "")]
    if missing:
        raise InvalidSettingError(error_msg=f"{where}: the exception has no {missing[0]}")
    expires = entry["expires"]
    if isinstance(expires, str):
        try:
            expires = datetime.date.fromisoformat(expires)
        except ValueError:
            expires = None
    if not isinstance(expires, datetime.date) or isinstance(expires, datetime.datetime):
        raise InvalidSettingError(
            error_msg=f"{where}: expires {entry['expires']!r} is not a date (YYYY-MM-DD)"
        )
    try:
        return Exemption(
            account_id=entry["account_id"],
            reason=entry["reason"],
            owner=entry["owner"],
            expires=expires,
            image_ids=_strings(entry.get("images"), "images", where),
            regions=_strings(entry.get("regions"), "regions", where),
        )
    except InvalidSettingError as error:
        raise InvalidSettingError(error_msg=f"{where}: {error}") from None


def _strings(value: Any, name: str, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise InvalidSettingError(error_msg=f"{where}: {name} must be a list of strings")
    return tuple(value)
