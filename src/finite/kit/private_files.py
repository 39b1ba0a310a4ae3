"""Files only this user may read: the data folder (0700) and what the server keeps in it (0600).

The data folder holds the secret key, the database (hashed keys, sealed secrets, every record)
and, after a first run that had no terminal, the demo keys: nobody else on the machine may read
them. Permissions an earlier version left wider are narrowed where this user owns the file.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

PRIVATE_FOLDER_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
_OTHERS = 0o077


def narrow(path: Path | str) -> None:
    """Drop the group's and others' permissions, if any; a file of another user is left as is."""
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        return
    if mode & _OTHERS:
        with contextlib.suppress(PermissionError):
            os.chmod(path, mode & ~_OTHERS)


def private_folder(path: Path) -> None:
    """Create the folder (and its parents) if missing; the folder itself is left 0700."""
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_FOLDER_MODE)
    narrow(path)


def create_private(path: Path | str) -> int:
    """A new file of mode 0600, opened for writing; FileExistsError if the name is taken (an
    existing file is never overwritten)."""
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)


def private_sqlite_file(database: str) -> None:
    """Create the SQLite file 0600 (an empty file is an empty database) before SQLite opens it:
    SQLite gives its -wal, -shm and -journal files the database file's permissions. Companions
    an earlier version left readable by others are narrowed too."""
    with contextlib.suppress(FileExistsError, FileNotFoundError):
        os.close(create_private(database))  # a missing folder: SQLite reports it, as before
    for suffix in ("", "-wal", "-shm", "-journal", ".migrate-lock", ".write-lock"):
        narrow(database + suffix)


def keep_new_files_private() -> None:
    """From here on this process, and those it starts, create files 0600 and folders 0700."""
    os.umask(_OTHERS)
