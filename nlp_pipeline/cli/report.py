"""``opinions report``: the summary report of a classified file (registered by ``cli/main.py``)."""

from __future__ import annotations

import click

from nlp_pipeline.cli.common import handle_errors

EPILOG_REPORT = """\b
Examples / 示例:
  opinions report 分类结果.xlsx -o 汇总报告.html
  opinions report 分类结果.csv --by 乡镇 -o 汇总报告.xlsx --title "二〇二六年走访征询意见汇总"
  opinions report 分类结果.jsonl > report.md
"""


@click.command(epilog=EPILOG_REPORT)
@click.argument("classified", metavar="CLASSIFIED", type=str)
@click.option(
    "-o",
    "--output",
    "output_path",
    default=None,
    help="报告文件，格式由扩展名决定 (.html 打印上报 / .md / .xlsx；省略则 Markdown 输出到屏幕 "
    "— report file, format from the extension; default: Markdown to stdout).",
)
@click.option(
    "--title", default=None, help="报告标题 (report title; default: 群众意见分类汇总（文件名）)."
)
@click.option(
    "--by",
    "by",
    metavar="COLUMN",
    default=None,
    help="按这一列分组统计，如 乡镇、派出所 (group every table by this input column).",
)
@click.option(
    "--text-column",
    default=None,
    help="意见文本列名 (text column; found by name if omitted, like classify).",
)
@handle_errors
def report(
    classified: str,
    output_path: str | None,
    title: str | None,
    by: str | None,
    text_column: str | None,
) -> None:
    """Summary report of a classified file 生成分类汇总报告.

    CLASSIFIED is a file written by "opinions classify" (.csv .xlsx .jsonl). The report
    gives the counts and shares per topic and stance, the topic × stance table, charts (HTML),
    the characteristic words and typical comments of each topic, and the comments that need
    review. Phone and ID numbers stay masked.

    \b
    Example:  opinions report 分类结果.xlsx -o 汇总报告.html
    """
    from nlp_pipeline.report.compute import compute_report
    from nlp_pipeline.report.render import render_markdown, write_report

    result = compute_report(classified, by=by, text_column=text_column)
    if result.disagreements:
        rows = "、".join(str(d.number) for d in result.disagreements[:10])
        more = "…" if len(result.disagreements) > 10 else ""
        click.echo(
            f"注意：{len(result.disagreements)} 行的 id 列与中文列不一致（第 {rows}{more} 行），"
            "多为复核时只改了一列；报告按中文列（topic_zh/stance_zh）统计，并在报告中列出 "
            "(id and Chinese label columns disagree; the Chinese column is counted)",
            err=True,
        )
    if output_path is None or output_path == "-":
        click.echo(render_markdown(result, title), nl=False)
        return
    write_report(result, output_path, title)
    click.echo(
        f"报告已保存 report saved: {output_path}（共 {result.total} 条，"
        f"需复核 {result.overall.needs_review} 条）",
        err=True,
    )
