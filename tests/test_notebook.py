"""The analysis notebook runs top to bottom (small sample) without an error."""

from __future__ import annotations

import os

import pytest

from .conftest import CORPUS, REPO

NOTEBOOK = REPO / "notebooks" / "explore_and_retrain.ipynb"


@pytest.mark.skipif(
    not (CORPUS / "train.jsonl").is_file(),
    reason="corpora/train.jsonl is missing: the notebook trains on the corpus",
)
def test_notebook_runs(monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    monkeypatch.setenv("NOTEBOOK_SMALL", "1")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, "outputs must be stripped"
    client = nbclient.NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    )
    client.execute(env=dict(os.environ))  # raises CellExecutionError on any failing cell
    errors = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.get("output_type") == "error"
    ]
    assert not errors


def test_notebook_uses_only_the_public_api():
    """The notebook is the model of library use: `import nlp_pipeline as nlp`, nothing deeper."""
    import re

    nbformat = pytest.importorskip("nbformat")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    code = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    assert "import nlp_pipeline as nlp" in code
    assert not re.findall(r"(?:from|import)\s+nlp_pipeline\.\w+", code)
    import nlp_pipeline

    used = set(re.findall(r"\bnlp\.(\w+)", code))
    assert used and used <= set(nlp_pipeline.__all__), used - set(nlp_pipeline.__all__)
