"""Streaming readers for the tables bureaus send: CSV, TSV, TXT, JSONL and XLSX.

``open_table`` checks the whole file up front (it exists, is not empty, decodes, has a
header) and raises :class:`~nlp_pipeline.errors.InputError` for whole-file problems.
``TableReader.rows()`` then streams one :class:`InputRow` per physical record, in input
order, with flat memory. A record that cannot be parsed becomes a row with ``error`` set;
the reader never stops for a bad row. Completely empty rows are not data: they are counted
in ``skipped_empty`` and not yielded.

Decisions worth knowing:

* **NUL bytes** never occur in text people type; they mean a damaged file or a wrong
  encoding (UTF-16 without a BOM). A CSV/TSV/TXT record containing one becomes an error
  row rather than being cleaned silently.
* **Unbalanced quotes** (CSV/TSV) are parsed strictly. When a record fails — a quoted field
  still open at the end of the file, a quote followed by stray characters, or a record
  longer than ``MAX_RECORD_LINES`` lines / ``MAX_RECORD_CHARS`` characters — the record's
  first line becomes an error row ("引号未闭合…") and reading resumes at the line after it,
  so one stray quote costs one row, not the rest of the file.
* **Field size**: fields of up to ``MAX_FIELD_CHARS`` characters are read (Python's csv
  default of 131072 is raised); a longer field becomes an error row.
* A stray **U+FEFF** at the start of a line (files joined with ``copy a.csv+b.csv``) is
  removed.
* **XLSX** is read with cached values (``data_only``): a formula cell gives the value Excel
  last computed, never the formula text.
* A ``.txt`` file with a UTF-16 BOM whose first line contains a tab is Excel's "Unicode
  text" export of a sheet, and is read as TSV.
* **Title rows** above the header (a merged title, a line with the unit and date) are
  skipped: the header of a CSV/TSV/XLSX is the first row whose cells look like column names
  (short, distinct, no "label: value", at least half as wide as the widest row near the top;
  a row naming a known text column wins) — ``header_row`` overrides it. ``header_row`` and
  ``skipped_above`` say what was chosen.
* **Footer rows** (填表人、审核人、合计 … at the end of the data, narrower than the table) are
  not data: they are left out and listed in ``footer_rows``, never dropped silently.
"""

from __future__ import annotations

import csv
import enum
import json
import os
import re
import shutil
import sys
import tempfile
import warnings
import weakref
import zipfile
from collections import deque
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any, BinaryIO, Final

from nlp_pipeline.errors import InputError, where
from nlp_pipeline.io.encoding import (
    UNDECODABLE,
    decode_chunks,
    decode_lines,
    detect_stream_encoding,
    lenient_encoding,
)

if TYPE_CHECKING:
    from nlp_pipeline.io.xlsx_guard import DateFormats

FORMATS = ("csv", "tsv", "txt", "jsonl", "xlsx")
EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".txt": "txt",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
}
KNOWN_TEXT_COLUMNS = (
    "text",
    "内容",
    "意见",
    "意见内容",
    "意见建议",
    "留言",
    "留言内容",
    "留言详情",
    "反映内容",
    "来电内容",
    "诉求内容",
    "正文",
    "comment",
    "content",
    "message",
    "opinion",
)
TEXT_COLUMN_WORDS = ("内容", "意见", "留言", "诉求", "反映", "来信", "摘要", "正文")
"""Words that, inside a column name, make it the text column when no name is known."""
STDIN_NAME = "<stdin>"

MAX_FIELD_CHARS = 1 << 20
"""Longest field accepted (32 times Excel's cell limit of 32767 characters)."""
MAX_RECORD_CHARS = 1 << 22
"""Longest physical line or CSV record; beyond it the record is an error row."""
MAX_RECORD_LINES = 10_000
"""Most physical lines one CSV record (a quoted field with line breaks) may span."""
MAX_COLUMNS = 1000
"""Columns kept from a header (or JSONL keys); more are dropped with a note in ``notes``."""

_CFB_MAGIC = b"\xd0\xcf\x11\xe0"  # OLE compound file: .xls, or an encrypted .xlsx
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
_EOL = re.compile(r"\r\n?|\n")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


@dataclass
class InputRow:
    """One record of an input table."""

    number: int
    """1-based physical line where the record starts (csv/tsv/txt/jsonl) or sheet row (xlsx)."""
    values: dict[str, object]
    """Column → value, in the input's column order; ``{}`` when the row could not be parsed."""
    error: str | None = None
    """Why the row could not be parsed, e.g. ``data.jsonl 第 7 行: 不是合法的 JSON: …``."""


# ---------------------------------------------------------------------------------------
# Public API


def open_table(
    path: str | os.PathLike[str],
    *,
    encoding: str | None = None,
    sheet: str | None = None,
    fmt: str | None = None,
    header_row: int | None = None,
    text_column: str | None = None,
    encoding_errors: str = "strict",
) -> TableReader:
    """Open an input table for streaming; raise InputError for whole-file problems.

    ``fmt`` (csv, tsv, txt, jsonl, xlsx) overrides the extension. ``"-"`` reads standard
    input (UTF-8 unless ``encoding`` is given): JSONL when its first non-blank line starts
    with ``{``, otherwise one comment per line. ``sheet`` picks an XLSX worksheet by name
    (default: the first). ``header_row`` (1-based line or sheet row) names the header
    instead of finding it; ``text_column`` helps find it. ``encoding_errors="rows"`` reads a
    text file whose lines do not all decode, each such line becoming an error row
    (``undecodable_lines`` counts them). Use the result as a context manager.
    """
    return TableReader(
        path,
        encoding=encoding,
        sheet=sheet,
        fmt=fmt,
        header_row=header_row,
        text_column=text_column,
        encoding_errors=encoding_errors,
    )


