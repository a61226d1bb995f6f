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


def test_labelling_sheet_guide_covers_exactly_the_taxonomy():
    """suggest's 标注说明 sheet summarises docs/LABELS.md per label: one line per label id."""
    from nlp_pipeline.tasks.suggest import STANCE_SCOPE, TOPIC_SCOPE
    from nlp_pipeline.taxonomy import STANCES, TOPICS

    assert list(TOPIC_SCOPE) == list(TOPICS)
    assert list(STANCE_SCOPE) == list(STANCES)
