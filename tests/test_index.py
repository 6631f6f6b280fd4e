"""The vault's index is a cache: every answer a command takes from it is the one a cold read of the notes gives,
after edits of every kind an editor, git or a sync tool makes, a deleted or corrupt database, a run killed while
writing it, two runs at once, and a database notegen cannot write. And it is worth keeping: a run reads only the
notes that changed."""

from __future__ import annotations

import json
import os
import random
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path

import pytest

from notegen import index, note, review, settings, vault
from notegen.check import check_vault
from notegen.step import Voice

DAY = date(2024, 1, 30)
HOUR_NS = 3600 * 10**9

PARAGRAPHS = [
    "这篇论文试图解决的问题是多模态大模型在长视频理解中的时间定位不准确问题，现有方法难以在数千帧中找到与问题相关的片段。",
    "具体来说，作者关注检索增强生成中的证据冗余和上下文长度限制，这些问题使得模型在复杂推理任务上表现下降。",
    "这篇论文试图解决的问题是文本到图像生成中多个对象的属性绑定错误，模型常把颜色和形状分配给错误的对象。",
    "此外，论文还讨论了训练数据的噪声对对齐效果的影响，并提出了一种基于偏好的数据筛选方法来缓解这一问题。",
]
TAGS = ["MLLM", "diffusion", "RAG", "robotics", "video_generation", "LLM"]


def hand_section(rng: random.Random, n: int, title: str) -> str:
    tag = rng.choice(TAGS)
    body = "\n\n".join(rng.sample(PARAGRAPHS, rng.randint(1, 3)))
    return f"\n## {title}\n#{tag}\n\n![图 {n}](../images/{n:064x}.png)\n\n{body}\n"


def notegen_section(paper: str, title: str, n: int, review_line: bool, missing: bool) -> str:
    section = note.Section(
        paper=f"arxiv:{paper}",
        title=title,
        tag="brand_new_tag" if review_line else "MLLM",
        summary=PARAGRAPHS[0] if not review_line else note.PLACEHOLDER,
        image=None if missing else f"../images/{n:064x}.png",
        missing_figure="没有找到图 1" if missing else None,
        review="模型的回答无法使用（notegen）：请重新生成。" if review_line else None,
    )
    return "\n" + note.render_section(section, n) + "\n"


def frontmatter(nid: str, day: str) -> str:
    return f"---\nid: {nid}\ntitle: '{day}'\ndesc: ''\nupdated: 1706600000000\ncreated: 1706600000000\n---\n"


def make_vault(ws: Path, notes: int, seed: int = 1) -> None:
    """A vault of `notes` daily notes, mostly hand-written, some with notegen's sections, review lines and a
    missing figure, with root, tag notes and the images the notes link (one left missing)."""
    rng = random.Random(seed)
    vault_dir = ws / "notes"
    (ws / "images").mkdir(parents=True, exist_ok=True)
    vault_dir.mkdir(parents=True, exist_ok=True)
    (ws / "dendron.yml").write_text("version: 5\nworkspace:\n  vaults:\n    - fsPath: notes\n")
    (vault_dir / "root.md").write_text(frontmatter("root0000000000000000000", "root"))
    n = 0
    for k in range(notes):
        day = f"2023{1 + k // 28:02d}{1 + k % 28:02d}"
        parts = [frontmatter(f"n{k:022d}", day)]
        for s in range(rng.randint(1, 4)):
            if (s == 0 and k % 5 == 0) or (s > 0 and rng.random() < 0.2):
                parts.append(notegen_section(f"2401.{k:03d}{s:02d}", f"Paper {k}-{s}", s, rng.random() < 0.3, s == 2))
            else:
                parts.append(hand_section(rng, s, f"A Study of Things {k}-{s}"))
            if n != 3:
                (ws / "images" / f"{s:064x}.png").write_bytes(b"png")
            n += 1
        (vault_dir / f"papers.{day}.md").write_text("".join(parts), encoding="utf-8")
    for tag in [*TAGS, "brand_new_tag"]:
        (vault_dir / f"tags.{tag}.md").write_text(frontmatter(f"tag{tag:0>20}"[:23], tag))


