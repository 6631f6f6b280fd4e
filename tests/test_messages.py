"""Messages a person can act on: one plain line, the right exit code, and nothing fetched when the input is wrong."""

from __future__ import annotations

import copy
import os
import time
from pathlib import Path

import pytest

from tests.fakes.arxiv_server import NS
from tests.fakes.http import Canned

pytestmark = pytest.mark.e2e  # run again under the stand-ins for Windows and macOS (.ci/run)

NOTE = Path("notes/papers.20240130.md")
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "pdfs"


def test_a_state_dir_that_is_a_file_is_named(arxiv, llm, workspace, run, monkeypatch, tmp_path):
    (tmp_path / "state-file").write_text("x")
    monkeypatch.setenv("NOTEGEN_STATE_DIR", str(tmp_path / "state-file"))

    r = run("draft", "1512.03385", "--date", "2024-01-30")

    assert r.code == 2
    assert r.err == (
        f"error: NOTEGEN_STATE_DIR ({tmp_path / 'state-file'}) is a file; notegen keeps its caches in a folder "
        "there, so point it elsewhere\n"
    )
    assert arxiv.requests == []


def test_a_note_name_with_a_format_spec_is_named(arxiv, llm, workspace, run):
    (workspace / "notegen.toml").write_text('note_name = "papers.{yyyy:d}{mm}{dd}"\n')

    r = run("draft", "1512.03385", "--date", "2024-01-30")

    assert r.code == 2
    assert r.err.startswith("error: note_name 'papers.{yyyy:d}{mm}{dd}': use the placeholders {yyyy}, {mm}, {dd}")
    assert arxiv.requests == []


@pytest.mark.shared
def test_figure_out_can_be_a_folder_and_two_pdfs_of_one_name_get_two_pngs(run, tmp_path):
    out = tmp_path / "figs"
    out.mkdir()
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "x.pdf").write_bytes((CORPUS / "1512.03385.pdf").read_bytes())

    one = run("figure", str(tmp_path / "a" / "x.pdf"), "--out", str(out))
    both = run("figure", str(tmp_path / "a" / "x.pdf"), str(tmp_path / "b" / "x.pdf"), "--out", str(out / "both"))

    assert one.code == 0 and one.out == f"{out / 'x.fig1.png'}\n"
    assert both.code == 0
    assert both.out.splitlines() == [str(out / "both" / "x.fig1.png"), str(out / "both" / "x.fig1-2.png")]
    assert (out / "both" / "x.fig1-2.png").read_bytes().startswith(b"\x89PNG")


def test_a_manifest_saved_as_csv_utf8_by_a_spreadsheet(arxiv, llm, workspace, run):
    (workspace / "days.csv").write_bytes("\ufeffdate,id\r\n2024-01-30,1512.03385\r\n".encode())

    r = run("backfill", "days.csv", "--dry-run")

    assert (r.code, r.err) == (0, "1 days, 1 papers: 1 to draft on 1 days, 0 already in notes\n")


