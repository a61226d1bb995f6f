"""--encoding-errors=rows: a CSV with a few lines in another encoding is still classified."""

from __future__ import annotations

import pytest

from nlp_pipeline.errors import InputError
from nlp_pipeline.io.readers import open_table


def mixed_csv(tmp_path):
    good = "编号,内容\r\n1,晚上小区里经常有人偷电动车\r\n".encode()
    bad = "2,派出所办事效率高，点赞\r\n".encode("gbk")  # pasted from an old GBK file
    rest = "3,希望路口加装红绿灯\r\n".encode()
    path = tmp_path / "mixed.csv"
    path.write_bytes(good + bad + rest)
    return path


def test_mixed_file_is_refused_by_default_with_a_hint_to_the_option(tmp_path):
    with pytest.raises(InputError, match="--encoding-errors=rows"):
        open_table(mixed_csv(tmp_path))


def test_rows_mode_makes_the_bad_lines_error_rows(tmp_path):
    with open_table(mixed_csv(tmp_path), encoding_errors="rows") as table:
        rows = list(table.rows())
        assert table.encoding == "utf-8"
        assert table.undecodable_lines == 1
    assert [r.number for r in rows] == [2, 3, 4]
    assert rows[0].values["内容"] == "晚上小区里经常有人偷电动车"
    assert rows[1].error and "第 3 行" in rows[1].error and "编码" in rows[1].error
    assert rows[2].values["内容"] == "希望路口加装红绿灯"


def test_rows_mode_picks_gbk_when_most_lines_are_gbk(tmp_path):
    path = tmp_path / "g.txt"
    path.write_bytes("甲\n乙\n".encode("gbk") + "丙\n".encode() + "丁\n".encode("gbk"))
    with open_table(path, encoding_errors="rows") as table:
        rows = list(table.rows())
        assert table.encoding == "gb18030"
    assert [r.values.get("text") for r in rows if not r.error] == ["甲", "乙", "丁"]
    assert [r.number for r in rows if r.error] == [3]


def test_explicit_encoding_failure_does_not_tell_to_use_encoding(tmp_path):
    with pytest.raises(InputError) as info:
        open_table(mixed_csv(tmp_path), encoding="utf-8")
    message = str(info.value)
    assert "请用 --encoding" not in message
    assert "--encoding-errors=rows" in message