class TableReader:
    """An open input table: ``columns`` are known up front, ``rows()`` streams records.

    Attributes: ``path`` (as given, ``"-"`` for stdin), ``format``, ``encoding`` (None for
    XLSX), ``columns``, ``skipped_empty`` (empty rows seen by the last ``rows()`` pass),
    ``header_row`` (1-based line or sheet row of the header; None without one),
    ``skipped_above`` (non-empty title rows above it), ``footer_rows`` (``(number, text)`` of
    the footer rows left out by the last ``rows()`` pass).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        encoding: str | None = None,
        sheet: str | None = None,
        fmt: str | None = None,
        header_row: int | None = None,
        text_column: str | None = None,
        encoding_errors: str = "strict",
    ) -> None:
        if encoding_errors not in ("strict", "rows"):
            raise ValueError(f"encoding_errors must be 'strict' or 'rows', not {encoding_errors!r}")
        self.path = os.fspath(path)
        self.undecodable_lines = 0
        self._lenient = encoding_errors == "rows"
        self._reject_utf8 = False
        self.skipped_empty = 0
        self.footer_rows: list[tuple[int, str]] = []
        self._spool: IO[bytes] | None = None
        self._live: weakref.WeakSet[Any] = weakref.WeakSet()
        self._header_spec = HeaderSpec(header_row, text_column)
        try:
            self._source = self._open_source(encoding, sheet, fmt)
        except BaseException:
            self.close()
            raise
        self.format: str = self._source.format
        self.encoding: str | None = self._source.encoding
        self.columns: list[str] = list(self._source.columns)
        self.notes: list[str] = list(getattr(self._source, "notes", []))
        """Whole-file remarks for the user (columns dropped beyond MAX_COLUMNS …)."""
        self.date_formats: DateFormats = getattr(self._source, "date_formats", {})
        """Column position (0-based) → kind of value → number format of its first such cell
        (XLSX only); filled while rows are read, so an XLSX output shows dates as the input
        did."""
        self.header_row: int | None = getattr(self._source, "header_number", None)
        self.skipped_above: int = getattr(self._source, "skipped_above", 0)

    def rows(self) -> Iterator[InputRow]:
        """Yield one InputRow per non-empty record, in input order, streaming.

        May be called again to re-read from the start; ``skipped_empty`` is reset each time.
        Raises InputError only for whole-file damage found while reading (e.g. a corrupt
        XLSX member); a bad record is an InputRow with ``error`` set.
        """
        self.skipped_empty = 0
        self.footer_rows = []
        generator = self._source.rows(self)
        if self.header_row is not None:
            generator = _without_footer(generator, len(self.columns), self.footer_rows)
        self._live.add(generator)
        return generator

    def _count_empty(self) -> None:
        """Called by the sources for every empty row they skip."""
        self.skipped_empty += 1

    def close(self) -> None:
        """Release files; a ``rows()`` iterator still running is closed."""
        for generator in list(self._live):
            generator.close()
        source = getattr(self, "_source", None)
        if source is not None:
            source.close()
        if self._spool is not None:
            self._spool.close()
            self._spool = None

    def __enter__(self) -> TableReader:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<TableReader {self.path!r} format={self.format} columns={self.columns}>"

    def _open_source(self, encoding: str | None, sheet: str | None, fmt: str | None) -> _Source:
        if self.path == "-":
            return self._open_stdin(encoding, sheet, fmt)
        name = self.path
        head = _read_head(name)  # missing file or a folder: say so before the extension
        chosen = _format_for(name, fmt)
        _check_magic(name, chosen, head)
        if chosen == "xlsx":
            return _XlsxSource(name, name, sheet, self._header_spec)
        with open(name, "rb") as stream:
            if self._lenient:
                decided, self.undecodable_lines, reject_utf8 = lenient_encoding(
                    stream, encoding, name=name
                )
                self._reject_utf8 = reject_utf8
            else:
                decided = detect_stream_encoding(stream, encoding, name=name)
            chosen = _unicode_text_is_tsv(stream, chosen, decided, fmt, name)
        mode = (2 if self._reject_utf8 else 1) if self._lenient else 0
        return _make_text_source(
            chosen, lambda: open(name, "rb"), name, decided, self._header_spec, mode
        )

    def _open_stdin(self, encoding: str | None, sheet: str | None, fmt: str | None) -> _Source:
        chosen = _format_for(STDIN_NAME, fmt) if fmt else None
        spool = self._spool = tempfile.TemporaryFile(prefix="opinions-stdin-")
        shutil.copyfileobj(sys.stdin.buffer, spool, 1 << 20)
        if spool.tell() == 0:
            raise InputError(f"{where(STDIN_NAME)}标准输入是空的")
        spool.seek(0)
        _check_magic(STDIN_NAME, chosen or "txt", spool.read(8))
        spool.seek(0)
        if chosen == "xlsx":
            return _XlsxSource(spool, STDIN_NAME, sheet, self._header_spec)
        decided = detect_stream_encoding(spool, encoding or "utf-8", name=STDIN_NAME)

        def reopen() -> BinaryIO:
            spool.seek(0)
            return _Unclosable(spool)  # type: ignore[return-value]

        if chosen is None:
            chosen = _sniff_stdin_format(reopen, decided)
        return _make_text_source(chosen, reopen, STDIN_NAME, decided, self._header_spec)


def find_text_column(columns: list[str], requested: str | None = None, *, path: str = "") -> str:
    """Return the column that holds the comment text.

    ``requested`` (from ``--text-column``) wins when present — exactly, or else ignoring
    case and surrounding spaces. Otherwise exactly one column must carry a known name
    (text, 内容, 意见内容, 留言内容, content…, compared case-insensitively). Raises
    InputError listing the columns found and suggesting ``--text-column``.
    """
    prefix = where(path) if path else ""
    found = "、".join(repr(c) for c in columns) if columns else "（没有列）"
    if requested is not None:
        if requested in columns:
            return requested
        loose = [c for c in columns if _loose(c) == _loose(requested)]
        if len(loose) == 1:
            return loose[0]
        raise InputError(f"{prefix}没有名为 {requested!r} 的列；找到的列: {found}")
    known = {_loose(name) for name in KNOWN_TEXT_COLUMNS}
    matches = [c for c in columns if _loose(c) in known]
    if len(matches) == 1:
        return matches[0]
    if not matches:  # 回访内容, 群众意见, 来信摘要 …: a name containing a text word
        matches = [c for c in columns if any(w in c for w in TEXT_COLUMN_WORDS)]
        if len(matches) == 1:
            return matches[0]
    if matches:
        which = "、".join(repr(c) for c in matches)
        raise InputError(
            f"{prefix}有多个列都可能是意见文本（{which}）；请用 --text-column 指定其中一个。"
            f"找到的列: {found}"
        )
    raise InputError(f"{prefix}找不到意见文本所在的列；请用 --text-column 指定。找到的列: {found}")


# ---------------------------------------------------------------------------------------
# Checks before reading


def _format_for(name: str, fmt: str | None) -> str:
    if fmt is not None:
        chosen = fmt.lower().lstrip(".")
        if chosen not in FORMATS:
            raise InputError(f"{where(name)}不支持的格式 {fmt!r}；可用: {', '.join(FORMATS)}")
        return chosen
    ext = os.path.splitext(name)[1].lower()
    if ext in EXTENSIONS:
        return EXTENSIONS[ext]
    supported = " ".join(sorted(EXTENSIONS))
    if ext == ".xls":
        raise InputError(
            f"{where(name)}不支持旧版 Excel 的 .xls 文件；请在 Excel 中另存为 .xlsx 或 CSV UTF-8"
        )
    shown = repr(ext) if ext else "（没有扩展名）"
    raise InputError(f"{where(name)}不支持的文件类型 {shown}；支持: {supported}")


def _read_head(name: str) -> bytes:
    """The first bytes of a file; InputError if it is missing, a folder, unreadable or empty."""
    if os.path.isdir(name):
        raise InputError(f"{where(name)}这是一个文件夹，不是文件")
    try:
        with open(name, "rb") as stream:
            head = stream.read(8)
    except FileNotFoundError:
        raise InputError(f"{where(name)}找不到这个文件") from None
    except PermissionError:
        raise InputError(f"{where(name)}没有读取这个文件的权限") from None
    except OSError as exc:
        raise InputError(f"{where(name)}无法读取: {exc.strerror or exc}") from None
    if not head:
        raise InputError(f"{where(name)}文件是空的（0 字节）")
    return head


def _check_magic(name: str, fmt: str, head: bytes) -> None:
    if head.startswith(_CFB_MAGIC):
        raise InputError(
            f"{where(name)}这是加密（设置了打开密码）的 Excel 工作簿，或旧版 .xls 文件，无法读取；"
            "请在 Excel 中取消密码（文件 → 信息 → 保护工作簿 → 用密码进行加密，清空密码），"
            "再另存为不加密的 .xlsx"
        )
    is_zip = head.startswith(_ZIP_MAGICS)
    if fmt == "xlsx" and not is_zip:
        raise InputError(
            f"{where(name)}不是有效的 .xlsx 文件（已损坏，或其实是别的格式）；"
            "请在 Excel 中打开后重新另存为 .xlsx"
        )
    if fmt != "xlsx" and is_zip:
        raise InputError(
            f"{where(name)}看起来是 Excel .xlsx（zip）文件而不是文本；"
            "如果是 Excel 文件，请把扩展名改为 .xlsx"
        )


def _unicode_text_is_tsv(
    stream: BinaryIO, chosen: str, encoding: str, fmt: str | None, name: str
) -> str:
    """Excel's "Unicode text" export is a UTF-16 .txt with tab-separated columns."""
    if fmt is not None or chosen != "txt" or encoding != "utf-16":
        return chosen
    stream.seek(0)
    for line in _split_lines(decode_chunks(stream, encoding, name=name)):
        if line is not _OVERLONG and line.strip():
            return "tsv" if "\t" in line else chosen
    return chosen


