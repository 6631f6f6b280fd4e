"""Bad input and faults, one test per row of docs/robustness.md that other test files do not already cover."""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path

import pymupdf
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from notegen import note
from notegen.errors import PaperError
from notegen.extract import extract
from notegen.ids import parse_refs
from notegen.note import Section
from tests.fakes.http import Canned
from tests.fakes.llm_server import completion
from tests.pdfs import paper

pytestmark = pytest.mark.e2e  # run again under the stand-ins for Windows and macOS (.ci/run)

NOTE = Path("notes/papers.20240130.md")
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "pdfs"


# -- input ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"just some notes\n", "not a PDF (no %PDF- header); pass the paper's PDF file"),
        (b"", "not a PDF (no %PDF- header); pass the paper's PDF file"),
    ],
)
def test_a_text_file_or_an_empty_file_given_as_a_pdf(workspace, run, content, message):
    (workspace / "paper.pdf").write_bytes(content)
    (workspace / "other.pdf").write_bytes(paper(workspace / "p.pdf").read_bytes())

    r = run("draft", "paper.pdf", "other.pdf", "--date", "2024-01-30", "--no-llm")

    assert r.code == 1
    assert f"error: paper.pdf: {message}" in r.err.splitlines()
    assert "## A Study of Synthetic Figures" in NOTE.read_text()  # the other paper is written


def test_ten_thousand_ids_are_parsed_and_deduplicated_fast():
    ids = [f"2401.{n % 5000:05d}" for n in range(10_000)]
    start = time.perf_counter()
    refs, warnings = parse_refs(ids)
    assert time.perf_counter() - start < 2
    assert len(refs) == 5000 and len(warnings) == 5000


# -- PDFs -----------------------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(st.floats(0.0, 1.0))
def test_a_pdf_cut_anywhere_fails_cleanly_or_reads(tmp_path_factory, fraction):
    whole = paper(tmp_path_factory.mktemp("cut") / "p.pdf").read_bytes()
    cut = tmp_path_factory.mktemp("cut") / "cut.pdf"
    cut.write_bytes(whole[: int(len(whole) * fraction)])
    try:
        got = extract(cut, "cut")
    except PaperError as err:
        assert str(err).startswith("cut: ")
    else:
        assert got.figure is None or got.figure.png.startswith(b"\x89PNG")


@settings(max_examples=30, deadline=None)
@given(st.binary(min_size=0, max_size=4000))
def test_random_bytes_never_crash_the_reader(tmp_path_factory, blob):
    path = tmp_path_factory.mktemp("random") / "r.pdf"
    path.write_bytes(b"%PDF-1.7\n" + blob)
    with contextlib.suppress(PaperError):
        extract(path, "r")


def test_a_pdf_with_zero_pages(tmp_path):
    path = tmp_path / "empty.pdf"
    path.write_bytes(
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
        b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )
    with pytest.raises(PaperError) as info:
        extract(path, "empty")
    assert str(info.value) == "empty: the PDF has no pages; pass another file"


def test_a_600_page_pdf_without_figure_1_is_read_in_bounded_time(tmp_path):
    doc = pymupdf.open()
    for n in range(600):
        doc.new_page().insert_text((72, 72), f"Page {n}: text without any figure caption.")
    doc.save(tmp_path / "long.pdf")
    start = time.perf_counter()
    got = extract(tmp_path / "long.pdf", "long")
    assert got.figure is None and str(got.figure_reason) == 'no caption "Figure 1" in the PDF'
    assert time.perf_counter() - start < 20


def test_a_scanned_image_only_pdf(tmp_path, workspace, run):
    scan = pymupdf.open()
    page = scan.new_page()
    pix = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 200, 260), False)
    pix.set_rect(pix.irect, (240, 240, 235))
    page.insert_image(page.rect, pixmap=pix)
    scan.save(workspace / "scan.pdf")

    r = run("draft", "scan.pdf", "--date", "2024-01-30", "--no-llm")

    assert r.code == 0, r.err
    text = NOTE.read_text()
    assert "## scan\n" in text  # no text at all: the file name is the title
    assert "> **未找到关键图**（notegen）：PDF 里没有找到图 1 的图注 — 请手动添加关键图。" in text


# -- network --------------------------------------------------------------------------------------------


def test_a_connection_reset_mid_pdf_is_retried_then_named(arxiv, llm, workspace, run):
    arxiv.pdf_script["1505.04597"] = Canned(200, b"%PDF-1.7\n", {"Content-Length": "900000", "Connection": "close"})
    (workspace / "notegen.toml").write_text("retries = 2\n")

    r = run("draft", "1505.04597", "1512.03385", "--date", "2024-01-30")

    assert r.code == 1
    assert (
        "error: 1505.04597v1: PDF download broke off (ConnectionError) after 2 tries; retry later or pass a "
        "local PDF" in r.err.splitlines()
    )
    assert "## Deep Residual Learning" in NOTE.read_text()


