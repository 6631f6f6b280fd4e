"""The README tells a newcomer what CI does: its test command is the one .ci/run runs."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ci_runs_the_readmes_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"```bash\n(python3 -m venv .venv [^\n]+)\n```", readme)
    assert len(commands) == 2, commands
    install_and_test = next(c for c in commands if "pytest" in c)
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert ci[-1] == install_and_test


def test_the_readme_shows_notegens_help_as_it_is():
    """The README's copy of `notegen --help` is the command's own (a command renamed or reworded shows there)."""
    import click

    from notegen.cli import cli

    ctx = click.Context(
        cli, info_name="notegen", terminal_width=100, max_content_width=100, help_option_names=["-h", "--help"]
    )
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert f"```text\n{cli.get_help(ctx)}\n```" in readme


def test_the_architecture_map_names_every_module():
    """docs/architecture.md is where a newcomer looks a module up: a module it does not name is one they miss."""
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    package = ROOT / "src" / "notegen"
    modules = [p for p in package.rglob("*.py") if not p.name.startswith("__")]
    missing = [str(p.relative_to(package)) for p in modules if p.name not in doc]
    assert missing == []