def _sniff_stdin_format(reopen: Any, encoding: str) -> str:
    with reopen() as stream:
        for line in _split_lines(decode_chunks(stream, encoding, name=STDIN_NAME)):
            if line is _OVERLONG:
                return "txt"
            stripped = line.lstrip("\ufeff").strip()
            if stripped:
                return "jsonl" if stripped.startswith("{") else "txt"
    return "txt"


class _Unclosable:
    """Lets a ``with`` block use the stdin spool without closing it."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream

    def read(self, size: int = -1) -> bytes:
        return self._stream.read(size)

    def __enter__(self) -> _Unclosable:
        return self

    def __exit__(self, *exc_info: object) -> None:
        pass


# ---------------------------------------------------------------------------------------
# Physical lines


class _Overlong(enum.Enum):
    """Stands for a physical line longer than MAX_RECORD_CHARS (its text is dropped).

    A one-member enum, so that ``line is _OVERLONG`` tells type checkers ``line`` is a str
    otherwise.
    """

    OVERLONG = enum.auto()

    def __repr__(self) -> str:
        return "<overlong line>"


_OVERLONG: Final = _Overlong.OVERLONG


def _split_lines(chunks: Iterable[str]) -> Iterator[str | _Overlong]:
    r"""Split decoded text into physical lines ending in \r\n, \n or \r, ends kept.

    Only these three end a line (not U+2028 and friends, as ``str.splitlines`` would), so
    the result is what the csv module expects. A line longer than MAX_RECORD_CHARS is
    replaced by ``_OVERLONG`` and skipped to its end, keeping memory bounded.
    """
    pending = ""
    skipping = False  # inside an overlong line, dropping text up to its end
    for chunk in chunks:
        text = pending + chunk if pending else chunk
        pos = 0
        for match in _EOL.finditer(text):
            end = match.end()
            if end == len(text) and text[-1] == "\r":
                break  # the "\n" of a "\r\n" may start the next chunk
            if skipping:
                skipping = False
            elif end - pos > MAX_RECORD_CHARS:
                yield _OVERLONG
            else:
                yield text[pos:end]
            pos = end
        rest = text[pos:]
        if not skipping and len(rest) > MAX_RECORD_CHARS:
            yield _OVERLONG
            skipping = True
        # While skipping keep only a trailing "\r": it ends the line, maybe with a "\n" next.
        pending = ("\r" if rest.endswith("\r") else "") if skipping else rest
    if pending and not skipping:
        yield pending


def _strip_eol(line: str) -> str:
    return line.rstrip("\r\n") if line.endswith(("\r", "\n")) else line


def _line_text(line: str) -> str:
    """The content of a physical line: no line ending, no stray BOM at the start."""
    text = _strip_eol(line)
    return text[1:] if text.startswith("\ufeff") else text


# ---------------------------------------------------------------------------------------
# Sources


class _Source:
    """What one input format provides to TableReader."""

    format: str
    encoding: str | None
    columns: list[str]

    def rows(self, reader: TableReader) -> Generator[InputRow, None, None]:
        raise NotImplementedError

    def close(self) -> None:
        """Release resources held between passes."""


class _TextSource(_Source):
    """Base for the line-based formats: decoding and line splitting are shared."""

    encoding: str

    lenient = 0
    """1: lines that do not decode become error rows (``--encoding-errors=rows``); 2: so do
    clearly-UTF-8 lines of a file read as GB18030."""

    def __init__(self, fmt: str, reopen: Any, name: str, encoding: str) -> None:
        self.format = fmt
        self.encoding = encoding
        self.name = name
        self._reopen = reopen
        self.columns = []

    def _lines(self) -> Generator[str | _Overlong, None, None]:
        with self._reopen() as stream:
            if self.lenient:
                yield from _split_lines(
                    decode_lines(stream, self.encoding, reject_utf8=self.lenient == 2)
                )
            else:
                yield from _split_lines(decode_chunks(stream, self.encoding, name=self.name))

    def _error(self, number: int, message: str) -> InputRow:
        return InputRow(number, {}, f"{where(self.name, number)}{message}")


def _make_text_source(
    fmt: str,
    reopen: Any,
    name: str,
    encoding: str,
    spec: HeaderSpec | None = None,
    lenient: int = 0,
) -> _Source:
    if fmt == "txt":
        source: _TextSource = _TxtSource(fmt, reopen, name, encoding)
    elif fmt == "jsonl":
        source = _JsonlSource(fmt, reopen, name, encoding)
    else:
        source = _CsvSource(fmt, reopen, name, encoding, spec or HeaderSpec(), lenient)
    source.lenient = lenient
    return source


def _value_problem(values: Iterable[object]) -> str | None:
    """A reason to reject a parsed record: NUL characters or an oversized field."""
    for value in values:
        if not isinstance(value, str):
            continue
        if UNDECODABLE in value:
            return "这一行无法按文件的编码解码（混入了别的编码的内容），已跳过"
        if "\x00" in value:
            return (
                "含有 NUL 空字符，文件可能已损坏或编码不对（例如没有 BOM 的 UTF-16）；这一行已跳过"
            )
        if len(value) > MAX_FIELD_CHARS:
            return f"字段过长（{len(value)} 个字符，上限 {MAX_FIELD_CHARS}）；这一行已跳过"
    return None


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


_OVERLONG_MESSAGE = "这一行超过 {limit} 个字符，已跳过"


class _TxtSource(_TextSource):
    """One comment per line; columns ``line`` (the line number) and ``text``."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.columns = ["line", "text"]

    def rows(self, reader: TableReader) -> Generator[InputRow, None, None]:
        for number, line in enumerate(self._lines(), 1):
            if line is _OVERLONG:
                yield self._error(number, _OVERLONG_MESSAGE.format(limit=MAX_RECORD_CHARS))
                continue
            text = _line_text(line)
            if not text.strip():
                reader._count_empty()
                continue
            problem = _value_problem((text,))
            if problem:
                yield self._error(number, problem)
                continue
            yield InputRow(number, {"line": number, "text": text})


