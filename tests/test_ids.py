import re
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from notegen.errors import UsageError
from notegen.ids import ArxivId, LocalPdf, parse_arxiv_id, parse_ref, parse_refs, why_impossible


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2401.16420", ArxivId("2401.16420")),
        ("2401.16420v2", ArxivId("2401.16420", 2)),
        ("arXiv:2401.16420", ArxivId("2401.16420")),
        ("ARXIV:2401.16420v1", ArxivId("2401.16420", 1)),
        ("  2401.16420 ", ArxivId("2401.16420")),
        ("https://arxiv.org/abs/2401.16420", ArxivId("2401.16420")),
        ("http://arxiv.org/abs/2401.16420v3", ArxivId("2401.16420", 3)),
        ("https://arxiv.org/pdf/2401.16420v1", ArxivId("2401.16420", 1)),
        ("https://arxiv.org/pdf/2401.16420v1.pdf", ArxivId("2401.16420", 1)),
        ("arxiv.org/abs/2401.16420", ArxivId("2401.16420")),
        ("https://export.arxiv.org/abs/2401.16420?context=cs", ArxivId("2401.16420")),
        ("0704.0001", ArxivId("0704.0001")),
        ("hep-th/9901001", ArxivId("hep-th/9901001")),
        ("hep-th/9901001v2", ArxivId("hep-th/9901001", 2)),
        ("math.GT/0309136", ArxivId("math.GT/0309136")),
        ("arXiv:quant-ph/0201082v1", ArxivId("quant-ph/0201082", 1)),
        ("https://arxiv.org/abs/astro-ph/0601001", ArxivId("astro-ph/0601001")),
    ],
)
def test_every_form_people_paste(text, expected):
    assert parse_arxiv_id(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "abc",
        "2401.1",
        "2401.164201",
        "2401-16420",
        "2401.16420v0",
        "hep-th/990100",
        "../2401.16420",
        "2401.16420/../x",
        "https://example.org/abs/2401.16420",
        "",
        "arXiv:",
        "2401.16420v2v3",
    ],
)
def test_malformed(text):
    assert parse_arxiv_id(text) is None


def test_versioned_str_and_slug():
    assert str(ArxivId("hep-th/9901001", 2)) == "hep-th/9901001v2"
    assert ArxivId("hep-th/9901001", 2).slug == "hep-th_9901001v2"
    assert ArxivId("2401.16420", 1).key == ArxivId("2401.16420").key == "arxiv:2401.16420"


def test_local_pdf_and_errors(tmp_path):
    pdf = tmp_path / "paper.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    assert parse_ref(str(pdf)) == LocalPdf(pdf)
    with pytest.raises(UsageError, match="no such file"):
        parse_ref(str(tmp_path / "missing.pdf"))
    with pytest.raises(UsageError, match="is a directory"):
        parse_ref(str(tmp_path))


def test_all_problems_reported_at_once():
    with pytest.raises(UsageError) as info:
        parse_refs(["2401.16420", "bad1", "bad2"])
    assert [line.split(" is not")[0] for line in str(info.value).splitlines()] == ["'bad1'", "'bad2'"]


def test_ten_thousand_bad_arguments_are_summarised():
    with pytest.raises(UsageError) as info:
        parse_refs([f"x{i}" for i in range(10_000)])
    lines = str(info.value).splitlines()
    assert len(lines) == 11 and lines[-1] == "... and 9990 more arguments like these"


new_ids = st.builds(
    lambda yy, mm, n, v: ArxivId(f"{yy:02d}{mm:02d}." + (f"{n:05d}" if yy >= 15 else f"{n % 10000:04d}"), v),
    st.integers(8, 25),
    st.integers(1, 12),
    st.integers(0, 99999),
    st.one_of(st.none(), st.integers(1, 99)),
)


@given(new_ids, st.sampled_from(["{}", "arXiv:{}", "https://arxiv.org/abs/{}", "https://arxiv.org/pdf/{}.pdf"]))
def test_round_trip(arxiv_id, form):
    assert parse_arxiv_id(form.format(arxiv_id)) == arxiv_id


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("2401.1642", "since January 2015 the number after the dot has 5 digits"),
        ("1412.12345", "before 2015 the number after the dot has 4 digits"),
        ("2413.12345", "13 is not a month"),
        ("0703.1234", "arXiv gave such IDs from 04/2007 to"),
        ("hep-th/0801001", "arXiv gave such IDs from 08/1991 to 03/2007, not 01/2008"),
        ("hep-th/9001001", "arXiv gave such IDs from 08/1991 to 03/2007, not 01/1990"),
    ],
)
def test_impossible_ids_say_why(text, why):
    assert parse_arxiv_id(text) is None
    with pytest.raises(UsageError, match=re.escape(why)):
        parse_ref(text)


def test_an_id_from_a_month_to_come_is_impossible():
    assert why_impossible(ArxivId("2612.00001"), today=date(2026, 11, 30)) is not None
    assert why_impossible(ArxivId("2611.00001"), today=date(2026, 11, 30)) is None


@given(st.text(max_size=40))
def test_parse_never_crashes(text):
    result = parse_arxiv_id(text)
    assert result is None or ("/" not in result.base.replace("/", "", 1) and ".." not in result.base)
