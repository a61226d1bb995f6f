"""Atomic, streaming writers for result tables: CSV/TSV and XLSX for people, JSONL for machines.

Every file is written under a temporary name in the target folder
(``.out.csv.tmp-<random>``) and moved onto the final name with :func:`os.replace` only when
the writer is closed without an exception. On any failure the temporary file is removed
and an existing file of the final name is left exactly as it was.

Formula injection: a citizen's comment may start with ``=``, ``+``, ``-`` or ``@``.

* CSV/TSV: such strings get a leading apostrophe (:func:`neutralize_formula`), so Excel
  shows them as text instead of evaluating them.
* XLSX: every string is written as an explicit text cell, which Excel never evaluates, *and*
  neutralized like CSV. The text cell protects the file as written; the apostrophe keeps
  the value inert when staff edit the cell or re-save the sheet as CSV, which would
  otherwise turn it into a live formula. XLSX also cannot store some characters
  (U+0000–U+0008, U+000B, U+000C, U+000E–U+001F, U+FFFE, U+FFFF): they are removed; CR and
  CRLF become LF. A string longer than Excel's cell limit (32767 characters) is cut and
  ends in a visible marker. See :func:`xlsx_text`.
* JSONL is for machines and is written as is (UTF-8, ``ensure_ascii=False``), except that
  NaN and ±Infinity, which JSON cannot carry, become ``null``.

CSV/TSV files start with a UTF-8 BOM so Excel opens Chinese text correctly.
"""

from __future__ import annotations

import csv
import datetime as dt
import errno
import io
import json
import math
import os
import sys
import weakref
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Protocol

from nlp_pipeline.errors import OutputError, where
from nlp_pipeline.io import jsontext
from nlp_pipeline.io.xlsx_guard import date_kind

OUTPUT_EXTENSIONS = {".csv": "csv", ".tsv": "tsv", ".xlsx": "xlsx", ".jsonl": "jsonl"}
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
XLSX_MAX_ROWS = 1_048_576


@dataclass(frozen=True)
class XlsxLayout:
    """How an XLSX output looks to a person in Excel/WPS (ignored by the other formats).

    The header row is frozen and bold with an autofilter; ``text_columns`` are wide and
    wrapped; ``percent_columns`` (confidences in [0, 1]) show as ``93%``; dates show as
    ``yyyy-mm-dd`` (with the time when there is one; times of day as ``h:mm:ss``), or in the
    number format ``date_formats`` gives for their column position (0-based) and kind of
    value (``date``, ``datetime``, ``time``): a built-in Excel format id or a format code, as
    ``TableReader.date_formats`` records them from an XLSX input, so that ``2026年3月5日``
    stays ``2026年3月5日``. It is read while rows are written, so it may
    fill as the input is read. ``keywords`` go into the document properties (``opinions
    report`` reads the model version from there).
    """

    text_columns: tuple[str, ...] = ()
    percent_columns: tuple[str, ...] = ()
    keywords: str = ""
    date_formats: Mapping[int, Mapping[str, int | str]] = field(default_factory=dict)


XLSX_MAX_CELL_CHARS = 32_767
XLSX_TRUNCATION_MARK = "…[超出 Excel 单元格 32767 字符上限，已截断]"
# Characters XML 1.0 cannot carry; removed from XLSX cells.
_XLSX_ILLEGAL = str.maketrans(
    dict.fromkeys([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0xFFFE, 0xFFFF])
)
_EXACT_FLOAT_INT = 2**53  # larger integers lose digits in Excel (e.g. ID card numbers)
_BUFFER_CHARS = 1 << 20


_FORMULA_FIRST = frozenset(FORMULA_PREFIXES)


