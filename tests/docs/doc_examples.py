"""Every example of README.md and docs/*.md runs, against the emulator, as a reader would run it.

Sybil collects the pages (the root ``conftest.py`` wires it in). Each page gets one environment,
set up before its first example and torn down after its last: an emulator serving what the page
needs (by default a small organization whose member role is ``imgperms-audit`` and wants the
ExternalId in ``$EXTERNAL_ID``, as docs/permissions.md tells users to deploy it), its
``environment`` exported, a fresh working directory holding the files the page's examples read,
and one bash session in which its shell examples run in order, as typed in one terminal.

- ```` ```python ````: run in the page's namespace, in this process (``asyncio.run`` for async
  code). On docs/pytest-plugin.md each block is a test module instead, run by pytest in a process
  of its own, as a user runs it.
- ```` ```sh ````: every command runs; its output is not checked.
- ```` ```console ````: ``$ command`` lines, each followed by the output it prints (stdout and
  stderr as a terminal shows them). The output must be what is shown, but for trailing spaces;
  a line ``...`` stands for any lines (none included), ``...`` within a line for any text, and
  ``~`` before a number for any number: it varies from run to run.

A command's exit status must be 0 or 1 (1 is an audit that flags, its normal outcome) unless the
line ends in a comment ending ``exit N``. A command whose comment ends ``until Ctrl-C`` is a server:
its output is awaited, then it gets SIGINT and must exit 0. Only shell examples and the plugin
page's test modules start processes, so only they are marked ``slow`` (with a skip directive
before one, which Sybil must see run first).
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import select
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sybil import Example, Sybil
from sybil.parsers.markdown import CodeBlockParser, PythonCodeBlockParser, SkipParser

from imgperms_async.emulator import Emulator

ROOT = Path(__file__).resolve().parents[2]
EXTERNAL_ID = "imgperms-docs-7f3a9c"
"""The ExternalId of the pages' organizations, exported as ``$EXTERNAL_ID``."""
COMMAND_TIMEOUT_SECS = 120.0
SERVER_TIMEOUT_SECS = 30.0
DEFAULT_STATUSES = frozenset({0, 1})

ORGANIZATION: dict[str, Any] = {
    "accounts": 3,
    "images": 3,
    "seed": 3,
    "role_name": "imgperms-audit",
    "external_id": EXTERNAL_ID,
}
"""The organization a page's commands audit: a management account (871309627979, the caller)
and three members, three images in each region each enabled (us-east-1, eu-west-1, af-south-1;
200881142560 has not enabled af-south-1)."""


@dataclass(frozen=True)
class Page:
    """What one page's examples need: the emulator behind them (``None``: none), the files
    they read, and whether the keys come from a named profile instead of the environment."""

    emulator: Mapping[str, Any] | None = field(default_factory=lambda: ORGANIZATION)
    files: Mapping[str, str] = field(default_factory=dict)
    profile: str | None = None


ALLOWED = """\
# Accounts our WorkSpaces images may be shared with, outside the organization
360837741345   # the vendor that builds our golden image
"""
ACCOUNTS_YML = """\
# c7n-org's accounts file: each account with its role and where to audit it
accounts:
  - account_id: "535213256891"
    name: sales-staging
    role: arn:aws:iam::535213256891:role/imgperms-audit
    external_id: imgperms-docs-7f3a9c
    regions: [us-east-1, eu-west-1]
  - account_id: "530391142620"
    name: engineering-sandbox
    role: arn:aws:iam::530391142620:role/imgperms-audit
    external_id: imgperms-docs-7f3a9c
    regions: [all]
"""
EXCEPTIONS_YML = """\
exceptions:
  - account_id: "537956729552"
    images: [wsi-y00uj1v34]
    reason: the training partner's lab, until the course ends
    owner: alice@example.com
    expires: 2099-12-31
  - account_id: "716553442776"
    reason: the pilot with the partner
    owner: bob@example.com
    expires: 2024-06-30
"""

