"""notegen doctor: every check a newcomer needs, against loopback servers that behave as real ones do."""

from __future__ import annotations

import json

import pytest

from tests.conftest import CLOSED

pytestmark = pytest.mark.e2e  # run again under the stand-ins for Windows and macOS (.ci/run)


@pytest.fixture
def ready(arxiv, llm, tmp_path, monkeypatch, run):
    """A workspace notegen init made, as the current directory."""
    ws = tmp_path / "ready"
    assert run("init", str(ws)).code == 0
    monkeypatch.chdir(ws)
    return ws


def lines(out: str) -> dict[str, str]:
    """Check name -> its line (and the fix line under it)."""
    found: dict[str, str] = {}
    name = ""
    for line in out.splitlines():
        if line.startswith(("✔", "✘", "·")):
            name = line[2:].split("  ")[0].strip()
            found[name] = line
        elif name:
            found[name] += "\n" + line
    return found


def test_all_well(ready, llm, run):
    r = run("doctor")

    assert r.code == 0, r.out + r.err
    checks = lines(r.out)
    assert list(checks) == ["workspace", "prompts", "API key", "endpoint", "model", "answers", "context", "arXiv"]
    assert all(line.startswith("✔") for line in checks.values()), r.out
    assert "takes json_schema, json_object+schema, json_object, text" in checks["answers"]
    assert "loopback-model is served" in checks["model"]
    assert "sk-test" not in r.out + r.err


def test_a_reasoning_model_is_found_out_and_remembered(ready, llm, arxiv, run):
    llm.behaviours = ["openai-reasoning"]

    r = run("doctor")

    assert r.code == 0, r.out
    answers = lines(r.out)["answers"]
    assert "no temperature (the model takes only its default)" in answers
    assert "max_completion_tokens instead of max_tokens" in answers
    assert "reasons (1500 tokens for this one)" in answers
    asked = len(llm.chats)
    assert run("draft", "1512.03385", "--date", "2024-01-30").code == 0
    assert len(llm.chats) == asked + 1  # the draft asked the right way at once


def test_lm_studio_takes_json_schema_or_text(ready, llm, run):
    llm.behaviours = ["lm-studio"]

    r = run("doctor")

    assert r.code == 0
    assert "json_schema answers in" in r.out and "takes json_schema, text" in r.out


@pytest.mark.parametrize("behaviour", ["deepseek-balance", "error-in-200", "kimi-quota"])
def test_a_spent_balance_is_a_cross_in_the_providers_words(behaviour, ready, llm, run):
    llm.behaviours = [behaviour]

    r = run("doctor")

    assert r.code == 1
    assert lines(r.out)["answers"].startswith("✘")
    assert "balance" in lines(r.out)["answers"].lower()


def test_no_key(ready, llm, monkeypatch, run):
    monkeypatch.delenv("OPENAI_API_KEY")

    r = run("doctor")

    assert r.code == 1
    checks = lines(r.out)
    assert checks["API key"].startswith("✘ API key")
    assert "export OPENAI_API_KEY=<your key>" in checks["API key"]
    assert checks["endpoint"].startswith("✔")  # a local server is checked all the same
    assert checks["answers"] == "· answers     not run: needs the checks above"
    assert r.err.splitlines()[-1] == "1 of 8 checks failed, 2 not run"
    assert not llm.chats


def test_a_model_the_endpoint_does_not_serve(ready, llm, monkeypatch, run):
    monkeypatch.setenv("NOTEGEN_MODEL", "loopback-modle")
    llm.models = ["loopback-model", "other"]

    r = run("doctor")

    assert r.code == 1
    assert "loopback-modle is not among the 2 models served" in r.out
    assert list(lines(r.out)) == ["workspace", "prompts", "API key", "endpoint", "model", "answers", "context", "arXiv"]
    assert "one of: loopback-model" in r.out
    assert not llm.chats


def test_a_context_too_small_for_a_paper(ready, llm, run):
    llm.context = 2048  # Ollama's default, which cuts long prompts without a word

    r = run("doctor")

    assert r.code == 1
    assert "✘ context" in r.out and "2048 tokens: a paper's prompt and answer take about" in r.out
    assert "OLLAMA_CONTEXT_LENGTH" in r.out


def test_nothing_reachable(ready, monkeypatch, run):
    monkeypatch.setenv("OPENAI_BASE_URL", f"{CLOSED}/v1")
    monkeypatch.setenv("NOTEGEN_ARXIV_URL", f"{CLOSED}/api/query")

    r = run("doctor")

    assert r.code == 1
    checks = lines(r.out)
    assert checks["endpoint"].startswith("✘") and "unreachable" in checks["endpoint"]
    assert checks["arXiv"].startswith("✘")


def test_not_a_workspace(arxiv, llm, tmp_path, monkeypatch, run):
    monkeypatch.chdir(tmp_path)

    r = run("doctor")

    assert r.code == 1
    assert lines(r.out)["workspace"].startswith(f"✘ workspace   {tmp_path} has no vault folder notes")
    assert "fix: cd to your workspace (or pass it: notegen doctor DIRECTORY), or make one" in r.out
    assert not (tmp_path / ".notegen").exists()


def test_a_folder_that_does_not_exist(arxiv, llm, tmp_path, monkeypatch, run):
    monkeypatch.chdir(tmp_path)

    r = run("doctor", "papres")

    assert r.code == 1
    assert lines(r.out)["workspace"].startswith(f"✘ workspace   {tmp_path / 'papres'} does not exist")
    assert "fix: notegen init papres makes one" in r.out
    assert r.err.splitlines()[-1] == "1 of 8 checks failed, 7 not run"
    assert not (tmp_path / "papres").exists()


def test_a_console_that_cannot_print_the_marks(ready, run, monkeypatch):
    import io
    import sys

    out = io.TextIOWrapper(io.BytesIO(), encoding="cp1252")
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.delenv("OPENAI_API_KEY")

    r = run("doctor")

    assert r.code == 1
    out.flush()
    shown = out.buffer.getvalue().decode("cp1252")  # type: ignore[attr-defined]
    assert "ok workspace" in shown and "XX API key" in shown and "-- answers" in shown


def test_json_output(ready, run):
    r = run("doctor", "--json")

    assert r.code == 0
    records = [json.loads(line) for line in r.out.splitlines()]
    assert {rec["check"] for rec in records} >= {"workspace", "answers", "arXiv"}
    assert all(rec["ok"] for rec in records)
