"""Run PDF work in child processes bounded in time and memory: a hostile PDF must not hang or sink a run.

Each worker is a long-lived child that runs one call at a time. It never inherits the threads and sockets of
the parent: on Linux a fork server starts it, elsewhere (macOS, Windows) a fresh interpreter, the platform's own
way. Its memory is bounded by the OS where the OS offers it (RLIMIT_AS on Linux); macOS refuses that limit and
Windows has no such call, so there the parent watches the worker's memory while it waits and stops it past the
limit. A call that outlives its time limit gets its worker killed and replaced; a worker that dies mid-call (a
crash in the parser) is replaced too. Either way only that paper fails, with a message that says why.
"""

from __future__ import annotations

import math
import multiprocessing
import multiprocessing.connection
import multiprocessing.context
import multiprocessing.process
import os
import queue
import signal
import threading
import time
import traceback
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

from notegen import defaults
from notegen.errors import PaperError

T = TypeVar("T")
WATCH = 0.05  # seconds between looks at a busy worker's memory


_Context = (
    multiprocessing.context.DefaultContext
    | multiprocessing.context.SpawnContext
    | multiprocessing.context.ForkServerContext
)


def _context() -> _Context:
    """The platform's way to start a process, except Linux's `fork` before Python 3.14: a fork of a process
    with threads can deadlock in the child, so a fork server (a clean process that forks the workers) is used."""
    context = multiprocessing.get_context()
    if context.get_start_method() != "fork":
        return context  # spawn on Windows and macOS, forkserver on Linux from Python 3.14
    try:
        server = multiprocessing.get_context("forkserver")
    except ValueError:
        return multiprocessing.get_context("spawn")
    # Nothing preloaded, not even the main script (the default): the server then ignores Ctrl-C from its first
    # few milliseconds, where importing notegen and PyMuPDF first left a window of a third of a second in which
    # Ctrl-C printed its traceback. Each worker imports PyMuPDF itself, once, after it ignores Ctrl-C.
    server.set_forkserver_preload([])
    return server


_CONTEXT = _context()


def start_context() -> _Context:
    """How notegen starts worker processes here (see _context); the vault's index starts its own with it."""
    return _CONTEXT


def _cap_memory(memory_bytes: int) -> None:
    """The OS's own bound on the worker's address space, where there is one: an allocation past it fails in
    the worker (MemoryError) and the worker lives on. macOS raises ValueError here (python/cpython#78783,
    #84698) and Windows has no resource module: the parent's watch bounds those."""
    if memory_bytes <= 0:
        return
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    except (ImportError, ValueError, OSError):
        pass


def _serve(conn: multiprocessing.connection.Connection, memory_bytes: int, seconds: float) -> None:
    # Ctrl-C reaches every process of the terminal (the process group, or on Windows the console): the parent
    # stops the run and its workers; a worker left to handle it itself would print a traceback over the
    # person's terminal.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _cap_memory(memory_bytes)
    while True:
        try:
            fn, args = conn.recv()
        except (EOFError, OSError):
            return  # the parent is done, or gone
        _own_deadline(seconds)
        try:
            reply: tuple[str, Any] = ("ok", fn(*args))
        except MemoryError:
            reply = ("memory", None)
        except BaseException as err:  # everything goes back to the parent, which decides
            reply = ("error", err)
        _own_deadline(None)
        if not _send(conn, reply) and reply[0] == "error":  # an exception that cannot be pickled: its text
            failed: BaseException = reply[1]
            text = "".join(traceback.format_exception_only(type(failed), failed)).strip()
            if not _send(conn, ("crash", text)):
                return


def _send(conn: multiprocessing.connection.Connection, reply: tuple[str, Any]) -> bool:
    """Send a reply; False when it cannot be pickled. A parent that is gone ends the worker quietly."""
    try:
        conn.send(reply)
    except (BrokenPipeError, ConnectionError, EOFError):
        raise SystemExit(0) from None
    except Exception:
        return False
    return True


def _own_deadline(seconds: float | None) -> None:
    """The worker's own time bound for a call (None: the call is over), a little past the parent's: the parent
    stops a call at `seconds`, but a parent that was killed (kill -9, a closed terminal) stops nothing, and its
    worker would read a hostile PDF for ever. SIGALRM, left at its default, ends the process in the kernel,
    whatever the parser is doing. Windows has no alarm: there a worker left alone ends when its call does."""
    alarm = getattr(signal, "alarm", None)
    if alarm is not None:
        alarm(0 if seconds is None else math.ceil(seconds) + 2)


def _memory(pid: int | None) -> int:
    """A process's memory in bytes, 0 when it is gone."""
    if pid is None:
        return 0
    with _READER_LOCK:  # several threads may watch workers; the reader is chosen once
        global _reader
        if _reader is None:
            _reader = _choose_reader()
    return _reader(pid)


def _choose_reader() -> Callable[[int], int]:
    """psutil's view (resident memory, or on Windows the private committed memory when that is more, as pages
    swapped out still count), else /proc where there is one but psutil does not load."""
    try:
        import psutil
    except ImportError:
        return _from_proc

    def from_psutil(pid: int) -> int:
        try:
            info = psutil.Process(pid).memory_info()
        except psutil.Error:
            return 0
        return max(int(info.rss), int(getattr(info, "private", 0)))

    return from_psutil


