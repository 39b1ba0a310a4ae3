"""WAL checkpoints off the event loop's thread.

SQLite checkpoints when a commit leaves the WAL past 1,000 frames (pages), in the connection
that committed: every ~25 record creations, ~1,000 pages copied back into the database file and
an fsync, on the event loop's thread (statements run there: kit/sqlite_inline_driver.py). The
pools' connections turn that off (PRAGMA wal_autocheckpoint = 0) and a commit that leaves the
WAL past CHECKPOINT_FRAMES runs a PASSIVE checkpoint itself, in a worker thread. It runs inside
the commit's write turn (kit/sqlite_write_turns.py), so no other writer adds frames meanwhile:
the checkpoint copies the whole WAL back (unless a reader still needs part of it, as with
SQLite's own) and the next writer starts the WAL over.
"""

from __future__ import annotations

import os
import struct
import threading

CHECKPOINT_FRAMES = 1000  # SQLite's own threshold
# The WAL's length in frames (mxFrame) as SQLite keeps it in the wal-index header, the start of
# the -shm file: bytes 16-19, in the machine's byte order (https://sqlite.org/walformat.html).
_MX_FRAME = struct.Struct("=I")
_MX_FRAME_OFFSET = 16


class WalIndex:
    def __init__(self, database: str) -> None:
        self._path = f"{database}-shm"

    def full(self) -> bool:
        """The WAL holds CHECKPOINT_FRAMES frames or more."""
        return self.frames() >= CHECKPOINT_FRAMES

    def frames(self) -> int:
        descriptor = _kept_open(self._path)
        if descriptor is None:
            return 0
        header = os.pread(descriptor, _MX_FRAME.size, _MX_FRAME_OFFSET)
        return _MX_FRAME.unpack(header)[0] if len(header) == _MX_FRAME.size else 0


# The -shm files this process reads, each through one descriptor it never closes while the file
# exists. Closing any descriptor of a file drops every POSIX lock the process holds on it: the
# read lock SQLite's connections keep on the -shm says "in use" to other processes, and without
# it the next one to close a connection (`finite backup`) took itself for the last, deleted the
# WAL and truncated the -shm under this process's mapping of it: SIGBUS (seen in CI).
_open_files: dict[str, int] = {}
_open_files_lock = threading.Lock()


def _kept_open(path: str) -> int | None:
    with _open_files_lock:
        descriptor = _open_files.get(path)
        if descriptor is not None and os.fstat(descriptor).st_nlink:
            return descriptor
        # Deleted when its last connection closed (SQLite's own clean-up): open the new one.
        _close_deleted()
        try:
            descriptor = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            return None
        _open_files[path] = descriptor
        return descriptor


def _close_deleted() -> None:
    """A deleted file has no connection left in any process, so no lock to lose."""
    for path, descriptor in list(_open_files.items()):
        if not os.fstat(descriptor).st_nlink:
            del _open_files[path]
            os.close(descriptor)
