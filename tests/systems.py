"""What the tests do differently on a system without POSIX's process signals (Windows, and the windows-like
stand-in under ../shared/tools): how a killed notegen exits, how Ctrl-C is sent to it."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path
from typing import Any

from notegen.storage import KILLED as KILLED_WITHOUT_SIGKILL

# A crash point kills notegen with SIGKILL where there is one (the exit status is then -9), else it ends at
# once with exit code 137, as TerminateProcess ends a Windows process.
KILLED = -signal.SIGKILL if hasattr(signal, "SIGKILL") else KILLED_WITHOUT_SIGKILL


def start_as_from_a_terminal(command: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    """Start notegen as a terminal does, ready for `ctrl_c`: in its own process group, with SIGINT at its
    default (a job started in the background by a non-interactive shell, as a CI runner may start the suite,
    inherits SIGINT ignored, and Python then installs no handler for it). On Windows, in a new console process
    group, the only kind a program can send a console event to."""
    options: dict[str, Any] = {}
    if hasattr(os, "killpg"):
        options = {"start_new_session": True, "preexec_fn": lambda: signal.signal(signal.SIGINT, signal.SIG_DFL)}
    elif hasattr(signal, "CTRL_BREAK_EVENT"):
        options = {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **options)


def ctrl_c(process: subprocess.Popen[str]) -> None:
    """What Ctrl-C in the terminal does: SIGINT to the process group (notegen and its workers). On Windows a
    program can only send Ctrl-Break to a process group, which notegen takes as Ctrl-C; on a system with neither
    (the windows-like stand-in), SIGINT to notegen itself, as a console delivers Ctrl-C to each of its processes
    (the workers ignore it)."""
    if hasattr(os, "killpg"):
        os.killpg(process.pid, signal.SIGINT)
    elif hasattr(signal, "CTRL_BREAK_EVENT"):
        os.kill(process.pid, signal.CTRL_BREAK_EVENT)
    else:
        os.kill(process.pid, signal.SIGINT)


def descendants(pid: int) -> list[int]:
    """The processes `pid` started, and theirs: through psutil, or from /proc where psutil does not load (the
    windows-like stand-in takes away the resource module psutil's Linux part imports)."""
    try:
        import psutil
    except ImportError:
        parents: dict[int, int] = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(stat.parent.name)] = int(fields[1])
        found, todo = [], [pid]
        while todo:
            parent = todo.pop()
            kids = [child for child, ppid in parents.items() if ppid == parent]
            found += kids
            todo += kids
        return found
    return [child.pid for child in psutil.Process(pid).children(recursive=True)]


def running(pids: list[int]) -> list[int]:
    """Those of `pids` that still run (a zombie waiting for its parent to read its exit does not)."""
    alive = []
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            continue
        except OSError:  # no /proc (macOS, Windows): psutil knows
            import psutil

            if psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                alive.append(pid)
            continue
        if state != "Z":
            alive.append(pid)
    return alive
