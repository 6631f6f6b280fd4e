"""`notegen draft` end to end: the real arxiv and openai clients over HTTP to loopback servers."""

from __future__ import annotations

import hashlib
import re
import time
from pathlib import Path

import frontmatter
import pymupdf
import pytest

from notegen.fetch import Arxiv
from notegen.ids import ArxivId
from tests.conftest import API_KEY
from tests.fakes.http import Canned
from tests.fakes.llm_server import completion, error

pytestmark = pytest.mark.e2e  # run again under the stand-ins for Windows and macOS (.ci/run)

FIVE = ["1512.03385", "1505.04597", "1612.03144", "1810.04805", "2010.14731"]
NOTE = Path("notes/papers.20240130.md")
SECTION = re.compile(
    r"## (?P<title>[^\n]+)\n"
    r"<!-- notegen paper=(?P<paper>\S+) summary=[0-9a-f]{12} -->\n"
    r"\n"
    r"#(?P<tag>[A-Za-z][A-Za-z0-9_-]*)\n"
    r"\n\n"
    r"!\[图 (?P<n>\d+)\]\(\.\./images/(?P<hash>[0-9a-f]{64})\.png\)  \n"
    r"\n"
    r"(?P<summary>[^\n]+)\n"
)


def sections(text: str) -> list[re.Match[str]]:
    body = text.split("---\n", 2)[2]
    assert body.startswith("\n\n## ")
    found = list(SECTION.finditer(body))
    assert "\n\n\n".join(m.group(0).rstrip("\n") for m in found) + "\n" == body[2:]
    return found


def test_five_papers_make_one_note_in_the_seed_format(arxiv, llm, workspace, run):
    r = run("draft", *FIVE, "--date", "2024-01-30")

    assert r.code == 0, r.err
    assert r.out.splitlines()[0] == str(NOTE)
    text = NOTE.read_text(encoding="utf-8")
    post = frontmatter.loads(text)
    assert list(post.metadata) == ["id", "title", "desc", "updated", "created"]
    assert re.fullmatch(r"[0-9a-z]{23}", post["id"])
    assert text.splitlines()[2] == "title: '20240130'"
    assert text.splitlines()[3] == "desc: ''"
    assert isinstance(post["updated"], int) and post["updated"] == post["created"]
    assert abs(post["created"] - time.time() * 1000) < 60_000
    found = sections(text)
    assert [m.group("paper") for m in found] == [f"arxiv:{i}v1" for i in FIVE]
    assert [int(m.group("n")) for m in found] == [0, 1, 2, 3, 4]
    assert found[0].group("title") == "Deep Residual Learning for Image Recognition"
    for m in found:
        assert m.group("summary").startswith("这篇论文试图解决的问题是")
        png = Path("images") / f"{m.group('hash')}.png"
        assert hashlib.sha256(png.read_bytes()).hexdigest() == m.group("hash")
        pix = pymupdf.Pixmap(str(png))
        assert pix.width > 200 and pix.height > 100
        assert str(png) in r.out.splitlines()


def test_the_same_command_again_changes_no_byte_and_asks_nobody(arxiv, llm, workspace, run):
    assert run("draft", *FIVE[:2], "--date", "2024-01-30").code == 0
    before = {p: p.read_bytes() for p in workspace.rglob("*") if p.is_file()}
    arxiv.requests.clear()
    llm.requests.clear()

    again = run("draft", *FIVE[:2], "--date", "2024-01-30")

    assert again.code == 0
    assert again.out == ""
    assert "already in the note" in again.err
    assert {p: p.read_bytes() for p in workspace.rglob("*") if p.is_file()} == before
    assert arxiv.requests == [] and llm.requests == []


def test_a_new_paper_for_the_day_is_appended_as_the_next_figure(arxiv, llm, workspace, run):
    assert run("draft", *FIVE[:2], "--date", "2024-01-30").code == 0
    first = NOTE.read_bytes()

    r = run("draft", FIVE[0], FIVE[2], "--date", "2024-01-30")

    assert r.code == 0, r.err
    text = NOTE.read_bytes()
    head_end = first.index(b"updated: ")
    assert text[:head_end] == first[:head_end]
    assert text[text.index(b"created: ") : len(first) + 0].startswith(b"created: ")
    assert [int(m.group("n")) for m in sections(text.decode())] == [0, 1, 2]
    assert text.endswith(sections(text.decode())[2].group(0).encode())