def neutralize_formula(value: object) -> object:
    """Prefix ``'`` to a string starting with ``= + - @``, tab or CR; return others unchanged.

    Excel then shows the string as text instead of running it as a formula.
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def restore_formula(value: object) -> object:
    """Undo :func:`neutralize_formula`: the text as typed, from a cell this package wrote.

    Only a ``'`` followed by one of ``FORMULA_PREFIXES`` is removed; any other value is
    returned unchanged.
    """
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(FORMULA_PREFIXES):
        return value[1:]
    return value


def xlsx_text(value: str) -> str:
    """The string an XLSX cell gets for ``value``.

    Neutralized like CSV; CR and CRLF become LF (Excel's in-cell line break; XML would turn
    a bare CR into LF anyway); characters XML cannot carry are removed; a string over
    Excel's 32767-character limit is cut and ends in a visible marker.
    """
    text = str(neutralize_formula(value)).replace("\r\n", "\n").replace("\r", "\n")
    text = text.translate(_XLSX_ILLEGAL)
    if len(text) > XLSX_MAX_CELL_CHARS:
        text = text[: XLSX_MAX_CELL_CHARS - len(XLSX_TRUNCATION_MARK)] + XLSX_TRUNCATION_MARK
    return text


def same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """True when ``a`` and ``b`` name the same file (also via links, ``..`` or letter case).

    ``"-"`` (stdin/stdout) is never the same file as anything. Use it to refuse writing the
    output over the input.
    """
    first, second = os.fspath(a), os.fspath(b)
    if first == "-" or second == "-":
        return False
    try:
        return os.path.samefile(first, second)
    except OSError:  # one of them does not exist (yet): compare the resolved names
        return _resolved(first) == _resolved(second)


def _resolved(path: str) -> str:
    return os.path.normcase(os.path.realpath(os.path.abspath(path)))


def open_writer(
    path: str | os.PathLike[str],
    columns: Iterable[str],
    fmt: str | None = None,
    layout: XlsxLayout | None = None,
) -> TableWriter:
    """Open an atomic writer for ``path`` (``"-"``: JSONL on stdout); use it with ``with``."""
    return TableWriter(path, columns, fmt, layout)


class TableWriter:
    """Write rows to a table file; commit on a clean ``with`` exit, discard on an exception.

    The format comes from the extension (.csv, .tsv, .xlsx, .jsonl) or ``fmt``; ``"-"``
    writes JSONL (or ``fmt`` csv/tsv, without BOM) to stdout. Problems with the target —
    missing folder, no permission, disk full, a folder in the way — raise OutputError
    naming the path, at construction or while writing.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        columns: Iterable[str],
        fmt: str | None = None,
        layout: XlsxLayout | None = None,
    ) -> None:
        self.path = os.fspath(path)
        self.columns = list(columns)
        self.layout = layout or XlsxLayout()
        self.format = _output_format(self.path, fmt)
        self.rows_written = 0
        self._failed = False
        self._done = False
        self._target: _Target = (
            _StdoutTarget(self.path) if self.path == "-" else _AtomicFile(self.path)
        )
        try:
            self._sink = self._make_sink()
        except OSError as exc:
            self._target.discard()
            raise _os_error(self.path, exc) from exc
        except BaseException:
            self._target.discard()
            raise

    def write_rows(self, rows: Iterable[Mapping[str, object]]) -> None:
        """Append rows (column → value; missing columns are empty, other keys ignored).

        May be called any number of times; each call streams its rows and hands them to the
        file before returning.
        """
        if self._done or self._failed:
            raise OutputError(f"{where(self.path)}写入已结束或已失败，不能再追加行")
        self._failed = True  # until this call completes: a half-written file is never committed
        try:
            for row in rows:
                self._sink.write_row([row.get(column) for column in self.columns])
                self.rows_written += 1
            self._sink.flush()
        except OSError as exc:
            raise _os_error(self.path, exc) from exc
        except UnicodeEncodeError as exc:
            raise OutputError(
                f"{where(self.path)}有内容无法编码为 UTF-8（{exc.reason}），"
                f"约在第 {self.rows_written + 1} 行附近"
            ) from exc
        self._failed = False

    def commit(self) -> None:
        """Finish the file and move it onto its final name."""
        if self._done:
            return
        if self._failed:
            self.discard()
            raise OutputError(f"{where(self.path)}写入中途失败，未生成文件")
        try:
            self._sink.finish()
            self._target.commit()
        except OSError as exc:
            self.discard()
            raise _os_error(self.path, exc, replacing=True) from exc
        except BaseException:
            self.discard()
            raise
        self._done = True

    def discard(self) -> None:
        """Drop everything written so far; an existing file at ``path`` stays as it was."""
        if self._done:
            return
        self._done = True
        sink = getattr(self, "_sink", None)
        if sink is not None:
            sink.abort()
        self._target.discard()

    def __enter__(self) -> TableWriter:
        return self

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.discard()

    def _make_sink(self) -> _Sink:
        if self.format == "jsonl":
            return _JsonlSink(self._target, self.columns)
        if self.format == "xlsx":
            return _XlsxSink(self._target, self.columns, self.path, self.layout)
        delimiter = "\t" if self.format == "tsv" else ","
        bom = not isinstance(self._target, _StdoutTarget)
        return _CsvSink(self._target, self.columns, delimiter, bom=bom)


