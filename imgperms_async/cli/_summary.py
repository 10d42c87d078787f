"""The few lines on stderr that end an audit: what was audited, what it cost, what failed and why."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from imgperms_async import StatsSnapshot
from imgperms_async.cli._literal import literal
from imgperms_async.cli._records import AuditRecord, ErrorInfo, Tally


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


@dataclass(frozen=True)
class RunFacts:
    """What the summary reports besides the records: the cost of the run."""

    regions: int
    elapsed_secs: float
    stats: Sequence[StatsSnapshot]


def summary_lines(tally: Tally, failed: Sequence[AuditRecord], facts: RunFacts) -> list[str]:
    """``failed`` are the records with an error, in the order they finished."""
    requests = sum(s.requests for s in facts.stats)
    retries = sum(s.retries for s in facts.stats)
    throttles = sum(sum(s.throttles.values()) for s in facts.stats)
    elapsed = facts.elapsed_secs
    rate = requests / elapsed if elapsed > 0 else 0.0
    lines = [
        f"audited {plural(tally.audited, 'image')} in {plural(facts.regions, 'region')}: "
        f"{tally.shared} shared, {tally.flagged} flagged, {plural(tally.errors, 'error')}",
        f"{requests} requests, {retries} retries, {throttles} throttles, "
        f"{rate:.1f} req/s, {elapsed:.1f} s",
    ]
    for listing in tally.listing_failures:
        lines.append(
            f"error: {literal(listing.region)}: could not list images: "
            f"{literal(listing.error.code)}: {literal(listing.error.message)}"
        )
    by_code: dict[str, list[tuple[str, ErrorInfo]]] = {}
    for record in failed:
        if record.error is not None:
            by_code.setdefault(record.error.code, []).append((record.image_id, record.error))
    for code, failures in sorted(by_code.items()):
        if code == "ParamValidationError":
            ids = ", ".join(sorted({literal(image_id) for image_id, _ in failures}))
            lines.append(f"error: {plural(len(failures), 'invalid image id')}, not audited: {ids}")
        else:
            lines.append(
                f"error: {plural(len(failures), 'image')} could not be audited: "
                f"{literal(code)}: {literal(failures[0][1].message)}"
            )
    return lines
