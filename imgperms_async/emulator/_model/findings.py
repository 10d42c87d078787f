"""Security Hub findings, per account and region, keyed as Security Hub keys them: by ProductArn
and Id. Each scope keeps its findings in the order they were first imported."""

from __future__ import annotations

import copy

__all__ = ["Finding", "FindingKey", "Findings"]

Finding = dict[str, object]
"""One finding in the AWS Security Finding Format, as stored: the provider's JSON, literally,
with the fields Security Hub adds."""
FindingKey = tuple[str, str]
"""(ProductArn, Id)."""


class Findings:
    def __init__(self) -> None:
        self._scopes: dict[tuple[str, str], dict[FindingKey, Finding]] = {}

    def scope(self, account_id: str, region: str) -> dict[FindingKey, Finding]:
        """That account's findings in that region, for the service to read and write."""
        return self._scopes.setdefault((account_id, region), {})

    def snapshot(self) -> dict[str, dict[str, list[Finding]]]:
        """account -> region -> findings, copies a test may keep and change."""
        snapshot: dict[str, dict[str, list[Finding]]] = {}
        for (account_id, region), findings in self._scopes.items():
            if findings:
                snapshot.setdefault(account_id, {})[region] = copy.deepcopy(list(findings.values()))
        return snapshot
