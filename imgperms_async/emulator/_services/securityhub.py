"""AWS Security Hub: BatchImportFindings and GetFindings (REST-JSON, 2018-10-26), per account
and region, as the Security Hub API Reference and User Guide describe them.

- A batch holds 1 to 100 findings, else InvalidInputException for the whole call.
- Findings go to the caller's own account through its default product: a finding whose
  AwsAccountId is another account, or whose ProductArn is not
  `arn:aws:securityhub:REGION:ACCOUNT:product/ACCOUNT/default`, fails the whole call with
  AccessDeniedException naming the ProductArn, as AWS answers it.
- A finding that breaks the format is listed in FailedFindings (InvalidInput); the others are
  imported.
- In an account and region that has not enabled Security Hub, every finding of a batch fails
  with InvalidAccess, and GetFindings answers InvalidAccessException.
- Re-importing a (ProductArn, Id) updates the finding when its UpdatedAt is later than the
  stored one, and is ignored otherwise; Note, UserDefinedFields, VerificationState and Workflow
  keep what the first import set (only BatchUpdateFindings changes them on AWS).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime

from .._errors import ServiceError
from .._model.findings import Finding, FindingKey, Findings
from .._page_tokens import PageTokens
from .._protocols import Params
from .._protocols.json11 import dumps
from .._protocols.rest_json import RestJsonProtocol
from . import AccessDenied, Call, Permission
from .asff import FindingProblem, checked_finding, timestamp
from .finding_filters import finding_filter, sort_findings

__all__ = ["MAX_FINDINGS_PAGE", "MAX_IMPORT_BATCH", "SecurityHub", "default_product_arn"]

MAX_IMPORT_BATCH = 100
MAX_FINDINGS_PAGE = 100
_IMPORT = "BatchImportFindings"
_RESTRICTED = ("Note", "UserDefinedFields", "VerificationState", "Workflow", "WorkflowState")
"""What BatchImportFindings cannot change once a finding exists."""


def default_product_arn(region: str, account_id: str) -> str:
    """The product an account imports its own findings through."""
    return f"arn:aws:securityhub:{region}:{account_id}:product/{account_id}/default"


def _invalid(message: str) -> ServiceError:
    return ServiceError("InvalidInputException", message)


def _not_subscribed(call: Call) -> str:
    return f"Account {call.account.account_id} is not subscribed to AWS Security Hub"


def _failure(finding: object, code: str, message: str) -> dict[str, str]:
    """A FailedFindings entry: the finding's Id (empty when it has none), the error."""
    finding_id = finding.get("Id") if isinstance(finding, Mapping) else None
    return {
        "Id": finding_id if isinstance(finding_id, str) else "",
        "ErrorCode": code,
        "ErrorMessage": message,
    }


def _iso(epoch: float) -> str:
    return (
        datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )


class SecurityHub:
    """Security Hub over every (account, region); `disabled` ones have not enabled it."""

    name = "securityhub"
    endpoint_variable = "SECURITYHUB"
    protocol = RestJsonProtocol(
        routes={("POST", "/findings/import"): _IMPORT, ("POST", "/findings"): "GetFindings"},
        malformed_body_code="InvalidInputException",
    )
    global_endpoint = False
    access_denied = AccessDenied("AccessDeniedException", 403)

    def __init__(
        self,
        findings: Findings,
        *,
        disabled: frozenset[tuple[str, str]],
        clock: Callable[[], float],
        seed: int,
    ) -> None:
        self._findings = findings
        self._disabled = disabled
        self._clock = clock
        self._tokens = PageTokens(hashlib.sha256(f"findings-{seed}".encode()).digest())

    def permissions(self, operation: str, params: Params, call: Call) -> tuple[Permission, ...]:
        """BatchImportFindings acts on each product it imports through, GetFindings on the hub."""
        if operation != _IMPORT:
            hub = f"arn:aws:securityhub:{call.region}:{call.account.account_id}:hub/default"
            return (Permission(f"securityhub:{operation}", hub),)
        findings = params.get("Findings")
        products = dict.fromkeys(
            finding["ProductArn"]
            for finding in (findings if isinstance(findings, list) else ())
            if isinstance(finding, Mapping) and isinstance(finding.get("ProductArn"), str)
        )
        return tuple(
            Permission(f"securityhub:{_IMPORT}", product)
            for product in products or [default_product_arn(call.region, call.account.account_id)]
        )

    def answer(self, operation: str, params: Params, call: Call) -> bytes:
        if operation == _IMPORT:
            return self._import(params, call)
        if (call.account.account_id, call.region) in self._disabled:
            raise ServiceError("InvalidAccessException", _not_subscribed(call), 401)
        return self._get(params, call)

    def _import(self, params: Params, call: Call) -> bytes:
        batch = params.get("Findings")
        if not isinstance(batch, list) or not 1 <= len(batch) <= MAX_IMPORT_BATCH:
            count = len(batch) if isinstance(batch, list) else 0
            raise _invalid(f"Findings must hold 1 to {MAX_IMPORT_BATCH} findings, got {count}.")
        self._check_owner(batch, call)
        if (call.account.account_id, call.region) in self._disabled:
            failed = [
                _failure(finding, "InvalidAccess", _not_subscribed(call)) for finding in batch
            ]
        else:
            failed = []
            for finding in batch:
                try:
                    sound = checked_finding(finding)
                except FindingProblem as problem:
                    failed.append(_failure(finding, "InvalidInput", str(problem)))
                else:
                    self._store(sound, call)
        return dumps(
            {
                "FailedCount": len(failed),
                "SuccessCount": len(batch) - len(failed),
                "FailedFindings": failed,
            }
        )

    def _check_owner(self, batch: Sequence[object], call: Call) -> None:
        """Every finding must be the caller's own, through its default product."""
        account_id = call.account.account_id
        product = default_product_arn(call.region, account_id)
        for finding in batch:
            if not isinstance(finding, Mapping):
                continue
            named_product = finding.get("ProductArn")
            named_account = finding.get("AwsAccountId")
            if (isinstance(named_product, str) and named_product != product) or (
                isinstance(named_account, str) and named_account != account_id
            ):
                resource = named_product if isinstance(named_product, str) else product
                raise self.access_denied.error(
                    f"User: {call.principal.arn} is not authorized to perform:"
                    f" securityhub:{_IMPORT} on resource: {resource}"
                )

    def _store(self, finding: Mapping[str, object], call: Call) -> None:
        """Create the finding, or update it if this import is newer than the stored one."""
        scope = self._findings.scope(call.account.account_id, call.region)
        key: FindingKey = (str(finding["ProductArn"]), str(finding["Id"]))
        stored = scope.get(key)
        if stored is not None and timestamp(str(finding["UpdatedAt"])) <= timestamp(
            str(stored["UpdatedAt"])
        ):
            return
        imported: Finding = {
            "RecordState": "ACTIVE",
            "Workflow": {"Status": "NEW"},
            "WorkflowState": "NEW",
            **finding,
            "Region": call.region,
            "CompanyName": "Personal",
            "ProductName": "Default",
            "ProcessedAt": _iso(self._clock()),
        }
        if stored is not None:
            for restricted in _RESTRICTED:
                imported.pop(restricted, None)
                if restricted in stored:
                    imported[restricted] = stored[restricted]
        scope[key] = imported

    def _get(self, params: Params, call: Call) -> bytes:
        passes = finding_filter(params.get("Filters"))
        limit = params.get("MaxResults", MAX_FINDINGS_PAGE)
        if (
            not isinstance(limit, int)
            or isinstance(limit, bool)
            or not 1 <= limit <= MAX_FINDINGS_PAGE
        ):
            raise _invalid(
                f"MaxResults must be a whole number from 1 to {MAX_FINDINGS_PAGE}, got {limit!r}."
            )
        token = params.get("NextToken")
        listing = (
            "findings:"
            + hashlib.sha256(
                dumps([params.get("Filters"), params.get("SortCriteria")])
            ).hexdigest()[:16]
        )
        try:
            offset = 0 if token is None else self._tokens.offset(listing, str(token))
        except ServiceError:
            raise _invalid("The NextToken is invalid.") from None
        scope = self._findings.scope(call.account.account_id, call.region)
        found = sort_findings(
            [finding for finding in scope.values() if passes(finding)], params.get("SortCriteria")
        )
        page: dict[str, object] = {"Findings": found[offset : offset + limit]}
        if offset + limit < len(found):
            page["NextToken"] = self._tokens.issue(listing, offset + limit)
        return dumps(page)