class _JsonlSource(_TextSource):
    """One JSON object per line; columns are the union of keys, in first-seen order."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.notes: list[str] = []
        keys = _cap_columns(self._scan_columns(), self.name, self.notes)
        self._keys = keys
        self.columns = [_escape_surrogates(k) for k in keys]

    def _scan_columns(self) -> list[str]:
        seen: dict[str, None] = {}
        for line in self._lines():
            if line is _OVERLONG:
                continue
            text = _line_text(line).strip()
            if not text.startswith("{"):
                continue
            try:
                obj = json.loads(text)
            except (ValueError, RecursionError):
                continue
            if isinstance(obj, dict):
                seen.update(dict.fromkeys(obj))
        return list(seen)

    def rows(self, reader: TableReader) -> Generator[InputRow, None, None]:
        for number, line in enumerate(self._lines(), 1):
            if line is _OVERLONG:
                yield self._error(number, _OVERLONG_MESSAGE.format(limit=MAX_RECORD_CHARS))
                continue
            text = _line_text(line).strip()
            if not text:
                reader._count_empty()
                continue
            row = self._parse(number, text)
            if row is None:
                reader._count_empty()
            else:
                yield row

    def _parse(self, number: int, text: str) -> InputRow | None:
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            return self._error(number, f"不是合法的 JSON: {exc.msg} (第 {exc.colno} 列)")
        except (ValueError, RecursionError) as exc:
            return self._error(number, f"不是合法的 JSON: {type(exc).__name__}")
        if not isinstance(obj, dict):
            return self._error(
                number, f"不是 JSON 对象（是{_json_kind(obj)}）；每一行应是一个 {{...}} 对象"
            )
        values = {
            column: obj.get(key, "") for key, column in zip(self._keys, self.columns, strict=True)
        }
        if all(_is_blank(v) for v in values.values()):
            return None
        problem = _value_problem(values.values())
        if problem is None and "\\u" in text and _has_surrogate(values):
            problem = "含有无效的 Unicode 代理字符（\\ud800–\\udfff 单独出现）；这一行已跳过"
        if problem:
            return self._error(number, problem)
        return InputRow(number, values)


def _json_kind(obj: object) -> str:
    if obj is None:
        return " null"
    if isinstance(obj, bool):
        return "布尔值"
    if isinstance(obj, (int, float)):
        return "数字"
    if isinstance(obj, str):
        return "字符串"
    if isinstance(obj, list):
        return "数组"
    return type(obj).__name__


# ---------------------------------------------------------------------------------------
# CSV / TSV


class _RecordTooLong(Exception):
    """Raised inside csv.reader's line source to cut off a runaway record."""