PAGES: Mapping[str, Page] = {
    "README.md": Page(),
    "docs/client.md": Page({"images": 30, "seed": 1}),
    "docs/organization.md": Page(files={"accounts.yml": ACCOUNTS_YML}),
    "docs/cli.md": Page(files={"allowed.txt": ALLOWED, "accounts.yml": ACCOUNTS_YML}),
    "docs/emulator.md": Page(None),
    "docs/pytest-plugin.md": Page(None),
    "docs/first-audit.md": Page(
        files={"allowed.txt": ALLOWED, "exceptions.yml": EXCEPTIONS_YML}, profile="audit"
    ),
    "docs/findings.md": Page(
        {**ORGANIZATION, "inbound_outside": 1},
        files={"allowed.txt": ALLOWED, "exceptions.yml": EXCEPTIONS_YML},
    ),
}
"""Pages not listed get an organization and no files."""


def page_of(path: Path) -> Page:
    return PAGES.get(path.resolve().relative_to(ROOT).as_posix(), Page())


def serve(arguments: Mapping[str, Any]) -> Emulator:
    """An emulator as ``arguments`` say; in an organization the role of every member wants the
    ExternalId, as the shipped trust policy does."""
    organization = Emulator(**arguments).scoped_truth.organization
    if organization is not None:
        members = [account.account_id for account in organization.accounts[1:]]
        arguments = {**arguments, "external_id_role": members}
    emulator = Emulator(**arguments)
    emulator.start_in_thread()
    return emulator


# The output a console block shows, as a pattern --------------------------------------------------

_MARKERS = re.compile(r"(\.\.\.|~\d[\d,]*(?:\.\d+)?)")
_NUMBER = r"-?\d[\d,]*(?:\.\d+)?"


