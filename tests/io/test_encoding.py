"""Encoding decision: BOMs, strict UTF-8 then GB18030, exact offsets of undecodable bytes."""

from __future__ import annotations

import codecs
import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlp_pipeline.errors import InputError
from nlp_pipeline.io.encoding import (
    decode_chunks,
    detect_encoding,
    first_decode_failure,
    lookup_encoding,
    sniff_bom,
)

DATA = Path(__file__).resolve().parents[1] / "fixtures"
TEXT = "编号,内容\n1,派出所民警态度很好\n2,希望加强夜间巡逻\n"


def write(tmp_path: Path, data: bytes, name: str = "f.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (codecs.BOM_UTF8 + b"abc", "utf-8-sig"),
        (codecs.BOM_UTF16_LE + b"a\x00", "utf-16"),
        (codecs.BOM_UTF16_BE + b"\x00a", "utf-16"),
        (codecs.BOM_UTF32_LE + b"a\x00\x00\x00", "utf-32"),
        (b"abc", None),
        (b"", None),
    ],
)
def test_sniff_bom(head, expected):
    assert sniff_bom(head) == expected


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "utf-8-sig"),
        (TEXT.encode("utf-16"), "utf-16"),  # Python writes a BOM, like Excel's "Unicode text"
        (codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"), "utf-16"),
        (TEXT.encode("utf-8"), "utf-8"),
        (TEXT.encode("gbk"), "gb18030"),
        (b"plain ascii\n", "utf-8"),
    ],
)
def test_detect_encoding(tmp_path, data, expected):
    path = write(tmp_path, data)
    assert detect_encoding(path) == expected
    with open(path, "rb") as stream:
        assert "".join(decode_chunks(stream, expected, name="f")) == data.decode(expected)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("comments_utf8_bom.csv", "utf-8-sig"),
        ("comments_gbk.csv", "gb18030"),
        ("comments_gb18030_rare.csv", "gb18030"),
        ("comments.tsv", "utf-8"),
    ],
)
def test_golden_files(name, expected):
    assert detect_encoding(DATA / name) == expected


def test_gb18030_rare_file_is_not_gbk():
    """The rare-character file really needs GB18030: plain GBK cannot decode it."""
    data = (DATA / "comments_gb18030_rare.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("gbk")
    text = data.decode("gb18030")
    assert "𠮷" in text and "䶮" in text and "〇" in text


def test_undecodable_file_names_file_offset_and_line(tmp_path):
    prefix = "第一行\n第二行\n".encode("gb18030") + b"ok "
    path = write(tmp_path, prefix + b"\xff tail\n", "broken.csv")
    with pytest.raises(InputError) as info:
        detect_encoding(path)
    message = str(info.value)
    assert "broken.csv" in message
    assert f"字节偏移 {len(prefix)}" in message  # the GB18030 attempt's first bad byte
    assert "第 3 行" in message
    assert "--encoding" in message
    assert "UTF-8" in message and "GB18030" in message


def test_explicit_encoding_overrides_detection(tmp_path):
    path = write(tmp_path, TEXT.encode("gbk"))
    assert detect_encoding(path, "gbk") == "gbk"
    assert detect_encoding(path, "cp936") == "gbk"  # canonical name


def test_explicit_encoding_is_strict(tmp_path):
    data = "第一行\n".encode() + "第二行".encode("gbk")
    path = write(tmp_path, data, "x.csv")
    with pytest.raises(InputError) as info:
        detect_encoding(path, "utf-8")
    message = str(info.value)
    assert "x.csv" in message and f"字节偏移 {len('第一行'.encode()) + 1}" in message
    assert "第 2 行" in message


def test_bom_that_lies_is_an_error(tmp_path):
    path = write(tmp_path, codecs.BOM_UTF8 + b"abc\n\xff\n")
    with pytest.raises(InputError, match="BOM"):
        detect_encoding(path)


def test_truncated_utf16_is_an_error(tmp_path):
    path = write(tmp_path, TEXT.encode("utf-16") + b"\x00")  # odd number of bytes
    with pytest.raises(InputError, match="字节偏移"):
        detect_encoding(path)


@pytest.mark.parametrize("name", ["no-such-codec", "rot13", "base64"])
def test_lookup_encoding_rejects_non_text_codecs(name):
    with pytest.raises(InputError, match="编码"):
        lookup_encoding(name)


def test_decode_chunks_raises_with_absolute_offset(tmp_path):
    good = ("意见" * 1000).encode("utf-8")
    stream = io.BytesIO(good + b"\n\x80rest")
    with pytest.raises(InputError) as info:
        for _ in decode_chunks(stream, "utf-8", name="big.csv", chunk_size=7):
            pass
    assert f"字节偏移 {len(good) + 1}" in str(info.value)
    assert "第 2 行" in str(info.value)


@settings(max_examples=300, deadline=None)
@given(
    data=st.binary(max_size=200),
    text=st.text(max_size=30),
    chunk_size=st.integers(1, 16),
    encoding=st.sampled_from(["utf-8", "gb18030"]),
)
def test_offset_matches_one_shot_decode(data, text, chunk_size, encoding):
    """Chunked strict decoding finds the same first bad byte as decoding everything at once."""
    try:
        blob = text.encode(encoding) + data
    except UnicodeEncodeError:
        return
    try:
        blob.decode(encoding)
        expected = None
    except UnicodeDecodeError as exc:
        expected = exc.start
    failure = first_decode_failure(io.BytesIO(blob), encoding, chunk_size=chunk_size)
    assert (failure.offset if failure else None) == expected


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=200), chunk_size=st.integers(1, 32))
def test_decode_chunks_round_trips(text, chunk_size):
    for encoding in ("utf-8", "gb18030", "utf-16"):
        stream = io.BytesIO(text.encode(encoding))
        assert "".join(decode_chunks(stream, encoding, name="x", chunk_size=chunk_size)) == text
