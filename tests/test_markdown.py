"""Notes as CommonMark reads them: properties over notes drawn from a Markdown grammar (tests/markdown_grammar.py).

The grammar knows which lines are real top-level `## ` headings; notegen must find exactly those as sections,
find every paper the note already has (so a rerun adds nothing), and change nothing outside its own text.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from notegen import note
from notegen.note import Section
from tests.markdown_grammar import Built, build

NOW = 1706700000000


@st.composite
def notes(draw: st.DrawFn) -> Built:
    return build(lambda options: draw(st.sampled_from(list(options))))


def markdown_it_h2_lines(text: str, parsed: note.Note) -> list[int]:
    """Top-level h2 headings by markdown-it's own tokens, with text_join and everything else at its default."""
    tokens = MarkdownIt("commonmark").parse(text[parsed.head.body :])
    return [
        t.map[0] + parsed.head.body_line for t in tokens if t.type == "heading_open" and t.tag == "h2" and t.level == 0
    ]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(notes())
def test_sections_are_exactly_the_real_top_level_headings(built):
    parsed = note.parse_note(built.text, "n")

    assert [s.line - 1 for s in parsed.sections] == [e.line for e in built.sections]
    assert [s.line - 1 for s in parsed.sections] == markdown_it_h2_lines(built.text, parsed)
    assert [s.key for s in parsed.sections] == [e.key for e in built.sections]
    assert [note.normal_title(s.title) for s in parsed.sections] == [
        note.normal_title(s.title) for s in parsed.sections
    ]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(notes())
def test_every_paper_in_the_note_is_found_so_a_rerun_adds_nothing(built):
    parsed = note.parse_note(built.text, "n")

    for expected, section in zip(built.sections, parsed.sections, strict=True):
        if expected.paper is None:
            continue
        found = parsed.find([f"arxiv:{expected.paper}"], expected.title)
        assert section in found, expected
        assert parsed.has([f"arxiv:{expected.paper}"], expected.title)
    assert not parsed.has(["arxiv:2499.99999"], "A Paper Nobody Wrote About")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    notes(), st.sampled_from(["这篇论文试图解决的问题是：新的一段。", "这篇论文试图解决的问题是```\n## 不是标题\u2028"])
)
def test_regen_changes_only_its_summary_its_marker_and_updated(built, summary):
    parsed = note.parse_note(built.text, "n")
    ours = [s for s in parsed.sections if s.key and not note.edited(parsed, s)]
    if not ours:
        return
    target = ours[-1]

    out = note.replace_section_parts(parsed, target, NOW, summary)

    after = note.parse_note(out, "n")
    assert parsed.head.updated is not None and target.marker is not None
    (a, b), (c, d) = parsed.head.updated, target.marker
    start = target.review[0] if target.review else target.summary[0]
    assert out[:a] == built.text[:a]
    assert out[a : a + len(str(NOW))] == str(NOW)
    shift = len(str(NOW)) - (b - a)
    assert out[b + shift : c + shift] == built.text[b:c]
    changed = next(s for s in after.sections if s.key == target.key)
    assert out[changed.marker[1] : changed.summary[0]] == built.text[d:start]  # tag, figure: untouched
    assert out[changed.summary[1] :] == built.text[target.summary[1] :]  # everything after it
    assert [(s.key, s.title) for s in after.sections] == [(s.key, s.title) for s in parsed.sections]
    assert not note.edited(after, changed)
    assert note.summary_text(after, changed).startswith("这篇论文试图解决的问题是")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(notes())
def test_append_keeps_every_byte_and_adds_one_section(built):
    parsed = note.parse_note(built.text, "n")
    new = Section("arxiv:2402.00001v1", "New Paper", "MLLM", "这篇论文试图解决的问题是新的```\n## x", "../images/n.png")

    out = note.append_sections(parsed, [new], NOW)

    assert parsed.head.updated is not None
    a, b = parsed.head.updated
    assert out.startswith(built.text[:a] + str(NOW) + built.text[b:])
    after = note.parse_note(out, "n")
    assert [s.line for s in after.sections[:-1]] == [s.line for s in parsed.sections]
    assert after.sections[-1].key == "arxiv:2402.00001" and after.sections[-1].title == "New Paper"
    assert after.has(["arxiv:2402.00001"])
    if built.newline == "\r\n":
        assert "\n" not in out.replace("\r\n", "")


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(notes())
def test_a_rerun_of_draft_over_any_such_note_adds_nothing(arxiv, workspace, run, built):
    """The whole command, as a person runs it: every paper the note has (by marker or by title) is skipped, so the
    note keeps every byte and nothing is fetched but the metadata that tells the titles."""
    papers = [e for e in built.sections if e.paper]
    if not papers:
        return
    for expected in papers:
        arxiv.add(expected.paper, expected.title, None)
    path = workspace / "notes" / "papers.20240130.md"
    path.write_bytes(built.text.encode("utf-8"))

    r = run("draft", *(e.paper for e in papers), "--date", "2024-01-30", "--no-llm")

    assert r.code == 0, r.err
    assert path.read_bytes() == built.text.encode("utf-8")
    assert not [q for q in arxiv.requests if q.path.startswith("/pdf/")]
