"""Files that are whole or absent: atomic writes and the one-writer-per-vault lock, on every system Dendron runs
on (no POSIX-only module: the lock is filelock's, file modes and owners are kept where the system has them, and a
Windows file another program holds open for a moment is waited for)."""

from __future__ import annotations

import contextlib
import errno
import fnmatch
import os
import re
import signal
import stat
import sys
import tempfile
import time
import warnings
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
        # The name's start is only there to tell a person whose temp file it is: cut, so that a long name plus
        # mkstemp's 8 characters and the suffix stays within the 255 every file system allows.
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name_start(target.name, TMP_NAME_KEEP)}.", suffix=TMP_SUFFIX)
    try:
        out = os.fdopen(fd, "wb")
        try:
            yield Staged(out, Path(tmp), path)  # what the block raises passes through as it is
            with _as_notegen_error(path):
                out.flush()
                _keep_mode(out.fileno(), before)
                os.fsync(out.fileno())
                out.close()
        finally:
            with contextlib.suppress(OSError):  # after a failed write: what is still buffered cannot be written
                out.close()
        with _as_notegen_error(path):
            crash_point("before-rename", target)
            _replace(tmp, target)
            crash_point("after-rename", target)
    finally:
        with contextlib.suppress(OSError):  # a temp file that cannot be removed must not hide why the write failed
            if os.path.exists(tmp):
                os.unlink(tmp)
    _fsync_dir(target.parent)


def _keep_mode(fd: int, before: os.stat_result | None) -> None:
    """The new file gets the old one's mode (and owner, where allowed), or for a new file what the umask gives.
    Windows has no modes and no owners (only a read-only flag, which os.fchmod sets there from Python 3.13: a
    read-only temp file could then be neither renamed over the note nor removed), so its files are left as
    Windows makes them."""
    if os.name == "nt" or not hasattr(os, "fchmod"):
        return
    if before is None:
        os.fchmod(fd, 0o666 & ~_umask())
        return
    os.fchmod(fd, stat.S_IMODE(before.st_mode))
    if hasattr(os, "fchown"):
        with contextlib.suppress(OSError):  # only root may give a file away; others keep their own
            os.fchown(fd, before.st_uid, before.st_gid)


# Windows refuses to replace a file that another program has open without sharing it for deletion: an editor
# saving, a sync client or a virus scanner reading the note a moment after notegen wrote it. Those let go within
# moments, so the replace is tried again for a while before the person is told. (Windows error codes:
# ERROR_ACCESS_DENIED 5, ERROR_SHARING_VIOLATION 32, ERROR_LOCK_VIOLATION 33; Python raises PermissionError.)
_HELD_OPEN = {5, 32, 33}
REPLACE_PATIENCE = 3.0  # seconds, in all


def _replace(tmp: str, target: Path) -> None:
    deadline = time.monotonic() + REPLACE_PATIENCE
    delay = 0.02
    while True:
        try:
            os.replace(tmp, target)
            return
        except PermissionError as err:
            if getattr(err, "winerror", None) not in _HELD_OPEN or time.monotonic() + delay > deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.25)


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


# Names Windows keeps for devices, whatever follows the first dot ("nul.md", "con.2024.md"), digits in
# superscript included (learn.microsoft.com/windows/win32/fileio/naming-a-file).
_DEVICES = {"con", "prn", "aux", "nul"} | {f"{port}{n}" for port in ("com", "lpt") for n in "123456789¹²³"}
_NOT_ON_WINDOWS = re.compile(r'[<>:"/\\|?*\x00-\x1f]')
NAME_BYTES = 255  # the longest file name Linux and macOS take (in UTF-8 bytes) and Windows (in UTF-16 units)


def name_start(text: str, max_bytes: int) -> str:
    """The start of `text` that fits in `max_bytes` of UTF-8, for a file name made from a name notegen does not
    choose (a PDF's, a note's): every system counts a name's length in bytes or close to it."""
    return text.encode("utf-8")[:max_bytes].decode("utf-8", errors="ignore")


