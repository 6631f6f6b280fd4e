"""What differs between Windows, macOS and Linux, checked here on Linux: links made from Windows paths, file names
every system takes, tag notes on file systems that ignore case, a note another program holds open, a system
without fchmod, and consoles that cannot print every letter. (Whole commands under the stand-ins for Windows and
macOS: tests/test_systems.py.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path, PurePosixPath, PureWindowsPath

import pytest

from notegen import settings, storage, vault
from notegen.errors import NotegenError, UsageError
from notegen.storage import portable_name_problem, write_atomic
from tests.fakes.llm_server import completion
from tests.pdfs import paper

NOTE = Path("notes/papers.20240130.md")


# -- links are /-separated whatever the system's separator ------------------------------------------------------


@pytest.mark.parametrize(
    ("vault_dir", "images_dir", "link"),
    [
        (r"C:\Users\me\papers\notes", r"C:\Users\me\papers\images", "../images/ab12.png"),
        (r"C:\Users\me\papers\notes", r"C:\Users\me\papers\notes\assets\images", "assets/images/ab12.png"),
        (r"C:\Users\me\papers\notes", r"c:\users\ME\Papers\images", "../images/ab12.png"),  # case does not count
        (r"\\nas\home\papers\notes", r"\\nas\home\papers\images", "../images/ab12.png"),  # a network share
        (r"C:\papers\vaults\daily", r"C:\papers\images", "../../images/ab12.png"),
        ("/home/me/papers/notes", "/home/me/papers/images", "../images/ab12.png"),
        ("/home/me/papers/notes", "/home/me/papers/notes/assets/images", "assets/images/ab12.png"),
    ],
)
def test_an_image_link_is_slash_separated_from_any_systems_paths(vault_dir, images_dir, link):
    flavour = PureWindowsPath if "\\" in vault_dir else PurePosixPath
    assert vault.relative_link(flavour(images_dir) / "ab12.png", flavour(vault_dir)) == link


def test_images_on_another_windows_drive_are_refused_with_the_setting_to_change():
    with pytest.raises(UsageError) as info:
        vault.relative_link(PureWindowsPath(r"D:\figures\ab12.png"), PureWindowsPath(r"C:\papers\notes"))
    assert str(info.value) == (
        r"image_dir D:\figures is on another drive than the vault C:\papers\notes; a note can only link an image "
        "on its own drive, so set image_dir to a folder there"
    )


def test_the_link_a_note_gets_from_the_workspace_settings(workspace):
    assert vault.image_link(settings.load(Path(".")), "ab12") == "../images/ab12.png"
    (workspace / "notegen.toml").write_text('image_dir = "notes/assets/images"\n', encoding="utf-8")
    assert vault.image_link(settings.load(Path(".")), "ab12") == "assets/images/ab12.png"


# -- names every system takes -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("papers.20240130.md", None),
        ("tags.con.md", None),  # Windows looks at the part before the first dot only
        ("console.md", None),
        ("con.md", "the file name starts with 'con', a device name Windows keeps for itself"),
        ("NUL.20240130.md", "the file name starts with 'NUL', a device name Windows keeps for itself"),
        ("com1.md", "the file name starts with 'com1', a device name Windows keeps for itself"),
        ("lpt¹.md", "the file name starts with 'lpt¹', a device name Windows keeps for itself"),
        ("a:b.md", "the file name contains ':', which Windows does not allow"),
        ("what?.md", "the file name contains '?', which Windows does not allow"),
        ("note.md.", "the file name ends in a dot or a space, which Windows drops"),
        ("x" * 253 + ".md", "the file name is longer than 255 bytes"),
        ("论" * 84 + ".md", None),  # 252 + 3 bytes
        ("论" * 85 + ".md", "the file name is longer than 255 bytes"),
    ],
)
def test_file_names_every_system_takes(name, problem):
    assert portable_name_problem(name) == problem


def test_a_note_name_windows_keeps_for_a_device_is_refused_before_anything_runs(workspace, run):
    (workspace / "notegen.toml").write_text('note_name = "aux.{yyyy}{mm}{dd}"\n', encoding="utf-8")

    r = run("draft", "1512.03385", "--date", "2024-01-30", "--no-llm")

    assert r.code == 2
    assert r.err == (
        "error: note_name 'aux.{yyyy}{mm}{dd}': the file name starts with 'aux', a device name Windows keeps for "
        "itself; choose another start\n"
    )


def test_check_reports_names_another_system_cannot_hold(workspace, run):
    assert run("init").code == 0
    front = "---\nid: {id}\ntitle: x\ndesc: ''\nupdated: 1\ncreated: 1\n---\n"
    for name, note_id in (("nul.md", "a" * 23), ("what?.md", "b" * 23), ("papers.md", "c" * 23)):
        (workspace / "notes" / name).write_text(front.format(id=note_id), encoding="utf-8")

    r = run("check")

    assert r.code == 1
    assert r.out.splitlines() == [
        f"{Path('notes/nul.md')}:1: the file name starts with 'nul', a device name Windows keeps for itself",
        f"{Path('notes/what?.md')}:1: the file name contains '?', which Windows does not allow",
    ]


def test_a_long_file_name_gets_a_temp_file_every_system_takes(tmp_path):
    target = tmp_path / ("p" * 251 + ".md")  # a temp name of the whole name plus 22 characters would not fit

    write_atomic(target, b"text", scratch=tmp_path / "tmp")

    assert target.read_bytes() == b"text"
    assert os.listdir(tmp_path / "tmp") == []


def test_figure_out_gives_pdfs_whose_names_differ_only_in_case_their_own_pngs(tmp_path, run):
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir(), second.mkdir()
    paper(first / "Paper.pdf", label="encoder")
    paper(second / "paper.pdf", label="decoder")

    r = run("figure", str(first / "Paper.pdf"), str(second / "paper.pdf"), "--out", str(tmp_path / "figs"))

    assert r.code == 0, r.err
    assert sorted(p.name for p in (tmp_path / "figs").iterdir()) == ["Paper.fig1.png", "paper.fig1-2.png"]


# -- tag notes on file systems that ignore case ------------------------------------------------------------------


def test_tags_that_differ_only_in_case_share_one_tag_note(workspace):
    notes = workspace / "notes"
    (notes / "tags.mllm.md").write_text("---\nid: x\n---\nthe person's\n", encoding="utf-8")

    written = vault.ensure_tag_notes(settings.load(Path(".")), ["MLLM", "Diffusion", "diffusion", "DIFFUSION"], 1)

    assert [p.name for p in written] == ["tags.Diffusion.md"]
    assert (notes / "tags.mllm.md").read_text(encoding="utf-8").endswith("the person's\n")
    names = [p.name.lower() for p in notes.iterdir()]
    assert len(names) == len(set(names))  # Windows and macOS would keep one file of two such names
    assert vault.tag_note(notes, "DIFFUSION") == notes / "tags.Diffusion.md"


def test_papers_tagged_in_two_cases_get_one_tag_note_and_check_is_content(arxiv, llm, workspace, run):
    llm.tag_for = {"Residual": "Robotics", "U-Net": "robotics"}

    r = run("draft", "1512.03385", "1505.04597", "--date", "2024-01-30")

    assert r.code == 0, r.err
    assert sorted(p.name for p in (workspace / "notes").glob("tags.*.md")) == ["tags.Robotics.md"]
    assert "#Robotics" in NOTE.read_text(encoding="utf-8") and "#robotics" in NOTE.read_text(encoding="utf-8")
    assert run("check").out == ""


# -- a note another program holds open, a system without fchmod -------------------------------------------------


class HeldOpen(PermissionError):
    """What os.replace raises on Windows while another program has the target open without sharing it for
    deletion (an editor saving, a sync client, a virus scanner): ERROR_SHARING_VIOLATION."""

    winerror = 32


def test_a_file_another_program_holds_open_for_a_moment_is_replaced_when_it_lets_go(tmp_path, monkeypatch):
    target = tmp_path / "note.md"
    target.write_bytes(b"old")
    real_replace, refused = os.replace, []

    def held(src, dst):
        if len(refused) < 3:
            refused.append(dst)
            raise HeldOpen(13, "The process cannot access the file because it is being used by another process")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", held)
    write_atomic(target, b"new", scratch=tmp_path / "tmp")

    assert target.read_bytes() == b"new" and len(refused) == 3


def test_a_note_held_open_past_the_wait_is_named_and_left_as_it_was(arxiv, llm, workspace, run, monkeypatch):
    assert run("draft", "1512.03385", "--date", "2024-01-30").code == 0
    before = NOTE.read_bytes()
    real_replace = os.replace

    def held(src, dst):
        if str(dst).endswith(".md"):
            raise HeldOpen(13, "The process cannot access the file because it is being used by another process")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", held)
    monkeypatch.setattr(storage, "REPLACE_PATIENCE", 0.3)
    r = run("draft", "1505.04597", "--date", "2024-01-30")

    assert r.code == 1
    assert r.err.splitlines()[-1] == (
        f"error: {NOTE}: another program has the file open (an editor, a sync client or a virus "
        "scanner), or it is read-only; nothing was changed, close it or make it writable and rerun"
    )
    assert NOTE.read_bytes() == before
    assert list(Path(os.environ["NOTEGEN_STATE_DIR"], "tmp").iterdir()) == []


def test_a_refusal_that_is_not_another_program_is_not_waited_for(tmp_path, monkeypatch):
    calls = []

    def refuse(src, dst):
        calls.append(dst)
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(NotegenError, match="cannot write here"):
        write_atomic(tmp_path / "note.md", b"new")
    assert len(calls) == 1


def test_files_are_written_where_the_system_has_no_fchmod_or_fchown(tmp_path, monkeypatch):
    target = tmp_path / "note.md"
    target.write_bytes(b"old")
    monkeypatch.delattr(os, "fchmod")  # Windows before Python 3.13
    monkeypatch.delattr(os, "fchown")

    write_atomic(target, b"new")
    write_atomic(tmp_path / "new.md", b"fresh")

    assert target.read_bytes() == b"new" and (tmp_path / "new.md").read_bytes() == b"fresh"


# -- consoles that cannot print every letter ----------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["cp1252", "gbk"])  # (an ASCII console gets UTF-8 from click)
def test_a_console_that_cannot_print_every_letter_gets_escapes_not_a_crash(arxiv, llm, workspace, run, encoding):
    title = "Schrödinger 方程的神经网络解法"
    arxiv.add("2301.00002", title, pdf=arxiv.pdfs["1512.03385"])
    llm.script = [completion(json.dumps({"summary": "This paper is in English.", "tag": "physics"}))] * 2
    assert run("draft", "2301.00002", "--date", "2024-01-30").code == 1  # a review line waits
    env = {**os.environ, "PYTHONIOENCODING": encoding}

    plain = subprocess.run([sys.executable, "-m", "notegen", "review"], env=env, capture_output=True)
    as_json = subprocess.run([sys.executable, "-m", "notegen", "review", "--json"], env=env, capture_output=True)

    assert (plain.returncode, as_json.returncode) == (1, 1)
    assert b"Traceback" not in plain.stderr + as_json.stderr
    shown = plain.stdout.decode(encoding)
    assert shown.startswith(f"{NOTE}:") and ": review: Schr" in shown
    assert "\\u65b9\\u7a0b" in shown or "方程" in shown  # what the console cannot print comes out escaped
    items = [json.loads(line) for line in as_json.stdout.decode(encoding).splitlines()]
    assert [item["title"] for item in items if item["kind"] == "review"] == [title]


@pytest.mark.parametrize(
    "image_dir", ["notes/assets/my images", "notes/assets/图片 (Dropbox)", "notes/assets/a&amp;b 50%20 #1?", "n/a&b"]
)
def test_an_image_folder_with_a_space_gets_a_link_commonmark_reads(arxiv, llm, workspace, run, image_dir):
    from markdown_it import MarkdownIt

    (workspace / "notegen.toml").write_text(f'image_dir = "{image_dir}"\n', encoding="utf-8")
    assert run("draft", "1512.03385", "--date", "2024-01-30").code == 0
    text = NOTE.read_text(encoding="utf-8")
    assert "![图 0](" in text

    images = [t for t in MarkdownIt().parse(text) for t in (t.children or []) if t.type == "image"]
    assert len(images) == 1  # CommonMark reads it as the image (a bare link with a space is plain text)
    r = run("regen", "1512.03385")  # notegen finds its own figure line: the summary is not 'edited'
    assert r.code == 0, r.err
    assert run("check").out == ""  # and the image is found where the link points


def test_figure_out_ending_in_a_separator_is_a_folder_made_for_it(tmp_path, run):
    paper(tmp_path / "paper.pdf")
    out = str(tmp_path / "figs") + os.sep  # `--out figs/`, or `figs\` on Windows

    r = run("figure", str(tmp_path / "paper.pdf"), "--out", out)

    assert r.code == 0, r.err
    assert [p.name for p in (tmp_path / "figs").iterdir()] == ["paper.fig1.png"]


def test_a_notegen_toml_written_on_windows_names_the_same_folders_elsewhere(workspace):
    (workspace / "notegen.toml").write_text("image_dir = 'notes\\assets\\images'\n", encoding="utf-8")

    config = settings.load(Path("."))

    assert config.images_dir == Path("notes/assets/images")
    assert vault.image_link(config, "ab12") == "assets/images/ab12.png"


@pytest.mark.parametrize("name", ["notes #1", "papers: 2024", "论文 笔记", "2024", "yes", "1.5"])
def test_init_writes_a_vault_name_dendron_reads_back_as_it_is(tmp_path, run, monkeypatch, name):
    monkeypatch.setenv("NOTEGEN_VAULT", name)
    assert run("init", str(tmp_path / "ws")).code == 0
    monkeypatch.delenv("NOTEGEN_VAULT")

    config = settings.load(tmp_path / "ws")

    assert config.vault_dir == tmp_path / "ws" / name and config.vault_dir.is_dir()
    folders = json.loads((tmp_path / "ws" / "dendron.code-workspace").read_text(encoding="utf-8"))["folders"]
    assert folders == [{"path": name}]


def test_a_days_note_named_in_another_case_is_that_days_note(arxiv, llm, workspace, run):
    """Dendron, Windows and macOS take `Papers.20240130.md` for the day's note; on Linux a second file beside it
    would duplicate the person's papers and clash as soon as the vault is cloned on another system."""
    theirs = workspace / "notes" / "Papers.20240130.md"
    theirs.write_text(
        "---\nid: abcdefghijklmnopqrstuvw\ntitle: '20240130'\ndesc: ''\nupdated: 1\ncreated: 1\n---\n\n"
        "## Deep Residual Learning for Image Recognition\n\n#cv\n\n我自己写的。\n",
        encoding="utf-8",
    )

    r = run("draft", "1512.03385", "1505.04597", "--date", "2024-01-30", "--no-llm")

    assert r.code == 0, r.err
    assert "1512.03385: already in the note; skipped" in r.err
    assert sorted(p.name for p in (workspace / "notes").glob("*.20240130.md")) == ["Papers.20240130.md"]
    assert theirs.read_text(encoding="utf-8").count("\n## ") == 2
