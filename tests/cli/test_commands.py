"""The ``opinions`` group holds every command, whatever module defines it and whatever the
import order (``cli/main.py`` registers the commands of ``cli/report.py`` and
``cli/curation.py`` at its bottom)."""

import subprocess
import sys

import click

EXPECTED = {
    "triage",
    "classify",
    "evaluate",
    "train",
    "models",
    "report",
    "suggest",
    "audit",
    "workspace",
    "serve",
}


def test_every_command_is_registered_on_the_real_cli():
    from nlp_pipeline.cli import curation, report
    from nlp_pipeline.cli.main import cli

    assert set(cli.commands) == EXPECTED
    ctx = click.Context(cli)
    assert cli.get_command(ctx, "report") is report.report
    assert cli.get_command(ctx, "suggest") is curation.suggest
    assert cli.get_command(ctx, "audit") is curation.audit
    assert set(cli.commands["models"].commands) == {"use", "show", "history"}


def test_registration_does_not_depend_on_import_order():
    code = (
        "import nlp_pipeline.cli.report, nlp_pipeline.cli.curation\n"
        "from nlp_pipeline.cli.main import cli\n"
        "print(' '.join(sorted(cli.commands)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert set(out.stdout.split()) == EXPECTED