class _LineFeed:
    """The line iterator csv.reader pulls from.

    It numbers physical lines, remembers the lines of the current record so they can be
    re-read after a failed record, strips a stray BOM at line starts and cuts off records
    that grow beyond MAX_RECORD_LINES lines or MAX_RECORD_CHARS characters.
    """

    def __init__(self, lines: Iterator[str | _Overlong]) -> None:
        self._source = lines
        self._replay: deque[tuple[int, str | _Overlong]] = deque()
        self._last = 0
        self.record: list[tuple[int, str | _Overlong]] = []
        self.chars = 0
        self.eof = False

    @property
    def start(self) -> int:
        """Line number where the current record starts."""
        return self.record[0][0] if self.record else self._last + 1

    @property
    def end(self) -> int:
        return self.record[-1][0] if self.record else self.start

    def begin_record(self) -> None:
        self.record = []
        self.chars = 0

    def replay_after_first_line(self) -> None:
        """Re-read every line of the failed record except its first."""
        self._replay.extendleft(reversed(self.record[1:]))

    def __iter__(self) -> _LineFeed:
        return self

    def __next__(self) -> str:
        if self._replay:
            number, line = self._replay.popleft()
        else:
            try:
                line = next(self._source)
            except StopIteration:
                self.eof = True
                raise
            if line is not _OVERLONG and line.startswith("\ufeff"):
                line = line[1:]
            self._last += 1
            number = self._last
        self.record.append((number, line))
        if line is _OVERLONG:
            raise _RecordTooLong
        self.chars += len(line)
        if len(self.record) > MAX_RECORD_LINES or self.chars > MAX_RECORD_CHARS:
            raise _RecordTooLong
        return line


@dataclass
class _Record:
    number: int
    fields: list[str] | None
    error: str | None = None


