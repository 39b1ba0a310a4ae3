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
        # Opened for each read (~3 µs): SQLite deletes the file when its last connection
        # closes, and a kept descriptor would go on reading the deleted one.
        try:
            fd = os.open(self._path, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            return 0
        try:
            header = os.pread(fd, _MX_FRAME.size, _MX_FRAME_OFFSET)
        finally:
            os.close(fd)
        return _MX_FRAME.unpack(header)[0] if len(header) == _MX_FRAME.size else 0