def _output_format(path: str, fmt: str | None) -> str:
    if fmt is not None:
        chosen = fmt.lower().lstrip(".")
        if chosen not in OUTPUT_EXTENSIONS.values():
            raise OutputError(f"{where(path)}不支持的输出格式 {fmt!r}；可用: csv、tsv、xlsx、jsonl")
    elif path == "-":
        chosen = "jsonl"
    else:
        ext = os.path.splitext(path)[1].lower()
        if ext not in OUTPUT_EXTENSIONS:
            shown = repr(ext) if ext else "（没有扩展名）"
            raise OutputError(
                f"{where(path)}不支持的输出文件类型 {shown}；支持: .csv .tsv .xlsx .jsonl"
            )
        chosen = OUTPUT_EXTENSIONS[ext]
    if path == "-" and chosen == "xlsx":
        raise OutputError("xlsx 不能写到标准输出；请给出一个 .xlsx 文件名")
    return chosen


_OS_REASONS = {
    "ENOSPC": "磁盘空间不足",
    "EDQUOT": "磁盘配额已用完",
    "EROFS": "磁盘是只读的",
    "EACCES": "没有写入权限",
    "EPERM": "没有写入权限",
    "ENOENT": "所在文件夹不存在",
    "EISDIR": "这是一个文件夹",
}


def _os_error(path: str, exc: OSError, *, replacing: bool = False) -> OutputError:
    name = errno.errorcode.get(exc.errno or -1, "")  # not every code exists on Windows
    reason = _OS_REASONS.get(name, "写入失败")
    if replacing and isinstance(exc, PermissionError):
        reason += "（文件是否正在 Excel 或别的程序中打开？请关闭后重试）"
    detail = exc.strerror or str(exc)
    return OutputError(f"{where(path)}无法写入: {reason} ({detail})")


# ---------------------------------------------------------------------------------------
# Targets: where bytes go


class _BinaryOut(Protocol):
    """What a target writes to: a binary file, or stdout (maybe wrapped in _TextAsBytes)."""

    def write(self, data: bytes, /) -> int: ...

    def flush(self) -> None: ...

    def close(self) -> None: ...


class _Target:
    file: _BinaryOut

    def write(self, data: bytes) -> None:
        raise NotImplementedError

    def commit(self) -> None:
        raise NotImplementedError

    def discard(self) -> None:
        raise NotImplementedError


class _AtomicFile(_Target):
    """A temporary file beside ``final`` that replaces it on commit."""

    file: IO[bytes]

    def __init__(self, final: str) -> None:
        from nlp_pipeline.io.atomic import temp_name

        self.final = final
        self.tmp = temp_name(final)  # checks the target is not a folder, its folder exists
        try:
            self.file = open(self.tmp, "xb")  # noqa: SIM115 - closed in commit/discard
        except OSError as exc:
            raise _os_error(final, exc) from exc
        # A writer dropped without commit or discard still removes its temporary file.
        self._cleanup = weakref.finalize(self, _remove_quietly, self.file, self.tmp)

    def write(self, data: bytes) -> None:
        self.file.write(data)

    def commit(self) -> None:
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()
        os.replace(self.tmp, self.final)
        self._cleanup.detach()

    def discard(self) -> None:
        self._cleanup()


def _remove_quietly(file: IO[bytes], path: str) -> None:
    try:
        file.close()
    except OSError:
        pass  # e.g. ENOSPC again while flushing: the file is being removed anyway
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


class _StdoutTarget(_Target):
    """Standard output: streamed, not atomic."""

    def __init__(self, name: str) -> None:
        sys.stdout.flush()  # text already printed must come first
        self.file = getattr(sys.stdout, "buffer", None) or _TextAsBytes(sys.stdout)

    def write(self, data: bytes) -> None:
        self.file.write(data)

    def commit(self) -> None:
        self.file.flush()

    def discard(self) -> None:
        try:
            self.file.flush()
        except OSError:
            pass


class _TextAsBytes(io.RawIOBase):
    """For a stdout without ``.buffer`` (some test runners and IDEs)."""

    def __init__(self, text: IO[str]) -> None:
        self._text = text

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self._text.write(bytes(data).decode("utf-8"))
        return len(data)

    def flush(self) -> None:
        self._text.flush()


# ---------------------------------------------------------------------------------------
# Sinks: how rows become bytes


