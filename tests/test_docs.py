"""Every CLI command has help text with an example and is documented in the README."""

import click
import pytest
from click.testing import CliRunner

from nlp_pipeline.cli.main import cli

from .conftest import REPO


def commands(group: click.Group, prefix=()):
    for name, cmd in group.commands.items():
        yield prefix + (name,), cmd
        if isinstance(cmd, click.Group):
            yield from commands(cmd, prefix + (name,))


ALL = list(commands(cli))


@pytest.mark.parametrize("path, cmd", ALL, ids=[" ".join(p) for p, _ in ALL])
def test_every_command_has_help(path, cmd):
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0
    assert cmd.help and len(cmd.help.strip()) > 20
    assert "opinions " in result.output  # an example invocation


@pytest.mark.parametrize("path", [p for p, _ in ALL], ids=[" ".join(p) for p, _ in ALL])
def test_every_command_is_in_the_readme(path):
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert f"opinions {' '.join(path)}" in readme


def test_label_guide_copy_matches_the_taxonomy():
    from nlp_pipeline.taxonomy import STANCES, TOPICS

    guide = (REPO / "docs" / "LABELS.md").read_text(encoding="utf-8")
    for label_id, zh in {**TOPICS, **STANCES}.items():
        assert f"`{label_id}`" in guide and zh in guide


def test_short_guide_in_taxonomy_follows_docs_labels_md():
    """taxonomy's Chinese guide (the 标注说明 sheet) has exactly the labels of the taxonomy,
    in order, and the same numbered deciding rules as docs/LABELS.md."""
    import re

    from nlp_pipeline.taxonomy import GUIDE_RULES, STANCE_GUIDE, STANCES, TOPIC_GUIDE, TOPICS

    assert list(TOPIC_GUIDE) == list(TOPICS)
    assert list(STANCE_GUIDE) == list(STANCES)
    guide = (REPO / "docs" / "LABELS.md").read_text(encoding="utf-8")
    doc_rules = re.findall(r"^(\d+)\. ", guide, re.M)
    short_rules = [m.group(1) for line in GUIDE_RULES if (m := re.match(r"(\d+)\. ", line))]
    assert short_rules == doc_rules


def test_readme_states_the_feature_ngram_ranges_of_the_config():
    import re

    from nlp_pipeline.training.config import FeatureConfig

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    claim = re.search(r"word \(1–(\d)-gram\) and character \((\d)–(\d)-gram\)", readme)
    assert claim, "README no longer states the n-gram ranges where this test looks"
    cfg = FeatureConfig()
    assert tuple(map(int, claim.groups())) == (
        cfg.word_ngram_max,
        cfg.char_ngram_min,
        cfg.char_ngram_max,
    )
