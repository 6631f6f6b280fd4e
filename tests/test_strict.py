"""Every check before any network work, and every command as strict as its real run: the feed's extra entries,
folders and read-only notes where a note should be, a vault outside the workspace, a mistyped --workspace, a
folder given to --out, review outside a workspace."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tests.pdfs import paper

pytestmark = pytest.mark.e2e

NOTE = Path("notes/papers.20240130.md")


def test_an_entry_arxiv_sends_unasked_hides_no_paper_that_was_asked(arxiv, llm, workspace, run):
    arxiv.unasked = ["1612.03144v1"]  # first in the feed, and counted in totalResults

    r = run("draft", "1512.03385", "1505.04597", "--date", "2024-01-30")

    assert r.code == 0, r.err
    text = NOTE.read_text(encoding="utf-8")
    assert "## Deep Residual Learning" in text and "## U-Net" in text
    assert "Feature Pyramid" not in text  # not asked for, not written
    assert len(arxiv.api_calls) == 1


def test_a_folder_named_like_the_days_note_is_refused_before_any_request(arxiv, llm, workspace, run):
    NOTE.mkdir()

    r = run("draft", "1512.03385", "--date", "2024-01-30")

    assert r.code == 2
    assert r.err.splitlines()[-1] == (
        f"error: {NOTE}: a folder, not a note; rename or move the folder so notegen can write this note"
    )
    assert arxiv.requests == [] and llm.chats == []

    checked = run("check")

    assert checked.code == 1
    assert f"{NOTE}:1: a folder named like a note" in checked.out
    assert "unexpected" not in checked.err


@pytest.mark.skipif(os.name == "nt", reason="the read-only attribute is set below with chmod, as on POSIX")
def test_a_note_the_person_made_read_only_is_refused_with_its_name(arxiv, llm, workspace, run):
    assert run("draft", "1512.03385", "--date", "2024-01-30").code == 0
    before = NOTE.read_bytes()
    NOTE.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)  # 444
    calls = len(arxiv.requests)

    drafted = run("draft", "1505.04597", "--date", "2024-01-30")
    regenerated = run("regen", "1512.03385")

    for r in (drafted, regenerated):
        assert r.code == 2
        assert r.err.splitlines()[-1] == (
            f"error: {NOTE}: the note is read-only; make it writable if notegen may add to it"
        )
    assert NOTE.read_bytes() == before and len(arxiv.requests) == calls


def test_a_read_only_day_stops_a_backfill_before_any_request_unless_it_has_nothing_to_add(arxiv, llm, workspace, run):
    assert run("draft", "1512.03385", "--date", "2024-01-30").code == 0
    NOTE.chmod(0o444)
    Path("days.txt").write_text("2024-01-30 1512.03385\n2024-01-31 1505.04597\n", encoding="utf-8")

    done = run("backfill", "days.txt")  # the read-only day has nothing to add

    assert done.code == 0, done.err
    Path("days.txt").write_text("2024-01-30 1612.03144\n", encoding="utf-8")

    calls = len(arxiv.requests)
    refused = run("backfill", "days.txt")

    assert refused.code == 2  # as every note a backfill cannot add to: all named at once, before anything is fetched
    assert refused.err.splitlines()[-1] == (
        f"error: {NOTE}: the note is read-only; make it writable if notegen may add to it"
    )
    assert len(arxiv.requests) == calls


@pytest.mark.parametrize("fs_path", ["../..", "{absolute}", "../sibling"])
def test_a_vault_outside_the_workspace_needs_the_person_to_say_so(arxiv, llm, workspace, run, fs_path, tmp_path):
    fs_path = fs_path.format(absolute=(tmp_path / "elsewhere").as_posix())
    Path("dendron.yml").write_text(f"version: 5\nworkspace:\n  vaults:\n    - fsPath: {fs_path}\n", encoding="utf-8")

    r = run("draft", "1512.03385", "--date", "2024-01-30")

    assert r.code == 2
    assert "is outside the workspace" in r.err and "vault_outside = true" in r.err
    assert arxiv.requests == []
    for command in (["review"], ["check"], ["regen", "1512.03385"]):
        refused = run(*command)
        assert refused.code == 2 and "is outside the workspace" in refused.err, command

    Path("notegen.toml").write_text("vault_outside = true\n", encoding="utf-8")
    assert run("review").code == 0


def test_a_dry_run_refuses_a_mistyped_workspace_as_the_run_does(arxiv, llm, workspace, run, tmp_path):
    elsewhere = tmp_path / "Documents"
    elsewhere.mkdir()
    (elsewhere / "thesis.tex").write_text("\\documentclass{article}\n", encoding="utf-8")

    dry = run("draft", "1512.03385", "--date", "2024-01-30", "--dry-run", "--workspace", str(elsewhere))
    real = run("draft", "1512.03385", "--date", "2024-01-30", "--workspace", str(elsewhere))

    assert dry.code == real.code == 2
    assert dry.err.splitlines()[-1] == real.err.splitlines()[-1]
    assert "is not a notegen workspace" in dry.err
    assert sorted(p.name for p in elsewhere.iterdir()) == ["thesis.tex"]  # no .notegen/, no notes/
    missing = run("draft", "1512.03385", "--dry-run", "--workspace", str(tmp_path / "Documnets"))
    assert missing.code == 2 and "no such folder" in missing.err
    assert not (tmp_path / "Documnets").exists()
    assert arxiv.requests == []


def test_figure_out_a_folder_named_with_a_slash_is_a_folder(tmp_path, run):
    pdf = paper(tmp_path / "p.pdf", title="A Paper", caption="Figure 1: An overview.", figure="vector")
    out = tmp_path / "figs"

    r = run("figure", str(pdf), "--out", f"{out}/")

    assert r.code == 0, r.err
    assert out.is_dir() and [p.name for p in out.iterdir()] == ["p.fig1.png"]


@pytest.mark.parametrize("command", ["review", "check"])
def test_review_and_check_outside_a_workspace_say_so(tmp_path, run, monkeypatch, command):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "thesis.tex").write_text("x", encoding="utf-8")

    r = run(command)

    assert r.code == 2
    assert r.err.splitlines()[-1] == (
        "error: this folder is not a notegen workspace (no notes/, dendron.yml or notegen.toml); run notegen init "
        f"there first, or name the workspace: notegen {command} DIRECTORY"
    )
    assert "nothing waits" not in r.err


def test_a_folder_named_like_a_tag_note_fails_its_paper_with_the_fix(arxiv, llm, workspace, run):
    llm.tag_for = {"Deep Residual": "deep_learning", "U-Net": "segmentation"}
    Path("notes/tags.deep_learning.md").mkdir()

    r = run("draft", "1512.03385", "1505.04597", "--date", "2024-01-30")

    assert r.code == 1
    assert (
        "1512.03385: its tag note could not be written: notes/tags.deep_learning.md: a folder, not a tag note" in r.err
    )
    assert "## U-Net" in NOTE.read_text(encoding="utf-8")  # the other paper is written


def test_paths_outside_here_are_shown_as_they_are(tmp_path, run):
    missing = tmp_path / "nowhere"

    r = run("review", str(missing))

    assert r.code == 2
    assert r.err.splitlines()[-1].startswith(f"error: {missing}: no such folder")
