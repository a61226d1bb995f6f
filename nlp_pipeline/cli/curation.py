"""``opinions suggest`` and ``opinions audit``: choosing what to label, checking what is labelled.

Registered by ``nlp_pipeline.cli.main`` with ``cli.add_command``.
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import click

from nlp_pipeline.cli.common import echo_err, handle_errors, model_option

TABLE_TEXT_WIDTH = 60  # display columns of comment text in terminal tables
DEFAULT_SCREEN_LIMIT = 20

EPILOG_SUGGEST = """\b
Examples / 示例:
  opinions suggest 未标注意见.xlsx -n 50 -o 待标注.xlsx
  opinions suggest hotline.csv --text-column 来电内容 -n 100 -o batch.csv
  opinions suggest comments.jsonl -n 20            # table on screen
  # after filling topic/stance in 待标注.xlsx:
  opinions train --add 待标注.xlsx --promote
"""

EPILOG_AUDIT = """\b
Examples / 示例:
  opinions audit
  opinions audit --corpus corpora --limit 50
  opinions audit --json > audit.json
  opinions audit -o 审核结果.xlsx                 # one row per record involved
"""


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _clip(text: str, width: int) -> str:
    """One line of at most ``width`` display columns (Chinese characters count two)."""
    text = " ".join(text.split())
    if _width(text) <= width:
        return text
    out, used = [], 0
    for ch in text:
        w = _width(ch)
        if used + w > width - 1:
            break
        out.append(ch)
        used += w
    return "".join(out) + "…"


def _pad(text: str, width: int) -> str:
    return text + " " * max(width - _width(text), 0)


# ---------------------------------------------------------------------------------------
# suggest


@click.command(epilog=EPILOG_SUGGEST)
@click.argument("unlabelled", metavar="UNLABELLED")
@click.option(
    "-n",
    "n",
    type=click.IntRange(min=1),
    default=50,
    show_default=True,
    help="选出多少条 (how many comments to pick).",
)
@click.option(
    "-o",
    "--output",
    "output_path",
    default=None,
    help="待标注文件 (file to label: .xlsx .csv .jsonl; - = JSONL on stdout; default: a table).",
)
@click.option(
    "--text-column", default=None, help="文本列名 (text column; found by name if omitted)."
)
@click.option("--sheet", default=None, help="Excel 工作表名 (sheet name; default: the first).")
@click.option("--encoding", default=None, help="强制编码 (force an encoding, e.g. gbk).")
@click.option("-q", "--quiet", is_flag=True, help="不显示汇总 (no summary on stderr).")
@model_option
@handle_errors
def suggest(unlabelled, n, output_path, text_column, sheet, encoding, quiet, model) -> None:
    """Pick the comments most worth labelling next 选出最值得标注的意见.

    UNLABELLED is a file of comments nobody has labelled yet (.xlsx .csv .tsv .txt
    .jsonl, or - for stdin). The N comments the model is least sure about are chosen
    (uncertainty 1 − p_topic × p_stance), leaving out empty texts, exact duplicates and
    near-duplicates of a comment already picked. With -o they are written as a file to
    label: the .xlsx has drop-downs for topic and stance and a sheet 标注说明 with the
    label guide. Fill in topic and stance, then run opinions train --add FILE.
    """
    from nlp_pipeline.errors import OutputError
    from nlp_pipeline.io.writers import same_file
    from nlp_pipeline.tasks.suggest import select, write_suggestions

    if output_path and output_path != "-" and unlabelled != "-":
        if same_file(unlabelled, output_path):
            raise OutputError(f"{output_path}: 输出文件不能覆盖输入文件 (output is the input)")
    result = select(unlabelled, model, n, text_column=text_column, sheet=sheet, encoding=encoding)
    picked = result.suggestions
    if output_path:
        write_suggestions(picked, output_path)
    else:
        _suggestion_table(picked)
    if quiet:
        return
    for error in result.errors:
        echo_err(f"跳过 skipped: {error}")
    echo_err(
        f"读取 {result.n_rows} 行，选出 {len(picked)} 条 (picked {len(picked)} of "
        f"{result.n_rows} rows); 跳过 skipped: 空 empty {result.n_empty}, "
        f"重复 duplicate {result.n_duplicate}, 相近 near-duplicate {result.n_similar}, "
        f"无法读取 unreadable {result.n_errors}"
    )
    if len(picked) < n:
        echo_err(f"只找到 {len(picked)} 条可选的意见 (fewer than {n} distinct comments)")
    if output_path and output_path != "-":
        echo_err(
            f"已写入 written: {output_path}；填好 topic/stance 后运行 opinions train --add {output_path}"
        )


def _suggestion_table(picked) -> None:
    from nlp_pipeline.taxonomy import STANCES, TOPICS

    click.echo(
        f"{'#':>3}  {'row':>6}  {_pad('不确定', 7)}{_pad('主题猜测 topic', 24)}"
        f"{_pad('立场猜测 stance', 16)}text"
    )
    for rank, s in enumerate(picked, start=1):
        topic = f"{TOPICS[s.topic]} {s.topic_confidence:.2f}"
        stance = f"{STANCES[s.stance]} {s.stance_confidence:.2f}"
        click.echo(
            f"{rank:>3}  {s.row:>6}  {s.uncertainty:<7.3f}{_pad(topic, 24)}{_pad(stance, 16)}"
            f"{_clip(s.text, TABLE_TEXT_WIDTH)}"
        )


# ---------------------------------------------------------------------------------------
# audit


@click.command(epilog=EPILOG_AUDIT)
@click.option(
    "--corpus",
    "corpus_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="语料目录 (corpus folder: train.jsonl and added/*.jsonl are audited; default: corpora/).",
)
@click.option("--json", "as_json", is_flag=True, help="输出 JSON (machine-readable output).")
@click.option(
    "-o",
    "--output",
    "output_path",
    default=None,
    help="写入文件 (.json report; .xlsx .csv .jsonl one row per record involved; else the table).",
)
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=None,
    help=f"每类最多列出 N 条 (at most N per section; default {DEFAULT_SCREEN_LIMIT} in the table, all otherwise).",
)
@click.option("-q", "--quiet", is_flag=True, help="不显示进度 (no progress messages).")
@handle_errors
def audit(corpus_dir, as_json, output_path, limit, quiet) -> None:
    """Check a labelled corpus for likely mistakes 检查语料标注.

    Lists records whose label is probably wrong (cross-validated models that never saw
    the record give its label under 0.2 and another label over 0.7), exact duplicates
    after normalisation, near-duplicates (bigram Jaccard ≥ 0.8) and conflicts (same text,
    different labels), each with file, line and id. Nothing is changed; exit status 0.
    """
    from nlp_pipeline.data.corpus import training_files
    from nlp_pipeline.tasks.audit import audit as run_audit
    from nlp_pipeline.training.retrain import default_corpus_dir

    corpus = corpus_dir or default_corpus_dir()
    files = training_files(corpus)
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        raise click.ClickException(f"{', '.join(missing)}: 找不到语料文件 (corpus file not found)")
    say = (lambda _m: None) if quiet else (lambda m: echo_err(f"… {m}"))
    report = run_audit(files, progress=say)
    if output_path and output_path != "-":
        _write_audit(report, output_path, as_json, limit)
        if not quiet:
            echo_err(f"已写入 written: {output_path}")
        return
    if as_json:
        click.echo(json.dumps(report.to_dict(limit), ensure_ascii=False, indent=2))
    else:
        click.echo(audit_text(report, limit or DEFAULT_SCREEN_LIMIT))


def _write_audit(report, path: str, as_json: bool, limit: int | None) -> None:
    from nlp_pipeline.io.writers import open_writer

    suffix = Path(path).suffix.lower()
    if suffix in (".csv", ".tsv", ".xlsx", ".jsonl") and not as_json:
        columns = ["kind", "group", "file", "line", "id", "topic", "stance", "text", "detail"]
        with open_writer(path, columns) as writer:
            writer.write_rows(report.finding_rows(limit))
        return
    if as_json or suffix == ".json":
        content = json.dumps(report.to_dict(limit), ensure_ascii=False, indent=2) + "\n"
    else:
        content = audit_text(report, limit) + "\n"
    _write_text(path, content)


def _write_text(path: str, content: str) -> None:
    from nlp_pipeline.io.atomic import write_text_atomic

    write_text_atomic(path, content)


def audit_text(report, limit: int | None = DEFAULT_SCREEN_LIMIT) -> str:
    """The report as text for a terminal: one section per kind of finding."""
    from nlp_pipeline.taxonomy import HEADS

    def cap(items: list) -> list:
        return items if limit is None else items[:limit]

    def more(items: list) -> list[str]:
        hidden = len(items) - len(cap(items))
        return [f"  … 另有 {hidden} 条 (+{hidden} more; --limit / --json / -o)"] if hidden else []

    def labels(rec) -> str:
        return f"{HEADS['topic'][rec.topic]}/{HEADS['stance'][rec.stance]}"

    def line(rec, extra: str = "") -> str:
        rid = f" [{rec.id}]" if rec.id else ""
        return f"  {rec.where}{rid}  {labels(rec)}{extra}  {_clip(rec.text, TABLE_TEXT_WIDTH)}"

    counts = report.counts()
    out = [
        f"语料 corpus: {', '.join(report.files)}  ({report.n_records} 条 records)",
        f"可能标错 {counts['suspects']} · 冲突 {counts['conflicts']} · "
        f"重复 {counts['duplicates']} · 相近 {counts['near_duplicates']}",
    ]
    out += [f"注意 note: {note}" for note in report.notes]

    s = report.settings
    out.append("")
    out.append(
        f"== 可能标错 probably mislabelled ({counts['suspects']}): "
        f"给定标签 < {s['given_below']}, 另一标签 > {s['other_above']}"
    )
    for item in cap(report.suspects):
        names = HEADS[item.head]
        rid = f" [{item.record.id}]" if item.record.id else ""
        out.append(
            f"  {item.record.where}{rid}  {item.head}: {names[item.given]} "
            f"{item.given_probability:.2f} → {names[item.suggested]} "
            f"{item.suggested_probability:.2f}  {_clip(item.record.text, TABLE_TEXT_WIDTH)}"
        )
    out += more(report.suspects)

    out += ["", f"== 冲突 conflicts: same text, different labels ({counts['conflicts']})"]
    for group in cap(report.conflicts):
        out += [line(rec) for rec in group.records] + [""]
    out += more(report.conflicts)

    out += ["", f"== 完全重复 exact duplicates ({counts['duplicates']} groups)"]
    for group in cap(report.duplicates):
        locations = ", ".join(
            rec.where + (f" [{rec.id}]" if rec.id else "") for rec in group.records
        )
        out.append(f"  {locations}  {labels(group.records[0])}  {_clip(group.records[0].text, 40)}")
    out += more(report.duplicates)

    out.append("")
    out.append(
        f"== 相近重复 near-duplicates, jaccard ≥ {s['near_threshold']} "
        f"({counts['near_duplicates']} pairs)"
    )
    for pair in cap(report.near_duplicates):
        flag = "" if pair.same_labels else "  ← 标注不同 labels differ"
        out.append(f"  {pair.similarity:.2f}{flag}")
        out += [line(pair.a), line(pair.b)]
    out += more(report.near_duplicates)
    return "\n".join(out)
