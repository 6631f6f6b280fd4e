"""One bad answer costs one paper: every wait has a bound that holds against dripping servers, Ctrl-C stops a run
at once, and the API key appears nowhere, in any form."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from notegen.storage import vault_lock
from tests.conftest import API_KEY
from tests.fakes.llm_server import completion
from tests.systems import ctrl_c, descendants, running, start_as_from_a_terminal

pytestmark = pytest.mark.e2e  # run again under the stand-ins for Windows and macOS (.ci/run)

NOTE = Path("notes/papers.20240130.md")
ROOT = Path(__file__).resolve().parents[1]


class Drip:
    """A loopback server that answers every request with a status line and headers at once, then the body one
    byte every `interval` seconds: no read ever times out, only a deadline on the whole answer ends it."""

    def __init__(self, content_type: str, interval: float = 0.5) -> None:
        self.content_type, self.interval = content_type, interval
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.stop = threading.Event()
        self.connections = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        self.sock.settimeout(0.2)
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            threading.Thread(target=self._drip, args=(conn,), daemon=True).start()

    def _drip(self, conn: socket.socket) -> None:
        head = f"HTTP/1.1 200 OK\r\nContent-Type: {self.content_type}\r\nContent-Length: 100000\r\n\r\n"
        with conn:
            try:
                conn.recv(65536)
                conn.sendall(head.encode())
                body = b"%PDF-1.7\n" if "pdf" in self.content_type else b'{"id": "x", "choices": ['
                for byte in body + b" " * 100000:
                    if self.stop.is_set():
                        return
                    conn.sendall(bytes([byte]))
                    time.sleep(self.interval)
            except OSError:
                pass

    def close(self) -> None:
        self.stop.set()
        self.sock.close()


@pytest.fixture
def drip():
    servers: list[Drip] = []

    def make(content_type: str, interval: float = 0.5) -> Drip:
        servers.append(Drip(content_type, interval))
        return servers[-1]

    yield make
    for server in servers:
        server.close()


def timed(run, *args: str) -> tuple[float, object]:
    start = time.monotonic()
    result = run(*args)
    return time.monotonic() - start, result


# -- each step's bound holds, every try included -------------------------------------------------------------


def test_an_arxiv_api_that_drips_is_given_up_at_http_timeout(llm, workspace, run, drip, monkeypatch):
    server = drip("application/atom+xml")
    monkeypatch.setenv("NOTEGEN_ARXIV_URL", f"{server.url}/api/query")
    (workspace / "notegen.toml").write_text("http_timeout = 1.5\nretries = 4\n")

    took, r = timed(run, "draft", "1512.03385", "--date", "2024-01-30")

    assert took < 3.5  # 1.5 s for the call, every try included (it was 4 tries of 4 x http_timeout)
    assert r.code == 1
    assert r.err.splitlines()[-1] == (
        "error: 1512.03385: the arXiv API gave no answer within http_timeout (1.5 s) after 1 try; retry later or "
        f"check NOTEGEN_ARXIV_URL ({server.url}/api/query)"
    )


def test_a_pdf_that_drips_is_given_up_at_http_timeout(arxiv, llm, workspace, run, drip, monkeypatch):
    server = drip("application/pdf")
    monkeypatch.setenv("NOTEGEN_PDF_URL", server.url)
    (workspace / "notegen.toml").write_text("http_timeout = 1.5\nretries = 4\narxiv_interval = 0\n")

    took, r = timed(run, "draft", "1512.03385", "1505.04597", "--date", "2024-01-30")

    assert took < 4.5  # both downloads (two connections at once) within their 1.5 s, not 42 s
    assert r.code == 1
    for name in ("1512.03385v1", "1505.04597v1"):
        assert (
            f"error: {name}: the PDF download did not end within http_timeout (1.5 s, every try included) after 1 "
            "try; retry later or pass a local PDF"
        ) in r.err.splitlines()
    assert not list(Path(os.environ["NOTEGEN_STATE_DIR"], "pdfs").glob("*.pdf"))


def test_a_model_that_drips_costs_each_paper_llm_timeout_at_most_in_parallel(arxiv, workspace, run, drip, monkeypatch):
    server = drip("application/json")
    monkeypatch.setenv("OPENAI_BASE_URL", f"{server.url}/v1")
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
    (workspace / "notegen.toml").write_text("llm_timeout = 2\nretries = 4\narxiv_interval = 0\n")

    took, r = timed(run, "draft", "1512.03385", "1505.04597", "--date", "2024-01-30")

    assert took < 6  # 2 s a paper, side by side: it was 66 s with llm_timeout = 3
    assert r.code == 1
    for name in ("1512.03385", "1505.04597"):
        assert (
            f"error: {name}: the LLM endpoint gave no answer within llm_timeout (2 s for the paper, every try "
            "included); retry later or raise llm_timeout"
        ) in r.err.splitlines()


def test_a_slow_paper_holds_no_other_back(arxiv, llm, workspace, run):
    llm.delay_for = {"Residual": 30.0}
    (workspace / "notegen.toml").write_text("llm_timeout = 3\narxiv_interval = 0\n")

    took, r = timed(run, "draft", "1512.03385", "1505.04597", "1612.03144", "--date", "2024-01-30")

    assert took < 7
    assert r.code == 1
    assert [line for line in r.err.splitlines() if line.startswith("error:")] == [
        "error: 1512.03385: the LLM endpoint gave no answer within llm_timeout (3 s for the paper, every try "
        "included); retry later or raise llm_timeout"
    ]
    text = NOTE.read_text()
    assert "## U-Net" in text and "## Feature Pyramid" in text and "## Deep Residual" not in text


def test_the_run_waits_lock_timeout_for_another_writer_then_says_so(arxiv, llm, workspace, run):
    (workspace / "notegen.toml").write_text("lock_timeout = 1\n")
    with vault_lock(Path(os.environ["NOTEGEN_STATE_DIR"])):
        took, r = timed(run, "draft", "1512.03385", "--date", "2024-01-30")

    assert 1 <= took < 4
    assert r.code == 1
    assert r.err.splitlines()[-1].endswith("did not finish within lock_timeout; wait for it to finish and rerun")


# -- Ctrl-C -----------------------------------------------------------------------------------------------------


def interrupt(command: list[str], after: float, env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess]:
    """Start notegen as from a terminal, press Ctrl-C after `after` seconds, time the exit."""
    process = start_as_from_a_terminal(command, env)
    time.sleep(after)
    start = time.monotonic()
    ctrl_c(process)
    out, err = process.communicate(timeout=30)
    took = time.monotonic() - start
    return took, subprocess.CompletedProcess(command, process.returncode, out, err)


def with_root_on_path() -> dict[str, str]:
    """The environment for a notegen process, this repository on its path after whatever is there (a stand-in
    for another system stays first)."""
    entries = [e for e in os.environ.get("PYTHONPATH", "").split(os.pathsep) if e]
    return {**os.environ, "PYTHONPATH": os.pathsep.join([*entries, str(ROOT)])}


@pytest.fixture(scope="module")
def slow_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A page of a million tiny filled squares: a second or so to read, as a figure-heavy scan can take."""
    import pymupdf

    path = tmp_path_factory.mktemp("slow") / "slow.pdf"
    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    page.insert_text((72, 720), "Figure 1: a million squares.", fontsize=10)
    squares = b"\n".join(b"%d %d 3 3 re f" % (72 + (i * 7) % 460, 100 + (i * 13) % 560) for i in range(1_000_000))
    xref = page.get_contents()[0]
    doc.update_stream(xref, doc.xref_stream(xref) + b"\nq 0 0 0 rg\n" + squares + b"\nQ", compress=True)
    doc.save(path, deflate=True)
    return path


