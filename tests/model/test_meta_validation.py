"""A tampered meta.json is refused with a ModelError naming the field, never a traceback."""

from __future__ import annotations

import io
import json
import shutil

import numpy as np
import pytest

from nlp_pipeline.errors import ModelError
from nlp_pipeline.model.format import META, WEIGHTS, sha256_file
from nlp_pipeline.model.predictor import Predictor


def _tampered(small_model, tmp_path, change) -> object:
    target = tmp_path / "m"
    shutil.copytree(small_model, target)
    meta = json.loads((target / META).read_text(encoding="utf-8"))
    text = change(meta)
    (target / META).write_text(
        text if isinstance(text, str) else json.dumps(meta), encoding="utf-8"
    )
    return target


CASES = {
    "thresholds.topic": lambda m: m["thresholds"].update(topic="0.5"),
    "thresholds.stance": lambda m: json.dumps(m).replace(
        f'"stance": {json.dumps(m["thresholds"]["stance"])}', '"stance": NaN'
    ),
    "files": lambda m: m.update(files=["features.json"]),
    "files.weights.npz": lambda m: m["files"].update({"weights.npz": {"a": 1}}),
    "format_version": lambda m: json.dumps(m).replace('"format_version": 2', '"format_version": ' + "9" * 5000),
    "nested": lambda m: json.dumps(m)[:-1] + ', "x": ' + "[" * 100_000 + "]" * 100_000 + "}",
    "n_train": lambda m: m.update(n_train="many"),
    "metrics": lambda m: json.dumps(m).replace('"metrics": {', '"metrics": {"bad": Infinity, ', 1),
}  # fmt: skip


@pytest.mark.parametrize("field", sorted(CASES))
def test_tampered_meta_is_a_model_error_naming_the_field(small_model, tmp_path, field):
    target = _tampered(small_model, tmp_path, CASES[field])
    with pytest.raises(ModelError) as info:
        Predictor(target)
    message = str(info.value)
    assert "meta.json" in message
    if field in ("thresholds.topic", "files", "files.weights.npz", "n_train"):
        assert field in message


def test_nan_weights_are_refused_even_with_a_matching_checksum(small_model, tmp_path):
    target = tmp_path / "m"
    shutil.copytree(small_model, target)
    with np.load(target / WEIGHTS) as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays["topic_coef"][0, 0] = np.nan
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    (target / WEIGHTS).write_bytes(buf.getvalue())
    meta = json.loads((target / META).read_text(encoding="utf-8"))
    meta["files"][WEIGHTS] = sha256_file(target / WEIGHTS)
    (target / META).write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ModelError, match="NaN"):
        Predictor(target)


def test_the_cli_prints_the_message_not_a_traceback(small_model, tmp_path):
    from click.testing import CliRunner

    from nlp_pipeline.cli.main import cli

    target = _tampered(small_model, tmp_path, CASES["thresholds.topic"])
    result = CliRunner().invoke(cli, ["triage", "--model", str(target), "交警辛苦了"])
    assert result.exit_code == 1 and "thresholds.topic" in result.output
    assert "Traceback" not in result.output
