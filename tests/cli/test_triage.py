import json

import pytest
from click.testing import CliRunner

from nlp_pipeline import __version__
from nlp_pipeline.cli.main import cli

TEXT = "晚上小区里经常有人偷电动车，希望加强巡逻"
JSON_KEYS = {
    "topic",
    "topic_zh",
    "topic_confidence",
    "stance",
    "stance_zh",
    "stance_confidence",
    "needs_review",
    "explanation",
    "alternatives",
}


@pytest.fixture
def runner():
    return CliRunner()


@pytest.mark.parametrize("route", ["argument", "stdin"])
@pytest.mark.parametrize("as_json", [False, True])
def test_triage_routes_and_formats(runner, default_model, route, as_json):
    args = ["triage", TEXT if route == "argument" else "-"] + (["--json"] if as_json else [])
    result = runner.invoke(cli, args, input=TEXT if route == "stdin" else None)
    assert result.exit_code == 0, result.output
    if as_json:
        obj = json.loads(result.output)
        assert JSON_KEYS <= set(obj)
        assert obj["topic"] == "public_order" and obj["topic_zh"] == "治安管理"
        assert 0.0 <= obj["topic_confidence"] <= 1.0
        assert len(obj["alternatives"]["topic"]) == 3
        assert obj["explanation"]["topic"], "explanation must name the words behind the topic"
    else:
        assert "治安管理 (public_order)" in result.output
        assert "置信度" in result.output and "review" in result.output


def test_triage_with_model_option(runner, small_model):
    result = runner.invoke(cli, ["triage", "--model", str(small_model), "--json", "交警辛苦了"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["stance"] == "praise"


@pytest.mark.parametrize("text", ["", "   \n\t "])
def test_empty_text_is_a_usage_error(runner, default_model, text):
    result = runner.invoke(cli, ["triage", text])
    assert result.exit_code == 2
    assert "empty" in result.output


def test_missing_text_is_a_usage_error(runner, default_model):
    result = runner.invoke(cli, ["triage"])
    assert result.exit_code == 2


@pytest.mark.parametrize("text", ["hello police", "110 110 110", "👍👍👍"])
def test_text_without_chinese_is_answered_but_flagged(runner, default_model, text):
    result = runner.invoke(cli, ["triage", "--json", text])
    assert result.exit_code == 0, result.output
    obj = json.loads(result.output)
    assert obj["needs_review"] is True
    assert any("Chinese" in r for r in obj["review_reasons"])


def test_missing_model_is_a_clear_error(runner, tmp_path):
    result = runner.invoke(cli, ["triage", "--model", str(tmp_path / "nope"), TEXT])
    assert result.exit_code == 1
    assert "nope" in result.output and "Traceback" not in result.output


def test_version(runner):
    result = runner.invoke(cli, ["--version"])
    assert result.exit_code == 0 and __version__ in result.output


@pytest.mark.parametrize("text", ["无", "无意见", "暂无", "同上", "—"])
def test_no_opinion_is_said_not_guessed(runner, default_model, text):
    result = runner.invoke(cli, ["triage", text])
    assert result.exit_code == 0, result.output
    assert "无实质意见" in result.output and "治安管理" not in result.output
    obj = json.loads(runner.invoke(cli, ["triage", "--json", text]).output)
    assert obj["no_opinion"] is True and obj["topic"] is None and obj["stance"] is None
    assert obj["needs_review"] is False
