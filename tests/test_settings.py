import re
from pathlib import Path

import pytest

from notegen import index, settings, vault
from notegen.errors import UsageError


def test_flag_beats_environment_beats_file_beats_default(tmp_path):
    (tmp_path / "notegen.toml").write_text('model = "from-file"\nconcurrency = 2\ntags = ["MLLM", "#robotics"]\n')
    env = {"NOTEGEN_MODEL": "from-env", "OPENAI_API_KEY": "k"}
    s = settings.load(tmp_path, {"model": None}, env)
    assert (s.model, s.concurrency, s.tags, s.api_key) == ("from-env", 2, ("MLLM", "robotics"), "k")
    assert settings.load(tmp_path, {"model": "from-flag"}, env).model == "from-flag"
    assert settings.load(tmp_path, {}, {}).model == "from-file"
    assert settings.load(tmp_path / "none", {}, {}).model == "gpt-4o-mini"


def test_the_key_is_not_read_from_the_file(tmp_path):
    (tmp_path / "notegen.toml").write_text('api_key = "sk-x"\n')
    with pytest.raises(UsageError, match="unknown setting api_key"):
        settings.load(tmp_path, {}, {})


def test_broken_toml_is_named(tmp_path):
    (tmp_path / "notegen.toml").write_text("model = \n")
    with pytest.raises(UsageError, match=r"notegen\.toml: not valid TOML"):
        settings.load(tmp_path, {}, {})


def test_note_names(tmp_path):
    s = settings.load(tmp_path, {}, {})
    from datetime import date

    assert vault.note_path(s, date(2024, 1, 30)) == tmp_path / "notes" / "papers.20240130.md"
    daily = settings.load(tmp_path, {}, {"NOTEGEN_NOTE_NAME": "daily.{yyyy}.{mm}.{dd}"})
    assert vault.note_path(daily, date(2024, 1, 30)).name == "daily.2024.01.30.md"
    for bad in ("Papers.{yyyy}{mm}{dd}", "papers..{yyyy}", "papers.{date}", "papers"):
        with pytest.raises(UsageError, match="note_name"):
            settings.load(tmp_path, {}, {"NOTEGEN_NOTE_NAME": bad})


def test_image_links_are_relative_to_the_vault(tmp_path):
    s = settings.load(tmp_path, {}, {})
    assert vault.image_link(s, "ab") == "../images/ab.png"


def test_tag_vocabulary_most_used_first(tmp_path):
    notes = tmp_path / "notes"
    notes.mkdir()
    head = "---\nid: {}\ntitle: 'x'\ndesc: ''\nupdated: 1\ncreated: 1\n---\n"
    (notes / "a.md").write_text(head.format("a" * 23) + "#image_generation\n\n#MLLM\n")
    (notes / "b.md").write_text(
        head.format("b" * 23) + "#image_generation\n## heading\n#mllm 与 #image_generation\n"
        "```\n#in_code\n```\n\\#escaped #中文\n"
    )
    (notes / "c.md").write_text("#no_frontmatter\n")  # not a note notegen reads
    (notes / "tags.MLLM.md").write_text(head.format("t" * 23) + "#ignored\n")
    (tmp_path / "notegen.toml").write_text('tags = ["robotics", "MLLM"]\n')
    config = settings.load(tmp_path, {}, {})
    with index.opened(config) as found:
        assert vault.vocabulary(found, config) == ["image_generation", "MLLM", "robotics"]


@pytest.mark.parametrize(
    ("config", "vault", "images"),
    [
        ("version: 5\nworkspace:\n  vaults:\n    - fsPath: vault\n", "vault", "images"),
        (
            "version: 5\nworkspace:\n  vaults:\n    - fsPath: .\n      selfContained: true\n      name: p\n",
            "notes",
            "notes/assets/images",
        ),
        ("version: 4\nvaults:\n  - fsPath: old-style\n", "old-style", "images"),  # before workspace.vaults
        ("version: 5\nworkspace:\n  vaults:\n    - fsPath: v\n      workspace: team\n", "team/v", "images"),
        (
            "version: 5\nworkspace:\n  vaults:\n    - fsPath: v\n      seed: dendron.templates\n",
            "seeds/dendron.templates/v",
            "images",
        ),
    ],
)
def test_the_vault_is_where_dendron_yml_puts_it(tmp_path, config, vault, images):
    (tmp_path / "dendron.yml").write_text(config)
    s = settings.load(tmp_path, {}, {})
    assert (s.vault, s.image_dir) == (vault, images)
    assert s.vault_dir == tmp_path / vault


def test_dendron_yml_that_cannot_be_used_is_named(tmp_path):
    config = tmp_path / "dendron.yml"
    for text, message in [
        ("workspace: [unclosed\n", "cannot be read as YAML"),
        ("version: 5\nworkspace:\n  vaults: []\n", "lists no vault"),
        ("version: 5\nworkspace:\n  vaults:\n    - fsPath: a\n    - fsPath: b\n", "lists several vaults: a (a), b (b)"),
    ]:
        config.write_text(text)
        with pytest.raises(UsageError, match=re.escape(message)):
            settings.load(tmp_path, {}, {})
    assert settings.load(tmp_path, {}, {"NOTEGEN_VAULT": "b"}).vault == "b"
    (tmp_path / "notegen.toml").write_text('vault = "a"\n')
    assert settings.load(tmp_path, {}, {}).vault == "a"
    with pytest.raises(UsageError, match="'c' is not a vault of"):
        settings.load(tmp_path, {}, {"NOTEGEN_VAULT": "c"})


# -- one description of every setting -------------------------------------------------------------------


def test_the_readme_table_is_the_settings_as_defined():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert settings.readme_table() in readme


def test_the_repositorys_own_notegen_toml_is_the_template():
    """This repository is a workspace too: its notegen.toml is what `notegen init` writes, kept in step."""
    own = (Path(__file__).resolve().parents[1] / "notegen.toml").read_text(encoding="utf-8")
    assert own == settings.template()


def test_the_template_uncommented_loads_every_default(tmp_path):
    text = settings.template()
    uncommented = "\n".join(re.sub(r"^# (\w+ = )", r"\1", line) for line in text.splitlines())
    (tmp_path / "notegen.toml").write_text(uncommented, encoding="utf-8")

    loaded = settings.load(tmp_path, environ={})

    for f in settings.SETTINGS:
        if f.metadata["file"] and f.default is not None:
            assert getattr(loaded, f.name) == f.default, f.name
    assert {line.split(" = ")[0] for line in uncommented.splitlines() if " = " in line} == {
        f.name for f in settings.SETTINGS if f.metadata["file"]
    }


@pytest.mark.parametrize("field", [f for f in settings.SETTINGS if f.metadata["env"]], ids=lambda f: f.name)
def test_every_environment_variable_sets_its_setting(tmp_path, field):
    kind = settings._TYPES[field.name]
    value, expected = {
        float: ("2.5", 2.5),
        float | None: ("0.7", 0.7),
        Path | None: ("elsewhere", Path("elsewhere")),
    }.get(kind, ("daily.{yyyy}.{mm}.{dd}", "daily.{yyyy}.{mm}.{dd}"))

    loaded = settings.load(tmp_path, environ={field.metadata["env"]: value})

    assert getattr(loaded, field.name) == expected


def test_a_value_of_the_wrong_type_is_named(tmp_path):
    (tmp_path / "notegen.toml").write_text('concurrency = "many"\n', encoding="utf-8")
    with pytest.raises(UsageError, match=r"notegen.toml: setting concurrency = 'many' should be a whole number$"):
        settings.load(tmp_path, environ={})