def test_ctrl_c_while_pdfs_are_read_prints_one_line_and_leaves_no_worker(slow_pdf, tmp_path):
    command = [sys.executable, "-m", "notegen", "figure", *[str(slow_pdf)] * 4, "--json"]
    process = start_as_from_a_terminal(command, with_root_on_path())
    time.sleep(2.0)
    workers = descendants(process.pid)
    ctrl_c(process)
    out, err = process.communicate(timeout=30)

    assert workers, "a worker was reading a PDF"
    assert process.returncode == 130
    assert err == "interrupted: nothing was half-written; run the same command again to go on\n"
    assert all(json.loads(line)["page"] == 0 for line in out.splitlines())  # only what was done before
    deadline = time.monotonic() + 3
    while running(workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert running(workers) == []


def test_ctrl_c_pressed_twice_still_gives_one_line_and_130(slow_pdf):
    command = [sys.executable, "-m", "notegen", "figure", *[str(slow_pdf)] * 4]
    process = start_as_from_a_terminal(command, with_root_on_path())
    time.sleep(1.5)
    ctrl_c(process)
    time.sleep(0.002)
    ctrl_c(process)
    _, err = process.communicate(timeout=30)

    assert process.returncode == 130
    assert err == "interrupted: nothing was half-written; run the same command again to go on\n"


@pytest.mark.parametrize("verb", ["draft", "backfill"])
def test_ctrl_c_stops_at_once_with_one_line_and_a_rerun_goes_on(arxiv, llm, workspace, verb):
    llm.delay = 20.0  # a model request is in flight when the person presses Ctrl-C
    (workspace / "days.txt").write_text("2024-01-30 1512.03385 1505.04597\n")
    args = (
        ["backfill", "days.txt"]
        if verb == "backfill"
        else ["draft", "1512.03385", "1505.04597", "--date", "2024-01-30"]
    )
    env = with_root_on_path()

    took, done = interrupt([sys.executable, "-m", "notegen", *args], after=4.0, env=env)

    assert len(llm.chats) >= 1  # it was asking the model
    assert took < 1.5
    assert done.returncode == 130
    assert done.stderr.splitlines()[-1] == "interrupted: nothing was half-written; run the same command again to go on"
    assert "Traceback" not in done.stderr and "KeyboardInterrupt" not in done.stderr
    assert not NOTE.exists()
    llm.delay = 0.0
    again = subprocess.run([sys.executable, "-m", "notegen", *args], env=env, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert NOTE.read_text().count("\n## ") == 2


# -- the key, in no form, anywhere ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("sk-abc123\ndef456789", "OPENAI_API_KEY contains a line break (pasted with the end of a line?)"),
        ("sk-abc123\u200bdef456", "OPENAI_API_KEY contains U+200B (zero width space), which is not part of a key"),
        ("sk-abc123 def456789", "OPENAI_API_KEY contains a space"),
        ("sk-abc123é456789", "OPENAI_API_KEY contains U+00E9 (latin small letter e with acute)"),
    ],
)
def test_a_key_that_cannot_be_one_is_named_before_any_request(arxiv, llm, workspace, run, monkeypatch, key, message):
    monkeypatch.setenv("OPENAI_API_KEY", key)

    r = run("draft", "1512.03385", "--date", "2024-01-30", "--debug")

    assert r.code == 2
    assert r.err.splitlines()[-1].startswith(f"error: {message}")
    assert arxiv.requests == [] and llm.requests == []
    for secret in (key, json.dumps(key)[1:-1], repr(key)[1:-1]):
        assert secret not in r.err and secret not in r.out


