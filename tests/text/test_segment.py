import pickle

import pytest

from nlp_pipeline.model.features import CharAnalyzer, WordAnalyzer, char_ngrams, word_ngrams
from nlp_pipeline.text.segment import data_path
from nlp_pipeline.text.tokens import stopwords, tokenize


def user_dict_words() -> list[str]:
    lines = data_path("userdict.txt").read_text(encoding="utf-8").splitlines()
    return [line.split()[0] for line in lines if line.strip()]


def test_user_dictionary_is_large_enough():
    assert len(user_dict_words()) >= 150


@pytest.mark.parametrize(
    "sentence, word",
    [
        ("昨晚打了110出警很慢", "出警"),
        ("接处警工作弱化", "接处警"),
        ("联防队员态度差", "联防队员"),
        ("集镇上马自达乱跑", "马自达"),
        ("去车管所换驾照", "车管所"),
        ("用12123交罚款", "12123"),
        ("辅警帮我推车", "辅警"),
        ("补办身份证要多久", "身份证"),
    ],
)
def test_user_dictionary_words_are_kept_whole(sentence, word):
    assert word in tokenize(sentence)


def test_stopwords_and_punctuation_dropped_but_negation_kept():
    toks = tokenize("我们的派出所不给办，太慢了！")
    assert "的" not in toks and "我们" not in toks and "！" not in toks
    assert "不" in toks
    assert "的" in stopwords() and "希望" not in stopwords()


def test_analyzers_pickle_round_trip_without_jieba_state():
    for analyzer in (WordAnalyzer(2), CharAnalyzer(1, 3)):
        blob = pickle.dumps(analyzer)
        assert b"jieba" not in blob
        again = pickle.loads(blob)
        text = "希望加强夜间巡逻，电动车老被偷"
        assert again(text) == analyzer(text)


def test_ngram_helpers():
    assert word_ngrams(["a", "b", "c"], 2) == ["a", "b", "c", "a b", "b c"]
    assert char_ngrams("abc", 1, 2) == ["a", "b", "c", "ab", "bc"]
