"""Files that are whole or absent: atomic writes and the one-writer-per-vault lock."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import fnmatch
import os
import re
import signal
import stat
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from notegen import secret
from notegen.errors import NotegenError


def write_atomic(path: Path, data: bytes, scratch: Path | None = None) -> None:
    """Write `data` to `path` whole or not at all (see `atomic_file`); text is scrubbed of the API key."""
    if not data.startswith((b"\x89PNG", b"%PDF-")):  # text: whatever went into it, the API key does not come out
        data = secret.scrub_bytes(data)
    with atomic_file(path, scratch) as out:
        out.write(data)


@contextmanager
def atomic_file(path: Path, scratch: Path | None = None) -> Iterator[Staged]:
    """A temp file to write `path` through: on leaving the block it is fsynced and renamed onto `path`, so a
    crash leaves the old file or the new; an exception leaves the old file and no temp file. Every file notegen
    writes goes through here, notes, images, caches and downloaded PDFs alike.

    The temp file is made in `scratch` (notegen's own folder, so none is ever left in the person's vault) when
    that is on the same file system, else next to the file. The file keeps what it was: a symlink stays a
    symlink (its target is replaced), and a file keeps its mode (and owner, where allowed). A new file gets the
    mode the umask gives, as any editor's. Failures of the file system (a full disk, a read-only folder) are
    NotegenErrors naming `path`.
    """
    target = Path(os.path.realpath(path))
    with _as_notegen_error(path):
        try:
            before: os.stat_result | None = target.stat()
        except FileNotFoundError:
            before = None
        target.parent.mkdir(parents=True, exist_ok=True)
        folder = target.parent
        if scratch is not None:
            scratch.mkdir(parents=True, exist_ok=True)
            if scratch.stat().st_dev == folder.stat().st_dev:
                folder = scratch
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=TMP_SUFFIX)
    try:
        out = os.fdopen(fd, "wb")
        try:
            yield Staged(out, Path(tmp), path)  # what the block raises passes through as it is
            with _as_notegen_error(path):
                out.flush()
                if before is not None:
                    os.fchmod(out.fileno(), stat.S_IMODE(before.st_mode))
                    with contextlib.suppress(OSError):  # only root may give a file away; others keep their own
                        os.fchown(out.fileno(), before.st_uid, before.st_gid)
                else:
                    os.fchmod(out.fileno(), 0o666 & ~_umask())
                os.fsync(out.fileno())
                out.close()
        finally:
            with contextlib.suppress(OSError):  # after a failed write: what is still buffered cannot be written
                out.close()
        with _as_notegen_error(path):
            crash_point("before-rename", target)
            os.replace(tmp, target)
            crash_point("after-rename", target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    _fsync_dir(target.parent)


@contextmanager
def _as_notegen_error(path: Path) -> Iterator[None]:
    try:
        yield
    except OSError as err:
        raise _failure(path, err) from err


class Staged:
    """The temp file of an `atomic_file` block: write to it; `path` is where it is, to read it back before the
    rename (a downloaded PDF is checked there before it may take its place)."""

    def __init__(self, out: BinaryIO, path: Path, target: Path) -> None:
        self._out = out
        self._target = target
        self.path = path

    def write(self, data: bytes) -> None:
        with _as_notegen_error(self._target):
            self._out.write(data)

    def restart(self) -> None:
        """Empty the file, to write it again from the start (another try of a download)."""
        with _as_notegen_error(self._target):
            self._out.seek(0)
            self._out.truncate()

    def flush(self) -> None:
        """Make what was written readable through `path`."""
        with _as_notegen_error(self._target):
            self._out.flush()


_crashes: dict[tuple[str, str], int] = {}


def crash_point(stage: str, target: Path) -> None:
    """For tests of a kill at the worst moment: NOTEGEN_CRASH_AT=<stage>:<file glob>:<n> kills this process
    (SIGKILL: no cleanup, no finally) the nth time it reaches `stage` for a file whose name matches the glob.
    Unset, as it always is for users, this does nothing."""
    wanted = os.environ.get("NOTEGEN_CRASH_AT")
    if not wanted:
        return
    want_stage, glob, count = wanted.rsplit(":", 2)
    if want_stage != stage or not fnmatch.fnmatch(target.name, glob):
        return
    key = (stage, glob)
    _crashes[key] = _crashes.get(key, 0) + 1
    if _crashes[key] == int(count):
        os.kill(os.getpid(), signal.SIGKILL)


TMP_SUFFIX = ".notegen-tmp"
# notegen's temp files, this version's and older ones' (mkstemp adds 8 characters of [a-z0-9_]).
_OURS = re.compile(rf"\..+\.[a-z0-9_]{{8}}(?:{re.escape(TMP_SUFFIX)}|\.tmp)|\.part-[a-z0-9_]{{8}}\.pdf")
STALE = 600.0  # seconds: a temp file this old belongs to no running notegen (a note is written in milliseconds)


def clean_stale(folders: list[Path], now: float | None = None) -> list[Path]:
    """Remove temp files a killed run left behind (notegen's temp files, half-downloaded PDFs, and temp files of
    older versions next to notes) once they are older than STALE; returns what was removed."""
    now = time.time() if now is None else now
    removed = []
    for folder in folders:
        try:
            entries = list(folder.iterdir())
        except OSError:
            continue
        for entry in entries:
            ours = _OURS.fullmatch(entry.name) is not None
            try:
                if ours and entry.is_file() and now - entry.stat().st_mtime > STALE:
                    entry.unlink()
                    removed.append(entry)
            except OSError:
                continue
    return removed


def _umask() -> int:
    """The process's umask, read without changing it (os.umask can only set it, which races with threads)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return _UMASK_AT_START


def _umask_at_start() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK_AT_START = _umask_at_start()  # at import, before any thread: where /proc is not there to ask


def _failure(path: Path, err: OSError) -> NotegenError:
    if err.errno == errno.ENOSPC:
        return NotegenError(f"{path}: the disk is full; nothing was changed, free some space and rerun")
    if err.errno == errno.EDQUOT:
        return NotegenError(f"{path}: the disk quota is used up; nothing was changed, free some space and rerun")
    if err.errno == errno.EFBIG:
        return NotegenError(f"{path}: the file is larger than this system allows; nothing was changed")
    if err.errno in (errno.EACCES, errno.EROFS, errno.EPERM):
        return NotegenError(f"{path}: cannot write here ({err.strerror}); check the folder's permissions")
    return NotegenError(f"{path}: cannot write ({err.strerror or err}); nothing was changed")


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextmanager
def vault_lock(state_dir: Path, wait: float = 30.0) -> Iterator[float]:
    """Hold the workspace's lock; wait up to `wait` seconds for another notegen run to finish writing. Yields
    the seconds it waited."""
    state_dir.mkdir(parents=True, exist_ok=True)
    path = state_dir / "lock"
    with open(path, "a+b") as handle:
        start = time.monotonic()
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() - start >= wait:
                    raise NotegenError(
                        f"another notegen run is writing to this workspace ({path} is locked) and did not finish "
                        "within lock_timeout; wait for it to finish and rerun"
                    ) from None
                time.sleep(0.1)
        try:
            yield time.monotonic() - start
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
