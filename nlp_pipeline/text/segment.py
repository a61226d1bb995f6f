"""Word segmentation: jieba's no-HMM algorithm, jieba-identical, with a lazily loaded dictionary.

The module keeps one private segmenter (not jieba's global tokenizer), built lazily on
first use in each process, with the project's user dictionary loaded, its cache file in a
project-controlled folder, and jieba's logging silenced. Word tokens for the features
(lower-cased, no punctuation, no stopwords) are made from these pieces by
:mod:`nlp_pipeline.text.tokens`.
"""

from __future__ import annotations

import hashlib
import logging
import marshal
import math
import os
import sys
import threading
from importlib import resources
from pathlib import Path

USER_DICT = "userdict.txt"

_lock = threading.Lock()
_segmenter: _Segmenter | None = None


def data_path(name: str) -> Path:
    """Path of a data file shipped inside the package (user dictionary, stopwords)."""
    return Path(str(resources.files("nlp_pipeline.text") / "resources" / name))


def cache_dir() -> Path:
    """Where jieba's dictionary caches live: $NLP_PIPELINE_CACHE, else the per-user cache folder.

    The per-user folder is the platform's (``~/.cache/nlp_pipeline`` on Linux, under
    ``%LOCALAPPDATA%`` on Windows, ``~/Library/Caches`` on macOS), not a shared temp folder
    another account could have created first.
    """
    env = os.environ.get("NLP_PIPELINE_CACHE")
    if env:
        return Path(env)
    try:
        import platformdirs
    except ImportError:  # pragma: no cover - a dependency; keep working without it
        return Path.home() / ".cache" / "nlp_pipeline"
    return Path(platformdirs.user_cache_dir("nlp_pipeline", appauthor=False))


def _quiet_jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    logging.getLogger("jieba").setLevel(logging.WARNING)
    return jieba


def build_full_tokenizer():
    """A fully initialised ``jieba.Tokenizer`` with the user dictionary (slow: ~0.6 s)."""
    jieba = _quiet_jieba()
    tok = jieba.Tokenizer()
    folder = cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    tok.tmp_dir = str(folder)
    tok.initialize()
    tok.load_userdict(str(data_path(USER_DICT)))
    return tok


_SHARD_MAGIC = b"nlp_pipeline jieba shards v3\n"


def _shard_key() -> bytes:
    """sha256 of everything the shards depend on: versions, jieba's and our dictionary."""
    import jieba

    digest = hashlib.sha256()
    digest.update(f"shards-v3|{jieba.__version__}|{sys.version_info[:2]}".encode())
    with jieba.get_dict_file() as dictionary:
        digest.update(dictionary.read())
    digest.update(data_path(USER_DICT).read_bytes())
    return digest.digest()


def _shard_file(key: bytes | None = None) -> Path:
    """Cache file of the dictionary split by first character, named by its key."""
    key = key or _shard_key()
    return cache_dir() / f"jieba-shards-{key.hex()[:16]}.marshal"


def _checksum(key: bytes, blob: bytes) -> bytes:
    return hashlib.sha256(key + blob).hexdigest().encode()


def _read_shards(path: Path, key: bytes) -> tuple[int, dict] | None:
    """The cached shards, or None when the file is missing, foreign, tampered or garbage.

    The file starts with a checksum over the dictionary's key and the data, so a shard
    edited by hand, a truncated write or a file made for another dictionary is rebuilt,
    never used. A file not owned by this user, or writable by others, is not trusted.
    """
    try:
        info = path.stat()
        if hasattr(os, "geteuid") and (info.st_uid != os.geteuid() or info.st_mode & 0o022):
            return None
        data = path.read_bytes()
    except OSError:
        return None
    head = len(_SHARD_MAGIC)
    if not data.startswith(_SHARD_MAGIC) or data[head + 64 : head + 65] != b"\n":
        return None
    blob = data[head + 65 :]
    if data[head : head + 64] != _checksum(key, blob):
        return None
    try:
        total, shards = marshal.loads(blob)
    except (ValueError, EOFError, TypeError):
        return None
    if not isinstance(total, int) or not isinstance(shards, dict):
        return None
    return total, shards


def _write_shards(path: Path, key: bytes) -> tuple[int, dict]:
    """Split jieba's dictionary (with the user dictionary) by first character.

    Values are stored ready for the route search: ``log(freq) - log(total)`` for words,
    ``None`` for prefixes that are not words themselves.
    """
    tok = build_full_tokenizer()
    logtotal = math.log(tok.total)
    shards: dict[str, dict[str, float | None]] = {}
    for word, freq in tok.FREQ.items():
        shards.setdefault(word[0], {})[word] = math.log(freq) - logtotal if freq else None
    packed = {ch: marshal.dumps(d) for ch, d in shards.items()}
    blob = marshal.dumps((tok.total, packed))
    from nlp_pipeline.errors import OutputError
    from nlp_pipeline.io.atomic import write_bytes_atomic

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_bytes_atomic(path, _SHARD_MAGIC + _checksum(key, blob) + b"\n" + blob)
    except (OSError, OutputError):
        pass  # no cache this time (read-only home, full disk): segmentation still works
    return tok.total, packed


