"""Output any console can print, and a reader that goes away: notegen run as a program, its output redirected as on
Windows (stdout in the ANSI code page, cp1252 or GBK) or piped into `head`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e  # run again under the stand-ins for Windows and macOS (.ci/run)

NOTE = Path("notes/papers.20240130.md")
TITLE = "Schrödinger 方程的神经网络解法"
WORDS = ("Traceback", "Broken pipe", "BrokenPipeError", "Exception ignored", "UnicodeEncodeError")


def notegen(*args: str, encoding: str | None = None) -> subprocess.CompletedProcess[bytes]:
    """notegen as a person runs it, with stdout and stderr redirected (pipes) in `encoding`."""
    env = {**os.environ, "PYTHONIOENCODING": encoding} if encoding else {**os.environ}
    env.pop("PYTHONUTF8", None)
    return subprocess.run([script(), *args], env=env, capture_output=True, timeout=120)


def script() -> str:
    found = shutil.which("notegen", path=str(Path(sys.executable).parent))  # notegen.exe on Windows
    assert found is not None
    return found


def shown(text: str, encoding: str) -> bytes:
    """`text` as a console in `encoding` gets it: what it cannot print as an escape."""
    return text.encode(encoding, errors="backslashreplace")


@pytest.fixture
def drafted(arxiv, workspace, run) -> Path:
    """A day's note with a paper whose title no ANSI code page prints whole, its summary still to write."""
    arxiv.add("2301.00002", TITLE, pdf=arxiv.pdfs["1512.03385"])
    assert run("draft", "2301.00002", "--date", "2024-01-30", "--no-llm").code == 0
    return workspace


# -- consoles that cannot print every letter ------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["cp1252", "gbk"])
def test_review_on_a_console_that_cannot_print_every_letter(drafted, encoding):
    r = notegen("review", encoding=encoding)

    assert r.returncode == 1
    assert r.stdout.splitlines() == [shown(f"{NOTE}:18: placeholder: {TITLE}", encoding)]
    assert r.stderr.splitlines() == [b"1 item waiting for you"]


@pytest.mark.parametrize("encoding", ["cp1252", "gbk"])
def test_a_dry_run_on_a_console_that_cannot_print_every_letter(drafted, encoding):
    r = notegen("draft", "2301.00002", "1505.04597", "--date", "2024-01-31", "--no-llm", "--dry-run", encoding=encoding)

    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(shown(f"## {TITLE}\n<!-- notegen paper=arxiv:2301.00002v1 ", encoding))
    assert b"\n## U-Net: Convolutional Networks for Biomedical Image Segmentation\n" in r.stdout
    assert not any(word.encode() in r.stderr for word in WORDS)


@pytest.mark.parametrize("encoding", ["cp1252", "gbk"])
def test_an_error_on_a_console_that_cannot_print_every_letter(workspace, encoding):
    r = notegen("draft", f"{TITLE}.pdf", "--date", "2024-01-30", encoding=encoding)

    assert r.returncode == 2
    assert r.stdout == b""
    assert r.stderr.splitlines() == [shown(f"error: {TITLE}.pdf: no such file; check the path", encoding)]


def test_a_utf8_console_gets_utf8(drafted):
    r = notegen("review", encoding="utf-8")

    assert r.returncode == 1
    assert r.stdout.splitlines() == [f"{NOTE}:18: placeholder: {TITLE}".encode()]


# -- a reader that goes away ----------------------------------------------------------------------------------


def test_a_reader_gone_before_the_paths_are_printed_leaves_the_run_its_exit_code(arxiv, workspace, run):
    """`notegen draft ... | head -1` where head has gone by the time the paths come: every note is written, and the
    run ends as it would have, with no word about the pipe; a paper that failed is still named on stderr."""
    assert run("init", ".").code == 0
    for papers, code in ((["1512.03385", "1505.04597"], 0), (["1612.03144", "2401.99999"], 1)):
        process = subprocess.Popen(
            [script(), "draft", *papers, "--date", "2024-01-30", "--no-llm"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert process.stdout is not None and process.stderr is not None
        process.stdout.close()  # the reader has gone before the first line is written
        err = process.stderr.read().decode()
        process.stderr.close()

        assert process.wait(timeout=120) == code, err
        assert not any(word in err for word in WORDS), err
        if code:
            assert err.splitlines()[-1] == "error: 2401.99999: arXiv has no paper with this ID; check it for typos"
    assert NOTE.read_text(encoding="utf-8").count("\n## ") == 3


def test_head_1_ends_a_long_listing_quietly_and_the_run_finishes(workspace, run):
    """`notegen check | head -1`: the listing is longer than a pipe holds, so notegen is still writing when the
    reader goes; the run still finishes (its summary on stderr) and ends with its own exit code."""
    assert run("init", ".").code == 0
    count = 1500
    for n in range(count):
        Path(f"notes/papers.x({n}).md").write_text("no frontmatter\n", encoding="utf-8")
    expected = run("check")
    assert expected.code == 1 and len(expected.out.encode()) > 100_000

    process = subprocess.Popen([script(), "check"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    first = process.stdout.readline()
    process.stdout.close()
    err = process.stderr.read().decode()
    process.stderr.close()

    assert first.decode().rstrip("\r\n") == expected.out.splitlines()[0]
    assert process.wait(timeout=120) == 1
    assert err == expected.err  # the summary: the run went on to the end
    assert err.startswith(f"{count + 1} notes checked, ")
