"""Open an XLSX workbook with bounded time and memory, whatever the zip holds.

An ``.xlsx`` is a zip of XML files, and a few kilobytes can unpack to gigabytes: a
shared-strings table of twenty million strings, or one string of a gibibyte. openpyxl
reads the whole shared-strings table into a list before the first row, so such a file
costs minutes and gigabytes before anything can be said. Here, before openpyxl parses
anything:

* every member's declared unpacked size is checked (the zip reader never returns more than
  it declares): a member that unpacks to more than ``MAX_MEMBER_BYTES``, or to more than
  ``MAX_RATIO`` times its packed size once above ``RATIO_FLOOR_BYTES``, is refused;
* the shared strings are read by a streaming parser with a budget: at most one string per
  ~20 bytes of worksheet XML (a string no cell can use is not data), at most
  ``MAX_SHARED_CHARS`` characters in all, and each string cut to ``MAX_CELL_CHARS`` + 1
  characters while it is read (the reader turns a longer cell into an error row).

Every refusal is an :class:`~nlp_pipeline.errors.InputError` naming the file, what was
too big, and suggesting to save the sheet as CSV.
"""

from __future__ import annotations

import datetime as dt
import warnings
import zipfile
from collections.abc import Iterator
from typing import IO, Any
from xml.parsers import expat

from nlp_pipeline.errors import InputError, where

MAX_MEMBER_BYTES = 1 << 30
"""Largest unpacked size of one member (a worksheet of about a million long rows)."""
MAX_RATIO = 200
"""Unpacked/packed size beyond which a large member is a zip bomb (real XML: 5–50)."""
RATIO_FLOOR_BYTES = 64 << 20
"""Members smaller than this unpacked are never refused for their ratio."""
MAX_SHARED_CHARS = 150_000_000
"""Characters of all shared strings together (about 300 MB of memory for Chinese text)."""
MIN_CELL_XML_BYTES = 20
"""The smallest cell that can use a shared string, ``<c t="s"><v>7</v></c>``, is 21 bytes."""
SPARE_STRINGS = 10_000
_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_HINT = "请在 Excel 中打开后另存为「CSV UTF-8」再处理"


def load_workbook(file: str | IO[bytes], name: str, max_cell_chars: int) -> Any:
    """openpyxl's read-only, cached-values workbook, after the checks above."""
    from openpyxl.reader.excel import ExcelReader

    sheet_bytes = _check_members(file, name)

    class _GuardedReader(ExcelReader):
        def read_strings(self) -> None:
            from openpyxl.xml.constants import SHARED_STRINGS

            part = self.package.find(SHARED_STRINGS)
            if part is None:
                return
            budget = sheet_bytes // MIN_CELL_XML_BYTES + SPARE_STRINGS
            with self.archive.open(part.PartName[1:]) as source:
                self.shared_strings = read_shared_strings(
                    source, name, max_strings=budget, max_cell_chars=max_cell_chars
                )

    if hasattr(file, "seek"):
        file.seek(0)  # type: ignore[union-attr]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "no default style" and similar chatter
        reader = _GuardedReader(file, read_only=True, data_only=True)
        reader.read()
    return reader.wb


def _check_members(file: str | IO[bytes], name: str) -> int:
    """Refuse members that unpack absurdly; return the unpacked size of the worksheets."""
    with zipfile.ZipFile(file) as archive:
        infos = archive.infolist()
    sheets = 0
    for info in infos:
        size, packed = info.file_size, max(info.compress_size, 1)
        if size > MAX_MEMBER_BYTES or (size > RATIO_FLOOR_BYTES and size / packed > MAX_RATIO):
            raise InputError(
                f"{where(name)}xlsx 文件内部的 {info.filename} 解压后有 {size / 2**20:,.0f} MiB"
                f"（压缩后 {packed / 2**20:,.1f} MiB），不像正常的表格（可能是恶意构造的文件），"
                f"已拒绝读取；{_HINT}"
            )
        if info.filename.startswith("xl/worksheets/"):
            sheets += size
    return sheets


class _Budget(Exception):
    pass


def read_shared_strings(
    source: IO[bytes], name: str, *, max_strings: int, max_cell_chars: int
) -> list[str]:
    """The shared-strings table as openpyxl's reader returns it, within the budgets.

    A string's text is its ``<t>`` elements (plain or in rich-text runs), phonetic runs
    (``<rPh>``) excluded. A string longer than ``max_cell_chars`` is kept as its first
    ``max_cell_chars + 1`` characters, so it is still seen as too long.
    """
    strings: list[str] = []
    parts: list[str] = []
    state = {"depth_t": 0, "in_rph": 0, "chars": 0, "total": 0}
    si, t, rph = f"{_MAIN_NS} si", f"{_MAIN_NS} t", f"{_MAIN_NS} rPh"

    def start(tag: str, _attrs: Any) -> None:
        if tag == si:
            parts.clear()
            state["chars"] = 0
        elif tag == t:
            state["depth_t"] += 1
        elif tag == rph:
            state["in_rph"] += 1

    def end(tag: str) -> None:
        if tag == si:
            if len(strings) >= max_strings:
                raise _Budget(f"共享字符串超过 {max_strings:,} 个，远多于工作表能用到的单元格数")
            strings.append("".join(parts).replace("x005F_", ""))
            parts.clear()
        elif tag == t:
            state["depth_t"] -= 1
        elif tag == rph:
            state["in_rph"] -= 1

    def data(text: str) -> None:
        if state["depth_t"] <= 0 or state["in_rph"]:
            return
        room = max_cell_chars + 1 - state["chars"]
        if room <= 0:
            return
        piece = text[:room]
        parts.append(piece)
        state["chars"] += len(piece)
        state["total"] += len(piece)
        if state["total"] > MAX_SHARED_CHARS:
            raise _Budget(f"共享字符串合计超过 {MAX_SHARED_CHARS:,} 个字符")

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.buffer_text = True
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = data
    try:
        while block := source.read(1 << 20):
            parser.Parse(block, False)
        parser.Parse(b"", True)
    except _Budget as exc:
        raise InputError(f"{where(name)}xlsx 文件{exc}，已拒绝读取；{_HINT}") from None
    except expat.ExpatError as exc:
        raise InputError(
            f"{where(name)}xlsx 文件已损坏，无法读取（sharedStrings.xml: {exc}）；"
            "请在 Excel 中打开后另存为 .xlsx"
        ) from None
    return strings


