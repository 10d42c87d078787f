"""The few lines on stderr that end an audit: what was audited, what it cost, what failed and why."""

from __future__ import annotations

import shutil
import sys
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

import botocore
import click

from imgperms_async import (
    AuditTotals,
    Baseline,
    ChangeKind,
    ErrorInfo,
    ImageRecord,
    InboundRecord,
    ScopeRecord,
)
from imgperms_async.cli._literal import literal
from imgperms_async.cli._tally import Tally


def echo_summary(lines: Sequence[str]) -> None:
    """Each line on stderr; on a terminal, wrapped between words to its width (an account id
    or an image id is never cut in two), later lines of one entry indented."""
    width = shutil.get_terminal_size().columns if sys.stderr.isatty() else 0
    for line in lines:
        if width > 20:
            line = textwrap.fill(
                line,
                width,
                subsequent_indent="  ",
                break_long_words=False,
                break_on_hyphens=False,
            )
        click.echo(line, err=True)


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    return f"{count} {noun if count == 1 else nouns or noun + 's'}"


@dataclass(frozen=True)
class RunFacts:
    """What the summary reports besides the records: where the audit went and what it cost."""

    accounts: int | None
    """Accounts audited, or ``None`` for the caller's own account alone."""
    regions: int
    """Regions where some scope was audited (or tried and failed)."""
    elapsed_secs: float
    totals: AuditTotals
    baseline: Baseline | None = None
    regions_without_workspaces: frozenset[str] = frozenset()
    """Regions audited accounts enabled where, by botocore's data, WorkSpaces does not run."""

    @property
    def where(self) -> str:
        regions = plural(self.regions, "region")
        return (
            regions if self.accounts is None else f"{plural(self.accounts, 'account')}, {regions}"
        )


def summary_lines(tally: Tally, facts: RunFacts) -> list[str]:
    totals = facts.totals
    elapsed = facts.elapsed_secs
    rate = totals.requests / elapsed if elapsed > 0 else 0.0
    judged = f"{tally.shared} shared, {tally.flagged} flagged"
    if tally.unjudged and facts.accounts is not None:
        # Auditing one account without an allowlist judges nothing, by design: not news.
        judged += f", {tally.unjudged} shared with accounts of unknown membership"
    lines = _new_outside_lines(tally)
    lines += [
        f"audited {plural(tally.audited, 'image')} in {facts.where}: "
        f"{judged}, {plural(tally.errors, 'error')}",
        f"{plural(totals.requests, 'request')}, {plural(totals.retries, 'retry', 'retries')}, "
        f"{plural(totals.throttles, 'throttle')}, {rate:.1f} req/s, {elapsed:.1f} s",
    ]
    lines += _change_lines(tally)
    lines += _inbound_lines(tally)
    lines += _exception_lines(tally)
    lines += _account_lines(tally)
    lines += _scope_lines(tally.scopes)
    if passed_over := sorted(facts.regions_without_workspaces):
        lines.append(
            f"not offered: WorkSpaces does not run in {plural(len(passed_over), 'region')} the "
            f"accounts enabled, by botocore {botocore.__version__}'s data, so none was audited "
            f"there: {', '.join(map(literal, passed_over))} (a newer botocore knows newer ones)"
        )
    lines += _image_error_lines(tally.failed)
    baseline = facts.baseline
    if baseline is not None and baseline.size and not baseline.matched:
        lines.append(
            f"warning: the baseline shares no image with this run ({plural(baseline.size, 'image')}"
            " in it): is it a report of other accounts or regions?"
        )
    return lines


def _where(record: ImageRecord | InboundRecord) -> tuple[str, str, str]:
    """Lines about images come by account, region and image, whatever order they finished in."""
    return (record.account_id or "", record.region, record.image_id)


def _new_outside_lines(tally: Tally) -> list[str]:
    """First of all: what is flagged now and was not in the baseline."""
    lines = []
    for record in sorted(tally.newly_flagged, key=_where):
        owner = f"account {record.account_id}, " if record.account_id else ""
        assert record.change is not None
        accounts = ", ".join(map(literal, record.change.newly_flagged))
        if isinstance(record, ImageRecord):
            what = f"{literal(record.image_id)} shared with {accounts}"
        else:
            what = f"{literal(record.image_id)} shared in by {accounts}"
        lines.append(f"new since the baseline: {owner}{literal(record.region)}, {what}")
    return lines


def _change_lines(tally: Tally) -> list[str]:
    if not tally.changes:
        return []
    kinds: tuple[ChangeKind, ...] = ("appeared", "disappeared", "changed", "unchanged")
    counts = ", ".join(f"{tally.changes[kind]} {kind}" for kind in kinds)
    return [f"since the baseline: {counts}"]


def _inbound_lines(tally: Tally) -> list[str]:
    if not tally.inbound:
        return []
    lines = [
        f"shared in: {plural(tally.inbound, 'image')} shared into the audited accounts, "
        f"{len(tally.inbound_flagged)} from outside, {tally.inbound_unjudged} from accounts of "
        "unknown membership"
    ]
    for record in sorted(tally.inbound_flagged, key=_where):
        owner = f"account {record.account_id}, " if record.account_id else ""
        lines.append(
            f"shared in from outside: {owner}{literal(record.region)}, "
            f"{literal(record.image_id)} owned by {record.owner_account_id} "
            "(only its owner can remove the share: ask them, and do not launch from it)"
        )
    return lines


def _exception_lines(tally: Tally) -> list[str]:
    lines = []
    if tally.excepted:
        lines.append(f"excepted: {plural(tally.excepted, 'share')} accepted by an exception")
    for record in tally.expired:
        exemption = record.exemption
        lines.append(
            f"expired exception: account {exemption.account_id} ({literal(exemption.reason)}; "
            f"owner {literal(exemption.owner)}) ended {exemption.expires.isoformat()} and no "
            "longer applies: review it"
        )
    return lines


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
            f"not enabled: {plural(len(not_enabled), '(account, region) pair')} in "
            f"{plural(accounts, 'account')} (an opt-in region the account has not enabled: "
            "nothing there to audit)"
        )
    for scope in sorted(scopes, key=lambda s: (s.account_id or "", s.region or "")):
        where = _scope_name(scope)
        if scope.status == "skipped":
            lines.append(f"skipped: {where}: not ACTIVE in the organization")
        elif scope.status == "not_offered":
            lines.append(f"not audited: {where}: WorkSpaces is not offered in that region")
        elif scope.status == "failed" and scope.error is not None:
            lines.append(f"error: {where}: {_error_text(scope.error)}")
    return lines


def _scope_name(scope: ScopeRecord) -> str:
    region = literal(scope.region) if scope.region else "every region"
    if scope.account_id is None:
        return region
    name = f" ({literal(scope.account_name)})" if scope.account_name else ""
    return f"account {scope.account_id}{name}, {region}"


def _image_error_lines(failed: Sequence[ImageRecord]) -> list[str]:
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