def answers(config: settings.Settings) -> dict[str, object]:
    """What every command takes from the notes, in plain values."""
    problems, count = check_vault(config)
    places = {}
    with index.opened(config) as found:
        for key, title in [("arxiv:2401.00500", None), ("x", "A Study of Things 7-0"), ("x", "Paper 10-0")]:
            places[key, title] = [p.name for p in found.with_paper([key], title)]
        unreadable = found.unreadable()
    return {
        "review": [(i.path.name, i.line, i.kind, i.title, i.paper, i.reason, i.tag) for i in review.pending(config)],
        "check": ([(p.path.name, p.line, p.message) for p in problems], count),
        "voice": Voice.of(config),
        "ids": {k: sorted(p.name for p in v) for k, v in vault.note_ids(config).items()},
        "places": places,
        "unreadable": [(p.name, line, reason) for p, line, reason in unreadable],
    }


def cold(config: settings.Settings, tmp_path: Path) -> dict[str, object]:
    """The answers from a database made for this call alone: every note read."""
    state = tmp_path / f"cold-{time.monotonic_ns()}"
    return answers(settings.load(config.workspace, {}, {"NOTEGEN_STATE_DIR": str(state)}))


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    make_vault(ws, 40)
    return ws


def load(ws: Path, tmp_path: Path) -> settings.Settings:
    return settings.load(ws, {}, {"NOTEGEN_STATE_DIR": str(tmp_path / "state")})


def replace_atomically(path: Path, text: str) -> None:
    temp = path.with_name(path.name + ".tmp")
    temp.write_text(text, encoding="utf-8")
    os.replace(temp, path)