class _CsvSource(_TextSource):
    """Comma- (.csv) or tab- (.tsv) separated values with a header record."""

    def __init__(
        self,
        fmt: str,
        reopen: Any,
        name: str,
        encoding: str,
        spec: HeaderSpec,
        lenient: int = 0,
    ) -> None:
        super().__init__(fmt, reopen, name, encoding)
        self.lenient = lenient
        self._delimiter = "\t" if self.format == "tsv" else ","
        self.header_number, self.skipped_above, self.columns = self._read_header(spec)
        self._width = len(self.columns)
        self.notes: list[str] = []
        self.columns = _cap_columns(self.columns, name, self.notes)

    def _read_header(self, spec: HeaderSpec) -> tuple[int, int, list[str]]:
        records = self._records()
        top: list[tuple[int, list[object] | None]] = []
        try:
            for record in records:
                if spec.row is not None and record.number > spec.row:
                    break
                if record.error:
                    if not top or spec.row == record.number:
                        raise InputError(
                            f"{where(self.name, record.number)}表头无法解析: {record.error}"
                        )
                    top.append((record.number, None))
                elif not _all_blank(record.fields):
                    top.append((record.number, record.fields))  # type: ignore[arg-type]
                if spec.row is None and _scanned_enough(top, record.number):
                    break
        finally:
            records.close()
        if not top:
            raise InputError(f"{where(self.name)}文件里没有内容（只有空行）")
        number, fields, above = _pick_header(top, spec, self.name, "行")
        problem = _value_problem(fields)
        if problem:
            raise InputError(f"{where(self.name, number)}表头{problem}")
        return number, above, header_names(fields)

    def rows(self, reader: TableReader) -> Generator[InputRow, None, None]:
        for record in self._records():
            if record.number <= self.header_number:
                if _all_blank(record.fields) and not record.error:
                    reader._count_empty()
                continue
            if record.error:
                yield self._error(record.number, record.error)
            elif _all_blank(record.fields):
                reader._count_empty()
            else:
                yield self._row(record.number, record.fields)  # type: ignore[arg-type]

    def _row(self, number: int, fields: list[str]) -> InputRow:
        expected = len(self.columns)
        if expected < len(fields) <= self._width:
            fields = fields[:expected]  # columns beyond MAX_COLUMNS, dropped with a note
        if len(fields) > expected:
            return self._error(
                number,
                f"字段数与表头不符 (expected {expected}, got {len(fields)})；"
                f"可能是内容里有没加引号的{'制表符' if self.format == 'tsv' else '逗号'}",
            )
        problem = _value_problem(fields)
        if problem:
            return self._error(number, problem)
        fields = fields + [""] * (expected - len(fields))
        return InputRow(number, dict(zip(self.columns, fields, strict=True)))

    def _records(self) -> Generator[_Record, None, None]:
        """Parse records strictly; after a failed record resume at its second line."""
        _raise_field_size_limit()
        lines = self._lines()
        try:
            feed = _LineFeed(lines)
            reader = csv.reader(feed, delimiter=self._delimiter, quotechar='"', strict=True)
            while True:
                feed.begin_record()
                try:
                    fields = next(reader)
                except StopIteration:
                    return
                except (csv.Error, _RecordTooLong) as exc:
                    yield _Record(feed.start, None, self._explain(exc, feed))
                    feed.replay_after_first_line()
                    continue
                yield _Record(feed.start, fields)
        finally:
            lines.close()

    def _explain(self, exc: Exception, feed: _LineFeed) -> str:
        first_overlong = bool(feed.record) and feed.record[0][1] is _OVERLONG
        if first_overlong or (isinstance(exc, _RecordTooLong) and len(feed.record) == 1):
            return _OVERLONG_MESSAGE.format(limit=MAX_RECORD_CHARS)
        if len(feed.record) > 1 or feed.eof:
            until = "文件末尾" if feed.eof else f"第 {feed.end} 行"
            return (
                f"引号未闭合：从这一行开始的带引号字段到{until}仍未正确结束；"
                "这一行已跳过，从下一行继续读取"
            )
        message = str(exc)
        if "expected after" in message:
            return '引号用法不规范：字段里的双引号要写成两个 ""，或把整个字段用引号括起来'
        if "NUL" in message:
            return _value_problem(["\x00"]) or message
        return f"无法解析: {message}"


def _all_blank(fields: list[str] | None) -> bool:
    return not fields or all(not f.strip() for f in fields)


def _raise_field_size_limit() -> None:
    # The limit is process-wide; it is only ever raised, and our own limits apply first.
    if csv.field_size_limit() <= MAX_RECORD_CHARS:
        csv.field_size_limit(MAX_RECORD_CHARS + 1)


def header_names(cells: Iterable[object]) -> list[str]:
    """Column names from header cells: stripped; empty → ``未命名列N``; repeats → ``名_2``."""
    names: list[str] = []
    for index, cell in enumerate(cells, 1):
        text = _cell_text(cell).strip().lstrip("\ufeff").strip()
        names.append(text or f"未命名列{index}")
    # Linear in the number of cells, however many repeat: a set of every given name, and
    # per name the next suffix to try (a 20,000-fold repeat once took 40 s).
    given = set(names)
    taken: set[str] = set()
    next_suffix: dict[str, int] = {}
    unique: list[str] = []
    for name in names:
        candidate = name
        if candidate in taken:
            n = next_suffix.get(name, 1)
            while True:
                n += 1
                candidate = f"{name}_{n}"
                if candidate not in taken and candidate not in given:
                    break
            next_suffix[name] = n
        taken.add(candidate)
        unique.append(candidate)
    return unique


