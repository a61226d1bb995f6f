"""Deterministic, strict choice of the text encoding of an input file.

Bureau files come from Excel and WPS on Chinese Windows: "CSV UTF-8" (UTF-8 with a BOM),
plain "CSV" (GBK, i.e. code page 936), "Unicode text" (UTF-16 with a BOM), and UTF-8
without a BOM from web systems. The decision is made in this order:

1. a byte-order mark decides: UTF-8 BOM → ``utf-8-sig``; UTF-16 LE/BE BOM → ``utf-16``
   (UTF-32 BOMs → ``utf-32``);
2. otherwise the whole file is streamed through a strict UTF-8 decoder;
3. if that fails, through a strict GB18030 decoder (a superset of GBK and GB2312);
4. if that fails too, :class:`~nlp_pipeline.errors.InputError` names the file and the byte
   offset of the first byte GB18030 cannot decode, and suggests ``--encoding``.

Characters are never replaced: every decoder here runs with ``errors="strict"``. With
``--encoding-errors=rows`` (:func:`lenient_encoding`, :func:`decode_lines`) a file with a
few lines in another encoding is read line by line instead: the encoding under which fewer
lines fail is chosen, and each line that does not decode becomes :data:`UNDECODABLE` (the
readers turn it into an error row) — still nothing is replaced inside a line.
"""

from __future__ import annotations

import codecs
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from nlp_pipeline.errors import InputError, where

CHUNK_SIZE = 1 << 20
"""Bytes read per step: memory stays flat whatever the file size."""

AUTO_ENCODINGS = ("utf-8", "gb18030")
"""Encodings tried, in order, for a file without a byte-order mark."""

