"""PDF work runs in bounded child processes: a hang, a memory blow-up or a crash fails one paper only."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from notegen.bounded import Bounded
from notegen.errors import PaperError
from tests.systems import descendants, running

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.e2e  # run again under the stand-ins for Windows and macOS (.ci/run)


def slow(seconds: float) -> str:
    time.sleep(seconds)
    return "done"


def greedy() -> int:
    return len(bytearray(3 * 1024**3))


def crash() -> None:
    os.abort()


def refuse(name: str) -> None:
    raise PaperError(name, "not a PDF")


def test_a_call_that_hangs_is_stopped_and_the_next_one_works():
    with Bounded(workers=1, seconds=0.5) as bounded:
        start = time.monotonic()
        with pytest.raises(PaperError) as info:
            bounded.call("p1", slow, 30)
        assert time.monotonic() - start < 5
        assert str(info.value) == "p1: reading the PDF took longer than 0.5 s and was stopped; the file may be broken"
        assert bounded.call("p2", slow, 0) == "done"


def test_memory_is_capped():
    with Bounded(workers=1, memory_mb=512) as bounded:
        with pytest.raises(PaperError) as info:
            bounded.call("big", greedy)
        assert str(info.value) == "big: reading the PDF needed more than 512 MB of memory"
        assert bounded.call("next", slow, 0) == "done"


def test_a_crash_fails_one_paper():
    with Bounded(workers=1) as bounded:
        with pytest.raises(PaperError, match=r"^boom: the PDF crashed the parser"):
            bounded.call("boom", crash)
        assert bounded.call("next", slow, 0) == "done"


def test_errors_come_back_as_they_were_raised():
    with Bounded() as bounded, pytest.raises(PaperError) as info:
        bounded.call("x", refuse, "paper.pdf")
    assert (info.value.name, info.value.reason) == ("paper.pdf", "not a PDF")


def test_a_pdf_that_needs_more_memory_than_allowed_fails_alone_with_the_bound(tmp_path):
    """A real PDF, a real parser: a page 5 m wide whose figure fills it. On Linux MuPDF's allocation fails under
    the address-space limit ('malloc (N bytes) failed'); on macOS and Windows the parent's watch stops the worker.
    Either way the person reads the same bound."""
    import pymupdf

    from notegen.extract import figure_only

    huge = tmp_path / "huge.pdf"
    doc = pymupdf.open()
    page = doc.new_page(width=14400, height=14400)
    page.draw_rect(pymupdf.Rect(100, 1000, 14300, 13400), color=(0, 0, 0), fill=(0.2, 0.4, 0.6))
    page.insert_text((100, 13500), "Figure 1: A figure as large as the page.", fontsize=12)
    doc.save(huge)
    with Bounded(workers=1, memory_mb=300) as bounded:
        with pytest.raises(PaperError) as info:
            bounded.call("huge", figure_only, huge, "huge")
        assert str(info.value) == "huge: reading the PDF needed more than 300 MB of memory"
        assert bounded.call("next", slow, 0) == "done"


@pytest.mark.skipif(not hasattr(signal, "alarm"), reason="Windows has no alarm: a worker left alone ends with its call")
def test_a_worker_whose_parent_was_killed_stops_soon_after_the_time_bound(tmp_path):
    """kill -9 of notegen (or a closed terminal) leaves nobody to stop a worker reading a hostile PDF for ever."""
    script = (
        "import sys, time\n"
        "from notegen.bounded import Bounded\n"
        "from tests.test_bounded import slow\n"
        "with Bounded(workers=1, seconds=1) as bounded:\n"
        "    bounded.call('hang', slow, 600)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT)
    time.sleep(1.0)  # a worker is reading
    workers = descendants(parent.pid)
    parent.terminate()  # no cleanup: SIGTERM is not handled, as on Windows TerminateProcess
    parent.wait(timeout=10)

    deadline = time.monotonic() + 8  # the parent's 1 s, 2 s more, and a worker that starts slowly
    while running(workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert workers and running(workers) == []
