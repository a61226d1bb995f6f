"""The public API: every name in ``__all__`` resolves, is documented, and stays cheap to import."""

import doctest
import inspect
import subprocess
import sys

import pytest

import nlp_pipeline
from nlp_pipeline import api

from .conftest import SHIPPED_MODEL


@pytest.mark.parametrize("name", nlp_pipeline.__all__)
def test_every_public_name_resolves_and_has_a_docstring(name):
    value = getattr(nlp_pipeline, name)
    if name != "__version__":
        assert inspect.getdoc(value), f"nlp_pipeline.{name} has no docstring"


def test_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError):
        nlp_pipeline.no_such_function  # noqa: B018


def test_import_does_not_load_scikit_learn():
    code = "import sys, nlp_pipeline; nlp_pipeline.triage; print('sklearn' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.fixture
def shipped_models(monkeypatch):
    """The checkout's models folder, read-only: the examples use the shipped default model."""
    monkeypatch.setenv("OPINIONS_MODELS_DIR", str(SHIPPED_MODEL.parent))


def test_api_doctests_pass(shipped_models):
    result = doctest.testmod(api, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0


def test_triage_matches_the_predictor(shipped_models):
    text = "晚上小区里经常有人偷电动车，希望加强巡逻"
    direct = nlp_pipeline.load_model().predict_one(text)
    assert nlp_pipeline.triage(text).to_dict() == direct.to_dict()


def test_labels_is_a_copy():
    labels = nlp_pipeline.labels()
    labels["topic"]["x"] = "y"
    assert "x" not in nlp_pipeline.labels()["topic"]
