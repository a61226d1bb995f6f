"""The jieba shard cache: in the per-user cache folder, checked against the dictionary."""

from __future__ import annotations

import os

import pytest

from nlp_pipeline.text import segment


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("NLP_PIPELINE_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


TEXT = "晚上小区里经常有人偷电动车，希望加强巡逻"


def _cut() -> list[str]:
    return segment._Segmenter().cut(TEXT)


def test_default_folder_is_the_per_user_cache_not_the_temp_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("NLP_PIPELINE_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    folder = segment.cache_dir()
    assert str(folder).startswith(str(tmp_path)) and "nlp_pipeline" in str(folder)


def test_a_tampered_shard_is_rebuilt_not_used(fresh_cache):
    expected = _cut()
    path = segment._shard_file()
    data = bytearray(path.read_bytes())
    # Change one word's stored log-probability: same size, valid marshal, other segmentation.
    data[-20] ^= 0x01
    path.write_bytes(bytes(data))
    assert _cut() == expected
    assert segment._read_shards(path, segment._shard_key()) is not None  # rebuilt


@pytest.mark.parametrize("garbage", [b"", b"\x00" * 100, b"not marshal at all", None])
def test_garbage_or_foreign_cache_is_rebuilt(fresh_cache, garbage):
    expected = _cut()
    path = segment._shard_file()
    if garbage is None:  # a valid-looking file for another dictionary
        key = b"x" * 32
        blob = path.read_bytes()[len(segment._SHARD_MAGIC) + 65 :]
        garbage = segment._SHARD_MAGIC + segment._checksum(key, blob) + b"\n" + blob
    path.write_bytes(garbage)
    assert _cut() == expected


def test_a_world_writable_cache_file_is_not_trusted(fresh_cache):
    _cut()
    path = segment._shard_file()
    os.chmod(path, 0o666)
    assert segment._read_shards(path, segment._shard_key()) is None
    assert _cut()  # still segments (rebuilt)