@pytest.mark.parametrize(
    ("body", "what"),
    [
        (b"", "an empty answer"),
        (b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><entry><id>', "a feed cut off or not XML"),
        (b'{"error": "busy"}', "a feed cut off or not XML at all"),
        (b'<?xml version="1.0"?><status>busy</status>', "XML that is not an Atom feed (<status>)"),
    ],
)
def test_an_arxiv_answer_that_is_not_a_feed_says_so(arxiv, llm, workspace, run, body, what):
    (workspace / "notegen.toml").write_text("retries = 2\narxiv_interval = 0\n")
    arxiv.script = [Canned(200, body, {"Content-Type": "application/atom+xml"})] * 2

    r = run("draft", "1512.03385", "--date", "2024-01-30")

    assert r.code == 1
    assert f"error: 1512.03385: the arXiv API answered with {what}" in r.err.splitlines()[-1]
    assert "has no paper with this ID" not in r.err


@pytest.mark.parametrize("link", ["file:///etc/passwd", "https://downloads.example.net/1512.03385.pdf"])
def test_a_pdf_link_outside_arxiv_is_refused_at_once(arxiv, llm, workspace, run, monkeypatch, link):
    monkeypatch.delenv("NOTEGEN_PDF_URL")
    entry = copy.deepcopy(arxiv.catalogue["1512.03385v1"])
    for element in entry.findall("a:link", NS):
        if element.get("title") == "pdf":
            element.set("href", link)
    arxiv.catalogue["1512.03385v1"] = entry

    r = run("draft", "1512.03385", "--date", "2024-01-30")

    assert r.code == 1
    assert r.err.splitlines()[-1] == (
        f"error: 1512.03385v1: arXiv's answer gives a PDF link outside arXiv ({link}); pass a local PDF, or set "
        "NOTEGEN_PDF_URL to a mirror"
    )
    assert not [q for q in arxiv.requests if "/pdf/" in q.path]


def test_an_unreachable_model_names_its_url_and_the_setting(arxiv, workspace, run, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-unreachable")
    (workspace / "notegen.toml").write_text("retries = 1\n")

    r = run("draft", "1512.03385", "--date", "2024-01-30")

    assert r.code == 1
    assert r.err.splitlines()[-1] == (
        "error: 1512.03385: the LLM endpoint http://127.0.0.1:9/v1 is unreachable (check OPENAI_BASE_URL) after 1 "
        "try; retry later"
    )


def test_regen_without_a_key_does_not_suggest_what_regen_cannot_do(arxiv, workspace, run):
    r = run("regen", "1512.03385")

    assert r.code == 2
    assert r.err == (
        "error: OPENAI_API_KEY is not set; export OPENAI_API_KEY=<your key> (and OPENAI_BASE_URL for a non-OpenAI "
        "endpoint); regen asks the model, so it needs one\n"
    )


def test_a_backfill_with_nothing_left_needs_no_key(arxiv, llm, workspace, run, monkeypatch):
    (workspace / "days.txt").write_text("2024-01-30 1512.03385\n")
    assert run("backfill", "days.txt").code == 0
    monkeypatch.delenv("OPENAI_API_KEY")
    arxiv.requests.clear()

    r = run("backfill", "days.txt")

    assert (r.code, r.err) == (0, "1 days, 1 papers: 0 to draft on 0 days, 1 already in notes\n")
    assert arxiv.requests == []


# -- where notegen writes -------------------------------------------------------------------------------------


def test_a_folder_that_is_not_a_workspace_is_refused(arxiv, llm, run, tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    (home / "thesis.tex").write_text("\\documentclass{article}")
    monkeypatch.chdir(home)

    r = run("draft", "1512.03385", "--date", "2024-01-30")
    mistyped = run("draft", "1512.03385", "--workspace", str(tmp_path / "papres"), "--date", "2024-01-30")

    assert (r.code, r.err) == (
        2,
        "error: this folder is not a notegen workspace (no notes/, dendron.yml or notegen.toml) and not empty; run "
        "notegen init there first, or pass --workspace\n",
    )
    assert mistyped.code == 2 and "papres: no such folder; check --workspace" in mistyped.err
    assert sorted(p.name for p in home.iterdir()) == ["thesis.tex"]
    assert not (tmp_path / "papres").exists() and arxiv.requests == []


def test_an_empty_folder_becomes_a_workspace_and_says_so(arxiv, llm, run, tmp_path, monkeypatch):
    ws = tmp_path / "papers"
    (ws / ".git").mkdir(parents=True)  # a fresh repository counts as empty
    monkeypatch.chdir(ws)

    r = run("draft", "1512.03385", "--date", "2024-01-30")

    assert r.code == 0, r.err
    assert "this folder was empty: made it a workspace, as notegen init does" in r.err
    assert (ws / "dendron.yml").is_file() and (ws / NOTE).is_file()


def test_no_temp_file_is_made_in_the_vault_and_stale_ones_are_cleaned(arxiv, llm, workspace, run, monkeypatch):
    import tempfile

    state = Path(os.environ["NOTEGEN_STATE_DIR"])
    (state / "pdfs").mkdir(parents=True)
    stale = [
        workspace / "notes" / ".tags.cv.md.k2j4h6g8.tmp",  # an older notegen's, next to the notes
        state / "pdfs" / ".part-a1b2c3d4.pdf",  # a download a kill -9 cut off
        state / "tmp" / ".papers.20240130.md.x9y8z7w6.notegen-tmp",
    ]
    keep = workspace / "notes" / ".my-own.tmp"
    for path in [*stale, keep]:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("left behind")
        os.utime(path, (time.time() - 3600, time.time() - 3600))
    made: list[str] = []
    real = tempfile.mkstemp

    def watch(*args, **kwargs):
        made.append(str(kwargs.get("dir")))
        return real(*args, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", watch)
    r = run("draft", "1512.03385", "--date", "2024-01-30")

    assert r.code == 0, r.err
    assert not any(p.exists() for p in stale) and keep.exists()
    assert made and not [d for d in made if Path(d).resolve() == (workspace / "notes").resolve()]


def test_a_model_endpoint_that_answers_with_a_web_page_stops_the_run_with_one_line(arxiv, llm, workspace, run):
    page = Canned(200, b"<html><body>Gateway login</body></html>", {"Content-Type": "text/html"})
    llm.script = [page] * 8

    r = run("draft", "1512.03385", "1505.04597", "--date", "2024-01-30")

    assert r.code == 1
    assert r.err.splitlines()[-1] == (
        f"error: the LLM endpoint {llm.url}/v1 answered with something that is not an API answer "
        "('<html><body>Gateway login</body></html>'); check OPENAI_BASE_URL"
    )
    assert "unexpected" not in r.err and not NOTE.exists()
