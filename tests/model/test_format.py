import io
import json
import shutil

import numpy as np
import pytest

from nlp_pipeline.data.corpus import read_jsonl
from nlp_pipeline.errors import ModelError
from nlp_pipeline.model.format import load_pipelines, read_meta, sha256_file
from nlp_pipeline.model.predictor import Predictor
from nlp_pipeline.text.normalize import prepare_many

from ..conftest import CORPUS


def test_data_only_predictor_reproduces_sklearn_probabilities(small_model):
    predictor = Predictor(small_model)
    pipelines = load_pipelines(small_model, trust=True)
    texts = [r.text for r in read_jsonl(CORPUS / "test.jsonl")]
    ours = predictor.probabilities(prepare_many(texts))
    for head, pipe in pipelines.items():
        assert list(pipe.named_steps["clf"].classes_) == predictor.labels[head]
        np.testing.assert_allclose(ours[head], pipe.predict_proba(texts), atol=1e-6, rtol=0)


def test_save_load_gives_same_predictions(small_model, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(small_model, copy)
    texts = ["晚上小区里经常有人偷电动车，希望加强巡逻", "交警辛苦了", "路灯坏了三个月没人修"]
    a = [p.to_dict() for p in Predictor(small_model).predict(texts, explain=True)]
    b = [p.to_dict() for p in Predictor(copy).predict(texts, explain=True)]
    assert a == b


def test_joblib_pipeline_needs_explicit_trust(small_model):
    with pytest.raises(ModelError, match="trust"):
        load_pipelines(small_model)


@pytest.fixture
def model_copy(small_model, tmp_path):
    copy = tmp_path / "m"
    shutil.copytree(small_model, copy)
    return copy


def _rewrite_meta(path, **changes):
    meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
    meta.update(changes)
    (path / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    return meta


@pytest.mark.parametrize("name", ["weights.npz", "features.json", "pipeline.joblib"])
def test_changed_byte_is_rejected(model_copy, name):
    path = model_copy / name
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="sha256"):
        if name == "pipeline.joblib":
            load_pipelines(model_copy, trust=True)
        else:
            Predictor(model_copy)


@pytest.mark.parametrize("name", ["weights.npz", "features.json", "meta.json"])
def test_missing_file_is_rejected(model_copy, name):
    (model_copy / name).unlink()
    with pytest.raises(ModelError, match="missing|缺少"):
        Predictor(model_copy)


def test_wrong_format_version_is_rejected(model_copy):
    _rewrite_meta(model_copy, format_version=99)
    with pytest.raises(ModelError, match="format version"):
        read_meta(model_copy)


def test_object_arrays_are_refused_even_with_valid_checksum(model_copy):
    with np.load(model_copy / "weights.npz") as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays["topic_intercept"] = np.array([{"evil": 1}] * 6, dtype=object)
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    (model_copy / "weights.npz").write_bytes(buf.getvalue())
    meta = json.loads((model_copy / "meta.json").read_text(encoding="utf-8"))
    meta["files"]["weights.npz"] = sha256_file(model_copy / "weights.npz")
    (model_copy / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ModelError, match="object"):
        Predictor(model_copy)


def test_corrupt_meta_is_rejected(model_copy):
    (model_copy / "meta.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ModelError, match="meta.json"):
        Predictor(model_copy)


def test_model_directory_has_fixed_files_and_checksums(small_model):
    meta = read_meta(small_model)
    for name in ("features.json", "weights.npz", "pipeline.joblib", "MODEL_CARD.md"):
        assert meta["files"][name] == sha256_file(small_model / name)
    assert [lab["zh"] for lab in meta["labels"]["topic"]]
    assert set(meta["thresholds"]) == {"topic", "stance"}
    assert "cv_topic_macro_f1" in meta["metrics"] and "test_topic_macro_f1" in meta["metrics"]


def test_pipelines_pickled_under_the_flat_module_paths_still_load():
    """Files saved before the package was split name e.g. ``nlp_pipeline.classifier``."""
    import pickle
    import sys

    from nlp_pipeline.model.format import OLD_MODULE_PATHS, _old_module_paths
    from nlp_pipeline.training.estimator import CalibratedLinearSVC

    blob = pickle.dumps(CalibratedLinearSVC, protocol=0)
    old = blob.replace(b"nlp_pipeline.training.estimator", b"nlp_pipeline.classifier")
    assert b"nlp_pipeline.classifier" in old
    with pytest.raises(ModuleNotFoundError):
        pickle.loads(old)
    with _old_module_paths():
        assert pickle.loads(old) is CalibratedLinearSVC
    assert not any(name in sys.modules for name in OLD_MODULE_PATHS)