def test_malformed_id_exits_2_before_any_request(arxiv, llm, workspace, run):
    r = run("draft", "1512.03385", "2401.1", "../../etc/passwd", "--date", "2024-01-30")

    assert r.code == 2
    assert r.out == ""
    assert r.err.splitlines() == [
        "error: '2401.1' is not an arXiv ID or a PDF path; use a form like 2401.16420, 2401.16420v2, "
        "arXiv:2401.16420, hep-th/9901001 or an arxiv.org link",
        "error: '../../etc/passwd' is not an arXiv ID or a PDF path; use a form like 2401.16420, "
        "2401.16420v2, arXiv:2401.16420, hep-th/9901001 or an arxiv.org link",
    ]
    assert arxiv.requests == [] and llm.requests == []
    assert not NOTE.exists()


def test_unknown_id_is_named_and_the_others_are_written(arxiv, llm, workspace, run):
    r = run("draft", "2401.99999", "1512.03385", "--date", "2024-01-30")

    assert r.code == 1
    assert "error: 2401.99999: arXiv has no paper with this ID; check it for typos" in r.err.splitlines()
    assert [m.group("paper") for m in sections(NOTE.read_text())] == ["arxiv:1512.03385v1"]
    assert len(arxiv.api_calls) == 1  # one batched call for both IDs


def test_an_impossible_id_is_refused_before_any_request(arxiv, llm, workspace, run):
    r = run("draft", "0808.05394", "2401.1642", "1512.03385", "--date", "2024-01-30")

    assert (r.code, r.out) == (2, "")
    assert r.err.splitlines() == [
        "error: '0808.05394' cannot be an arXiv ID: before 2015 the number after the dot has 4 digits; check it "
        "for a lost or extra digit",
        "error: '2401.1642' cannot be an arXiv ID: since January 2015 the number after the dot has 5 digits; check "
        "it for a lost or extra digit",
    ]
    assert arxiv.requests == [] and llm.requests == []


def test_recorded_batch_with_a_missing_id(arxiv):
    """The real recorded answer for 0808.05394,1707.08567: arXiv silently drops the ID it does not know. (notegen
    refuses 0808.05394 before asking, as no 2008 ID has five digits; the adapter still copes with the answer.)"""
    client = Arxiv(f"{arxiv.url}/api/query", arxiv.url, interval=0)
    try:
        found = client.lookup([ArxivId("0808.05394"), ArxivId("1707.08567")])
    finally:
        client.close()

    assert "id_list=0808.05394%2C1707.08567" in arxiv.api_calls[0].path
    assert found.missing == [ArxivId("0808.05394")]
    assert found.found["arxiv:1707.08567"].title == (
        "Proceedings of Workshop AEW10: Concepts in Information Theory and Communications"
    )


@pytest.mark.shared
def test_old_style_and_url_forms(arxiv, llm, workspace, run):
    r = run(
        "draft",
        "https://arxiv.org/abs/quant-ph/0201082v1",
        "arXiv:astro-ph/0601001",
        "http://arxiv.org/pdf/2104.12255v1.pdf",
        "--date",
        "2024-01-30",
        "--no-llm",
    )

    assert r.code == 0, r.err
    papers = re.findall(r"paper=(\S+)", NOTE.read_text())
    assert papers == ["arxiv:quant-ph/0201082v1", "arxiv:astro-ph/0601001v1", "arxiv:2104.12255v1"]
    assert "## 0\n" in NOTE.read_text()  # the paper literally titled "0"


def test_401_is_one_line_about_the_key(arxiv, llm, workspace, run):
    llm.script = [error(401, f"Incorrect API key provided: {API_KEY}")] * 3

    r = run("draft", "1512.03385", "1505.04597", "--date", "2024-01-30")

    assert r.code == 1
    assert r.err.splitlines()[-1] == (
        f"error: {llm.url}/v1 rejected the API key (HTTP 401: “Incorrect API key provided: ***”); set "
        "OPENAI_API_KEY to a valid key for it"
    )
    assert "Traceback" not in r.err and API_KEY not in r.err
    assert not NOTE.exists()


def test_429_then_200_succeeds_after_retry_after(arxiv, llm, workspace, run):
    llm.script = [error(429, "slow down", {"Retry-After": "1"})]

    start = time.monotonic()
    r = run("draft", "1512.03385", "--date", "2024-01-30")

    assert r.code == 0, r.err
    assert time.monotonic() - start >= 1.0
    assert len(llm.chats) == 2
    assert sections(NOTE.read_text())[0].group("summary").startswith("这篇论文试图解决的问题是")