class _Sink:
    def write_row(self, values: list[object]) -> None:
        raise NotImplementedError

    def flush(self) -> None:
        """Hand buffered rows to the target."""

    def finish(self) -> None:
        """Write whatever completes the file."""
        self.flush()

    def abort(self) -> None:
        """Release resources of an unfinished file."""


class _BufferedTextSink(_Sink):
    """Collects text in memory up to ~1 MiB, then encodes it to the target as UTF-8."""

    def __init__(self, target: _Target) -> None:
        self._target = target
        self._buffer = io.StringIO()

    def _maybe_flush(self) -> None:
        if self._buffer.tell() > _BUFFER_CHARS:
            self.flush()

    def flush(self) -> None:
        text = self._buffer.getvalue()
        if text:
            self._target.write(text.encode("utf-8"))
            self._buffer.seek(0)
            self._buffer.truncate()


class _CsvSink(_BufferedTextSink):
    def __init__(self, target: _Target, columns: list[str], delimiter: str, *, bom: bool) -> None:
        super().__init__(target)
        if bom:
            target.write("\ufeff".encode())
        self._writer = csv.writer(self._buffer, delimiter=delimiter, lineterminator="\r\n")
        self._writer.writerow([neutralize_formula(c) for c in columns])
        self.flush()

    def write_row(self, values: list[object]) -> None:
        self._writer.writerow([_csv_value(v) for v in values])
        self._maybe_flush()


def _csv_value(value: object) -> object:
    if type(value) is str:  # the common case first: this runs for every cell of a batch
        return "'" + value if value[:1] in _FORMULA_FIRST else value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    if isinstance(value, (dict, list)):
        return neutralize_formula(json.dumps(value, ensure_ascii=False))
    return neutralize_formula(str(value))


class _JsonlSink(_BufferedTextSink):
    def __init__(self, target: _Target, columns: list[str]) -> None:
        super().__init__(target)
        self._columns = columns

    def write_row(self, values: list[object]) -> None:
        record = dict(zip(self._columns, values, strict=True))
        line = jsontext.dumps(record, default=str)  # NaN (e.g. from a JSONL input) → null
        self._buffer.write(line)
        self._buffer.write("\n")
        self._maybe_flush()


