"""The CLI uses no deprecated click API (click 9 would break it)."""

from __future__ import annotations

import warnings

from click.testing import CliRunner

from nlp_pipeline.cli.main import cli


def test_stdin_routes_raise_no_deprecation_warning(default_model, tmp_path):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        triage = CliRunner().invoke(cli, ["triage", "-"], input="交警辛苦了\n")
        batch = CliRunner().invoke(cli, ["classify", "-", "-q", "-j", "1"], input="路灯坏了\n")
    assert triage.exit_code == 0 and batch.exit_code == 0, triage.output + batch.output
    deprecations = [w for w in caught if issubclass(w.category, DeprecationWarning)]
    assert not deprecations, [str(w.message) for w in deprecations]