_BOMS = (
    # UTF-32 LE must be tested before UTF-16 LE: its BOM starts with the same two bytes.
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

_HINT = (
    "请用 --encoding 指定文件的编码（例如 --encoding gbk、--encoding utf-16），"
    "或在 Excel 中另存为「CSV UTF-8（逗号分隔）」；只有少数行是别的编码时，"
    "可用 --encoding-errors=rows 把这些行记为出错行、其余照常分类"
)
_HINT_EXPLICIT = (
    "文件里有不是这种编码的内容：换一种编码试试（不指定 --encoding 时自动识别 UTF-8 和 GBK），"
    "或用 --encoding-errors=rows 把无法解码的行记为出错行、其余照常分类，"
    "或在 Excel 中另存为「CSV UTF-8（逗号分隔）」"
)
UNDECODABLE = "\ue000undecodable\ue000"
"""Stands for the text of a line that does not decode (private-use characters)."""
LINE_ENCODINGS = ("utf-8", "gb18030")
"""Encodings whose bytes never contain 0x0A inside a character: safe to split on b"\\n"."""


@dataclass(frozen=True)
class DecodeFailure:
    """Where and why a strict decode stopped."""

    encoding: str
    offset: int  # 0-based byte offset of the first undecodable byte
    line: int | None  # 1-based line of that byte, when it could be counted
    reason: str

    def describe(self) -> str:
        """``第 3 行，字节偏移 1234 (invalid start byte)`` — for messages."""
        at = f"字节偏移 {self.offset}"
        if self.line is not None:
            at = f"第 {self.line} 行，{at}"
        return f"{at} ({self.reason})"


def sniff_bom(head: bytes) -> str | None:
    """Return the encoding a byte-order mark at the start of ``head`` announces, or None."""
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name
    return None


def lookup_encoding(name: str) -> str:
    """Validate an encoding name given by a user; return Python's canonical name.

    Raises InputError for unknown names and for codecs that are not text encodings
    (``rot13``, ``base64``…).
    """
    try:
        info = codecs.lookup(name)
    except LookupError:
        raise InputError(f"未知的编码 {name!r}；常用的有 utf-8、gbk、gb18030、utf-16") from None
    if not getattr(info, "_is_text_encoding", True):
        raise InputError(f"{name!r} 不是文本编码；常用的有 utf-8、gbk、gb18030、utf-16")
    return info.name


def detect_encoding(
    path: str | os.PathLike[str],
    encoding: str | None = None,
    *,
    chunk_size: int = CHUNK_SIZE,
) -> str:
    """Decide the encoding of the file at ``path`` and check that the whole file decodes.

    An explicit ``encoding`` overrides detection but is still checked strictly. The file is
    read in chunks of ``chunk_size`` bytes, so memory stays flat. Raises InputError naming
    the file, the line and the byte offset of the first undecodable byte.
    """
    name = os.fspath(path)
    with open(name, "rb") as stream:
        return detect_stream_encoding(stream, encoding, name=name, chunk_size=chunk_size)


def detect_stream_encoding(
    stream: BinaryIO,
    encoding: str | None = None,
    *,
    name: str,
    chunk_size: int = CHUNK_SIZE,
) -> str:
    """:func:`detect_encoding` for a seekable binary stream; the stream is left at offset 0."""
    start = stream.tell()
    if encoding is not None:
        candidates: tuple[str, ...] = (lookup_encoding(encoding),)
    else:
        bom = sniff_bom(stream.read(4))
        candidates = (bom,) if bom else AUTO_ENCODINGS
    failures: list[DecodeFailure] = []
    for candidate in candidates:
        stream.seek(start)
        failure = first_decode_failure(stream, candidate, chunk_size=chunk_size)
        if failure is None:
            if candidate == "gb18030" and len(candidates) > 1:
                _refuse_mixed(stream, start, name)  # UTF-8 lines would come out garbled
            stream.seek(start)
            return candidate
        failures.append(failure)
    stream.seek(start)
    raise InputError(_failure_message(name, failures, explicit=encoding is not None))


def _line_kinds(stream: BinaryIO) -> tuple[list[int], list[int]]:
    """Line numbers of clearly-UTF-8 lines (3+ non-ASCII characters) and of non-UTF-8 lines."""
    utf8, other = [], []
    for number, line in enumerate(_byte_lines(stream), 1):
        if line.isascii():
            continue
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            other.append(number)
            continue
        if sum(not c.isascii() for c in text) >= 3:
            utf8.append(number)
    return utf8, other


def _refuse_mixed(stream: BinaryIO, start: int, name: str) -> None:
    stream.seek(start)
    utf8, other = _line_kinds(stream)
    stream.seek(start)
    if not utf8 or not other:
        return
    minority = other if len(other) <= len(utf8) else utf8
    shown = "、".join(str(n) for n in minority[:10]) + ("…" if len(minority) > 10 else "")
    raise InputError(
        f"{where(name)}文件混有两种编码：{len(utf8)} 行是 UTF-8，{len(other)} 行是 GBK/GB18030"
        f"（少数一方在第 {shown} 行）。用 --encoding-errors=rows 把少数编码的行记为出错行、"
        "其余照常分类，或在 Excel 中另存为「CSV UTF-8（逗号分隔）」"
    )


def _failure_message(name: str, failures: list[DecodeFailure], *, explicit: bool) -> str:
    last = failures[-1]
    if explicit:
        return f"{where(name)}无法按 {last.encoding} 解码：{last.describe()}。{_HINT_EXPLICIT}"
    if len(failures) == 1:  # a BOM announced the encoding, and the file contradicts it
        return (
            f"{where(name)}文件开头的 BOM 表明编码是 {last.encoding}，"
            f"但内容无法按它解码：{last.describe()}。文件可能已损坏；{_HINT}"
        )
    tried = "；".join(f"{f.encoding}: {f.describe()}" for f in failures[:-1])
    return (
        f"{where(name)}无法识别文件编码：既不是 UTF-8（{tried}），"
        f"也不是 GB18030/GBK（{last.describe()}）。{_HINT}"
    )


def first_decode_failure(
    stream: BinaryIO, encoding: str, *, chunk_size: int = CHUNK_SIZE
) -> DecodeFailure | None:
    """Stream ``stream`` to its end through a strict decoder; return the first failure or None."""
    decoder = _StrictDecoder(encoding)
    try:
        while chunk := stream.read(chunk_size):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except _Undecodable as exc:
        return exc.failure
    return None


def decode_chunks(
    stream: BinaryIO,
    encoding: str,
    *,
    name: str,
    chunk_size: int = CHUNK_SIZE,
) -> Iterator[str]:
    """Yield the text of a binary stream chunk by chunk, decoding strictly.

    Raises InputError naming ``name``, the line and the byte offset at the first byte
    that does not decode.
    """
    decoder = _StrictDecoder(encoding)
    try:
        while chunk := stream.read(chunk_size):
            text = decoder.decode(chunk)
            if text:
                yield text
        text = decoder.decode(b"", final=True)
    except _Undecodable as exc:
        raise InputError(
            f"{where(name)}无法按 {encoding} 解码：{exc.failure.describe()}。{_HINT}"
        ) from None
    if text:
        yield text


def _byte_lines(stream: BinaryIO, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
    pending = b""
    while chunk := stream.read(chunk_size):
        lines = (pending + chunk).split(b"\n")
        pending = lines.pop()
        for line in lines:
            yield line + b"\n"
    if pending:
        yield pending


def lenient_encoding(
    stream: BinaryIO, encoding: str | None = None, *, name: str
) -> tuple[str, int, bool]:
    """For ``--encoding-errors=rows``: (encoding, lines that will be error rows, reject UTF-8).

    A BOM or an explicit ``encoding`` decides; otherwise the majority of the lines does:
    UTF-8 (lines that are not become error rows) or GB18030 — then the lines that are
    clearly UTF-8 become error rows too (GB18030 would decode them into garbage), which the
    third value says. Encodings that cannot be split into lines by bytes (UTF-16/32) are
    checked strictly, as without the option.
    """
    start = stream.tell()
    bom = sniff_bom(stream.read(4))
    stream.seek(start)
    chosen = lookup_encoding(encoding) if encoding else bom
    if chosen is not None and codecs.lookup(chosen).name not in {
        codecs.lookup(e).name for e in (*LINE_ENCODINGS, "utf-8-sig", "gbk", "gb2312")
    }:
        return detect_stream_encoding(stream, encoding, name=name), 0, False
    if chosen is None:
        utf8, other = _line_kinds(stream)
        stream.seek(start)
        if len(utf8) >= len(other):
            return "utf-8", len(other), False
        chosen, reject_utf8 = "gb18030", True
    else:
        reject_utf8 = False
    bad = 0
    for line in _byte_lines(stream):
        try:
            line.decode(chosen)
        except UnicodeDecodeError:
            bad += 1
    stream.seek(start)
    if reject_utf8:
        bad += len(utf8)
    return chosen, bad, reject_utf8


def decode_lines(stream: BinaryIO, encoding: str, reject_utf8: bool = False) -> Iterator[str]:
    """Decode line by line; a line that does not decode is yielded as UNDECODABLE + its end.

    With ``reject_utf8`` a line that is clearly UTF-8 counts as not decoding as well.
    """
    first = True
    for line in _byte_lines(stream):
        try:
            if reject_utf8 and not line.isascii():
                try:
                    utf8 = line.decode("utf-8")
                except UnicodeDecodeError:
                    pass
                else:
                    if sum(not c.isascii() for c in utf8) >= 3:
                        raise UnicodeDecodeError(encoding, line, 0, 1, "a UTF-8 line")
            text = line.decode(encoding)
        except UnicodeDecodeError:
            text = UNDECODABLE + ("\r\n" if line.endswith(b"\r\n") else "\n")
        if first and text.startswith("\ufeff"):
            text = text[1:]
        first = False
        yield text


class _Undecodable(Exception):
    def __init__(self, failure: DecodeFailure) -> None:
        super().__init__(failure.describe())
        self.failure = failure


class _StrictDecoder:
    """An incremental strict decoder that knows the absolute offset and line of an error."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        self._decoder = codecs.getincrementaldecoder(encoding)("strict")
        self._consumed = 0  # bytes handed to the decoder so far
        self._lines = 1
        self._ends_with_cr = False

    def decode(self, data: bytes, final: bool = False) -> str:
        state = self._decoder.getstate()
        try:
            text = self._decoder.decode(data, final)
        except UnicodeError as exc:
            raise _Undecodable(self._failure(exc, data, state)) from None
        self._consumed += len(data)
        self._count_lines(text)
        return text

    def _count_lines(self, text: str) -> None:
        if not text:
            return
        breaks = text.count("\n") + text.count("\r") - text.count("\r\n")
        if self._ends_with_cr and text[0] == "\n":
            breaks -= 1  # the "\r\n" straddles two chunks and was counted at the "\r"
        self._lines += breaks
        self._ends_with_cr = text[-1] == "\r"

    def _failure(self, exc: UnicodeError, data: bytes, state: tuple[bytes, int]) -> DecodeFailure:
        if not isinstance(exc, UnicodeDecodeError):  # e.g. "UTF-16 stream does not start with BOM"
            return DecodeFailure(self.encoding, self._consumed, None, str(exc))
        # exc.object is the decoder's pending bytes followed by ``data``.
        buffered = len(exc.object) - len(data)
        offset = self._consumed - buffered + exc.start
        return DecodeFailure(
            self.encoding, offset, self._line_at(data, exc.start - buffered, state), exc.reason
        )

    def _line_at(self, data: bytes, valid: int, state: tuple[bytes, int]) -> int | None:
        """Line of the bad byte: decode the valid prefix of ``data`` again and count breaks."""
        try:
            self._decoder.setstate(state)
            self._count_lines(self._decoder.decode(data[: max(valid, 0)]))
        except (UnicodeError, ValueError, TypeError):
            return None
        return self._lines
