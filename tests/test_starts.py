"""Bad input is refused before the pipeline's heavy libraries are imported (openai, pymupdf, markdown-it): a
mistyped ID costs what `notegen --version` costs. Checked by what was imported, not by timing (bench/vault.py
prints the times)."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("openai", "pymupdf", "markdown_it", "notegen.session", "notegen.extract", "notegen.figure")

PROBE = """
import sys
from notegen.cli import main
code = 0
try:
    main({args!r})
except SystemExit as exit_:
    code = exit_.code
print(code, *sorted(m for m in {heavy!r} if m in sys.modules))
"""


@pytest.mark.parametrize(
    "args",
    [
        ["--version"],
        ["--help"],
        ["draft", "24o1.16420", "--date", "2024-01-30"],
        ["draft", "2401.16420", "--date", "2024-13-01"],
        ["regen", "2401.1642"],
        ["regen"],
        ["draft", "no-such-file.pdf"],
    ],
    ids=["version", "help", "mistyped ID", "bad date", "short ID", "regen of nothing", "missing PDF"],
)
def test_bad_input_is_refused_before_the_heavy_imports(args, tmp_path):
    probe = PROBE.format(args=args, heavy=HEAVY)
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=tmp_path, check=False)

    code, *imported = done.stdout.splitlines()[-1].split()
    assert code in ("0", "2"), done.stderr
    assert imported == [], f"{args}: imported {imported} before refusing"
