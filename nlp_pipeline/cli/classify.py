"""``opinions triage`` (one comment) and ``opinions classify`` (a whole file)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click

from nlp_pipeline.cli.common import echo_err, handle_errors, load_predictor, model_option

EPILOG_TRIAGE = """\b
Examples / 示例:
  opinions triage "晚上小区里经常有人偷电动车，希望加强巡逻"
  echo "交警辛苦了" | opinions triage -
  opinions triage --json "派出所办身份证太慢了"
"""


@click.command(epilog=EPILOG_TRIAGE)
@click.argument("text", required=False)
@click.option("--json", "as_json", is_flag=True, help="输出一个 JSON 对象 (print one JSON object).")
@model_option
@handle_errors
def triage(text: str | None, as_json: bool, model: str | None) -> None:
    """Classify one comment 分类一条意见. TEXT is the comment, or - to read stdin."""
    from nlp_pipeline.cli.render import prediction_text

    if text is None:
        raise click.UsageError("请提供意见文本，或用 - 从标准输入读取 (give TEXT or -)")
    if text == "-":
        text = _read_stdin_text()
    if not text.strip():
        raise click.UsageError("意见文本为空 (the text is empty)")
    pred = load_predictor(model).predict_one(text)
    if as_json:
        click.echo(json.dumps(pred.to_dict(), ensure_ascii=False))
    else:
        click.echo(prediction_text(pred))


EPILOG_CLASSIFY = """\b
Examples / 示例:
  opinions classify 意见汇总.xlsx -o 分类结果.xlsx
  opinions classify hotline.csv --text-column 来电内容 -o out.csv
  opinions classify comments.jsonl > out.jsonl
  cat comments.txt | opinions classify - --quiet
"""


class Progress:
    """Rows done, rows/s and ETA on stderr, only when stderr is a terminal and not --quiet."""

    def __init__(self, total: int | None, enabled: bool) -> None:
        self.total = total
        self.enabled = enabled
        self.started = time.perf_counter()

    def __call__(self, done: int) -> None:
        if not self.enabled:
            return
        elapsed = max(time.perf_counter() - self.started, 1e-9)
        rate = done / elapsed
        msg = f"\r已处理 {done} 行 rows  {rate:,.0f} 行/秒"
        if self.total and rate > 0 and done < self.total:
            msg += f"  约剩 ETA {max(self.total - done, 0) / rate:,.0f} s"
        click.echo(msg.ljust(60), err=True, nl=False)

    def close(self) -> None:
        if self.enabled:
            click.echo("", err=True)


def estimate_rows(path: str) -> int | None:
    """Newline count of a text file (fast), as the progress bar's approximate total."""
    if path == "-" or Path(path).suffix.lower() not in {".csv", ".tsv", ".txt", ".jsonl"}:
        return None
    try:
        with open(path, "rb") as fh:
            return sum(block.count(b"\n") for block in iter(lambda: fh.read(1 << 20), b"")) or None
    except OSError:
        return None


@click.command(epilog=EPILOG_CLASSIFY)
@click.argument("input_path", metavar="INPUT", type=str)
@click.option(
    "-o",
    "--output",
    "output_path",
    default="-",
    show_default=True,
    help="输出文件，格式由扩展名决定 (.csv .xlsx .jsonl; - = JSONL to stdout).",
)
@click.option(
    "--text-column", default=None, help="文本列名 (text column; found by name if omitted)."
)
@click.option(
    "--id-column",
    default=None,
    help="编号列名 (id column; checked to exist, kept like every column).",
)
@click.option("--sheet", default=None, help="Excel 工作表名 (sheet name; default: the first).")
@click.option(
    "--encoding",
    default=None,
    help="强制编码 (force an encoding, e.g. gbk; default: UTF-8, else GB18030).",
)
@click.option(
    "--encoding-errors",
    type=click.Choice(["strict", "rows"]),
    default="strict",
    show_default=True,
    help="无法解码的行: strict 整个文件报错; rows 记为出错行、其余照常分类 "
    "(rows: lines in another encoding become error rows).",
)
@click.option(
    "--header-row",
    type=click.IntRange(1),
    default=None,
    help="表头所在行号 (1-based row of the header; default: found by itself, title rows "
    "above it skipped, footer rows such as 合计/填表人 left out and reported).",
)
@click.option(
    "--headers",
    type=click.Choice(["id", "zh"]),
    default="id",
    show_default=True,
    help="输出列名: id = topic, stance, needs_review… (stable names for scripts); "
    "zh = 主题, 主题置信度, 立场, 需人工复核 是/否… (for people in Excel).",
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(1, 64),
    default=None,
    help="并行进程数 (worker processes; default: all cores).",
)
@click.option("-q", "--quiet", is_flag=True, help="不显示进度和汇总 (no progress bar or summary).")
@model_option
@handle_errors
def classify(
    input_path,
    output_path,
    text_column,
    id_column,
    sheet,
    encoding,
    encoding_errors,
    header_row,
    headers,
    jobs,
    quiet,
    model,
) -> None:
    """Classify every row of a file 批量分类. INPUT: .csv .tsv .xlsx .jsonl .txt, or - for stdin.

    Every input column is kept and topic, topic_zh, topic_confidence, stance, stance_zh,
    stance_confidence, needs_review and error are added; one output row per input row.
    """
    from nlp_pipeline.tasks.classify import classify_file

    if id_column is not None:
        _check_column(input_path, id_column, encoding, sheet, header_row, encoding_errors)
    progress = Progress(estimate_rows(input_path), enabled=not quiet and sys.stderr.isatty())
    try:
        summary = classify_file(
            input_path,
            output_path,
            model=model,
            text_column=text_column,
            encoding=encoding,
            sheet=sheet,
            jobs=jobs,
            progress=progress,
            header_row=header_row,
            encoding_errors=encoding_errors,
            headers=headers,
            warn=echo_err,
        )
    finally:
        progress.close()
    if not quiet:
        for line in summary.lines():
            echo_err(line)


def _check_column(
    path: str,
    column: str,
    encoding: str | None,
    sheet: str | None,
    header_row: int | None = None,
    encoding_errors: str = "strict",
) -> None:
    from nlp_pipeline.errors import InputError
    from nlp_pipeline.io.readers import open_table

    if path == "-":
        return
    with open_table(
        path, encoding=encoding, sheet=sheet, header_row=header_row, encoding_errors=encoding_errors
    ) as table:
        if column not in table.columns:
            raise InputError(
                f"{path}: 找不到编号列 {column!r}; 现有列 columns found: {', '.join(table.columns)}"
            )


def _read_stdin_text() -> str:
    """Standard input decoded like an input file: BOM, else strict UTF-8, else GB18030."""
    import io

    from nlp_pipeline.io.encoding import detect_stream_encoding

    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:  # a text-only stdin (some IDEs): already decoded
        return sys.stdin.read()
    data = stream.read()
    encoding = detect_stream_encoding(io.BytesIO(data), None, name="<stdin>")
    return data.decode(encoding)