def test_a_key_an_endpoint_echoes_is_in_no_file_and_no_output(arxiv, llm, workspace, run):
    llm.echo_key = True

    r = run("draft", "1512.03385", "--date", "2024-01-30", "--debug")

    assert r.code == 1  # the echoed answer is unusable; the section is marked for review
    forms = {API_KEY, f"Bearer {API_KEY}", json.dumps(API_KEY)[1:-1]}
    for form in forms:
        assert form not in r.err and form not in r.out
    files = [p for p in [*workspace.rglob("*"), *Path(os.environ["NOTEGEN_STATE_DIR"]).rglob("*")] if p.is_file()]
    assert NOTE in [p.relative_to(workspace) for p in files if p.is_relative_to(workspace)]
    for path in files:
        data = path.read_bytes()
        assert API_KEY.encode() not in data, path
    assert "***" in NOTE.read_text()  # the review line quotes the tag the endpoint sent, masked


# -- one bad answer costs one paper --------------------------------------------------------------------------


def long_tag_answer() -> object:
    summary = "这篇论文试图解决的问题是：" + "如何让很深的网络也能训练好，" * 6 + "作者提出了残差学习。"
    return completion(json.dumps({"summary": summary, "tag": "t" * 300}, ensure_ascii=False))


def test_a_300_character_tag_costs_its_paper_only_and_is_never_cached(arxiv, llm, workspace, run):
    llm.tag_for = {"Residual": "t" * 300}

    r = run("draft", "1512.03385", "1505.04597", "--date", "2024-01-30")

    assert r.code == 1
    assert "error: 1512.03385: summary needs review (the model's answer was unusable twice (the tag 'ttt" in r.err
    assert "at most 64 characters" in r.err
    text = NOTE.read_text()
    assert "## U-Net" in text and "> **待核对**" in text
    cache = Path(os.environ["NOTEGEN_STATE_DIR"]) / "llm"
    assert not [p for p in cache.glob("*.json") if "t" * 300 in p.read_text()]
    asked = len(llm.chats)
    llm.tag_for = {}
    assert run("regen", "1512.03385", "--force").code == 0
    assert len(llm.chats) == asked + 1  # asked again: the unusable answer was not kept


def test_a_tag_note_that_cannot_be_written_fails_its_paper_only(arxiv, llm, workspace, run, monkeypatch):
    from notegen import storage

    real = storage.write_atomic
    llm.tag_for = {"Residual": "unwritable"}

    def refuse(path, data, scratch=None):
        if Path(path).name == "tags.unwritable.md":
            raise storage.NotegenError(
                "cannot write here",
                subject=str(path),
                detail="Permission denied",
                hint="check the folder's permissions",
            )
        return real(path, data, scratch)

    monkeypatch.setattr("notegen.vault.write_atomic", refuse)
    r = run("draft", "1512.03385", "1505.04597", "--date", "2024-01-30")

    assert r.code == 1
    tag_note = Path("notes/tags.unwritable.md")
    assert f"error: 1512.03385: its tag note could not be written: {tag_note}: cannot write here" in r.err
    text = NOTE.read_text()
    assert "## U-Net" in text and "## Deep Residual" not in text
