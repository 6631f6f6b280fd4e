"""Dendron's own parser and engine (npm @dendronhq/* 0.122.0, run by Node) read a vault notegen wrote."""

from __future__ import annotations

import json
import random
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from notegen import note
from tests.markdown_grammar import build

pytestmark = pytest.mark.e2e  # run again under the stand-ins for Windows and macOS (.ci/run)

DENDRON = Path(__file__).parent / "dendron"


def dendron_report(workspace: Path, out: Path) -> dict:
    if not (DENDRON / "node_modules" / "@dendronhq" / "engine-server").is_dir():
        pytest.fail("Dendron's packages are missing: run `npm ci --prefix tests/dendron` as .ci/run does")
    node = shutil.which("node")
    assert node, "Node.js is needed for the Dendron check"
    done = subprocess.run(
        [node, str(DENDRON / "check.js"), str(workspace), str(out)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return json.loads(out.read_text())


def raw_frontmatter(path: Path) -> dict[str, object]:
    """The values as notegen wrote them, read from the bytes, not through any YAML library."""
    head = path.read_text(encoding="utf-8").split("---\n")[1]
    values: dict[str, object] = {}
    for line in head.splitlines():
        key, _, value = line.partition(": ")
        value = value.strip()
        values[key] = int(value) if re.fullmatch(r"\d+", value) else value.strip("'")
    return values


@pytest.fixture
def drafted(arxiv, llm, run, tmp_path, monkeypatch) -> Path:
    """`notegen init`, then three days drafted with several tags, one paper without a figure, one --no-llm."""
    ws = tmp_path / "ws"
    assert run("init", str(ws)).code == 0
    monkeypatch.chdir(ws)
    llm.tag_for = {"Residual": "image_classification", "U-Net": "segmentation", "Pyramid": "object_detection"}
    assert run("draft", "1512.03385", "1505.04597", "--date", "2024-01-30").code == 0
    assert run("draft", "1612.03144", "2603.12231", "--date", "2024-01-31").code == 0
    assert run("draft", "1810.04805", "--no-llm", "--date", "2024-02-01").code == 0
    assert run("draft", "2010.14731", "--date", "2024-01-30").code == 0  # appended to an existing day
    return ws


def test_dendron_reads_every_note_exactly_as_notegen_wrote_it(drafted, tmp_path):
    report = dendron_report(drafted, tmp_path / "report.json")

    assert report["engine_errors"] == []
    files = {entry["file"]: entry for entry in report["files"]}
    written = sorted(str(p.relative_to(drafted)) for p in (drafted / "notes").glob("*.md"))
    assert sorted(files) == written
    assert {"notes/tags.image_classification.md", "notes/tags.segmentation.md", "notes/tags.untagged.md"} <= set(files)
    for name, entry in files.items():
        assert entry["error"] is None, name
        raw = raw_frontmatter(drafted / name)
        assert list(raw) == ["id", "title", "desc", "updated", "created"], name
        for key in ("id", "title", "desc", "created", "updated"):
            assert entry[key] == raw[key], (name, key)  # nothing invented, nothing misread


def test_the_engine_indexes_every_note_and_resolves_tags_and_images(drafted, tmp_path):
    report = dendron_report(drafted, tmp_path / "report.json")

    notes = [n for n in report["indexed"] if not n["stub"]]
    ids = [n["id"] for n in notes]
    assert len(ids) == len(set(ids))  # no duplicate ids
    assert sorted(ids) == sorted(entry["id"] for entry in report["files"])  # every note indexed
    fnames = {n["fname"].lower() for n in notes}
    hashtags = [tag for entry in report["files"] for tag in entry["hashtags"]]
    assert len(hashtags) == 6 and all(tag.lower() in fnames for tag in hashtags)
    images = [image for entry in report["files"] for image in entry["images"]]
    assert len(images) == 5 and all(image["exists"] for image in images)


def test_notegen_check_agrees(drafted, run):
    r = run("check")
    assert (r.code, r.out) == (0, "")
    assert r.err == "8 notes checked, 0 problems\n"


# -- workspaces Dendron made -----------------------------------------------------------------------------


def dendron_workspace(kind: str, where: Path) -> Path:
    """A workspace made by Dendron's own WorkspaceService (tests/dendron/mkws.js), as its editor makes one."""
    node = shutil.which("node")
    assert node, "Node.js is needed for the Dendron check"
    done = subprocess.run(
        [node, str(DENDRON / "mkws.js"), str(where), kind], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return where


@pytest.mark.parametrize(
    ("kind", "chosen", "vault", "notes", "image"),
    [
        ("standard", None, "vault", "vault", "../images/"),
        ("self-contained", None, "papers", "notes", "assets/images/"),
        ("two-vaults", "work", "work", "work", "../images/"),
    ],
)
def test_a_draft_lands_in_the_vault_of_a_workspace_dendron_made(
    kind, chosen, vault, notes, image, arxiv, llm, run, tmp_path, monkeypatch
):
    ws = dendron_workspace(kind, tmp_path / "ws")
    before = {p.relative_to(ws) for p in ws.rglob("*")}
    monkeypatch.chdir(ws)
    if chosen:
        monkeypatch.setenv("NOTEGEN_VAULT", chosen)

    r = run("draft", "1512.03385", "--date", "2024-01-30")

    assert r.code == 0, r.err
    assert r.out.splitlines()[0] == f"{notes}/papers.20240130.md"
    new_folders = {p.parts[0] for p in {p.relative_to(ws) for p in ws.rglob("*")} - before}
    assert new_folders <= {notes, "images"}  # no notes/ folder beside the vault that Dendron would never show
    report = dendron_report(ws, tmp_path / "report.json")
    assert report["engine_errors"] == []
    indexed = {(n["vault"], n["fname"]) for n in report["indexed"] if not n["stub"]}
    assert {(vault, "papers.20240130"), (vault, "tags.deep_learning")} <= indexed  # in the person's vault, tag note too
    (drafted,) = [f for f in report["files"] if f["file"] == f"{notes}/papers.20240130.md"]
    assert [(i["url"].startswith(image), i["exists"]) for i in drafted["images"]] == [(True, True)]


def test_a_workspace_with_two_vaults_asks_which_one(arxiv, llm, run, tmp_path, monkeypatch):
    ws = dendron_workspace("two-vaults", tmp_path / "ws")
    monkeypatch.chdir(ws)
    before = sorted(ws.rglob("*"))

    r = run("draft", "1512.03385", "--date", "2024-01-30")

    assert (r.code, r.out) == (2, "")
    assert r.err == (
        "error: dendron.yml lists several vaults: work (work), vault (vault); "
        'choose one with vault = "<name>" in notegen.toml or NOTEGEN_VAULT\n'
    )
    assert sorted(ws.rglob("*")) == before and arxiv.requests == []
    assert run("draft", "1512.03385", "--date", "2024-01-30", "--no-llm").code == 2
    monkeypatch.setenv("NOTEGEN_VAULT", "nowhere")
    assert run("check").err.startswith("error: vault 'nowhere' is not a vault of dendron.yml: work (work), vault")


# -- Dendron's parser and notegen's agree on hand-written notes -------------------------------------------


def test_dendron_reads_hand_written_notes_as_notegen_does(tmp_path):
    """Notes drawn from the Markdown grammar (fences, code, HTML, quotes, tables, separators, CRLF, BOM, hostile
    model text): Dendron's own parser finds the same top-level ## headings and the same hashtags as notegen."""
    ws = tmp_path / "ws"
    (ws / "notes").mkdir(parents=True)
    (ws / "dendron.yml").write_text("version: 5\nworkspace:\n  vaults:\n    - fsPath: notes\n      name: notes\n")
    (ws / "notes" / "root.md").write_text("---\nid: root\ntitle: root\ndesc: ''\nupdated: 1\ncreated: 1\n---\n")
    (ws / "notes" / "root.schema.yml").write_text("version: 1\nschemas:\n  - id: root\n    parent: root\n")
    rng = random.Random(20240130)
    built = {}
    for n in range(80):
        one = build(rng.choice)
        text = one.text.replace("mi98ob89obmd0e8wpfu7tal", f"g{n:022d}")
        (ws / "notes" / f"grammar.{n:03d}.md").write_bytes(text.encode("utf-8"))
        built[f"notes/grammar.{n:03d}.md"] = (text, one)

    report = dendron_report(ws, tmp_path / "report.json")

    assert report["engine_errors"] == []
    compared = 0
    for entry in report["files"]:
        if entry["file"] not in built:
            continue
        text, one = built[entry["file"]]
        parsed = note.parse_note(text, entry["file"])
        dendron = [h["line"] + parsed.head.body_line - 1 for h in entry["headings"] if h["depth"] == 2]
        assert dendron == [e.line for e in one.sections if not e.commonmark_only], entry["file"]
        assert sorted(entry["hashtags"]) == sorted(f"tags.{t}" for _, t in note.inline_facts(parsed)[0])
        compared += 1
    assert compared == 80