def portable_name_problem(name: str) -> str | None:
    """Why a file name cannot be used on Linux, macOS and Windows alike, or None. A vault lives in git and
    goes from one system to another; a name one of them refuses cannot be checked out there."""
    if len(name.encode("utf-8")) > NAME_BYTES:
        return f"the file name is longer than {NAME_BYTES} bytes"
    bad = _NOT_ON_WINDOWS.search(name)
    if bad:
        return f"the file name contains {bad.group()!r}, which Windows does not allow"
    if name.endswith((".", " ")):
        return "the file name ends in a dot or a space, which Windows drops"
    if name.split(".")[0].rstrip(" ").lower() in _DEVICES:
        return f"the file name starts with {name.split('.')[0]!r}, a device name Windows keeps for itself"
    return None


_crashes: dict[tuple[str, str], int] = {}
KILLED = 137  # the exit code of a crash point where there is no SIGKILL (Windows): 128 + 9, as shells report kill -9


def crash_point(stage: str, target: Path) -> None:
    """For tests of a kill at the worst moment: NOTEGEN_CRASH_AT=<stage>:<file glob>:<n> kills this process
    (SIGKILL, or where there is none os._exit, as TerminateProcess ends a Windows process: no cleanup, no
    finally, no flush) the nth time it reaches `stage` for a file whose name matches the glob. Unset, as it
    always is for users, this does nothing."""
    wanted = os.environ.get("NOTEGEN_CRASH_AT")
    if not wanted:
        return
    want_stage, glob, count = wanted.rsplit(":", 2)
    if want_stage != stage or not fnmatch.fnmatch(target.name, glob):
        return
    key = (stage, glob)
    _crashes[key] = _crashes.get(key, 0) + 1
    if _crashes[key] == int(count):
        kill = getattr(signal, "SIGKILL", None)
        if kill is not None:
            os.kill(os.getpid(), kill)
        os._exit(KILLED)


TMP_SUFFIX = ".notegen-tmp"
TMP_NAME_KEEP = 120
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
    winerror = getattr(err, "winerror", None)
    if winerror in _HELD_OPEN:
        return NotegenError(
            "another program has the file open (an editor, a sync client or a virus scanner), or it is read-only",
            subject=str(path),
            hint="nothing was changed, close it or make it writable and rerun",
        )
    if err.errno == errno.ENAMETOOLONG or winerror == 206:  # ERROR_FILENAME_EXCED_RANGE
        return NotegenError(
            "the path is longer than this system allows",
            subject=str(path),
            hint="nothing was changed, use a workspace in a shorter folder (on Windows, or turn on long paths)",
        )
    if err.errno == errno.ENOSPC:
        return NotegenError(
            "the disk is full", subject=str(path), hint="nothing was changed, free some space and rerun"
        )
    if err.errno == errno.EDQUOT:
        return NotegenError(
            "the disk quota is used up", subject=str(path), hint="nothing was changed, free some space and rerun"
        )
    if err.errno == errno.EFBIG:
        return NotegenError("the file is larger than this system allows", subject=str(path), hint="nothing was changed")
    if err.errno in (errno.EACCES, errno.EROFS, errno.EPERM):
        return NotegenError(
            "cannot write here", subject=str(path), detail=str(err.strerror), hint="check the folder's permissions"
        )
    return NotegenError("cannot write", subject=str(path), detail=str(err.strerror or err), hint="nothing was changed")


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
    the seconds it waited.

    The lock is the operating system's (flock on Linux and macOS, LockFileEx on Windows, through filelock), so a
    run that is killed lets go of it at once. Where neither exists, filelock falls back to a lock file that names
    its process, and a rerun takes it over once that process is gone; that file has a name of its own, since the
    empty file an OS lock leaves behind would read as a holder that never says who it is.
    """
    with warnings.catch_warnings():
        # Said once at import where only the fallback exists; the docstring above is what it means for a person.
        warnings.filterwarnings("ignore", "only soft file lock is available")
        import filelock

    os_lock = sys.platform == "win32" or filelock.has_fcntl
    path = state_dir / ("lock" if os_lock else "lock.pid")
    with _as_notegen_error(path):
        state_dir.mkdir(parents=True, exist_ok=True)
    lock = filelock.FileLock(str(path))
    start = time.monotonic()
    try:
        lock.acquire(timeout=max(0.0, wait), poll_interval=0.1)
    except filelock.Timeout:
        raise NotegenError(
            f"another notegen run is writing to this workspace ({path} is locked) and did not finish within "
            "lock_timeout",
            hint="wait for it to finish and rerun",
        ) from None
    except OSError as err:
        raise _failure(path, err) from err
    try:
        yield time.monotonic() - start
    finally:
        lock.release()
