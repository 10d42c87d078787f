"""The few lines on stderr that end an audit: what was audited, what it cost, what failed and why."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from imgperms_async import AuditTotals
from imgperms_async.cli._literal import literal
from imgperms_async.cli._records import AuditRecord, ChangeKind, ErrorInfo, ScopeRecord, Tally


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


@dataclass(frozen=True)
class RunFacts:
    """What the summary reports besides the records: where the audit went and what it cost."""

    where: str
    """"1 region", or "6 accounts, 16 regions"."""
    elapsed_secs: float
    totals: AuditTotals


def summary_lines(tally: Tally, facts: RunFacts) -> list[str]:
    totals = facts.totals
    elapsed = facts.elapsed_secs
    rate = totals.requests / elapsed if elapsed > 0 else 0.0
    lines = _new_outside_lines(tally)
    lines += [
        f"audited {plural(tally.audited, 'image')} in {facts.where}: "
        f"{tally.shared} shared, {tally.flagged} flagged, {plural(tally.errors, 'error')}",
        f"{totals.requests} requests, {totals.retries} retries, {totals.throttles} throttles, "
        f"{rate:.1f} req/s, {elapsed:.1f} s",
    ]
    lines += _change_lines(tally)
    lines += _account_lines(tally)
    lines += _scope_lines(tally.scopes)
    lines += _image_error_lines(tally.failed)
    return lines


def _new_outside_lines(tally: Tally) -> list[str]:
    """First of all: shares outside that the baseline did not have."""
    lines = []
    for record in tally.newly_flagged:
        owner = f"account {record.owner.account_id}, " if record.owner else ""
        lines.append(
            f"new since the baseline: {owner}{literal(record.region)}, "
            f"{literal(record.image_id)} shared with {', '.join(map(literal, record.new_unexpected))}"
        )
    return lines


def _change_lines(tally: Tally) -> list[str]:
    if not tally.changes:
        return []
    kinds: tuple[ChangeKind, ...] = ("appeared", "disappeared", "changed", "unchanged")
    counts = ", ".join(f"{tally.changes[kind]} {kind}" for kind in kinds)
    return [f"since the baseline: {counts}"]


def _account_lines(tally: Tally) -> list[str]:
    """Accounts whose images are shared outside, first; the others by count only."""
    lines = []
    ordered = sorted(tally.accounts.items(), key=lambda item: (-item[1].flagged, item[0]))
    for account_id, counts in ordered:
        if not (counts.flagged or counts.errors):
            continue
        name = f" ({literal(counts.name)})" if counts.name else ""
        lines.append(
            f"account {account_id}{name}: {plural(counts.images, 'image')}, "
            f"{counts.shared} shared, {counts.flagged} shared outside, "
            f"{plural(counts.errors, 'error')}"
        )
    quiet = sum(1 for counts in tally.accounts.values() if not (counts.flagged or counts.errors))
    if quiet:
        lines.append(f"{plural(quiet, 'account')} shared nothing outside and had no error")
    return lines


def _scope_lines(scopes: Sequence[ScopeRecord]) -> list[str]:
    lines = []
    not_enabled = [scope for scope in scopes if scope.status == "not_enabled"]
    if not_enabled:
        accounts = len({scope.account_id for scope in not_enabled})
        lines.append(
            f"not enabled: {plural(len(not_enabled), 'region')} in {plural(accounts, 'account')} "
            "(not audited, not a failure)"
        )
    for scope in scopes:
        if scope.status == "not_enabled":
            continue
        where = _scope_name(scope)
        if scope.status == "skipped":
            lines.append(f"skipped: {where}: not ACTIVE in the organization")
        elif scope.error is not None and scope.account_id is None:
            lines.append(f"error: {where}: could not list images: {_error_text(scope.error)}")
        elif scope.error is not None:
            lines.append(f"error: {where}: {_error_text(scope.error)}")
    return lines


def _scope_name(scope: ScopeRecord) -> str:
    if scope.account_id is None:
        return literal(scope.region or "")
    name = f" ({literal(scope.account_name)})" if scope.account_name else ""
    region = literal(scope.region) if scope.region else "every region"
    return f"account {scope.account_id}{name}, {region}"


def _image_error_lines(failed: Sequence[AuditRecord]) -> list[str]:
    by_code: dict[str, list[tuple[str, ErrorInfo]]] = {}
    for record in failed:
        if record.error is not None:
            by_code.setdefault(record.error.code, []).append((record.image_id, record.error))
    lines = []
    for code, failures in sorted(by_code.items()):
        if code == "ParamValidationError":
            ids = ", ".join(sorted({literal(image_id) for image_id, _ in failures}))
            lines.append(f"error: {plural(len(failures), 'invalid image id')}, not audited: {ids}")
        else:
            lines.append(
                f"error: {plural(len(failures), 'image')} could not be audited: "
                f"{_error_text(failures[0][1])}"
            )
    return lines


def _error_text(error: ErrorInfo) -> str:
    return f"{literal(error.code)}: {literal(error.message)}"
