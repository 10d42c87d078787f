"""Helpers of the tests that act on audit reports (unshare, baselines, findings): an emulated
organization or account served from a thread, the CLI bound to it, and what it wrote."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from imgperms_async import ImagePermissionsClient
from imgperms_async.cli import main
from imgperms_async.emulator import Emulator, RequestRecord

UPDATE = "UpdateWorkspaceImagePermission"
ORGANIZATION_REGIONS = ("us-east-1", "eu-west-1")


def invoke(*args: str, stdin: Any = None) -> Result:
    return CliRunner().invoke(main, list(args), input=stdin, catch_exceptions=False)


def records_of(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def images_of(text: str) -> list[dict[str, Any]]:
    """The image records of a jsonl report (scope records left out)."""
    return [record for record in records_of(text) if record.get("kind") != "scope"]


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(record) + "\n" for record in records))
    return path


@dataclass
class Served:
    """An emulator and the CLI pointed at it; ``organization`` audits every member."""

    emu: Emulator
    tmp_path: Path
    organization: bool

    def audit(self, *args: str) -> Result:
        where = (
            ["--organization", *(f"--region={region}" for region in ORGANIZATION_REGIONS)]
            if self.organization
            else ["--region", "us-east-1", "--all"]
        )
        return invoke(
            "audit",
            "--endpoint-url",
            self.emu.endpoint_url,
            "--no-progress",
            "--max-rate",
            "1000",
            *where,
            *args,
        )

    def report(self, *args: str, name: str = "report.jsonl") -> Path:
        """A jsonl report of an audit now, at ``name``."""
        path = self.tmp_path / name
        result = self.audit("--format", "jsonl", "--output", str(path), *args)
        assert result.exit_code in (0, 1), result.stderr
        return path

    def unshare(self, report: Path, *args: str, stdin: Any = None) -> Result:
        return invoke(
            "unshare", str(report), "--endpoint-url", self.emu.endpoint_url,
            "--max-rate", "1000", *args, stdin=stdin,
        )  # fmt: skip

    def apply(self, report: Path, *args: str, log: str = "actions.jsonl") -> Result:
        return self.unshare(
            report, "--apply", "--yes", "--action-log", str(self.tmp_path / log), *args
        )

    def actions(self, log: str = "actions.jsonl") -> list[dict[str, Any]]:
        return records_of((self.tmp_path / log).read_text())

    def writes(self, since: int = 0) -> list[RequestRecord]:
        return [record for record in self.emu.requests[since:] if record.operation == UPDATE]

    @property
    def members(self) -> frozenset[str]:
        organization = self.emu.scoped_truth.organization
        assert organization is not None
        return frozenset(account.account_id for account in organization.accounts)

    def outside_shares(self) -> dict[tuple[str, str, str], tuple[str, ...]]:
        """Every (owner, region, image) the emulator holds shared outside the organization."""
        return {
            (owner, region, image): tuple(a for a in shares if a not in self.members)
            for owner, regions in self.emu.scoped_truth.images.items()
            for region, images in regions.items()
            for image, shares in images.items()
            if any(a not in self.members for a in shares)
        }

    def share_in(self, record: dict[str, Any], account_id: str) -> None:
        """Share the image of an organization report's ``record`` with ``account_id``, as its
        owner would, through the organization's role in the owner's account."""
        import boto3_clients

        keys = {
            "AccessKeyId": self.emu.credentials.access_key,
            "SecretAccessKey": self.emu.credentials.secret_key,
            "SessionToken": None,
        }
        if record["account_id"] != self.emu.account_id:
            sts = boto3_clients.client(
                "sts", endpoint_url=self.emu.endpoint_url, region_name="us-east-1",
                aws_access_key_id=keys["AccessKeyId"],
                aws_secret_access_key=keys["SecretAccessKey"],
            )  # fmt: skip
            keys = sts.assume_role(
                RoleArn=self.emu.role_arn(record["account_id"]), RoleSessionName="share-in"
            )["Credentials"]
        boto3_clients.client(
            "workspaces", endpoint_url=self.emu.endpoint_url, region_name=record["region"],
            aws_access_key_id=keys["AccessKeyId"], aws_secret_access_key=keys["SecretAccessKey"],
            aws_session_token=keys["SessionToken"],
        ).update_workspace_image_permission(
            ImageId=record["image_id"], SharedAccountId=account_id, AllowCopyImage=True
        )  # fmt: skip

    def share(self, image_id: str, account_id: str, *, shared: bool) -> None:
        """Someone else changes a share of the emulator's own account, in us-east-1."""

        async def change() -> None:
            async with ImagePermissionsClient(
                region_name="us-east-1",
                endpoint_url=self.emu.endpoint_url,
                aws_access_key_id=self.emu.credentials.access_key,
                aws_secret_access_key=self.emu.credentials.secret_key,
            ) as client:
                await client.update_workspace_image_permission(
                    ImageId=image_id, SharedAccountId=account_id, AllowCopyImage=shared
                )

        asyncio.run(change())