def normalized(text: str) -> str:
    """Lines without trailing spaces, without trailing blank lines, each ending in a newline."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return "".join(line + "\n" for line in lines)


def output_pattern(shown: str) -> re.Pattern[str]:
    parts: list[str] = []
    for line in normalized(shown).splitlines():
        if line.strip() == "...":
            parts.append(r"(?:[^\n]*\n)*?")
            continue
        pieces = []
        for piece in _MARKERS.split(line):
            if piece == "...":
                pieces.append(r"[^\n]*?")
            elif piece.startswith("~"):
                pieces.append(_NUMBER)
            else:
                pieces.append(re.escape(piece))
        parts.append("".join(pieces) + r"\n")
    return re.compile("".join(parts))


def shows(shown: str, printed: str) -> bool:
    return output_pattern(shown).fullmatch(normalized(printed)) is not None


# Commands, as a block holds them --------------------------------------------------------------

_EXIT = re.compile(r"#[^\n]*\bexit (\d+)\s*$")
_SERVER = re.compile(r"#[^\n]*\buntil Ctrl-C\s*$")


@dataclass(frozen=True)
class Command:
    text: str
    line: int
    shown: str | None = None
    """The output the block shows (console blocks), or ``None``: not checked."""

    @property
    def statuses(self) -> frozenset[int]:
        found = _EXIT.search(self.text)
        return frozenset({int(found.group(1))}) if found else DEFAULT_STATUSES

    @property
    def serves(self) -> bool:
        return _SERVER.search(self.text) is not None


def _joined(lines: list[str], start: int) -> tuple[str, int]:
    """The command starting at ``lines[start]`` with its ``\\`` continuation lines, and the
    index after it."""
    text = lines[start]
    index = start + 1
    while text.endswith("\\") and index < len(lines):
        text += "\n" + lines[index]
        index += 1
    return text, index


def sh_commands(source: str, first_line: int) -> list[Command]:
    lines = source.splitlines()
    commands: list[Command] = []
    index = 0
    while index < len(lines):
        if not lines[index].strip() or lines[index].lstrip().startswith("#"):
            index += 1
            continue
        text, after = _joined(lines, index)
        commands.append(Command(text, first_line + index))
        index = after
    return commands


def console_commands(source: str, first_line: int) -> list[Command]:
    lines = source.splitlines()
    commands: list[Command] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if not line.startswith("$ "):
            raise ValueError(
                f"line {first_line + index}: a console block's output must follow a `$ ` command"
            )
        start = index
        text, index = _joined(lines, index)
        shown: list[str] = []
        while index < len(lines) and not lines[index].startswith("$ "):
            shown.append(lines[index])
            index += 1
        commands.append(Command(text[2:], first_line + start, "\n".join(shown)))
    return commands


# One bash session per page ----------------------------------------------------------------------


class ShellSession:
    """A bash process the page's commands are typed into one after the other, so what one
    exports, or starts in the background, the next sees; stdout and stderr together, in the
    order written, as a terminal shows them."""

    def __init__(self, cwd: Path, environment: Mapping[str, str], scratch: Path) -> None:
        self.scratch = scratch
        self.process = subprocess.Popen(
            ["bash", "--noprofile", "--norc"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            env=dict(environment),
            start_new_session=True,
        )
        self._pending = b""

    def run(self, command: Command) -> tuple[str, int]:
        """What the command printed, and its exit status."""
        if command.serves:
            return self._serve(command)
        return self._type(f"{{\n{command.text}\n}} </dev/null", COMMAND_TIMEOUT_SECS)

    def _serve(self, command: Command) -> tuple[str, int]:
        output = self.scratch / f"server-{secrets.token_hex(4)}.out"
        # `bash -c` runs a lone command in its own process (the signal reaches the server), with
        # what the session exported.
        self._type(
            f"bash -c {shlex.quote(command.text)} </dev/null >{shlex.quote(str(output))} 2>&1 &"
            "\nSERVER=$!",
            10,
        )
        deadline = time.monotonic() + SERVER_TIMEOUT_SECS
        printed = ""
        while time.monotonic() < deadline:
            printed = output.read_text(errors="replace") if output.exists() else ""
            if command.shown is not None and shows(command.shown, printed):
                break
            time.sleep(0.1)
        _, status = self._type('kill -INT "$SERVER"; wait "$SERVER"', SERVER_TIMEOUT_SECS)
        return output.read_text(errors="replace"), status

    def _type(self, script: str, timeout: float) -> tuple[str, int]:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        mark = f"__done_{secrets.token_hex(8)}__"
        # The status is printed, then restored, so the next command's `$?` is this one's.
        self.process.stdin.write(
            f"{script}\n__status=$?; printf '\\n{mark} %d\\n' $__status; (exit $__status)\n".encode()
        )
        self.process.stdin.flush()
        end = f"\n{mark} ".encode()
        received = self._pending
        deadline = time.monotonic() + timeout
        fd = self.process.stdout.fileno()
        while end not in received or not received.split(end, 1)[1].count(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no end after {timeout:g} s; printed so far:\n{received!r}")
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                chunk = os.read(fd, 65536)
                if not chunk:
                    raise RuntimeError(f"the shell ended; printed:\n{received.decode()}")
                received += chunk
        printed, rest = received.split(end, 1)
        status, self._pending = rest.split(b"\n", 1)
        return printed.decode(errors="replace"), int(status)

    def close(self) -> None:
        """Ends the session and whatever it started (its process group)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.communicate()


# The page's environment -----------------------------------------------------------------------


@dataclass
class PageEnvironment:
    page: Page
    workdir: Path
    environment: dict[str, str]
    scratch: Path
    emulator: Emulator | None
    _session: ShellSession | None = None

    @property
    def session(self) -> ShellSession:
        if self._session is None:
            self._session = ShellSession(self.workdir, self.environment, self.scratch)
        return self._session

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
        if self.emulator is not None:
            self.emulator.stop_thread()


def aws_environment(page: Page, emulator: Emulator | None, home: Path) -> dict[str, str]:
    """The variables a page's examples see: no AWS setting of this machine's, the emulator's
    exports (its keys in a profile instead, when the page says so), and a pager-free terminal
    80 columns wide (what click wraps help to)."""
    environment = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    config, credentials = home / "aws-config", home / "aws-credentials"
    config.write_text("")
    credentials.write_text("")
    environment.update(
        AWS_CONFIG_FILE=str(config),
        AWS_SHARED_CREDENTIALS_FILE=str(credentials),
        AWS_EC2_METADATA_DISABLED="true",
        EXTERNAL_ID=EXTERNAL_ID,
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        COLUMNS="80",
        PYTHONUNBUFFERED="1",
        TERM="dumb",
    )
    if emulator is not None:
        exported = dict(emulator.environment)
        if page.profile is not None:
            keys = emulator.credentials
            del exported["AWS_ACCESS_KEY_ID"], exported["AWS_SECRET_ACCESS_KEY"]
            config.write_text(f"[profile {page.profile}]\nregion = {emulator.region}\n")
            credentials.write_text(
                f"[{page.profile}]\naws_access_key_id = {keys.access_key}\n"
                f"aws_secret_access_key = {keys.secret_key}\n"
            )
        environment.update(exported)
    return environment


