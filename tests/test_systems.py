"""Every command gives the same result on Linux and on the stand-ins for Windows and macOS in ../shared/tools: the
daily flow run as a person runs it, one process per command, once per system, then compared: exit codes, what
was printed, and every file of the workspace byte for byte, apart from note ids and times.

windows-like takes away what only POSIX has (fcntl, resource, termios, pwd, grp, os.fork/chown/getuid, SIGKILL,
the fork and forkserver start methods); macos-like makes setrlimit(RLIMIT_AS) fail as macOS does and starts
workers with spawn. What they cannot imitate (path separators, case-insensitive names, a file held open) is
tested on its own in tests/test_portable.py.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

TOOLS = Path(__file__).resolve().parents[2] / "shared" / "tools"
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "pdfs"
SYSTEMS = ["linux", "windows-like", "macos-like"]
LOCAL_PDF = CORPUS / "attention-sink-gpt2.pdf"  # a paper given as a file, not an arXiv ID

pytestmark = pytest.mark.shared

FLOW: list[tuple[str, ...]] = [
    ("init", "papers"),
    ("draft", "1512.03385", "1505.04597", str(LOCAL_PDF), "--date", "2024-01-30"),
    ("draft", "1512.03385", "1505.04597", str(LOCAL_PDF), "--date", "2024-01-30"),  # again: nothing changes
    ("regen", "1512.03385", "--tag", "--figure", "2"),
    ("backfill", "days.txt"),
    ("review",),
    ("review", "--json"),
    ("check",),
    ("figure", str(CORPUS / "1612.03144.pdf"), str(LOCAL_PDF), "--out", "figures", "--json"),
]
DAYS = "# two more days\n2024-01-31 1612.03144\n2024-01-30 1505.04597\n"


def run_flow(system: str, root: Path) -> tuple[list[tuple[str, int, str, str]], dict[str, bytes]]:
    """Each command of the flow in a fresh workspace as `system`; what each gave, and the workspace's files."""
    ws = root / system / "papers"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if system != "linux":
        env["PYTHONPATH"] = str(TOOLS / system)
    env.update(NOTEGEN_STATE_DIR=str(root / f"{system}-state"), NOTEGEN_ARXIV_INTERVAL="0")
    results = []
    for step in FLOW:
        args = list(step)
        cwd = ws.parent if step[0] == "init" else ws
        cwd.mkdir(exist_ok=True)
        if step[0] == "backfill":
            (ws / "days.txt").write_text(DAYS, encoding="utf-8")
        done = subprocess.run(
            [sys.executable, "-m", "notegen", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
        )
        progress = sorted(_same(done.stderr, ws).splitlines())  # papers run side by side: their lines interleave
        results.append((" ".join(step), done.returncode, _same(done.stdout, ws), "\n".join(progress)))
    files = {p.relative_to(ws).as_posix(): _stable(p.read_bytes()) for p in sorted(ws.rglob("*")) if p.is_file()}
    return results, files


def _same(text: str, ws: Path) -> str:
    """Output as compared between systems: the workspace's own path and times taken out."""
    text = text.replace(str(ws), "<ws>")
    text = re.sub(r'"ms": [0-9.]+', '"ms": 0', text)
    return re.sub(r" [0-9.]+ ms\b", " 0 ms", text)


def _stable(data: bytes) -> bytes:
    """A file as compared between systems: a note's id and times are its own on every run."""
    data = re.sub(rb"(?m)^id: [0-9a-z]{23}$", b"id: <id>", data)
    return re.sub(rb"(?m)^(updated|created): \d+$", rb"\1: <time>", data)


def test_the_daily_flow_gives_the_same_notes_on_linux_windows_and_macos(arxiv, llm, tmp_path):
    assert all((TOOLS / name / "sitecustomize.py").is_file() for name in SYSTEMS[1:])
    llm.tag_for = {"U-Net": "segmentation"}
    flows = {system: run_flow(system, tmp_path) for system in SYSTEMS}

    linux_steps, linux_files = flows["linux"]
    codes = [code for _, code, _, _ in linux_steps]
    assert codes == [0, 0, 0, 0, 0, 1, 1, 0, 0], "\n".join(f"{s}: {c}\n{e}" for s, c, _, e in linux_steps)
    assert "notes/papers.20240130.md" in linux_files and "notes/papers.20240131.md" in linux_files
    assert sum(name.startswith("images/") for name in linux_files) >= 4
    figures = [json.loads(line) for line in linux_steps[-1][2].splitlines()]
    assert [bool(f["png"]) for f in figures] == [True, True]
    for system in SYSTEMS[1:]:
        steps, files = flows[system]
        for (step, code, out, err), (_, linux_code, linux_out, linux_err) in zip(steps, linux_steps, strict=True):
            assert (code, out, err) == (linux_code, linux_out, linux_err), f"{system}: notegen {step}"
        assert sorted(files) == sorted(linux_files), system
        for name, data in files.items():
            assert data == linux_files[name], f"{system}: {name}"
