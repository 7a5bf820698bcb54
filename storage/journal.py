"""The local journal: messages the database could not take, kept in an fsynced append-only file
until they are replayed into the database."""

from __future__ import annotations

import fcntl
import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

Record = dict[str, Any]


class JournalError(OSError):
    """The journal could not keep a record durably."""


class Journal:
    """One JSON record per line, each written and fsynced before `append` returns.

    Several threads and processes may share one file: every change holds an exclusive flock.
    Records are removed only from the front, once the database holds them (`drop_first`).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.RLock()
        self._depth = 0  # how deep this process holds the flock (held once, at the outermost level)
        self._senders_lock = threading.Lock()
        self._senders: frozenset[str] = frozenset()
        self._senders_of: tuple[int, int, int] | None = None  # the file (inode, size, mtime) they were read from

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Exclusive use of the journal (this process's threads and other processes)."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path.with_name(self.path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                self._depth = 1
                yield
            finally:
                self._depth = 0
                os.close(fd)  # releases the flock

    def append(self, record: Record) -> None:
        """Add record durably; raises JournalError when it is not on disk."""
        line = (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
        try:
            with self.locked():
                created = not self.path.exists()
                fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
                try:
                    size = os.fstat(fd).st_size
                    if size and os.pread(fd, 1, size - 1) != b"\n":
                        line = b"\n" + line  # a crash tore the last line: start a fresh one
                    written = os.write(fd, line)
                    if written != len(line):
                        raise OSError(f"short write to {self.path}")
                    os.fsync(fd)
                finally:
                    os.close(fd)
                if created:
                    _fsync_dir(self.path.parent)
        except OSError as exc:
            raise JournalError(f"cannot journal to {self.path}: {exc}") from exc

    def records(self) -> list[Record]:
        """Every record in the order written; a torn last line (a crash mid-write) is left out."""
        with self.locked():
            return self._read()

    def find(self, key: str) -> Record | None:
        """The record with this key, if the journal holds one."""
        for record in self.records():
            if record.get("key") == key:
                return record
        return None

    def is_empty(self) -> bool:
        """True when nothing waits (or the journal cannot even be looked at: nothing to replay)."""
        try:
            return self.path.stat().st_size == 0
        except OSError:
            return True

    def holds_sender(self, openid: str) -> bool:
        """Whether a record from openid waits here; the file is read again only when it changed."""
        try:
            stat = self.path.stat()
        except OSError:
            return False
        if stat.st_size == 0:
            return False
        stamp = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
        with self._senders_lock:
            if stamp != self._senders_of:
                # Read after the stat: never older than the stamp it is kept under.
                self._senders = frozenset(str(r.get("openid")) for r in self.records())
                self._senders_of = stamp
            return openid in self._senders

    def set_aside(self, record: Record) -> None:
        """Keep a record that cannot be replayed in a file of its own for a person to look at."""
        Journal(self.path.with_name(self.path.name + ".rejected")).append(record)

    def remove(self, keys: set[str]) -> None:
        """Remove the records with these keys (the database holds them now), atomically."""
        if not keys:
            return
        with self.locked():
            rest = [r for r in self._read() if r.get("key") not in keys]
            temporary = self.path.with_name(self.path.name + ".tmp")
            data = "".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in rest)
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                os.write(fd, data.encode("utf-8"))
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(temporary, self.path)
            _fsync_dir(self.path.parent)

    def _read(self) -> list[Record]:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return []
        records = []
        for line in raw.split(b"\n"):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError:
                continue  # only the last line can be torn, and it was never acknowledged
            if isinstance(record, dict):
                records.append(record)
        return records


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
