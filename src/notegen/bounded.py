"""Run PDF work in child processes bounded in time and memory: a hostile PDF must not hang or sink a run.

Each worker is a long-lived child (started by a fork server, so it never inherits the threads and sockets of
the parent) that caps its own address space and runs one call at a time. A call that outlives its time limit
gets its worker killed and replaced; a worker that dies mid-call (a crash in the parser) is replaced too. Either
way only that paper fails, with a message that says why.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import queue
import resource
import signal
import threading
import traceback
from collections.abc import Callable
from typing import Any, TypeVar

from notegen.errors import PaperError

T = TypeVar("T")
_CONTEXT = multiprocessing.get_context("forkserver")
_CONTEXT.set_forkserver_preload(["notegen.extract"])  # workers start with PyMuPDF already imported


def _serve(conn: multiprocessing.connection.Connection, memory_bytes: int) -> None:
    # Ctrl-C reaches the whole process group: the parent stops the run and its workers; a worker left to
    # handle it itself would print a traceback over the person's terminal.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if memory_bytes > 0:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        fn, args = job
        try:
            conn.send(("ok", fn(*args)))
        except MemoryError:
            conn.send(("memory", None))
        except BaseException as err:  # everything goes back to the parent, which decides
            try:
                conn.send(("error", err))
            except Exception:
                conn.send(("crash", "".join(traceback.format_exception_only(type(err), err)).strip()))


class _Worker:
    def __init__(self, memory_bytes: int) -> None:
        self.conn, child = _CONTEXT.Pipe()
        self.process = _CONTEXT.Process(target=_serve, args=(child, memory_bytes), daemon=True)
        self.process.start()
        child.close()

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=5)
        self.conn.close()


class Bounded:
    """A pool of up to `workers` child processes; `call(name, fn, *args)` runs `fn(*args)` in one of them.

    `fn` must be importable by name (a module-level function). On timeout, memory exhaustion or a crash the
    call raises PaperError naming `name`; any exception `fn` raises is raised again here.
    """

    def __init__(self, workers: int = 1, seconds: float = 60.0, memory_mb: int = 2048) -> None:
        self.seconds = seconds
        self.memory_bytes = memory_mb * 1024 * 1024
        self._idle: queue.Queue[_Worker | None] = queue.Queue()
        for _ in range(max(1, workers)):
            self._idle.put(None)  # started on first use
        self._all: list[_Worker] = []
        self._lock = threading.Lock()

    def _start(self) -> _Worker:
        worker = _Worker(self.memory_bytes)
        with self._lock:
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
            worker = self._start()
        keep: _Worker | None = worker
        try:
            worker.conn.send((fn, args))
            if not worker.conn.poll(self.seconds):
                keep = None
                raise PaperError(
                    name, f"reading the PDF took longer than {self.seconds:g} s and was stopped; the file may be broken"
                )
            try:
                status, value = worker.conn.recv()
            except (EOFError, OSError):
                keep = None
                raise PaperError(name, "the PDF crashed the parser; the file may be broken or hostile") from None
        except BaseException:
            if keep is None:
                self._retire(worker)
            self._idle.put(keep)
            raise
        self._idle.put(keep)
        if status == "ok":
            return value  # type: ignore[no-any-return]
        if status == "memory":
            raise PaperError(name, f"reading the PDF needed more than {self.memory_bytes >> 20} MB of memory")
        if status == "error":
            raise value
        raise PaperError(name, f"the PDF parser failed ({value})")

    def close(self, now: bool = False) -> None:
        """Stop the workers: let them finish and end, or (`now`, on an interrupt) kill them at once."""
        with self._lock:
            workers, self._all = self._all, []
        for worker in workers:
            if now:
                worker.process.kill()
            worker.conn.close()  # the worker sees EOF and ends
            worker.process.join(timeout=2)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join(timeout=2)

    def __enter__(self) -> Bounded:
        return self

    def __exit__(self, kind: type[BaseException] | None, *exc: object) -> None:
        self.close(now=kind is not None and issubclass(kind, KeyboardInterrupt))
