"""The same options mean the same thing on every command: where the workspace is, how much is said (-q, -v,
-vv), --json for what a script reads; and the status says what happened, no more and no less."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pymupdf
import pytest

from notegen import __version__

TIMED = re.compile(r"^\s*\d+\.\d\ds notegen\.\w+: ", re.MULTILINE)


def text_only_pdf(path: Path) -> Path:
    """A paper without any figure: its note gets the missing-figure line, which waits for review."""
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_text((72, 80), "A Study of Things Without Figures", fontsize=18)
    page.insert_textbox(pymupdf.Rect(72, 120, 540, 700), "Abstract. We study things. " * 60, fontsize=10)
    doc.save(path)
    return path


def waiting_workspace(root: Path) -> Path:
    """A workspace whose one note waits for review (a placeholder summary)."""
    ws = root / "ws"
    (ws / "notes").mkdir(parents=True)
    (ws / "notes" / "papers.20240130.md").write_text(
        "---\nid: abcdefghijklmnopqrstuvw\ntitle: '20240130'\ndesc: ''\nupdated: 1\ncreated: 1\n---\n\n"
        "## A Paper\n\n#untagged\n\n**待填写**\n",
        encoding="utf-8",
    )
    return ws


@pytest.mark.parametrize("flag", ["-V", "--version"])
def test_the_version(run, flag):
    r = run(flag)
    assert r.code == 0 and __version__ in r.out


@pytest.mark.parametrize(
    "args",
    [
        ("--workspace", "{ws}", "review"),
        ("review", "--workspace", "{ws}"),
        ("review", "{ws}"),
        ("-q", "--workspace", "{ws}", "review"),
    ],
    ids=["before", "after", "positional", "quiet-before"],
)
def test_the_workspace_is_named_the_same_way_before_or_after_the_command(run, tmp_path, args):
    ws = waiting_workspace(tmp_path)

    r = run(*(a.format(ws=ws) for a in args))

    assert r.code == 1, r.err
    assert r.out == f"{Path('notes') / 'papers.20240130.md'}:13: placeholder: A Paper\n"  # from the workspace
    assert ("waiting for you" in r.err) == ("-q" not in args)


def test_two_different_workspaces_are_refused(run, tmp_path):
    ws = waiting_workspace(tmp_path)
    other = tmp_path / "other"
    other.mkdir()

    r = run("check", str(ws), "--workspace", str(other))

    assert r.code == 2
    assert r.err.startswith("error: two workspaces given") and len(r.err.splitlines()) == 1


def test_check_json_gives_each_problem_with_its_file_and_line(run, tmp_path):
    ws = waiting_workspace(tmp_path)
    note = ws / "notes" / "papers.20240130.md"
    note.write_text(note.read_text(encoding="utf-8") + "\n#missing-tag\n", encoding="utf-8")

    r = run("check", "--workspace", str(ws), "--json")

    assert r.code == 1
    records = [json.loads(line) for line in r.out.splitlines()]
    assert records and all(set(rec) == {"file", "line", "problem"} for rec in records)
    assert any("missing-tag" in rec["problem"] and rec["file"].endswith("papers.20240130.md") for rec in records)


def test_draft_json_is_the_whole_result_and_says_what_waits(run, workspace, tmp_path):
    pdf = text_only_pdf(tmp_path / "plain.pdf")

    r = run("draft", str(pdf), "--date", "2024-01-30", "--no-llm", "--json")

    assert r.code == 0, r.err
    (record,) = [json.loads(line) for line in r.out.splitlines()]
    assert str(Path("notes") / "papers.20240130.md") in record["written"]
    assert record["failed"] == [] and record["skipped"] == []
    assert [(w["paper"], w["kind"]) for w in record["review"]] == [(str(pdf), "no figure")]
    assert f"review: {pdf}: no figure: " in r.err  # the terminal says it too, once, at the end
    assert r.err.count("no figure") == 1

    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7\n" + b"\0" * 64)
    failed = run("draft", str(broken), "--date", "2024-01-31", "--no-llm", "--json")
    assert failed.code == 1
    (record,) = [json.loads(line) for line in failed.out.splitlines()]
    (failure,) = record["failed"]  # its fields, for a script to act on without reading the sentence
    assert (failure["paper"], failure["reason"]) == (str(broken), "not a readable PDF")
    assert failure["detail"] and failure["hint"] == "download it again or pass another file"


def test_verbose_shows_notegens_steps_with_times_and_vv_the_libraries_too(run, workspace, tmp_path):
    pdf = text_only_pdf(tmp_path / "plain.pdf")

    v = run("-v", "draft", str(pdf), "--date", "2024-01-30", "--no-llm")
    steps = TIMED.findall(v.err)
    (workspace / "notes" / "papers.20240130.md").unlink()
    vv = run("draft", str(pdf), "--date", "2024-01-30", "--no-llm", "-vv")

    assert v.code == 0 and vv.code == 0
    assert steps and "the PDF read in" in v.err
    assert "markdown_it" not in v.err  # a library's own tracing only at -vv
    assert "markdown_it" in vv.err or re.search(r"^\s*\d+\.\d\ds (?!notegen)\w", vv.err, re.MULTILINE)


def test_init_ends_with_the_next_command_to_run(run, tmp_path):
    r = run("init", str(tmp_path / "papers"))

    assert r.code == 0
    assert r.err.rstrip().splitlines()[-1].startswith("next: cd ")
    assert "notegen doctor" in r.err.splitlines()[-1]


def test_figure_takes_the_time_limit_from_the_workspaces_settings(run, workspace, tmp_path):
    pdf = text_only_pdf(tmp_path / "plain.pdf")
    (workspace / "notegen.toml").write_text("extract_timeout = 0.001\n", encoding="utf-8")

    r = run("figure", str(pdf))

    assert r.code == 1
    assert "0.001" in r.err, r.err


@pytest.mark.shared
def test_an_answer_from_the_cache_is_not_said_to_be_asked_for(arxiv, llm, workspace, run):
    first = run("draft", "1512.03385", "--date", "2024-01-30")
    (workspace / "notes" / "papers.20240130.md").unlink()
    llm.requests.clear()

    again = run("draft", "1512.03385", "--date", "2024-01-30")

    assert first.code == 0 and again.code == 0, again.err
    assert "asking" in first.err and "for the summary" in first.err
    assert llm.requests == []
    assert "for the summary" not in again.err and "1 from cache" in again.err