def append(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8") as file:
        file.write(text)


def same_size_edit(path: Path) -> None:
    """One Chinese character changed for another, the file's times put back: size and mtime as they were."""
    before = path.stat()
    text = path.read_text(encoding="utf-8")
    at = text.index("问题")
    path.write_text(text[:at] + "难题" + text[at + 2 :], encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


EDITS = {
    "a section added": lambda v: append(
        v / "papers.20230102.md", f"\n## Added By Hand\n#NewHandTag\n\n{PARAGRAPHS[1]}\n"
    ),
    "same size, times put back": lambda v: same_size_edit(v / "papers.20230103.md"),
    "a note deleted": lambda v: (v / "papers.20230104.md").unlink(),
    "a note renamed": lambda v: (v / "papers.20230105.md").rename(v / "papers.20230228.md"),
    "a note copied (two ids)": lambda v: (v / "papers.20230227.md").write_bytes(
        (v / "papers.20230106.md").read_bytes()
    ),
    "frontmatter broken": lambda v: replace_atomically(
        v / "papers.20230107.md", (v / "papers.20230107.md").read_text(encoding="utf-8").replace("id:", "id: [", 1)
    ),
    "saved as GB18030": lambda v: (v / "papers.20230108.md").write_bytes(
        (v / "papers.20230108.md").read_text(encoding="utf-8").encode("gb18030")
    ),
    "saved as UTF-16": lambda v: (v / "papers.20230109.md").write_bytes(
        (v / "papers.20230109.md").read_text(encoding="utf-8").encode("utf-16")
    ),
    "not text": lambda v: (v / "papers.20230110.md").write_bytes(b"---\nid: x\n\xff\xfe\xfa\n"),
    "touched": lambda v: os.utime(v / "papers.20230111.md"),
    "review line deleted": lambda v: [
        p.write_text(
            "\n".join(line for line in p.read_text(encoding="utf-8").split("\n") if not line.startswith("> **待核对")),
            encoding="utf-8",
        )
        for p in sorted(v.glob("papers.*.md"))
        if "待核对".encode() in p.read_bytes()
    ][:1],
    "tag note deleted": lambda v: (v / "tags.diffusion.md").unlink(),
    "new tag's note written to": lambda v: append(v / "tags.brand_new_tag.md", "\nMy own words.\n"),
    "a folder named like a note": lambda v: (v / "papers.20230226.md").mkdir(),
    "an image deleted": lambda v: (v.parent / "images" / f"{1:064x}.png").unlink(),
    "times moved back an hour": lambda v: [
        os.utime(p, ns=(0, p.stat().st_mtime_ns - HOUR_NS)) for p in v.glob("*.md") if p.is_file()
    ],
}


def test_after_every_kind_of_edit_the_index_answers_as_a_cold_read(ws: Path, tmp_path: Path) -> None:
    config = load(ws, tmp_path)
    assert answers(config) == cold(config, tmp_path)
    for what, edit in EDITS.items():
        edit(ws / "notes")
        warm = answers(config)
        assert warm == cold(config, tmp_path), what
    voice = warm["voice"]
    assert isinstance(voice, Voice) and len(voice.vocabulary) > 5 and voice.examples  # read, mostly
    assert len(warm["unreadable"]) == 2  # type: ignore[arg-type]  # broken frontmatter, not text
    assert warm["check"][0] and warm["review"] and all(warm["places"].values())  # type: ignore[union-attr]


def test_a_second_run_reads_no_note_and_an_edit_reads_one(ws: Path, tmp_path: Path, monkeypatch) -> None:
    for path in (ws / "notes").glob("*.md"):  # written an hour ago: times tell edits apart
        os.utime(path, ns=(0, time.time_ns() - HOUR_NS))
    config = load(ws, tmp_path)
    read: list[str] = []
    real = index.facts_of
    monkeypatch.setattr(index, "facts_of", lambda name, *rest: read.append(name) or real(name, *rest))
    first = answers(config)
    assert len(read) == len(list((ws / "notes").glob("*.md")))
    read.clear()
    assert answers(config) == first and read == []
    append(ws / "notes" / "papers.20230112.md", "\n" + PARAGRAPHS[2] + "\n")
    answers(config)
    assert read == ["papers.20230112.md"]


def test_an_edit_the_file_times_cannot_show_is_found_by_content(ws: Path, tmp_path: Path, monkeypatch) -> None:
    """A file system whose clock ticks slower than the edits (FAT keeps 2 s; Windows gives no file id here): a note
    read within the tick of its last change is checked by its content on the next run."""
    config = load(ws, tmp_path)
    path = ws / "notes" / "papers.20230113.md"
    listing = index._listing  # the identity the file system gives
    before = {item.name: item for item in listing(config.vault_dir)[0]}
    assert path.name not in [name for name, _, _ in answers(config)["unreadable"]]  # type: ignore[union-attr]
    path.write_text(path.read_text(encoding="utf-8").replace("id:", "id: [", 1), encoding="utf-8")

    def unchanged_identity(vault_dir: Path) -> tuple[list[index.Listed], dict[str, str]]:
        found, failed = listing(vault_dir)
        return [before[item.name] if item.name == path.name else item for item in found], failed

    monkeypatch.setattr(index, "_listing", unchanged_identity)
    warm = answers(config)
    assert path.name in [name for name, _, _ in warm["unreadable"]]  # type: ignore[union-attr]
    assert warm == cold(config, tmp_path)


def test_a_deleted_corrupt_or_foreign_database_changes_no_answer(ws: Path, tmp_path: Path) -> None:
    config = load(ws, tmp_path)
    expected = answers(config)
    db = index.database(config)
    db.unlink()
    assert answers(config) == expected
    db.write_bytes(b"this is not a database, it was a sync conflict " * 100)
    assert answers(config) == expected
    with sqlite3.connect(db) as conn:  # made afresh: a real database again
        assert conn.execute("SELECT COUNT(*) FROM notes").fetchone()[0] > 40
        conn.execute("UPDATE meta SET value = 'other' WHERE key = 'format'")
        conn.execute("UPDATE notes SET note_id = 'made-up'")  # facts another version wrote, wrong for this one
    conn.close()
    assert answers(config) == expected


KILL = """
import os, sys
from pathlib import Path
from notegen import index, review, settings
config = settings.load(Path(sys.argv[1]), {{}}, {{"NOTEGEN_STATE_DIR": sys.argv[2]}})
index.BATCH = 7
real, seen = index._drop, []
def drop(db, name):
    seen.append(name)
    if len(seen) == {after}:
        os._exit(9)  # killed while a transaction is open
    real(db, name)
index._drop = drop
review.pending(config)
"""


@pytest.mark.parametrize("after", [1, 10, 33])
def test_a_run_killed_while_writing_the_index_changes_no_answer(ws: Path, tmp_path: Path, after: int) -> None:
    config = load(ws, tmp_path)
    expected = cold(config, tmp_path)
    done = subprocess.run(
        [sys.executable, "-c", KILL.format(after=after), str(ws), str(tmp_path / "state")], capture_output=True
    )
    assert done.returncode == 9, done.stderr
    assert answers(config) == expected


def test_two_runs_at_once_both_answer_as_a_cold_read(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    make_vault(ws, 300)
    (ws / "notes" / "papers.20230101.md").write_bytes(b"---\nid: [\n---\n")  # something for check to find
    config = load(ws, tmp_path)
    expected = cold(config, tmp_path)
    env = {**os.environ, "NOTEGEN_STATE_DIR": str(tmp_path / "state")}
    commands = [["review", "--json"], ["check"], ["review", "--json"], ["check"]]
    runs = [
        subprocess.Popen([sys.executable, "-m", "notegen", *args], cwd=ws, env=env, stdout=subprocess.PIPE, text=True)
        for args in commands
    ]
    outs = [run.communicate(timeout=600)[0] for run in runs]
    listed = [(name, line, kind) for name, line, kind, *_ in expected["review"]]  # type: ignore[attr-defined]
    problems = [(name, line) for name, line, _ in expected["check"][0]]  # type: ignore[index]
    for args, out, run in zip(commands, outs, runs, strict=True):
        assert run.returncode == 1  # each found something
        if args[0] == "review":
            items = [json.loads(line) for line in out.splitlines()]
            assert [(Path(i["file"]).name, i["line"], i["kind"]) for i in items] == listed
        else:
            assert [(Path(f).name, int(n)) for f, n, _ in (line.split(":", 2) for line in out.splitlines())] == problems
    assert answers(config) == expected


def test_a_database_another_run_holds_or_one_that_cannot_be_written_changes_no_answer(
    ws: Path, tmp_path: Path, monkeypatch
) -> None:
    config = load(ws, tmp_path)
    answers(config)
    append(ws / "notes" / "papers.20230114.md", "\n## Later\n#LLM\n")
    expected = cold(config, tmp_path)
    monkeypatch.setattr(index, "LOCK_WAIT", 0.2)
    holder = sqlite3.connect(index.database(config), isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        assert answers(config) == expected  # kept in memory this time
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    unwritable = tmp_path / "a-file"
    unwritable.write_text("")
    config_elsewhere = settings.load(ws, {}, {"NOTEGEN_STATE_DIR": str(unwritable / "state")})
    assert answers(config_elsewhere) == expected


def test_a_note_changed_while_the_index_is_read_is_seen_by_the_next_run(ws: Path, tmp_path: Path) -> None:
    config = load(ws, tmp_path)
    path = ws / "notes" / "papers.20230115.md"
    stop = threading.Event()

    def editor() -> None:
        k = 0
        while not stop.is_set():
            k += 1
            path.write_text(
                path.read_text(encoding="utf-8").rstrip("\n") + f"\n\n## Edit {k}\n#LLM\n", encoding="utf-8"
            )

    thread = threading.Thread(target=editor)
    thread.start()
    try:
        for _ in range(5):
            answers(config)
    finally:
        stop.set()
        thread.join()
    assert answers(config) == cold(config, tmp_path)


def test_notes_read_in_several_processes_give_the_facts_read_in_one(ws: Path, tmp_path: Path, monkeypatch) -> None:
    """A first run over a vault of years reads every note, in as many processes as the computer has cores."""
    config = load(ws, tmp_path)
    monkeypatch.setattr(index, "PARALLEL_FROM", 8)
    monkeypatch.setattr(index, "CHUNK", 4)
    here: list[str] = []
    real = index.facts_of
    monkeypatch.setattr(index, "facts_of", lambda name, *rest: here.append(name) or real(name, *rest))
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    warm = answers(config)
    assert here == []  # every note was read by the workers
    monkeypatch.setattr(index, "PARALLEL_FROM", 10**9)
    assert warm == cold(config, tmp_path)
    assert len(here) > 40


def test_links_an_emptied_note_and_a_macos_name_answer_as_a_cold_read(ws: Path, tmp_path: Path) -> None:
    """Edits a sync tool or another system makes: a note emptied, a note linked under another name (and its
    target edited through the index's back), a link to nothing, a name in the decomposed form macOS writes."""
    import unicodedata

    config = load(ws, tmp_path)
    answers(config)
    v = ws / "notes"
    (v / "papers.20230116.md").write_bytes(b"")
    os.symlink(v / "papers.20230117.md", v / "papers.20230225.md")
    assert answers(config) == cold(config, tmp_path)
    append(v / "papers.20230117.md", "\n## Via Link\n#LLM\n")
    os.symlink(v / "nothing.md", v / "papers.20230224.md")
    (v / "papers.20230119.md").rename(v / unicodedata.normalize("NFD", "papers.é20230119.md"))
    warm = answers(config)
    assert warm == cold(config, tmp_path)
    problems = warm["check"][0]  # type: ignore[index]
    assert (
        "papers.20230224.md",
        1,
        "a link to a file that is not there; remove the link or restore the file",
    ) in problems
