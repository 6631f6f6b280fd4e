"""Backfilling past days: the manifest, the pipeline, resuming after a kill."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from notegen.errors import UsageError
from notegen.ids import ArxivId
from notegen.manifest import parse_manifest
from tests.systems import KILLED

pytestmark = pytest.mark.e2e  # run again under the stand-ins for Windows and macOS (.ci/run)

MANIFEST = """\
# January
2024-01-29 1512.03385 1505.04597

2024-01-30 1612.03144 2603.12231   # a paper without a figure
2024-01-31 1810.04805 2010.14731
2024-02-01 2012.15864 2104.08860 2210.02997
"""


def test_manifest_days_ids_comments_and_csv():
    days = parse_manifest(MANIFEST, "m")
    assert [d.day for d in days] == [date(2024, 1, 29), date(2024, 1, 30), date(2024, 1, 31), date(2024, 2, 1)]
    assert days[1].refs == [ArxivId("1612.03144"), ArxivId("2603.12231")]
    csv = parse_manifest("date,id\n2024-01-30,1512.03385\n2024-01-30,arXiv:1505.04597v2\n2024-01-29,1612.03144\n", "c")
    assert [(d.day, d.refs) for d in csv] == [
        (date(2024, 1, 29), [ArxivId("1612.03144")]),
        (date(2024, 1, 30), [ArxivId("1512.03385"), ArxivId("1505.04597", 2)]),
    ]
    tsv = parse_manifest("2024-01-30\t1512.03385\n2024-01-30\t1512.03385\n", "t")
    assert tsv[0].refs == [ArxivId("1512.03385")]  # a paper twice on a day is drafted once


def test_every_bad_line_is_reported_at_once():
    with pytest.raises(UsageError) as info:
        parse_manifest(
            "2024-01-30 1512.03385\nyesterday 1505.04597\n2024-13-01 1612.03144\n2024-01-31\n"
            "2024-02-01 1512.03385 ../etc\n0999-01-30 1512.03385\n",
            "days.txt",
        )
    assert str(info.value).splitlines() == [
        "days.txt:2: 'yesterday' is not a date; write it as YYYY-MM-DD, e.g. 2024-01-30",
        "days.txt:3: '2024-13-01' is not a day of the calendar; check the month and the day",
        "days.txt:4: 2024-01-31 has no arXiv IDs after the date",
        "days.txt:5: '../etc' is not an arXiv ID",
        "days.txt:6: '0999-01-30' is before arXiv began (August 1991); check the year",
    ]
    assert [(p.path, p.line) for p in info.value.problems] == [("days.txt", n) for n in (2, 3, 4, 5, 6)]


@given(st.text(max_size=300))
def test_manifest_parsing_never_crashes(text):
    try:
        days = parse_manifest(text, "fuzz")
    except UsageError:
        return
    assert all(d.refs for d in days)


def normalized(workspace: Path) -> dict[str, str]:
    """The notes without what differs between two runs by design: ids and times."""
    out = {}
    for path in sorted((workspace / "notes").glob("*.md")):
        text = re.sub(r"^(id|created|updated): .*$", r"\1: _", path.read_text(), flags=re.MULTILINE)
        out[path.name] = text
    return out


def test_backfill_writes_each_day_and_a_rerun_does_nothing(arxiv, llm, workspace, run):
    (workspace / "days.txt").write_text(MANIFEST)

    r = run("backfill", "days.txt")

    assert r.code == 0, r.err
    notes = sorted(p.name for p in (workspace / "notes").glob("papers.*.md"))
    assert notes == ["papers.20240129.md", "papers.20240130.md", "papers.20240131.md", "papers.20240201.md"]
    assert "days written             4" in r.err and "papers drafted           9" in r.err
    assert len(arxiv.api_calls) == 1  # nine IDs, one batched call
    assert len(llm.chats) == 9
    before = normalized(workspace)
    arxiv.requests.clear()
    llm.requests.clear()

    again = run("backfill", "days.txt")

    assert again.code == 0
    assert "4 days, 9 papers: 0 to draft on 0 days, 9 already in notes" in again.err
    assert arxiv.requests == [] and llm.requests == []
    assert normalized(workspace) == before


def test_dry_run_fetches_nothing(arxiv, llm, workspace, run):
    (workspace / "days.txt").write_text(MANIFEST)

    r = run("backfill", "days.txt", "--dry-run", "--from", "2024-01-30", "--to", "2024-01-31")

    assert (r.code, r.out) == (0, "")
    assert r.err == "2 days, 4 papers: 4 to draft on 2 days, 0 already in notes\n"
    assert arxiv.requests == [] and llm.requests == []


def test_a_failing_paper_does_not_hold_back_its_day(arxiv, llm, workspace, run):
    (workspace / "days.txt").write_text("2024-01-30 1512.03385 2401.99999\n2024-01-31 2401.99998\n")

    r = run("backfill", "days.txt")

    assert r.code == 1
    assert "error: 2401.99999: arXiv has no paper with this ID; check it for typos" in r.err
    assert re.search(r"^papers failed +2\n  arXiv has no paper with this ID +2$", r.err, re.MULTILINE)  # by reason
    assert "## Deep Residual Learning" in (workspace / "notes" / "papers.20240130.md").read_text()


@pytest.mark.parametrize(("stage", "written"), [("before-rename", 1), ("after-rename", 2)])
def test_kill_9_then_rerun_ends_with_the_notes_of_an_uninterrupted_run(
    arxiv, llm, tmp_path, monkeypatch, stage, written
):
    manifest = tmp_path / "days.txt"
    manifest.write_text(MANIFEST)
    reference, killed = tmp_path / "reference", tmp_path / "killed"
    for ws in (reference, killed):
        (ws / "notes").mkdir(parents=True)
    command = [sys.executable, "-m", "notegen", "backfill", str(manifest), "-q"]

    monkeypatch.setenv("NOTEGEN_STATE_DIR", str(tmp_path / "reference-state"))
    subprocess.run([*command, "--workspace", str(reference)], check=True, capture_output=True, timeout=120)
    asked_uninterrupted = len(llm.chats)

    monkeypatch.setenv("NOTEGEN_STATE_DIR", str(tmp_path / "killed-state"))
    llm.requests.clear()
    killed_run = subprocess.run(  # SIGKILL while the second day's note is written: just before or after its rename
        [*command, "--workspace", str(killed)],
        capture_output=True,
        timeout=120,
        env={**os.environ, "NOTEGEN_CRASH_AT": f"{stage}:papers.*.md:2"},
    )
    written_at_kill = len(list((killed / "notes").glob("papers.*.md")))
    subprocess.run([*command, "--workspace", str(killed)], check=True, capture_output=True, timeout=120)

    assert killed_run.returncode == KILLED
    assert written_at_kill == written
    assert normalized(killed) == normalized(reference)
    assert len(llm.chats) <= asked_uninterrupted + 4  # answered questions are not asked again (4 in flight at most)


def test_batch_api_answers_everything_in_one_job(arxiv, llm, workspace, run):
    (workspace / "days.txt").write_text(MANIFEST)
    (workspace / "notegen.toml").write_text("batch_poll = 0.05\n")

    r = run("backfill", "days.txt", "--batch-api")

    assert r.code == 0, r.err
    assert len(llm.batch_requests) == 1, r.err
    assert [json.loads(line)["custom_id"] for line in llm.files["file-1"].decode().splitlines()].__len__() == 9
    assert llm.chats == []  # every answer came from the batch, through the cache
    assert "sent 9 questions as batch batch-1" in r.err
    assert "batch batch-1 completed: 9 answers" in r.err
    text = (workspace / "notes" / "papers.20240129.md").read_text()
    assert text.count("\n这篇论文试图解决的问题是") == 2


def test_a_pending_batch_is_collected_by_a_rerun_not_sent_again(arxiv, llm, workspace, run):
    (workspace / "days.txt").write_text(MANIFEST)
    (workspace / "notegen.toml").write_text("batch_poll = 0.05\nbatch_wait = 0.2\n")
    llm.batch_done = False

    first = run("backfill", "days.txt", "--batch-api")

    assert first.code == 1
    assert "batch batch-1 is in_progress; rerun the same command later to collect it" in first.err
    assert not list((workspace / "notes").glob("papers.*.md"))
    llm.batch_done = True

    second = run("backfill", "days.txt", "--batch-api")

    assert second.code == 0, second.err
    assert "collecting batch batch-1 sent by an earlier run" in second.err
    assert len(llm.batch_requests) == 1 and llm.chats == []
    assert len(list((workspace / "notes").glob("papers.*.md"))) == 4
