"""Asyncio client for Amazon WorkSpaces image permissions: one call, every page, or thousands of images,
of one account or every account of an AWS organization."""

import importlib
import typing

from imgperms_async._aiohttp_transport import AiohttpTransport
from imgperms_async._client import ImagePermissionsClient
from imgperms_async._client_config import RETRY_MODES, ClientConfig, RetryMode
from imgperms_async._exceptions import (
    AccessDeniedException,
    ClientClosedError,
    ClientError,
    InvalidParameterValuesException,
    InvalidSettingError,
    MalformedResponseError,
    OperationNotSupportedException,
    PaginationError,
    ParamValidationError,
    ResourceNotFoundException,
    ResourceUnavailableException,
    ThrottlingException,
    error_code,
)
from imgperms_async._fanout import FanOut, ImagePermissionsResult
from imgperms_async._http import HttpRequest, HttpResponse, Transport
from imgperms_async._identity import Identity, check_endpoint_url
from imgperms_async._mock_transport import MockResponse, MockTransport
from imgperms_async._pipeline import ServiceClient
from imgperms_async._regions import check_region_name, partition_of
from imgperms_async._secrets import known_secrets
from imgperms_async._stats import AuditTotals, StatsSnapshot
from imgperms_async._version import __version__

if typing.TYPE_CHECKING:
    from imgperms_async._audit import (
        AccountSource,
        Audit,
        AuditedImage,
        AuditItem,
        AuditProgress,
        InboundImage,
        OrganizationAudit,
        OrganizationUnavailableError,
        ScopeResult,
        ScopeStatus,
        ShareClass,
    )
    from imgperms_async._baseline import Baseline
    from imgperms_async._compliance import Requirement, compliance
    from imgperms_async._exemptions import Exemption, exemptions_from_text
    from imgperms_async._organization._accounts import Account, accounts_from_text, check_account_id
    from imgperms_async._organization._roles import DEFAULT_ROLE_NAME, Role
    from imgperms_async._records import (
        Change,
        ChangeKind,
        ErrorInfo,
        ExpiredExemptionRecord,
        ImageRecord,
        InboundRecord,
        Record,
        ReportError,
        ScopeRecord,
        read_report,
        record_of,
        sorted_records,
    )
    from imgperms_async._security_hub import (
        FailedFinding,
        ScopeImport,
        SecurityHubImport,
        import_findings,
    )
    from imgperms_async._text_lists import account_ids_from_text, image_ids_from_text
    from imgperms_async._unshare import (
        INBOUND_ADVICE,
        Action,
        Applied,
        Plan,
        Unshare,
        UnshareRefused,
        apply_unshares,
        plan_unshares,
    )

_LAZY_MODULES: typing.Final = (
    "imgperms_async._audit",
    "imgperms_async._baseline",
    "imgperms_async._compliance",
    "imgperms_async._exemptions",
    "imgperms_async._organization._accounts",
    "imgperms_async._organization._roles",
    "imgperms_async._records",
    "imgperms_async._security_hub",
    "imgperms_async._text_lists",
    "imgperms_async._unshare",
)
"""Modules of the audit, its records and its findings, imported on first use of one of their
names: a program that only calls the client does not pay the time they take to import (about
40 ms here)."""


def __getattr__(name: str) -> object:
    if name in __all__:
        for module in _LAZY_MODULES:
            value = getattr(importlib.import_module(module), name, None)
            if value is not None:
                globals()[name] = value
                return value
    raise AttributeError(f"module 'imgperms_async' has no attribute {name!r}")


__all__ = [
    "DEFAULT_ROLE_NAME",
    "INBOUND_ADVICE",
    "RETRY_MODES",
    "AccessDeniedException",
    "Account",
    "AccountSource",
    "Action",
    "AiohttpTransport",
    "Applied",
    "Audit",
    "AuditItem",
    "AuditProgress",
    "AuditTotals",
    "AuditedImage",
    "Baseline",
    "Change",
    "ChangeKind",
    "ClientClosedError",
    "ClientConfig",
    "ClientError",
    "ErrorInfo",
    "Exemption",
    "ExpiredExemptionRecord",
    "FailedFinding",
    "FanOut",
    "HttpRequest",
    "HttpResponse",
    "Identity",
    "ImagePermissionsClient",
    "ImagePermissionsResult",
    "ImageRecord",
    "InboundImage",
    "InboundRecord",
    "InvalidParameterValuesException",
    "InvalidSettingError",
    "MalformedResponseError",
    "MockResponse",
    "MockTransport",
    "OperationNotSupportedException",
    "OrganizationAudit",
    "OrganizationUnavailableError",
    "PaginationError",
    "ParamValidationError",
    "Plan",
    "Record",
    "ReportError",
    "Requirement",
    "ResourceNotFoundException",
    "ResourceUnavailableException",
    "RetryMode",
    "Role",
    "ScopeImport",
    "ScopeRecord",
    "ScopeResult",
    "ScopeStatus",
    "SecurityHubImport",
    "ServiceClient",
    "ShareClass",
    "StatsSnapshot",
    "ThrottlingException",
    "Transport",
    "Unshare",
    "UnshareRefused",
    "__version__",
    "account_ids_from_text",
    "accounts_from_text",
    "apply_unshares",
    "check_account_id",
    "check_endpoint_url",
    "check_region_name",
    "compliance",
    "error_code",
    "exemptions_from_text",
    "image_ids_from_text",
    "import_findings",
    "known_secrets",
    "partition_of",
    "plan_unshares",
    "read_report",
    "record_of",
    "sorted_records",
]