class _XlsxSink(_Sink):
    """A streaming XLSX writer: sheet rows go as XML text to a temporary file, and are zipped
    with the few other parts of a workbook at the end.

    Written directly rather than through openpyxl's write-only mode, which builds an object
    per cell and wrote about 6,000 rows/s against 140,000 for CSV. Strings are inline
    strings (``t="inlineStr"``): text cells, never formulas or error codes; numbers,
    booleans and naive dates stay typed. The layout (``XlsxLayout``) is one small styles part.
    """

    _STYLE = {"": 0, "wrap": 1, "pct": 2, "date": 3, "datetime": 4, "head": 5}

    def __init__(
        self, target: _Target, columns: list[str], path: str, layout: XlsxLayout | None = None
    ) -> None:
        import tempfile

        layout = layout or XlsxLayout()
        self._target = target
        self._path = path
        self._layout = layout
        self._columns = list(columns)
        self._letters = [_column_letter(i) for i in range(1, len(columns) + 1)]
        self._kind = [
            "wrap" if c in layout.text_columns else ("pct" if c in layout.percent_columns else "")
            for c in columns
        ]
        self._rows = 0
        self._buffer: list[str] = []
        self._date_xfs: dict[int | str, int] = {}  # input date format → its cellXfs index
        self._body = tempfile.TemporaryFile(prefix="opinions-xlsx-")
        self._write_cells(columns, header=True)

    def write_row(self, values: list[object]) -> None:
        if self._rows >= XLSX_MAX_ROWS:
            raise OutputError(
                f"{where(self._path)}超过了 xlsx 的 {XLSX_MAX_ROWS:,} 行上限；请改用 .csv 输出"
            )
        self._write_cells(values)

    def _write_cells(self, values: Sequence[object], header: bool = False) -> None:
        self._rows += 1
        r = self._rows
        parts = [f'<row r="{r}">']
        for i, raw in enumerate(values):
            ref = f"{self._letters[i]}{r}"
            if header:
                parts.append(_inline(ref, xlsx_text(str(raw)), 5))
                continue
            value = _xlsx_value(raw)
            kind = self._kind[i]
            if value is None or value == "":
                continue
            if isinstance(value, str):
                parts.append(_inline(ref, xlsx_text(value), 1 if kind == "wrap" else 0))
            elif isinstance(value, bool):
                parts.append(f'<c r="{ref}" t="b"><v>{int(value)}</v></c>')
            elif isinstance(value, (int, float)):
                style = ' s="2"' if kind == "pct" and isinstance(value, float) else ""
                parts.append(f'<c r="{ref}"{style}><v>{value!r}</v></c>')
            elif (
                isinstance(value, (dt.date, dt.time))
                and (serial := _excel_serial(value)) is not None
            ):
                what = date_kind(value) or "date"
                xf = self._date_style(i, what, _DEFAULT_DATE_XF[what])
                parts.append(f'<c r="{ref}" s="{xf}"><v>{serial!r}</v></c>')
            else:  # timedelta, dates Excel cannot hold: as text, exactly as Python writes it
                parts.append(_inline(ref, xlsx_text(str(value)), 0))
        parts.append("</row>")
        self._buffer.append("".join(parts))
        if len(self._buffer) >= 2000:
            self.flush()

    def _date_style(self, column: int, kind: str, default: int) -> int:
        """The style of a date cell: its input column's own number format for this kind of
        value (date, date and time, time), else ``default``."""
        fmt = self._layout.date_formats.get(column, {}).get(kind)
        if fmt is None:
            return default
        if fmt not in self._date_xfs:
            self._date_xfs[fmt] = len(_XLSX_XFS) + len(self._date_xfs)
        return self._date_xfs[fmt]

    def flush(self) -> None:
        if self._buffer:
            self._body.write("".join(self._buffer).encode("utf-8"))
            self._buffer = []

    def finish(self) -> None:
        import zipfile

        self.flush()
        width = len(self._columns)
        last = f"{self._letters[-1]}{max(self._rows, 1)}" if width else "A1"
        with zipfile.ZipFile(self._target.file, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
            z.writestr("[Content_Types].xml", _XLSX_CONTENT_TYPES)
            z.writestr("_rels/.rels", _XLSX_ROOT_RELS)
            z.writestr("docProps/core.xml", _core_xml(self._layout.keywords))
            z.writestr("xl/workbook.xml", _XLSX_WORKBOOK)
            z.writestr("xl/_rels/workbook.xml.rels", _XLSX_WORKBOOK_RELS)
            z.writestr("xl/styles.xml", _styles_xml(self._date_xfs))
            with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
                sheet.write(self._sheet_head().encode("utf-8"))
                self._body.seek(0)
                while block := self._body.read(1 << 20):
                    sheet.write(block)
                tail = "</sheetData>"
                if width:
                    tail += f'<autoFilter ref="A1:{last}"/>'
                sheet.write((tail + "</worksheet>").encode("utf-8"))
        self._body.close()

    def _sheet_head(self) -> str:
        cols = []
        for i, column in enumerate(self._columns, 1):
            if column in self._layout.text_columns:
                width = 60
            elif column in self._layout.percent_columns:
                width = max(10, _display_width(column) + 2)
            else:
                width = min(max(10, _display_width(column) + 3), 30)
            cols.append(f'<col min="{i}" max="{i}" width="{width}" customWidth="1"/>')
        return (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<worksheet xmlns="{_XLSX_MAIN}" xmlns:r="{_XLSX_REL}">'
            f'<dimension ref="A1:{self._last_cell()}"/>'
            '<sheetViews><sheetView workbookViewId="0">'
            '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
            '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/>'
            "</sheetView></sheetViews>"
            '<sheetFormatPr defaultRowHeight="15"/>'
            + (f"<cols>{''.join(cols)}</cols>" if cols else "")
            + "<sheetData>"
        )

    def _last_cell(self) -> str:
        return f"{self._letters[-1]}{max(self._rows, 1)}" if self._letters else "A1"

    def abort(self) -> None:
        try:
            self._body.close()
        except OSError:
            pass


_EXCEL_EPOCH = dt.datetime(1899, 12, 30)
_EXCEL_FIRST_DAY = dt.datetime(1900, 1, 1)  # serial 1
_EXCEL_LEAP_BUG = dt.datetime(1900, 3, 1)  # Excel counts a 1900-02-29 that never was
_DEFAULT_DATE_XF = {"date": 3, "datetime": 4, "time": 6}


def _excel_serial(value: dt.date | dt.time) -> float | int | None:
    """Excel's serial number of a date, date and time, or time of day (1900 date system);
    None for dates before 1900-01-01, which Excel cannot hold."""
    if isinstance(value, dt.time):
        seconds = value.hour * 3600 + value.minute * 60 + value.second
        return (seconds + value.microsecond / 1e6) / 86400
    stamp = value if isinstance(value, dt.datetime) else dt.datetime.combine(value, dt.time())
    if stamp < _EXCEL_FIRST_DAY:
        return None
    since = stamp - _EXCEL_EPOCH
    days = since.total_seconds() / 86400 if isinstance(value, dt.datetime) else since.days
    return days - (stamp < _EXCEL_LEAP_BUG)


_XLSX_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_XLSX_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_XLSX_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_XLSX_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
    "</Types>"
)
_XLSX_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<Relationships xmlns="{_XLSX_PKG_REL}">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>'
    "</Relationships>"
)
_XLSX_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<workbook xmlns="{_XLSX_MAIN}" xmlns:r="{_XLSX_REL}">'
    "<bookViews><workbookView/></bookViews>"
    '<sheets><sheet name="结果" sheetId="1" r:id="rId1"/></sheets>'
    "</workbook>"
)
_XLSX_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<Relationships xmlns="{_XLSX_PKG_REL}">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
    "</Relationships>"
)
# cellXfs: 0 default, 1 wrapped text, 2 percent, 3 date, 4 date and time, 5 header, 6 time
# of day (built-in format 21, h:mm:ss); then one per date format carried over from the input.
_XLSX_XFS = (
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>',
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" applyAlignment="1">'
    '<alignment vertical="top" wrapText="1"/></xf>',
    '<xf numFmtId="9" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>',
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>',
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>',
    '<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1" '
    'applyAlignment="1"><alignment vertical="center"/></xf>',
    '<xf numFmtId="21" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>',
)
_XLSX_NUMFMTS = (
    '<numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>',
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd hh:mm"/>',
)
_XLSX_STYLES_HEAD = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<styleSheet xmlns="{_XLSX_MAIN}">'
)
_XLSX_STYLES_MIDDLE = (
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="3"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="FFECEBE8"/><bgColor indexed="64"/>'
    "</patternFill></fill></fills>"
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
)


