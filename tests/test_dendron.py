"""Dendron's own parser and engine (npm @dendronhq/* 0.122.0, run by Node) read a vault notegen wrote."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

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
