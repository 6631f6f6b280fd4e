"""Errors carry fields; their one-line message is made from them in one place, and they cross processes whole."""

from __future__ import annotations

import pickle

import pytest

from notegen.errors import AnswerError, FatalError, NoteError, NotegenError, PaperError, Problems, UsageError
from notegen.llm import ContextTooLong
from notegen.textfile import NotText


def test_the_message_is_place_reason_detail_and_fix():
    err = PaperError("2401.16420", "the PDF link answered HTTP 404", detail="https://arxiv.org/pdf/2401.16420v1")
    assert str(err) == "2401.16420: the PDF link answered HTTP 404 (https://arxiv.org/pdf/2401.16420v1)"
    err = NoteError("notes/papers.20240130.md", "an unclosed code fence", 12, hint="close it")
    assert str(err) == "notes/papers.20240130.md:12: an unclosed code fence; close it"
    assert str(NoteError("notes/x.md", "the note is read-only")) == "notes/x.md: the note is read-only"
    assert str(UsageError("no paper given", hint="pass its arXiv ID")) == "no paper given; pass its arXiv ID"
    assert err.what == "an unclosed code fence; close it" and err.where == "notes/papers.20240130.md:12"


def test_a_paper_takes_a_run_wide_fault_with_its_fields():
    fault = FatalError("arXiv API answered HTTP 503 after 3 tries", subject="2401.1, 2401.2", hint="retry later")
    mine = PaperError.of("2401.2", fault, where=False)
    assert (mine.name, mine.reason, mine.hint) == ("2401.2", fault.reason, "retry later")
    assert str(mine) == "2401.2: arXiv API answered HTTP 503 after 3 tries; retry later"
    disk = NotegenError("the disk is full", subject="notes/a.md", hint="free some space")
    assert str(PaperError.of("2401.2", disk)) == "2401.2: notes/a.md: the disk is full; free some space"


def test_an_error_moved_to_a_place_keeps_its_other_fields():
    err = UsageError("'0999-01-30' is before arXiv began", detail="August 1991", hint="check the year")
    moved = err.with_fields(path="days.txt", line=6)
    assert str(moved) == "days.txt:6: '0999-01-30' is before arXiv began (August 1991); check the year"
    assert type(moved) is UsageError and err.path == ""  # a copy: the error itself is as it was


def test_several_problems_are_one_error_listing_each():
    problems = [UsageError(f"'{n}' is not a date", path="days.txt", line=n) for n in range(1, 13)]
    err = Problems(problems, limit=10, more=" lines like these")
    lines = str(err).splitlines()
    assert lines[0] == "days.txt:1: '1' is not a date" and lines[-1] == "... and 2 more lines like these"
    assert len(lines) == 11 and err.problems[11].line == 12
    assert isinstance(err, UsageError)  # bad input: exit 2


@pytest.mark.parametrize(
    "err",
    [
        PaperError("2401.16420", "the PDF parser failed", detail="boom", hint="pass another file", zh="解析失败"),
        NoteError("n.md", "a broken frontmatter", 3, hint="fix it by hand"),
        ContextTooLong("2401.16420", 4096),
        NotText("n.md", 17, 2),
        AnswerError("the answer is empty", "回答是空的"),
        Problems([UsageError("x", subject="y")]),
        FatalError("rejected the API key", subject="http://127.0.0.1:9/v1", detail="HTTP 401"),
    ],
)
def test_errors_cross_processes_with_their_fields(err):
    again = pickle.loads(pickle.dumps(err))  # bounded workers send their errors back through a pipe
    assert type(again) is type(err) and str(again) == str(err) and repr(again.fields()) == repr(err.fields())