def _styles_xml(date_xfs: Mapping[int | str, int]) -> str:
    """The styles part: the fixed styles, plus one per date format carried from the input
    (a built-in id is referred to as is; a format code gets its own id from 166 on)."""
    numfmts = list(_XLSX_NUMFMTS)
    xfs = list(_XLSX_XFS)
    for fmt in sorted(date_xfs, key=date_xfs.__getitem__):
        if isinstance(fmt, int):
            fmt_id = fmt
        else:
            fmt_id = 164 + len(numfmts)
            code = _xml_escape(fmt).replace('"', "&quot;")
            numfmts.append(f'<numFmt numFmtId="{fmt_id}" formatCode="{code}"/>')
        xfs.append(
            f'<xf numFmtId="{fmt_id}" fontId="0" fillId="0" borderId="0" xfId="0" '
            'applyNumberFormat="1"/>'
        )
    return (
        _XLSX_STYLES_HEAD
        + f'<numFmts count="{len(numfmts)}">{"".join(numfmts)}</numFmts>'
        + _XLSX_STYLES_MIDDLE
        + f'<cellXfs count="{len(xfs)}">{"".join(xfs)}</cellXfs>'
        + '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        + "</styleSheet>"
    )


def _core_xml(keywords: str) -> str:
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        "<dc:creator>opinions</dc:creator>"
        + (f"<cp:keywords>{_xml_escape(keywords)}</cp:keywords>" if keywords else "")
        + f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
        f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified>'
        "</cp:coreProperties>"
    )


_XML_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def _xml_escape(text: str) -> str:
    return text.translate(_XML_ESCAPES)


def _inline(ref: str, text: str, style: int) -> str:
    s = f' s="{style}"' if style else ""
    return f'<c r="{ref}" t="inlineStr"{s}><is><t xml:space="preserve">{_xml_escape(text)}</t></is></c>'


def _column_letter(index: int) -> str:
    letters = ""
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _display_width(text: str) -> int:
    """Excel column width of a text: CJK characters count double."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _xlsx_value(value: object) -> object:
    """Numbers, booleans and naive dates stay typed; everything else becomes a string."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if abs(value) < _EXACT_FLOAT_INT else str(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, dt.datetime):
        return value if value.tzinfo is None else value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value if getattr(value, "tzinfo", None) is None else value.isoformat()
    if isinstance(value, dt.timedelta):
        return value
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)
