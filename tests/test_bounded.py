"""PDF work runs in bounded child processes: a hang, a memory blow-up or a crash fails one paper only."""

import os
import time

import pytest

from notegen.bounded import Bounded
from notegen.errors import PaperError

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