def _from_proc(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


_reader: Callable[[int], int] | None = None
_READER_LOCK = threading.Lock()


def _kill(process: multiprocessing.process.BaseProcess) -> None:
    """Stop a worker at once: SIGKILL, or where there is none the hardest stop there is (on Windows
    terminate() is TerminateProcess)."""
    if hasattr(signal, "SIGKILL"):
        process.kill()
    else:
        process.terminate()


def _start_deaf_to_ctrl_c(process: multiprocessing.process.BaseProcess) -> None:
    """Start a worker (and the fork server, the first time) with SIGINT blocked, a mask a new process keeps:
    Ctrl-C to the terminal's process group then cannot break one that is still starting Python, before `_serve`
    ignores it, which printed that process's traceback beside notegen's one line. multiprocessing's resource
    tracker unblocks SIGINT in the thread that first starts it, so it is started before the mask is set.
    Windows has no signal masks; there a worker is deaf to Ctrl-C only once `_serve` runs."""
    block = getattr(signal, "pthread_sigmask", None)
    if block is None:
        process.start()
        return
    from multiprocessing import resource_tracker

    resource_tracker.ensure_running()
    before = block(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        process.start()
    finally:
        block(signal.SIG_SETMASK, before)


class _Worker:
    def __init__(self, memory_bytes: int, seconds: float) -> None:
        self.conn, child = _CONTEXT.Pipe()
        self.process = _CONTEXT.Process(target=_serve, args=(child, memory_bytes, seconds), daemon=True)
        _start_deaf_to_ctrl_c(self.process)
        child.close()

    def memory(self) -> int:
        """The bytes the worker holds now (0 once it is gone)."""
        return _memory(self.process.pid)

    def stop(self) -> None:
        if self.process.is_alive():
            _kill(self.process)
        self.process.join(timeout=5)
        self.conn.close()


class Bounded:
    """A pool of up to `workers` child processes; `call(name, fn, *args)` runs `fn(*args)` in one of them.

    `fn` must be importable by name (a module-level function). On timeout, memory exhaustion or a crash the
    call raises PaperError naming `name`; any exception `fn` raises is raised again here.
    """

    def __init__(
        self, workers: int = 1, seconds: float = defaults.EXTRACT_TIMEOUT, memory_mb: int = defaults.EXTRACT_MEMORY_MB
    ) -> None:
        self.seconds = seconds
        self.memory_bytes = memory_mb * 1024 * 1024
        self._idle: queue.Queue[_Worker | None] = queue.Queue()
        for _ in range(max(1, workers)):
            self._idle.put(None)  # started on first use
        self._all: list[_Worker] = []
        self._lock = threading.Lock()
        self._closed = False
        _OPEN.add(self)

    def _start(self, name: str) -> _Worker:
        with self._lock:  # a pool being closed (Ctrl-C) waits for a worker being started, and starts no more
            if self._closed:
                raise PaperError(name, "the run was stopped before this PDF was read")
            worker = _Worker(self.memory_bytes, self.seconds)
            self._all.append(worker)
        return worker

    def _retire(self, worker: _Worker) -> None:
        worker.stop()
        with self._lock:
            if worker in self._all:
                self._all.remove(worker)

    def call(self, name: str, fn: Callable[..., T], *args: Any) -> T:
        worker = self._idle.get()
        if worker is None or not worker.process.is_alive():
            try:
                worker = self._start(name)
            except BaseException:
                self._idle.put(None)
                raise
        keep: _Worker | None = worker
        try:
            worker.conn.send((fn, args))
            problem = self._wait(worker, name)
            if problem is not None:
                keep = None
                raise problem
            try:
                status, value = worker.conn.recv()
            except (EOFError, OSError):
                keep = None
                raise PaperError(name, "the PDF crashed the parser", hint="the file may be broken or hostile") from None
        except BaseException:
            if keep is None:
                self._retire(worker)
            self._idle.put(keep)
            raise
        self._idle.put(keep)
        if status == "ok":
            return value  # type: ignore[no-any-return]
        if status == "memory":
            raise self._over_memory(name)
        if status == "error":
            raise value
        raise PaperError(name, "the PDF parser failed", detail=str(value))

    def _wait(self, worker: _Worker, name: str) -> PaperError | None:
        """Wait for the worker's answer within the time bound, watching its memory; what went wrong, or None
        once there is something to read (an answer, or the end of a worker that died)."""
        deadline = time.monotonic() + self.seconds
        while True:
            left = deadline - time.monotonic()
            if worker.conn.poll(max(0.0, min(WATCH, left))):
                return None
            if left <= 0:
                return PaperError(
                    name,
                    f"reading the PDF took longer than {self.seconds:g} s and was stopped",
                    hint="the file may be broken",
                )
            if self.memory_bytes > 0 and worker.memory() > self.memory_bytes:
                return self._over_memory(name)

    def _over_memory(self, name: str) -> PaperError:
        return PaperError(name, f"reading the PDF needed more than {self.memory_bytes >> 20} MB of memory")

    def close(self, now: bool = False) -> None:
        """Stop the workers: let them finish and end, or (`now`, on an interrupt) kill them at once."""
        with self._lock:
            workers, self._all = self._all, []
            self._closed = True
        for worker in workers:
            if now:
                _kill(worker.process)
            worker.conn.close()  # the worker sees EOF and ends
            worker.process.join(timeout=2)
            if worker.process.is_alive():
                _kill(worker.process)
                worker.process.join(timeout=2)

    def __enter__(self) -> Bounded:
        return self

    def __exit__(self, kind: type[BaseException] | None, *exc: object) -> None:
        self.close(now=kind is not None and issubclass(kind, KeyboardInterrupt))
        _OPEN.discard(self)


_OPEN: weakref.WeakSet[Bounded] = weakref.WeakSet()


def stop_all() -> None:
    """Kill every worker at once: Ctrl-C ends the run, and a worker busy with a slow PDF must not outlive it."""
    for pool in list(_OPEN):
        pool.close(now=True)