def _cap_columns(columns: list[str], name: str, notes: list[str]) -> list[str]:
    """The first MAX_COLUMNS columns; a note says how many were dropped."""
    if len(columns) <= MAX_COLUMNS:
        return columns
    notes.append(
        f"{where(name)}表头有 {len(columns):,} 列，只保留前 {MAX_COLUMNS} 列，"
        f"其余 {len(columns) - MAX_COLUMNS:,} 列不读取也不输出 (columns beyond {MAX_COLUMNS} dropped)"
    )
    return columns[:MAX_COLUMNS]


def _has_surrogate(value: object, depth: int = 0) -> bool:
    """A lone surrogate anywhere in a (nested) JSON value or its keys."""
    if isinstance(value, str):
        return _SURROGATE.search(value) is not None
    if depth > 100:
        return False
    if isinstance(value, dict):
        return any(_has_surrogate(k) or _has_surrogate(v, depth + 1) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_surrogate(v, depth + 1) for v in value)
    return False


def _escape_surrogates(text: str) -> str:
    """``\\udc80`` written out for each lone surrogate: a column name that can be written."""
    if _SURROGATE.search(text) is None:
        return text
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# ---------------------------------------------------------------------------------------
# Title rows above the header, footer rows below the data

HEADER_SCAN_ROWS = 30
"""Non-empty rows looked at to find the header."""
HEADER_SCAN_SPAN = 200
"""Rows (empty ones included) looked at below the first non-empty row."""
MAX_NAME_CHARS = 40
_LABEL_VALUE = re.compile(r"[:：]\s*\S")
_FOOTER = re.compile(
    r"^\s*(合\s*计|总\s*计|小\s*计|共计|填\s*表\s*人|填报人|制\s*表\s*人|审\s*核\s*人|审核|"
    r"负\s*责\s*人|统计人|经办人|联系人|联系电话|填表日期|填报日期|制表日期|制表时间|备\s*注|说明|注[:：])"
)
MAX_FOOTER_ROWS = 20
"""A longer run of footer-like rows is data, not a footer."""


@dataclass(frozen=True)
class HeaderSpec:
    row: int | None = None
    """The header's 1-based line/row number when the user named it (``--header-row``)."""
    text_column: str | None = None
    """The text column the user named, a strong sign of the header row."""


def _scanned_enough(top: list[tuple[int, list[object] | None]], number: int) -> bool:
    """Enough rows seen to choose the header (a long run of empty rows ends the scan too)."""
    return len(top) >= HEADER_SCAN_ROWS or (bool(top) and number - top[0][0] > HEADER_SCAN_SPAN)


def _nonblank(cells: Iterable[object]) -> list[object]:
    return [c for c in cells if not _is_blank(c)]


def _looks_like_names(cells: list[object], min_width: int) -> bool:
    names = _nonblank(cells)
    if len(names) < min_width:
        return False
    texts = [c.strip() for c in names if isinstance(c, str)]
    return (
        len(texts) == len(names)  # numbers and dates are data, not names
        and all(len(t) <= MAX_NAME_CHARS and "\n" not in t for t in texts)
        and not any(_LABEL_VALUE.search(t) for t in texts)
        and len(set(texts)) == len(texts)
    )


