"""The controls a WorkSpaces image shared outside maps to, from one data file that names its source.

No tool maps WorkSpaces image sharing itself; the frameworks Prowler maintains map the same
exposure for machine images and snapshots, so every finding this package writes (OCSF, Security
Hub, HTML) carries those requirements. ``_compliance.json`` holds them and their source.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Final

DATA: Final = Path(__file__).with_name("_compliance.json")


@dataclass(frozen=True, slots=True)
class Requirement:
    """A framework's requirements for the exposure."""

    framework: str
    version: str
    requirements: tuple[str, ...]

    @property
    def standard(self) -> str:
        return f"{self.framework} {self.version}"


@functools.cache
def compliance() -> tuple[Requirement, ...]:
    document = json.loads(DATA.read_text(encoding="utf-8"))
    return tuple(
        Requirement(entry["framework"], entry["version"], tuple(entry["requirements"]))
        for entry in document["frameworks"]
    )


def related_requirements() -> list[str]:
    """Security Hub's ``Compliance.RelatedRequirements`` form: ``FRAMEWORK VERSION ID``."""
    return [f"{r.standard} {requirement}" for r in compliance() for requirement in r.requirements]