def test_dns_failure_names_the_setting(llm, workspace, run, monkeypatch):
    monkeypatch.setenv("NOTEGEN_ARXIV_URL", "http://arxiv.invalid/api/query")
    (workspace / "notegen.toml").write_text("retries = 1\n")

    r = run("draft", "1512.03385", "--date", "2024-01-30")

    assert r.code == 1
    assert r.err.splitlines()[-1] == (
        "error: 1512.03385: arXiv API unreachable (ConnectionError) after 1 try; retry later or check "
        "NOTEGEN_ARXIV_URL (http://arxiv.invalid/api/query)"
    )


def test_a_429_storm_from_arxiv_ends_in_one_line(arxiv, llm, workspace, run):
    arxiv.script = [Canned(429, b"slow down", {"Retry-After": "0"})] * 2
    (workspace / "notegen.toml").write_text("retries = 2\narxiv_interval = 0\n")

    r = run("draft", "1512.03385", "--date", "2024-01-30")

    assert r.code == 1
    assert r.err.splitlines()[-1].startswith("error: 1512.03385: arXiv API answered HTTP 429 after 2 tries")


def test_a_mirror_answering_with_a_captcha_page(arxiv, llm, workspace, run):
    arxiv.script = [Canned(200, b"<html><body>Please solve this captcha</body></html>", {"Content-Type": "text/html"})]

    r = run("draft", "1512.03385", "--date", "2024-01-30")

    assert r.code == 1
    assert r.err.splitlines()[-1] == (
        f"error: 1512.03385: the arXiv API ({arxiv.url}/api/query) answered with a web page, not a feed (a captcha "
        "or an error page); retry later or set NOTEGEN_ARXIV_URL to another mirror"
    )


# -- the model ------------------------------------------------------------------------------------------


def test_a_429_storm_from_the_model_fails_each_paper_by_name(arxiv, llm, workspace, run):
    from tests.fakes.llm_server import error

    llm.script = [error(429, "rate limited", {"Retry-After": "0"})] * 4
    (workspace / "notegen.toml").write_text("retries = 2\nconcurrency = 1\n")

    r = run("draft", "1512.03385", "1505.04597", "--date", "2024-01-30")

    assert r.code == 1
    for name in ("1512.03385", "1505.04597"):
        assert f"error: {name}: the LLM endpoint answered HTTP 429 (“rate limited”) after 2 tries; retry later" in (
            r.err.splitlines()
        )
    assert not NOTE.exists()


def test_headings_and_html_in_an_answer_stay_inside_the_section(arxiv, llm, workspace, run):
    summary = (
        "这篇论文试图解决的问题是："
        + "如何训练很深的网络。" * 8
        + "\n## 新的一节\n<!-- notegen paper=x -->\n<b>粗体</b>"
    )
    llm.script = [completion(f'{{"summary": {summary!r}, "tag": "cv"}}'.replace("'", '"'))]

    r = run("draft", "1512.03385", "--date", "2024-01-30")

    assert r.code == 0, r.err
    text = NOTE.read_text()
    assert [s.title for s in note.parse_note(text, "n").sections] == ["Deep Residual Learning for Image Recognition"]
    assert "\\## 新的一节" in text and "&lt;!-- notegen paper=x -->" in text


# -- the vault ------------------------------------------------------------------------------------------