def point_at(monkeypatch: pytest.MonkeyPatch, emu: Emulator) -> None:
    """The emulator's keys in the environment, STS's region us-east-1."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", emu.credentials.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", emu.credentials.secret_key)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


def become(monkeypatch: pytest.MonkeyPatch, emu: Emulator, account_id: str) -> dict[str, str]:
    """The environment holds a session of the organization's role in ``account_id`` (as a member
    account's own user would have it), asked of the emulator's STS with boto3; its keys."""
    import boto3_clients

    sts = boto3_clients.client(
        "sts",
        endpoint_url=emu.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id=emu.credentials.access_key,
        aws_secret_access_key=emu.credentials.secret_key,
    )
    keys = sts.assume_role(RoleArn=emu.role_arn(account_id), RoleSessionName="member-caller")[
        "Credentials"
    ]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", keys["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", keys["SecretAccessKey"])
    monkeypatch.setenv("AWS_SESSION_TOKEN", keys["SessionToken"])
    return {name: keys[name] for name in ("AccessKeyId", "SecretAccessKey", "SessionToken")}


@contextmanager
def serving(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, emu: Emulator, *, organization: bool
) -> Iterator[Served]:
    """Serve ``emu`` from a thread, the environment pointed at it."""
    with emu:
        point_at(monkeypatch, emu)
        yield Served(emu, tmp_path, organization)


@dataclass
class Audited:
    """An emulator audited once, for tests that only read it: ``served`` and its report."""

    served: Served
    report: Path


@contextmanager
def audited_once(tmp_path: Path, emu: Emulator, *, organization: bool) -> Iterator[Audited]:
    """For a module-scoped fixture; each test points the environment at it (``point_at``)."""
    with (
        pytest.MonkeyPatch.context() as monkeypatch,
        serving(monkeypatch, tmp_path, emu, organization=organization) as served,
    ):
        yield Audited(served, served.report())


def allowlist_file(served: Served) -> Path:
    """The first account of every shared image is allowed; the others are outside."""
    allowed = {shares[0] for shares in served.emu.truth.values() if shares}
    path = served.tmp_path / "allowed.txt"
    path.write_text("".join(f"{account}\n" for account in sorted(allowed)))
    return path


def organization_emulator(**options: Any) -> Emulator:
    """A small organization: the management account and two members, two regions, two images
    in each, shared with members, with outsiders, with both (one with 28 outsiders)."""
    return Emulator(images=2, accounts=2, seed=1, regions=list(ORGANIZATION_REGIONS), **options)


def account_emulator(**options: Any) -> Emulator:
    """One account, ten images in us-east-1, four of them shared with 1, 2, 4 and 1 accounts."""
    return Emulator(images=10, seed=1, **options)