@pytest.fixture(scope="module")
def page_environment(request: pytest.FixtureRequest) -> Iterator[PageEnvironment]:
    """One page's environment, for all its examples (Sybil runs a page as one module)."""
    page = page_of(Path(request.path))
    with tempfile.TemporaryDirectory(prefix="imgperms-docs-") as temporary:
        base = Path(temporary)
        workdir, scratch = base / "work", base / "scratch"
        workdir.mkdir()
        scratch.mkdir()
        for name, text in page.files.items():
            (workdir / name).write_text(text)
        emulator = None if page.emulator is None else serve(page.emulator)
        environment = aws_environment(page, emulator, scratch)
        served = PageEnvironment(page, workdir, environment, scratch, emulator)
        try:
            with pytest.MonkeyPatch.context() as patch:
                for name in [name for name in os.environ if name.startswith("AWS_")]:
                    patch.delenv(name)
                for name, value in environment.items():
                    patch.setenv(name, value)
                patch.chdir(workdir)
                yield served
        finally:
            served.close()


# Evaluators -----------------------------------------------------------------------------------


class ShellEvaluator:
    """Runs a sh or console block's commands in the page's session."""

    slow = True

    def __init__(self, console: bool) -> None:
        self.console = console

    def __call__(self, example: Example) -> str | None:
        first_line = example.line + 1
        commands = (console_commands if self.console else sh_commands)(example.parsed, first_line)
        session = example.namespace["page_environment"].session
        for command in commands:
            printed, status = session.run(command)
            where = f"line {command.line}: $ {command.text}"
            if status not in command.statuses:
                expected = " or ".join(map(str, sorted(command.statuses)))
                return f"{where}\nexit status {status}, not {expected}; it printed:\n{printed}"
            if command.shown is not None and not shows(command.shown, printed):
                return f"{where}\nprinted:\n{normalized(printed)}\nthe page shows:\n{command.shown}"
        return None


class PytestModuleEvaluator:
    """Runs a python block as a test module, with pytest, in a process of its own."""

    slow = True

    def __call__(self, example: Example) -> str | None:
        scratch: Path = example.namespace["page_environment"].scratch
        module = scratch / f"test_example_line_{example.line}.py"
        module.write_text(example.parsed)
        run = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", module.name],
            capture_output=True,
            text=True,
            cwd=scratch,
            env=example.namespace["page_environment"].environment,
            timeout=COMMAND_TIMEOUT_SECS,
        )
        if run.returncode != 0 or " passed" not in run.stdout:
            return f"pytest {module.name} failed:\n{run.stdout}{run.stderr}"
        return None


class ShellParser(CodeBlockParser):
    def __init__(self, language: str) -> None:
        super().__init__(language, ShellEvaluator(console=language == "console"))


class PytestModuleParser(CodeBlockParser):
    def __init__(self) -> None:
        super().__init__("python", PytestModuleEvaluator())


def is_slow(evaluator: object) -> bool:
    return bool(getattr(evaluator, "slow", False))


def collector() -> Any:
    """The ``pytest_collect_file`` hook that makes each page a module of examples."""
    shell = [ShellParser("sh"), ShellParser("console"), SkipParser()]
    fixtures = ["page_environment"]
    pages = Sybil(
        parsers=[PythonCodeBlockParser(), *shell],
        patterns=["README.md", "docs/*.md"],
        # benchmarks.md runs minutes-long benchmarks: its own engineer decides what runs.
        excludes=["docs/pytest-plugin.md", "docs/benchmarks.md"],
        path=str(ROOT),
        fixtures=fixtures,
        name="docs",
    )
    plugin_page = Sybil(
        parsers=[PytestModuleParser(), *shell],
        patterns=["docs/pytest-plugin.md"],
        path=str(ROOT),
        fixtures=fixtures,
        name="pytest-plugin",
    )
    return (pages + plugin_page).pytest()