class _Segmenter:
    """jieba's no-HMM segmentation, with its dictionary loaded lazily and its DP inlined.

    - Lazy: jieba only ever looks up substrings of the sentence it cuts, so loading the
      dictionary entries that start with the sentence's characters gives exactly the
      segmentation of the full dictionary, while a one-comment triage skips the 0.5 s
      load of 500,000 entries.
    - Lean: jieba's ``get_DAG`` + ``calc`` (best route by log-frequency, ties to the longer
      word) run as one loop over precomputed log-probabilities, same arithmetic, same
      tie-breaking, about twice as fast.

    ``tests/text/test_segment_parity.py`` checks, with fresh (unloaded) segmenters, that the
    pieces are identical to ``jieba.Tokenizer.cut`` (HMM off, user dictionary loaded) on
    every corpus text and on generated text; it reads jieba's internals, so pyproject.toml
    allows only the jieba versions verified there.
    """

    def __init__(self) -> None:
        import jieba

        _quiet_jieba()
        key = _shard_key()
        path = _shard_file(key)
        cached = _read_shards(path, key)
        total, self._shards = cached if cached is not None else _write_shards(path, key)
        self.logtotal = math.log(total)
        # word -> log(freq) - log(total) for dictionary words, None for prefixes only.
        self.words: dict[str, float | None] = {}
        self._loaded: set[str] = set()
        self._prime_lock = threading.Lock()
        self._complete = False
        self._re_han = jieba.re_han_default
        self._re_skip = jieba.re_skip_default
        self._re_eng = jieba.re_eng

    def load_all(self) -> None:
        """Load every shard (batch workers do this once; per-text checks then stop)."""
        if not self._complete:
            self._prime(list(self._shards))
            self._complete = True

    def _prime(self, chars) -> None:
        # Threads share one segmenter. A shard is marked loaded only after its words are in
        # ``self.words`` (one dict.update, atomic under the GIL), so a thread that sees the
        # mark also sees the words; the lock keeps two threads from loading the same shard.
        loaded = self._loaded
        missing = [ch for ch in chars if ch not in loaded]
        if not missing:
            return
        with self._prime_lock:
            words, shards = self.words, self._shards
            for ch in missing:
                if ch not in loaded:
                    blob = shards.get(ch)
                    if blob is not None:
                        words.update(marshal.loads(blob))
                    loaded.add(ch)

    def cut(self, text: str) -> list[str]:
        """The pieces ``jieba.Tokenizer.cut(text, HMM=False)`` yields, as a list."""
        if not self._complete:
            self._prime(set(text))
        out: list[str] = []
        re_han, re_skip = self._re_han, self._re_skip
        for blk in re_han.split(text):
            if not blk:
                continue
            if re_han.match(blk):
                self._cut_block(blk, out)
            else:
                for x in re_skip.split(blk):
                    if re_skip.match(x):
                        out.append(x)
                    else:
                        out.extend(x)
        return out

    def _cut_block(self, s: str, out: list[str]) -> None:
        words = self.words
        n = len(s)
        fallback = 0.0 - self.logtotal  # jieba: log(FREQ.get(ch) or 1) - logtotal
        score = [0.0] * (n + 1)
        end = [0] * (n + 1)
        for idx in range(n - 1, -1, -1):
            best, best_x = None, idx
            i = idx
            frag = s[idx]
            while i < n and frag in words:
                lp = words[frag]
                if lp is not None:
                    cand = lp + score[i + 1]
                    # max over (score, x) tuples: ties go to the larger x (later here)
                    if best is None or cand >= best:
                        best, best_x = cand, i
                i += 1
                frag = s[idx : i + 1]
            if best is None:
                best = fallback + score[idx + 1]
            score[idx] = best
            end[idx] = best_x
        eng = self._re_eng
        x, buf = 0, ""
        while x < n:
            y = end[x] + 1
            word = s[x:y]
            if y - x == 1 and eng.match(word):
                buf += word
            else:
                if buf:
                    out.append(buf)
                    buf = ""
                out.append(word)
            x = y
        if buf:
            out.append(buf)


def get_segmenter() -> _Segmenter:
    """The process's segmenter, built once (thread-safe)."""
    global _segmenter
    if _segmenter is None:
        with _lock:
            if _segmenter is None:
                _segmenter = _Segmenter()
    return _segmenter


def warm_up() -> None:
    """Load the whole dictionary now: for workers that will cut many texts."""
    get_segmenter().load_all()


def segment(text: str) -> list[str]:
    """Raw jieba segmentation (no HMM, user dictionary active), every piece kept."""
    return get_segmenter().cut(text)