def _pick_header(
    top: list[tuple[int, list[object] | None]], spec: HeaderSpec, name: str, unit: str
) -> tuple[int, list[object], int]:
    """The header among the first non-empty rows: (number, cells, non-empty rows above it)."""
    if spec.row is not None:
        for index, (number, cells) in enumerate(top):
            if number == spec.row:
                if cells is None or not _nonblank(cells):
                    break
                return number, cells, index
        raise InputError(
            f"{where(name, spec.row)}--header-row {spec.row}: 这一{unit}是空的或不存在"
        )
    widest = (
        max(len(_nonblank(cells)) for _n, cells in top if cells is not None)
        if any(cells is not None for _n, cells in top)
        else 0
    )
    min_width = max(1 if widest < 2 else 2, (widest + 1) // 2)
    known = {_loose(n) for n in KNOWN_TEXT_COLUMNS}
    if spec.text_column:
        known.add(_loose(spec.text_column))
    candidates = [
        (index, number, cells)
        for index, (number, cells) in enumerate(top)
        if cells is not None and _looks_like_names(cells, min_width)
    ]
    for index, number, cells in candidates:
        if any(
            isinstance(c, str) and (_loose(c) in known or any(w in c for w in TEXT_COLUMN_WORDS))
            for c in cells
        ):
            return number, cells, index
    if candidates:
        index, number, cells = candidates[0]
        return number, cells, index
    for index, (number, cells) in enumerate(top):
        if cells is not None:
            return number, cells, index
    raise InputError(f"{where(name)}找不到表头")


def _footer_text(row: InputRow, width: int) -> str | None:
    """The row's text when it looks like a footer (填表人：…, 合计 …), else None."""
    if row.error:
        return None
    cells = _nonblank(row.values.values())
    if not cells or len(cells) > max(2, width // 2):
        return None
    first = cells[0]
    if not isinstance(first, str) or not _FOOTER.match(first):
        return None
    return " ".join(_cell_text(c).strip() for c in cells)


def _without_footer(
    rows: Generator[InputRow, None, None], width: int, footer: list[tuple[int, str]]
) -> Generator[InputRow, None, None]:
    """Hold footer-like rows back; rows followed by data are data after all."""
    held: list[tuple[InputRow, str]] = []
    try:
        for row in rows:
            text = _footer_text(row, width)
            if text is not None and len(held) < MAX_FOOTER_ROWS:
                held.append((row, text))
                continue
            for kept, _text in held:
                yield kept
            held.clear()
            yield row
        footer.extend((row.number, text) for row, text in held)
    finally:
        rows.close()


# ---------------------------------------------------------------------------------------
# XLSX


class _XlsxSource(_Source):
    """A worksheet read with openpyxl in read-only mode; the header is the first non-empty row."""

    format = "xlsx"
    encoding = None

    def __init__(
        self, file: str | IO[bytes], name: str, sheet: str | None, spec: HeaderSpec | None = None
    ) -> None:
        self.name = name
        self.date_formats: DateFormats = {}
        self._workbook = _load_workbook(file, name)
        try:
            self._sheet = self._pick_sheet(sheet)
            self._sheet.reset_dimensions()  # a wrong <dimension> would cut rows off
            self.header_number, self.skipped_above, self.columns = self._read_header(
                spec or HeaderSpec()
            )
            self.notes: list[str] = []
            self.columns = _cap_columns(self.columns, name, self.notes)
        except BaseException:
            self.close()
            raise

    def _pick_sheet(self, sheet: str | None) -> Any:
        sheets = self._workbook.worksheets
        if sheet is None:
            if not sheets:
                raise InputError(f"{where(self.name)}工作簿里没有工作表")
            return sheets[0]
        for candidate in sheets:
            if candidate.title == sheet:
                return candidate
        names = "、".join(repr(s.title) for s in sheets)
        raise InputError(f"{where(self.name)}没有名为 {sheet!r} 的工作表；有: {names}")

    def _read_header(self, spec: HeaderSpec) -> tuple[int, int, list[str]]:
        cells_iter = self._cells()
        top: list[tuple[int, list[object] | None]] = []
        try:
            for number, cells in cells_iter:
                if spec.row is not None and number > spec.row:
                    break
                if not all(_is_blank(v) for v in cells):
                    top.append((number, list(cells)))
                if spec.row is None and _scanned_enough(top, number):
                    break
        finally:
            cells_iter.close()
        if not top:
            raise InputError(f"{where(self.name)}工作表 {self._sheet.title!r} 是空的")
        number, header, above = _pick_header(top, spec, self.name, "行")
        width = max(i for i, v in enumerate(header, 1) if not _is_blank(v))
        return number, above, header_names(header[:width])

    def rows(self, reader: TableReader) -> Generator[InputRow, None, None]:
        for number, cells in self._cells():
            if all(_is_blank(v) for v in cells):
                reader._count_empty()
            elif number > self.header_number:
                yield self._row(number, cells)

    def _row(self, number: int, cells: tuple[object, ...]) -> InputRow:
        width = len(self.columns)
        for index in range(width, len(cells) if width < MAX_COLUMNS else width):
            if not _is_blank(cells[index]):
                return InputRow(
                    number,
                    {},
                    f"{where(self.name, number)}第 {index + 1} 列在表头之外却有内容；"
                    "请给这一列加上表头，或删除这些内容",
                )
        values = {
            column: ("" if index >= len(cells) or cells[index] is None else cells[index])
            for index, column in enumerate(self.columns)
        }
        problem = _value_problem(values.values())
        if problem:
            return InputRow(number, {}, f"{where(self.name, number)}{problem}")
        return InputRow(number, values)

    def _cells(self) -> Generator[tuple[int, tuple[object, ...]], None, None]:
        """Sheet rows with their 1-based numbers; damage in the zip raises InputError."""
        # Beyond MAX_COLUMNS + 1 cells are not even made into values: a row padded to
        # column XFD costs what a short one costs.
        from nlp_pipeline.io.xlsx_guard import iter_row_values

        rows = iter_row_values(
            self._sheet,
            MAX_COLUMNS + 1,
            self.date_formats,
            getattr(self, "header_number", 1 << 31) + 1,  # header not read yet: record none
            len(getattr(self, "columns", ())),  # cells right of the header are error rows
        )
        number = 0
        while True:
            try:
                cells = next(rows)
            except StopIteration:
                return
            except Exception as exc:  # noqa: BLE001 - any parser failure means a damaged file
                raise _damaged(self.name, exc) from exc
            number += 1
            yield number, cells

    def close(self) -> None:
        self._workbook.close()


def _load_workbook(file: str | IO[bytes], name: str) -> Any:
    from nlp_pipeline.io.xlsx_guard import load_workbook  # only XLSX input pays for openpyxl

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "no default style" and similar chatter
            return load_workbook(file, name, MAX_FIELD_CHARS)
    except InputError:
        raise
    except zipfile.BadZipFile as exc:
        raise InputError(
            f"{where(name)}xlsx 文件已损坏或不完整（可能没有下载或复制完）: {exc}；"
            "请重新获取文件，或在 Excel 中打开后另存为 .xlsx"
        ) from exc
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds on bad files
        raise _damaged(name, exc) from exc


def _damaged(name: str, exc: BaseException) -> InputError:
    detail = f"{type(exc).__name__}: {exc}".strip().rstrip(":")
    return InputError(
        f"{where(name)}xlsx 文件已损坏，无法读取（{detail}）；请在 Excel 中打开后另存为 .xlsx"
    )


def _loose(name: str) -> str:
    return name.strip().lower()
