"""The installed entry points, run as a person runs them."""

import multiprocessing
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from notegen import __version__

pytestmark = pytest.mark.e2e  # run again under the stand-ins for Windows and macOS (.ci/run)


def notegen(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    script = shutil.which("notegen", path=str(Path(sys.executable).parent))  # notegen.exe on Windows
    assert script is not None, "notegen is not installed beside this Python"
    return subprocess.run([script, *args], capture_output=True, text=True, cwd=cwd, timeout=60)


def test_version_and_help():
    assert notegen("--version").stdout == f"notegen, version {__version__}\n"
    help_text = notegen("--help").stdout
    assert help_text.rstrip().endswith("notegen draft 2401.16420 2401.15977 --date 2024-01-30")


def test_python_dash_m():
    out = subprocess.run([sys.executable, "-m", "notegen", "draft", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "--no-llm" in out.stdout


def test_bad_input_exits_2_with_one_line_and_no_traceback(tmp_path):
    out = notegen("draft", "not-an-id", "--no-llm", cwd=tmp_path)
    assert out.returncode == 2
    assert out.stdout == ""
    assert out.stderr.count("\n") == 1 and "Traceback" not in out.stderr


@pytest.mark.shared
def test_a_local_pdf_drafts_offline_without_a_key(tmp_path):
    pdf = Path(__file__).resolve().parents[2] / "shared/corpus/pdfs/1512.03385.pdf"
    (tmp_path / "notes").mkdir()
    out = notegen("draft", str(pdf), "--no-llm", "--date", "2024-01-30", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0] == str(Path("notes/papers.20240130.md"))
    assert (tmp_path / out.stdout.splitlines()[1]).is_file()


CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "pdfs"


@pytest.mark.shared
def test_figure_json_one_object_per_pdf(tmp_path):
    import json

    out = notegen("figure", "--json", str(CORPUS / "1512.03385.pdf"), str(CORPUS / "2603.12231.pdf"), cwd=tmp_path)
    assert out.returncode == 1  # the second paper has no figure
    first, second = (json.loads(line) for line in out.stdout.splitlines())
    assert first["pdf"] == str(CORPUS / "1512.03385.pdf")
    assert first["page"] == 0 and first["method"] == "caption-below-figure"
    assert first["caption"].startswith("Figure 1. Training error (left) and test error (right)")
    x0, y0, x1, y1 = first["bbox"]
    assert 306 <= x0 <= 310 and 222 <= y0 <= 226 and 543 <= x1 <= 547 and 301 <= y1 <= 305
    assert first["ms"] > 0 and first["doubt"] is None
    assert second == {
        "pdf": str(CORPUS / "2603.12231.pdf"),
        "page": None,
        "bbox": None,
        "doubt": None,
        "ms": second["ms"],
        "reason": 'no caption "Figure 1" in the PDF',
    }


@pytest.mark.shared
def test_figure_out_writes_the_png(tmp_path):
    out = notegen("figure", str(CORPUS / "1505.04597.pdf"), "--out", str(tmp_path / "unet.png"))
    assert out.returncode == 0, out.stderr
    assert out.stdout == f"{tmp_path / 'unet.png'}\n"
    import pymupdf

    pix = pymupdf.Pixmap(str(tmp_path / "unet.png"))
    assert pix.width > 600 and pix.height > 400


@pytest.mark.shared
def test_figure_number_two(tmp_path):
    out = notegen("figure", "-n", "2", "--json", str(CORPUS / "1810.04805.pdf"))
    assert out.returncode == 0
    assert '"caption": "Figure 2: BERT input representation.' in out.stdout


def test_the_processes_the_tests_start_run_on_the_system_this_test_runs_on(tmp_path):
    """Under a stand-in for Windows or macOS, notegen's own processes must be under it too, whatever their folder."""
    probe = "import multiprocessing, os; print(hasattr(os, 'fork'), multiprocessing.get_start_method())"
    child = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert child.stdout.split() == [str(hasattr(os, "fork")), multiprocessing.get_start_method()]
