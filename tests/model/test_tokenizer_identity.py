"""A model records the tokenizer it was trained with; a different one is refused at load,
with a message saying exactly what changed."""

import json
import shutil

import pytest

from nlp_pipeline.errors import ModelError
from nlp_pipeline.model.format import META, load_pipelines, sha256_file
from nlp_pipeline.model.predictor import Predictor
from nlp_pipeline.text import tokens
from nlp_pipeline.text.segment import data_path


def test_meta_records_jieba_version_and_resource_sha256s(small_model):
    saved = json.loads((small_model / META).read_text(encoding="utf-8"))["tokenizer"]
    assert saved["jieba_version"] == tokens.tokenizer_identity()["jieba_version"]
    assert saved["user_dict_sha256"] == sha256_file(data_path("userdict.txt"))
    assert saved["stopwords_sha256"] == sha256_file(data_path("stopwords.txt"))


@pytest.fixture
def edited_resources(tmp_path, monkeypatch):
    """Copies of the user dictionary and stopword list that tokens.data_path returns."""
    folder = tmp_path / "resources"
    folder.mkdir()
    for name in ("userdict.txt", "stopwords.txt"):
        shutil.copy(data_path(name), folder / name)
    monkeypatch.setattr(tokens, "data_path", lambda name: folder / name)
    return folder


def test_edited_user_dictionary_is_named_at_load(small_model, edited_resources):
    Predictor(small_model)  # unchanged copies: loads
    with open(edited_resources / "userdict.txt", "a", encoding="utf-8") as fh:
        fh.write("电诈 10 n\n")
    with pytest.raises(ModelError) as info:
        Predictor(small_model)
    message = str(info.value)
    assert "user dictionary" in message and "userdict.txt" in message
    assert "stopword" not in message and "jieba " not in message
    with pytest.raises(ModelError, match="user dictionary"):
        load_pipelines(small_model, trust=True)


def test_edited_stopwords_and_other_jieba_are_both_named(
    small_model, edited_resources, monkeypatch
):
    (edited_resources / "stopwords.txt").write_text("的\n", encoding="utf-8")
    monkeypatch.setattr(tokens, "_jieba_version", lambda: "0.42.2")
    with pytest.raises(ModelError) as info:
        Predictor(small_model)
    message = str(info.value)
    assert "stopword list" in message
    saved = json.loads((small_model / META).read_text(encoding="utf-8"))["tokenizer"]
    assert f"jieba {saved['jieba_version']} at training, 0.42.2 now" in message


def test_models_saved_before_the_record_still_load(small_model, tmp_path):
    """Older models have no tokenizer record: nothing to compare, they load as before."""
    old = tmp_path / "old"
    shutil.copytree(small_model, old)
    meta = json.loads((old / META).read_text(encoding="utf-8"))
    del meta["tokenizer"]
    (old / META).write_text(json.dumps(meta), encoding="utf-8")
    Predictor(old)