def test_arxiv_503_is_retried_honouring_retry_after(arxiv, llm, workspace, run):
    arxiv.script = [Canned(503, b"busy", {"Retry-After": "1"})]

    r = run("draft", "1512.03385", "--date", "2024-01-30", "--no-llm")

    assert r.code == 0, r.err
    calls = arxiv.api_calls
    assert len(calls) == 2 and calls[1].at - calls[0].at >= 1.0


def test_missing_key_is_one_line_before_anything_happens(arxiv, llm, workspace, run, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY")

    r = run("draft", "1512.03385", "--date", "2024-01-30")

    assert r.code == 2
    assert r.err == (
        "error: OPENAI_API_KEY is not set; export OPENAI_API_KEY=<your key> (and OPENAI_BASE_URL for a "
        "non-OpenAI endpoint), or pass --no-llm\n"
    )
    assert arxiv.requests == [] and llm.requests == []


def test_no_llm_needs_no_key_and_leaves_a_visible_placeholder(arxiv, workspace, run):
    r = run("draft", "1512.03385", "--date", "2024-01-30", "--no-llm")

    assert r.code == 0, r.err
    text = NOTE.read_text()
    assert "#untagged\n" in text
    assert "\n**待填写**（notegen）：这篇论文试图解决的问题是……\n" in text


def test_html_page_instead_of_pdf_is_an_error_and_never_cached(arxiv, llm, workspace, run, tmp_path):
    arxiv.pdf_script["1505.04597"] = Canned(
        200, b"<!DOCTYPE html><html><body>captcha</body></html>", {"Content-Type": "application/pdf"}
    )

    r = run("draft", "1505.04597", "1512.03385", "--date", "2024-01-30")

    assert r.code == 1
    assert (
        "error: 1505.04597v1: the PDF link returned an HTML page, not a PDF "
        f"({arxiv.url}/pdf/1505.04597v1); retry later or pass a local PDF"
    ) in r.err.splitlines()
    assert [m.group("paper") for m in sections(NOTE.read_text())] == ["arxiv:1512.03385v1"]
    import os

    cached = sorted(p.name for p in (Path(os.environ["NOTEGEN_STATE_DIR"]) / "pdfs").iterdir())
    assert cached == ["1512.03385v1.pdf"]


def test_withdrawn_paper_without_pdf_is_named(arxiv, llm, workspace, run):
    arxiv.add("2301.00001", "A Withdrawn Paper", pdf=None)

    r = run("draft", "2301.00001", "1512.03385", "--date", "2024-01-30")

    assert r.code == 1
    assert (
        "error: 2301.00001v1: arXiv lists no PDF for this paper (withdrawn?); pass a local PDF instead"
        in r.err.splitlines()
    )
    assert len(sections(NOTE.read_text())) == 1


@pytest.mark.shared
def test_local_pdf_takes_its_title_from_the_pdf(llm, workspace, run):
    pdf = Path(__file__).resolve().parents[2] / "shared/corpus/pdfs/1505.04597.pdf"

    r = run("draft", str(pdf), "--date", "2024-01-30")

    assert r.code == 0, r.err
    (m,) = sections(NOTE.read_text())
    assert m.group("title") == "U-Net: Convolutional Networks for Biomedical Image Segmentation"
    assert m.group("paper") == "arxiv:1505.04597v1"  # the stamp in its margin says which paper it is
    user = llm.chats[0]["messages"][1]["content"]
    assert "Fig. 1. U-net architecture" in user
    assert "In the last two years, deep convolutional networks have outperformed" in user


def test_duplicates_are_drafted_once(arxiv, llm, workspace, run):
    r = run("draft", "1512.03385", "arXiv:1512.03385", "--date", "2024-01-30")

    assert r.code == 0
    assert "warning: arXiv:1512.03385: given twice (as 1512.03385); drafting it once" in r.err
    assert len(sections(NOTE.read_text())) == 1


def test_answers_are_cached(arxiv, llm, workspace, run):
    assert run("draft", "1512.03385", "--date", "2024-01-30").code == 0
    NOTE.unlink()

    r = run("draft", "1512.03385", "--date", "2024-01-30")

    assert r.code == 0
    assert len(llm.chats) == 1
    assert "(0 calls, 1 from cache)" in r.err


def test_english_answer_is_reasked_once_then_marked_for_review(arxiv, llm, workspace, run):
    english = '{"summary": "This paper addresses the problem of training very deep networks.", "tag": "cv"}'
    llm.script = [completion(english), completion(english)]

    r = run("draft", "1512.03385", "--date", "2024-01-30")

    assert r.code == 1
    assert "1512.03385: summary needs review" in r.err
    assert "这个回答不能用：the summary must be written in Chinese" in llm.chats[1]["messages"][-1]["content"]
    text = NOTE.read_text()
    assert "> **待核对**（notegen）：" in text
    assert "This paper addresses" not in text


def test_the_key_appears_in_no_file_and_no_output(arxiv, llm, workspace, run):
    import os

    llm.script = [error(429, "slow", {"Retry-After": "0"})]
    outputs = [run("draft", *FIVE[:2], "--date", "2024-01-30")]
    llm.script = [error(401, f"bad key {API_KEY}")]
    outputs.append(run("draft", FIVE[2], "--date", "2024-01-31", "--debug"))
    outputs.append(run("draft", FIVE[3], "--date", "2024-02-01", "--debug"))
    assert outputs[-1].code == 0 and "openai" in outputs[-1].err  # debug logging really ran

    for r in outputs:
        assert API_KEY not in r.out + r.err
    roots = [workspace, Path(os.environ["NOTEGEN_STATE_DIR"])]
    files = [p for root in roots for p in root.rglob("*") if p.is_file()]
    assert any(p.suffix == ".json" for p in files)  # the answer cache was written and is scanned
    for path in files:
        assert API_KEY.encode() not in path.read_bytes(), path


def test_broken_note_is_refused_and_left_alone(arxiv, llm, workspace, run):
    NOTE.write_text("---\nid: abc\ntitle: '20240130\ncreated: 1\n---\n\nmine\n")
    before = NOTE.read_bytes()

    r = run("draft", "1512.03385", "--date", "2024-01-30")

    assert r.code == 2
    assert r.err == (
        "error: notes/papers.20240130.md:3: broken YAML in the frontmatter (found unexpected end of stream); "
        "fix it by hand\n"
    )
    assert NOTE.read_bytes() == before
    assert arxiv.requests == []


@pytest.mark.parametrize(
    ("day", "why"),
    [
        ("2024-13-01", "is not a day of the calendar; check the month and the day"),
        ("2024-02-30", "is not a day of the calendar; check the month and the day"),
        ("0999-01-30", "is before arXiv began (August 1991); check the year"),
        ("yesterday", "is not a date; write it as YYYY-MM-DD, e.g. 2024-01-30"),
        ("30.01.2024", "is not a date; write it as YYYY-MM-DD, e.g. 2024-01-30"),
    ],
)
def test_bad_date_exits_2(workspace, run, day, why):
    r = run("draft", "1512.03385", "--date", day, "--no-llm")

    assert (r.code, r.err) == (2, f"error: --date {day!r} {why}\n")
    assert list((workspace / "notes").iterdir()) == []


def test_a_missing_vault_root_is_created_once(arxiv, llm, workspace, run):
    r = run("draft", "1512.03385", "--date", "2024-01-30", "--no-llm")

    assert str(Path("notes/root.md")) in r.out.splitlines()
    root = (workspace / "notes" / "root.md").read_text()
    assert root.startswith("---\nid: ") and "\ntitle: 'root'\n" in root
    r = run("draft", "1505.04597", "--date", "2024-01-31", "--no-llm")
    assert str(Path("notes/root.md")) not in r.out


@pytest.mark.shared
def test_arxiv_down_still_drafts_the_local_pdfs(llm, workspace, run):
    pdf = Path(__file__).resolve().parents[2] / "shared/corpus/pdfs/1505.04597.pdf"
    (workspace / "notegen.toml").write_text("retries = 2\n")

    r = run("draft", "1512.03385", str(pdf), "--date", "2024-01-30")

    assert r.code == 1
    assert r.err.splitlines()[-1] == (
        "error: 1512.03385: arXiv API unreachable (ConnectionError) after 2 tries; retry later or check "
        "NOTEGEN_ARXIV_URL (http://127.0.0.1:9/api/query)"
    )
    assert [m.group("paper") for m in sections(NOTE.read_text())] == ["arxiv:1505.04597v1"]  # its stamp


def test_each_pdf_is_read_under_a_time_limit(arxiv, llm, workspace, run):
    (workspace / "notegen.toml").write_text("extract_timeout = 0.001\n")

    r = run("draft", "1512.03385", "--date", "2024-01-30")

    assert r.code == 1
    assert (
        "error: 1512.03385: reading the PDF took longer than 0.001 s and was stopped; the file may be broken"
        in r.err.splitlines()
    )