# Excel's East Asian locale date formats (年月日, 时分): Chinese Excel and WPS write these ids
# without defining them, and openpyxl's table of built-in formats leaves them out, so
# their dates would be read as bare serial numbers.
CJK_DATE_FORMAT_IDS = frozenset([*range(27, 37), *range(50, 59)])

DateFormat = int | str
"""A cell's number format: a built-in id (< 164) or the format code of a custom one."""
DateFormats = dict[int, dict[str, DateFormat]]
"""Column position (0-based) → kind of value (``date_kind``) → the input's number format."""


def date_kind(value: object) -> str | None:
    """``"date"``, ``"datetime"`` (a time of day other than midnight) or ``"time"``, else None.

    A column's number format is kept per kind, so that a format seen on a plain date never
    hides the time of another cell, and a time-only format never hides a date.
    """
    if isinstance(value, dt.datetime):
        midnight = value.hour == value.minute == value.second == value.microsecond == 0
        return "date" if midnight else "datetime"
    if isinstance(value, dt.date):
        return "date"
    if isinstance(value, dt.time):
        return "time"
    return None


def iter_row_values(
    sheet: Any,
    max_col: int,
    date_formats: DateFormats | None = None,
    first_data_row: int = 1,
    date_width: int = 0,
) -> Iterator[tuple[object, ...]]:
    """The sheet's rows as value tuples, each at most ``max_col`` wide, gaps as ``()``.

    openpyxl's ``iter_rows`` pads every row to the widest one asked for: without
    ``max_col`` a row with one cell in column XFD becomes 16,384 values, with it every
    empty row becomes ``max_col`` values. This reads the same parser row by row and makes
    each tuple only as wide as the row's last cell (at most ``max_col``).

    ``date_formats``, when given, receives the number format of the first cell of each kind
    (``date_kind``) in each of the first ``date_width`` columns (0-based index), from row
    ``first_data_row`` on, so that an output can show dates as the input did.
    """
    from openpyxl.worksheet._reader import WorkSheetParser

    workbook = sheet.parent
    styles = workbook._cell_styles
    workbook._date_formats |= {
        i for i, style in enumerate(styles) if style.numFmtId in CJK_DATE_FORMAT_IDS
    }
    with sheet._get_source() as source:
        parser = WorkSheetParser(
            source,
            sheet._shared_strings,
            data_only=workbook.data_only,
            epoch=workbook.epoch,
            date_formats=workbook._date_formats,
            timedelta_formats=workbook._timedelta_formats,
        )
        expected = 1
        for index, cells in parser.parse():
            while expected < index:
                expected += 1
                yield ()
            expected = index + 1
            if not cells:
                yield ()
                continue
            width = min(cells[-1]["column"], max_col)
            values: list[object] = [None] * width
            for cell in cells:
                column = cell["column"]
                if column <= width:
                    value = values[column - 1] = cell["value"]
                    if (
                        date_formats is not None
                        and index >= first_data_row
                        and column <= date_width
                        and (kind := date_kind(value)) is not None
                        and kind not in date_formats.get(column - 1, {})
                    ):
                        fmt = _number_format(workbook, cell["style_id"])
                        if fmt is not None:
                            date_formats.setdefault(column - 1, {})[kind] = fmt
            yield tuple(values)


def _number_format(workbook: Any, style_id: int) -> DateFormat | None:
    try:
        fmt_id = workbook._cell_styles[style_id].numFmtId
        return fmt_id if fmt_id < 164 else workbook._number_formats[fmt_id - 164]
    except (IndexError, TypeError):  # a damaged style reference: the output's default
        return None


def save_workbook(workbook: Any, target: str | IO[bytes]) -> None:
    """``workbook.save(target)``, without a second error after the first.

    When the disk fills up while openpyxl writes, its zip archive is left open; when it is
    collected later it tries to finish the file again and Python prints ``Exception
    ignored … seek of closed file`` after our own clear message. Here the archive is cut
    loose from the file on any error, so the first error is the only one.
    """
    from openpyxl.writer.excel import ExcelWriter

    if getattr(workbook, "write_only", False) and not workbook.worksheets:
        workbook.create_sheet()
    archive = zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
    try:
        ExcelWriter(workbook, archive).save()
    except BaseException:
        handle, archive.fp = archive.fp, None
        if handle is not None and isinstance(target, str):
            try:
                handle.close()
            except OSError:
                pass
        raise