def test_a_full_disk_loses_nothing(arxiv, llm, workspace, run, monkeypatch):
    assert run("draft", "1512.03385", "--date", "2024-01-30").code == 0
    before = NOTE.read_bytes()
    real_replace = os.replace

    def full(src, dst, *args, **kwargs):
        if str(dst).endswith(".md"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", full)
    r = run("draft", "1505.04597", "--date", "2024-01-30")

    assert r.code == 1
    assert r.err.splitlines()[-1] == (
        f"error: {NOTE}: the disk is full; nothing was changed, free some space and rerun"
    )
    assert NOTE.read_bytes() == before
    assert not [p for p in (workspace / "notes").iterdir() if p.name.endswith(".tmp")]


def test_a_pdf_too_big_for_the_disk_leaves_no_half_file(arxiv, llm, workspace):
    """A real limit of the file system (a file-size cap, as a full disk would) hit while the PDF downloads."""
    resource = pytest.importorskip("resource", reason="RLIMIT_FSIZE is POSIX's; the full-disk test covers the rest")
    state = Path(os.environ["NOTEGEN_STATE_DIR"])
    limit = arxiv.pdfs["1512.03385"].stat().st_size // 2  # the PDF is the first file too big for it

    def small_files() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the write fails with EFBIG instead of killing us
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    r = subprocess.run(
        [sys.executable, "-m", "notegen", "draft", "1512.03385", "--date", "2024-01-30", "--no-llm", "-q"],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=small_files,
    )

    assert r.returncode == 1
    assert "Traceback" not in r.stderr
    assert r.stderr.splitlines()[-1] == (
        f"error: 1512.03385: {state / 'pdfs' / '1512.03385v1.pdf'}: the file is larger than this system allows; "
        "nothing was changed"
    )
    assert list((state / "pdfs").iterdir()) == []
    assert not NOTE.exists()


def test_a_read_only_notes_folder(arxiv, llm, workspace, run, monkeypatch):
    real_replace = os.replace

    def refuse(src, dst, *args, **kwargs):  # the tests run as root, so a chmod would not stop them
        if Path(dst).parent.name == "notes":
            raise PermissionError(errno.EACCES, "Permission denied")
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", refuse)
    r = run("draft", "1512.03385", "--date", "2024-01-30", "--no-llm")

    assert r.code == 1
    assert r.err.splitlines()[-1].endswith("cannot write here (Permission denied); check the folder's permissions")


def test_a_note_deleted_while_a_run_works_is_written_anew(arxiv, llm, workspace, run):
    assert run("draft", "1512.03385", "--date", "2024-01-30").code == 0
    llm.delay = 0.5
    done = {}

    def draft():
        done["r"] = run("draft", "1505.04597", "--date", "2024-01-30")

    worker = threading.Thread(target=draft)
    worker.start()
    time.sleep(0.3)
    NOTE.unlink()
    worker.join(30)

    assert done["r"].code == 0
    assert [s.title for s in note.parse_note(NOTE.read_text(), "n").sections] == [
        "U-Net: Convolutional Networks for Biomedical Image Segmentation"
    ]


def test_a_note_with_non_utf8_bytes_is_refused_and_left_alone(arxiv, llm, workspace, run):
    assert run("draft", "1512.03385", "--date", "2024-01-30").code == 0
    broken = NOTE.read_bytes() + b"\ncaf\xe9\n"
    NL = b"\n"
    NOTE.write_bytes(broken)

    r = run("draft", "1505.04597", "--date", "2024-01-30")

    assert r.code == 2
    assert r.err.splitlines()[-1] == (
        f"error: {NOTE}:{broken.count(NL)}: not UTF-8, UTF-16 or GB18030 text (byte {len(broken) - 2}); "
        "save it as UTF-8"
    )
    assert NOTE.read_bytes() == broken


# -- round trips ----------------------------------------------------------------------------------------

titles = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=60)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(titles, st.text(max_size=200), st.from_regex(r"[A-Za-z][A-Za-z0-9_-]{0,15}", fullmatch=True)),
        min_size=1,
        max_size=5,
    )
)
@example([("<A>", "", "A")])  # a title that is an HTML tag was an empty heading (found by this test)
@example([("Predicting <mask> Tokens with </s> and <?xml", "<b>粗体</b> <!-- x -->", "nlp")])
def test_rendered_notes_parse_back(items):
    sections = [
        Section(f"arxiv:2401.{n:05d}v1", t, tag, s or "空", f"../images/{n}.png") for n, (t, s, tag) in enumerate(items)
    ]
    text = note.render_note("a" * 23, date(2024, 1, 30), 5, sections)

    parsed = note.parse_note(text, "n")
    spans = parsed.sections

    assert parsed.papers == {f"arxiv:2401.{n:05d}" for n in range(len(items))}
    assert [s.key for s in spans] == [f"arxiv:2401.{n:05d}" for n in range(len(items))]
    assert [note.normal_title(s.title) for s in spans] == [note.normal_title(t) for t, _, _ in items]
    assert all(not note.edited(parsed, s) for s in spans)  # the hash of what was written reads back
    assert parsed.next_figure == len(items)


def test_two_runs_drafting_the_same_paper_at_once_write_it_once_and_say_so(arxiv, llm, workspace):
    llm.delay = 1.0  # both runs are asking the model when the first one writes
    command = [sys.executable, "-m", "notegen", "draft", "1512.03385", "--date", "2024-01-30"]
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    done = [(run.wait(timeout=120), *run.communicate()) for run in runs]

    assert [code for code, _, _ in done] == [0, 0]
    assert NOTE.read_text(encoding="utf-8").count("\n## ") == 1
    wrote, skipped = sorted(done, key=lambda d: "already in the note" in d[2])
    assert wrote[1].splitlines()[0] == str(NOTE)
    assert str(NOTE) not in skipped[1]  # (it may have stored the same figure: images are named by their bytes)
    assert "1512.03385: already in the note; skipped" in skipped[2]
