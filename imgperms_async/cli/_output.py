"""Where a report goes: opened and checked before the first request, written without harming the target.

A regular file (or a symlink to one) is replaced atomically for whole documents, keeping its mode:
a reader or a failed run never sees half a report. Anything else a path can name (a terminal, a
device, a FIFO, a process substitution) cannot be replaced, so it is written to directly. Every
problem that can be known in advance is found when the output is opened; a write that fails
later leaves the report in a fallback file whose name the error gives.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import tempfile
import time
from pathlib import Path
from typing import IO, Protocol


class OutputError(Exception):
    """The report cannot go where it was asked to; the message is one line naming the path."""


class Sink(Protocol):
    """Text out to one destination; ``name`` is how messages refer to it."""

    name: str

    def write(self, text: str) -> None: ...

    def commit(self) -> None:
        """Everything is written: make it visible (a no-op where it already is)."""

    def discard(self) -> None:
        """The run ended without a report to keep: leave the destination as it was, if it can be."""


class StreamSink:
    """Writes straight through to a stream, flushing each time: stdout, a device, a pipe, an
    appended file."""

    def __init__(self, stream: IO[str], *, name: str, owned: bool) -> None:
        self.name = name
        self._stream = stream
        self._owned = owned

    def write(self, text: str) -> None:
        self._stream.write(text)
        self._stream.flush()

    def commit(self) -> None:
        self._close()

    def discard(self) -> None:
        self._close()

    def _close(self) -> None:
        if self._owned:
            with contextlib.suppress(OSError):
                self._stream.close()


class ReplacingSink:
    """Writes beside the target, then renames over it: readers see the old file or the new one.

    The temporary file is created when the sink is, so a directory that cannot take it is an
    error before the audit, not after.
    """

    def __init__(self, target: Path, *, name: str) -> None:
        self.name = name
        self._target = target
        descriptor, temporary = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
        )
        self._temporary = Path(temporary)
        self._stream = os.fdopen(descriptor, "w", encoding="utf-8", newline="")

    def write(self, text: str) -> None:
        self._stream.write(text)

    def commit(self) -> None:
        try:
            self._stream.flush()
            os.fsync(self._stream.fileno())
            self._stream.close()
            os.chmod(self._temporary, _mode_for(self._target))
            os.replace(self._temporary, self._target)
        except BaseException:
            self.discard()
            raise

    def discard(self) -> None:
        with contextlib.suppress(OSError):
            self._stream.close()
        with contextlib.suppress(FileNotFoundError):
            self._temporary.unlink()


def _mode_for(path: Path) -> int:
    """Keep an existing file's permissions; a new one gets what ``open`` would give it."""
    try:
        return path.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def stdout_sink() -> StreamSink:
    return StreamSink(sys.stdout, name="stdout", owned=False)


def open_output(path: Path, *, append: bool) -> Sink:
    """The sink for ``--output PATH``: appending (jsonl) or replacing (whole documents)."""
    name = str(path)
    try:
        found = os.stat(path)
    except FileNotFoundError:
        found = None
    except OSError as error:
        raise OutputError(f"cannot write --output {name}: {error.strerror}") from None
    if found is not None and stat.S_ISDIR(found.st_mode):
        raise OutputError(f"cannot write --output {name}: it is a directory")
    if found is not None and not stat.S_ISREG(found.st_mode):
        return _open_stream(path, "a" if append else "w", name=name)
    target = Path(os.path.realpath(path))
    if found is not None and _read_only(target, found):
        raise OutputError(f"cannot write --output {name}: the file is read-only")
    directory = target.parent
    if not directory.is_dir() or not os.access(directory, os.W_OK):
        raise OutputError(f"cannot write --output {name}: {directory} is not a writable directory")
    if append:
        sink = _open_stream(target, "a", name=name)
        if found is not None and not _ends_a_line(target):
            sink.write("\n")
        return sink
    try:
        return ReplacingSink(target, name=name)
    except OSError as error:
        raise OutputError(f"cannot write --output {name}: {error.strerror or error}") from None


def _open_stream(path: Path, mode: str, *, name: str) -> StreamSink:
    try:
        stream = open(path, mode, encoding="utf-8", newline="")  # noqa: SIM115 - owned by the sink
    except OSError as error:
        raise OutputError(f"cannot write --output {name}: {error.strerror or error}") from None
    return StreamSink(stream, name=name, owned=True)


def _read_only(path: Path, found: os.stat_result) -> bool:
    """No write permission, or no write bit at all (root may write anything, but a file made
    read-only was made so on purpose)."""
    return not os.access(path, os.W_OK) or not found.st_mode & 0o222


def _ends_a_line(path: Path) -> bool:
    """An empty file or one whose last byte ends a line: appended jsonl starts on a line of its own."""
    with open(path, "rb") as stream:
        stream.seek(0, os.SEEK_END)
        if stream.tell() == 0:
            return True
        stream.seek(-1, os.SEEK_END)
        return stream.read(1) == b"\n"


def fallback_sink(*, suffix: str) -> StreamSink:
    """Somewhere to keep a report whose destination failed: a new file in the temporary
    directory, else stderr. Its ``name`` says where, for the error message."""
    stamp = time.strftime("%Y%m%dT%H%M%S")
    try:
        descriptor, path = tempfile.mkstemp(prefix=f"imgperms-report-{stamp}-", suffix=suffix)
    except OSError:
        return StreamSink(sys.stderr, name="stderr", owned=False)
    return StreamSink(
        os.fdopen(descriptor, "w", encoding="utf-8", newline=""), name=path, owned=True
    )


def save_fallback(text: str, *, suffix: str) -> str:
    """Keep ``text`` in a fallback sink; returns where it went."""
    sink = fallback_sink(suffix=suffix)
    try:
        sink.write(text)
    except OSError:
        sink = StreamSink(sys.stderr, name="stderr", owned=False)
        sink.write(text)
    sink.commit()
    return sink.name
