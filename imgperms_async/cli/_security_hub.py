"""``imgperms audit --security-hub``: the audit's findings imported once every record is in."""

from __future__ import annotations

from imgperms_async import Audit, ErrorInfo, import_findings
from imgperms_async.cli._literal import literal
from imgperms_async.cli._run import After, Recorder
from imgperms_async.cli._summary import plural


def import_after_audit(*, dry_run: bool) -> After:
    async def after(audit: Audit, recorder: Recorder) -> tuple[list[str], bool]:
        result = await import_findings(audit, recorder.kept, dry_run=dry_run)
        verb = "would import" if dry_run else "imported"
        lines = [
            f"security hub: {verb} {plural(result.imported, 'finding')} and "
            f"{'would resolve' if dry_run else 'resolved'} {result.resolved} in "
            f"{plural(len(result.scopes), '(account, region) scope')}"
            + ("; nothing was imported (dry run)" if dry_run else "")
        ]
        for scope, failed in result.failures:
            where = f"account {scope.account_id}, " if scope.account_id else ""
            if failed is None:
                assert scope.error is not None
                error = ErrorInfo.of(scope.error)
                lines.append(
                    f"error: security hub: {where}{literal(scope.region)}: "
                    f"{literal(error.code)}: {literal(error.message)}"
                )
            else:
                lines.append(
                    f"error: security hub refused {literal(failed.finding_id)} ({where}"
                    f"{literal(scope.region)}): {literal(failed.code)}: {literal(failed.message)}"
                )
        return lines, bool(result.failures)

    return after
