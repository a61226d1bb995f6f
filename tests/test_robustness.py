"""Robustness: arbitrary Unicode never crashes triage or the batch path, and personal data
never leaks into explanations."""

import json
import time

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nlp_pipeline.cli.main import cli
from nlp_pipeline.model.predictor import Predictor
from nlp_pipeline.tasks.classify import classify_file, classify_values
from nlp_pipeline.text.tokens import tokenize

NASTY = st.sampled_from(
    [
        "\x00",
        "\ud800",
        "\udfff",
        "\u200b",
        "\u200d",
        "\u202e",
        "\u2066",
        "\ufeff",
        "\u0301",
        "👨‍👩‍👧‍👦",
        "🏳️‍🌈",
        "\r\n",
        "\t",
        "\x1b[31m",
        "＝",
        "=cmd|' /C calc'!A0",
        "警",
        "偷电动车",
    ]
)
TEXTS = st.lists(st.one_of(st.text(max_size=80), NASTY), max_size=8).map("".join)
SETTINGS = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(TEXTS)
def test_tokenize_never_crashes(text):
    assert all(isinstance(t, str) and t for t in tokenize(text))


@SETTINGS
@given(TEXTS)
def test_triage_never_crashes_and_output_is_valid(small_model, text):
    pred = Predictor(small_model).predict_one(text)
    d = pred.to_dict()
    json.dumps(d, ensure_ascii=False).encode("utf-8")  # serialisable, no lone surrogates
    assert 0.0 <= d["topic_confidence"] <= 1.0 and 0.0 <= d["stance_confidence"] <= 1.0
    assert d["needs_review"] == bool(d["review_reasons"])


@SETTINGS
@given(st.lists(st.one_of(TEXTS, st.none(), st.integers()), max_size=12))
def test_batch_values_one_result_per_value(small_model, values):
    results = list(classify_values(values, small_model, chunk_rows=5))
    assert len(results) == len(values)
    for value, r in zip(values, results, strict=True):
        usable = isinstance(value, str) and value.strip()
        assert bool(r["error"]) == (not usable)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(TEXTS, min_size=1, max_size=10))
def test_batch_file_round_trip_keeps_every_row(default_model, tmp_path_factory, texts):
    folder = tmp_path_factory.mktemp("rt")
    src = folder / "in.jsonl"
    src.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts), encoding="utf-8")
    out = folder / "out.jsonl"
    summary = classify_file(src, out, jobs=1)
    rows = [json.loads(x) for x in out.read_text(encoding="utf-8").split("\n") if x]
    assert len(rows) == summary.rows
    assert summary.rows + summary.skipped_empty == len(texts)


@st.composite
def phone_in_text(draw):
    digits = "".join(draw(st.sampled_from("0123456789")) for _ in range(9))
    phone = "1" + draw(st.sampled_from("3456789")) + digits
    before = draw(st.sampled_from(["我的电话", "联系方式：", "有事打", "手机"]))
    after = draw(st.sampled_from(["，派出所一直不回电话", "，希望加强巡逻", "，交警态度很差", ""]))
    return before + phone + after, phone


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(phone_in_text())
def test_explanations_never_show_phone_numbers(small_model, case):
    text, phone = case
    pred = Predictor(small_model).predict_one(text)
    shown = json.dumps(pred.to_dict(), ensure_ascii=False)
    assert phone not in shown
    for i in range(len(phone) - 6):
        assert phone[i : i + 7] not in shown  # not even a long fragment


def test_one_megabyte_comment_is_answered_quickly_and_says_truncated(default_model):
    text = "晚上小区里经常有人偷电动车，希望加强巡逻。" * 50_000  # ~1 MB of UTF-8
    assert len(text.encode("utf-8")) > 1_000_000
    started = time.perf_counter()
    result = CliRunner().invoke(cli, ["triage", "--json", "-"], input=text)
    elapsed = time.perf_counter() - started
    assert result.exit_code == 0, result.output
    obj = json.loads(result.output)
    assert obj["truncated"] is True and obj["needs_review"] is True
    assert elapsed < 2.0
