"""The workspace: one folder for the user's state, the shipped model and corpus beside it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import tomllib
from click.testing import CliRunner

from nlp_pipeline import workspace
from nlp_pipeline.cli.main import cli
from tests.conftest import CORPUS, REPO


@pytest.fixture
def installed(tmp_path, monkeypatch) -> Path:
    """Pretend to be a wheel install: no checkout, the corpus bundled in the package."""
    pkg = tmp_path / "site-packages" / "nlp_pipeline"
    bundled = pkg / "_bundled_corpus"
    bundled.mkdir(parents=True)
    for name in ("train.jsonl", "test.jsonl", "README.md"):
        shutil.copy(CORPUS / name, bundled / name)
    monkeypatch.setattr(workspace, "package_dir", lambda: pkg)
    monkeypatch.setattr(workspace, "source_root", lambda: None)
    monkeypatch.delenv("OPINIONS_MODELS_DIR", raising=False)
    return pkg


def test_opinions_home_holds_models_corpus_and_database(tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("OPINIONS_HOME", str(home))
    monkeypatch.delenv("OPINIONS_MODELS_DIR", raising=False)
    assert workspace.workspace_dir() == home
    assert workspace.models_dir() == home / "models"
    assert workspace.database_path() == home / "opinions.sqlite3"


def test_models_dir_env_still_overrides_the_models_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("OPINIONS_MODELS_DIR", str(tmp_path / "m"))
    assert workspace.models_dir() == tmp_path / "m"


def test_without_home_an_install_uses_the_per_user_data_folder(installed, monkeypatch, tmp_path):
    import platformdirs

    monkeypatch.delenv("OPINIONS_HOME", raising=False)
    monkeypatch.setattr(
        platformdirs, "user_data_dir", lambda app, appauthor=None: str(tmp_path / app)
    )
    assert workspace.workspace_dir() == tmp_path / "opinions"
    assert workspace.models_dir() == tmp_path / "opinions" / "models"


def test_source_checkout_is_its_own_workspace(monkeypatch):
    monkeypatch.delenv("OPINIONS_HOME", raising=False)
    monkeypatch.delenv("OPINIONS_MODELS_DIR", raising=False)
    assert workspace.workspace_dir() == REPO
    assert workspace.models_dir() == REPO / "models"
    assert workspace.corpus_dir() == REPO / "corpora"


def test_installed_tool_finds_the_shipped_corpus_for_retraining(installed, tmp_path, monkeypatch):
    """Before: `opinions train --add` and `audit` failed with 找不到语料目录 after pip install."""
    from nlp_pipeline.training.retrain import default_corpus_dir

    monkeypatch.setenv("OPINIONS_HOME", str(tmp_path / "home"))
    folder = default_corpus_dir()
    assert folder == tmp_path / "home" / "corpora"
    assert (folder / "train.jsonl").read_bytes() == (CORPUS / "train.jsonl").read_bytes()
    # A package upgrade with a new base corpus refreshes the copy; added labels stay.
    (folder / "added").mkdir()
    (folder / "added" / "v1.jsonl").write_text("{}\n", encoding="utf-8")
    (installed / "_bundled_corpus" / "test.jsonl").write_text("{}\n", encoding="utf-8")
    default_corpus_dir()
    assert (folder / "test.jsonl").read_text(encoding="utf-8") == "{}\n"
    assert (folder / "added" / "v1.jsonl").is_file()


def test_installed_tool_audit_runs_without_corpus_option(installed, tmp_path, monkeypatch):
    monkeypatch.setenv("OPINIONS_HOME", str(tmp_path / "home"))
    result = CliRunner().invoke(cli, ["audit", "--help"])
    assert result.exit_code == 0
    from nlp_pipeline.training.retrain import default_corpus_dir

    assert (default_corpus_dir() / "test.jsonl").is_file()


def test_wheel_ships_the_base_corpus_and_the_default_model():
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    include = config["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    assert include["models/default"] == "nlp_pipeline/_bundled_models/default"
    for name in ("train.jsonl", "test.jsonl"):
        assert include[f"corpora/{name}"] == f"nlp_pipeline/_bundled_corpus/{name}"
    deps = " ".join(config["project"]["dependencies"])
    assert "platformdirs" in deps


def test_workspace_command_prints_where_everything_lives(tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("OPINIONS_HOME", str(home))
    monkeypatch.delenv("OPINIONS_MODELS_DIR", raising=False)
    result = CliRunner().invoke(cli, ["workspace"])
    assert result.exit_code == 0, result.output
    for needle in (str(home), str(home / "models"), str(home / "corpora" / "added"), "sqlite3"):
        assert needle in result.output
    as_json = json.loads(CliRunner().invoke(cli, ["workspace", "--json"]).output)
    assert as_json["models"] == str(home / "models")
    assert as_json["database"] == str(home / "opinions.sqlite3")


def test_help_and_models_name_the_workspace(default_model, models_root):
    assert "OPINIONS_HOME" in CliRunner().invoke(cli, ["--help"]).output
    result = CliRunner().invoke(cli, ["models"])
    assert result.exit_code == 0
    assert str(models_root) in result.output


def test_shipped_default_is_found_when_the_workspace_has_none(tmp_path, monkeypatch):
    from nlp_pipeline.model.registry import resolve_model

    monkeypatch.setenv("OPINIONS_HOME", str(tmp_path / "empty"))
    monkeypatch.delenv("OPINIONS_MODELS_DIR", raising=False)
    assert resolve_model(None) == REPO / "models" / "default"
