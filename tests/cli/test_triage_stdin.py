"""`opinions triage -` decodes standard input like an input file (UTF-8, BOM, GB18030)."""

from __future__ import annotations

import json

from click.testing import CliRunner

from nlp_pipeline.cli.main import cli

TEXT = "晚上小区里经常有人偷电动车，希望加强巡逻"


def _triage(data: bytes):
    return CliRunner().invoke(cli, ["triage", "--json", "-"], input=data)


def test_gbk_stdin_is_read_like_a_gbk_file(default_model):
    utf8, gbk = _triage(TEXT.encode()), _triage(TEXT.encode("gbk"))
    assert utf8.exit_code == 0 and gbk.exit_code == 0, gbk.output
    assert json.loads(gbk.output) == json.loads(utf8.output)


def test_utf8_bom_stdin(default_model):
    result = _triage(b"\xef\xbb\xbf" + TEXT.encode())
    assert result.exit_code == 0 and json.loads(result.output)["topic"]


def test_undecodable_stdin_is_a_message(default_model):
    result = _triage(b"\x81\x30\xff\xff abc")
    assert result.exit_code == 1
    assert "<stdin>" in result.output and "Traceback" not in result.output
