"""Renderers of a :class:`~nlp_pipeline.report.compute.Report`: HTML to hand up, Markdown, XLSX.

* :func:`render_html` — one self-contained page that opens offline: inline CSS, charts as
  inline SVG drawn by matplotlib with ``svg.fonttype = "none"`` (text stays text, so the
  browser draws Chinese with its own fonts), no external URL, font, script or stylesheet.
  A4-friendly width and print CSS, 宋体/黑体 font stacks with fallbacks.
* :func:`render_markdown` — the same tables and lists, no charts (the CLI's default output).
* :func:`write_xlsx` — one sheet per table, numbers as numbers, text cells neutralised
  against formula injection, written atomically.
* :func:`write_report` — dispatch on the extension (.html .htm .md .xlsx).

Every text shown comes from the report, where it was already normalised (personal data
masked); every string printed — titles, column names, group values, errors — also goes
through :func:`~nlp_pipeline.text.normalize.mask_for_display` here, then is escaped for
its format.
"""

from __future__ import annotations

import html
import io
import os
import re
import time
import warnings
from collections.abc import Callable
from pathlib import Path

from nlp_pipeline.errors import OutputError, where
from nlp_pipeline.io.atomic import atomic_write, write_text_atomic
from nlp_pipeline.report.compute import ROWS_SOURCE, Comment, Report, Section
from nlp_pipeline.taxonomy import STANCES, TOPICS
from nlp_pipeline.text.normalize import mask_for_display

REPORT_EXTENSIONS = (".html", ".htm", ".md", ".xlsx")
MAX_HTML_REVIEW = 200
"""Rows of the review list shown in the HTML; the full list is in the XLSX report."""
MAX_EXAMPLE_SHOWN = 90
"""Representative comments are trimmed to their first sentences within this many characters."""
_SENTENCE_END = re.compile(r"[。！？!?；;]")
DEFAULT_TITLE = "群众意见分类汇总"
STANCE_COLORS = {
    "praise": "#4f8a5b",
    "criticism": "#b4443a",
    "suggestion": "#3d6ea5",
    "inquiry": "#8a6d3b",
}
HEAD_COLORS = {"topic": "#5b6f8a", "stance": "#c08a3e"}
CHART_FONTS = [
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "Hiragino Sans GB",
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "DejaVu Sans",
]
_ORDINALS = "一二三四五六七八九十"
_HEAD_ZH = {"topic": "主题", "stance": "立场"}


# ---------------------------------------------------------------------------------------
# Shared wording


def default_title(source: str | os.PathLike[str] | None = None) -> str:
    """``群众意见分类汇总（文件名）``, or the bare title for rows that came from no file."""
    if source is None or os.fspath(source) == ROWS_SOURCE:
        return DEFAULT_TITLE
    return f"{DEFAULT_TITLE}（{Path(source).stem}）"


def pct(part: float) -> str:
    """A share as ``12.5%``."""
    return f"{part * 100:.1f}%"


def conf(value: float | None) -> str:
    """A confidence as ``0.93``; ``—`` when unknown."""
    return "—" if value is None else f"{value:.2f}"


def num(n: int) -> str:
    """A count with thousands separators: ``12,345``."""
    return f"{n:,}"


def first_sentences(text: str, limit: int = MAX_EXAMPLE_SHOWN) -> str:
    """A long letter's first sentences within ``limit`` characters, then "…"; as written."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = 0
    for match in _SENTENCE_END.finditer(text, 0, limit):
        cut = match.end()
    if cut < limit // 3:
        cut = limit - 1
    return text[:cut].rstrip() + "…"


def headline(section: Section) -> str:
    """The summary sentence of a section, in Chinese."""
    parts = [f"共 {num(section.total)} 条意见"]
    if section.errors:
        parts.append(f"其中 {num(section.classified)} 条已分类，{num(section.errors)} 条无法分类")
    if section.no_opinion:
        parts.append(
            f"无实质意见（无、无意见、同上等）{num(section.no_opinion)} 条，不计入主题和立场"
        )
    text = "，".join(parts) + "。"
    if not section.classified:
        return text + "没有已分类的意见。"
    stances = "、".join(
        f"{zh} {num(section.stances[s])} 条（{pct(section.stance_shares[s])}）"
        for s, zh in STANCES.items()
    )
    topics = "、".join(
        f"{zh} {num(section.topics[t])} 条（{pct(section.topic_shares[t])}）"
        for t, zh in TOPICS.items()
    )
    text += f"按立场：{stances}。按主题：{topics}。"
    text += f"需人工复核 {num(section.needs_review)} 条（占已分类的 {pct(section.review_share)}）。"
    return text


def _ordinal(i: int) -> str:
    return _ORDINALS[i] if i < len(_ORDINALS) else str(i + 1)


def _source_name(report: Report) -> str:
    return "（程序内数据）" if report.source == ROWS_SOURCE else Path(report.source).name


def date_range(report: Report) -> str | None:
    """``2026年7月1日至9月30日`` from the report's date column, or None."""
    a, b = report.date_from, report.date_to
    if a is None or b is None:
        return None
    start = f"{a.year}年{a.month}月{a.day}日"
    if a == b:
        return start
    end = f"{b.month}月{b.day}日" if b.year == a.year else f"{b.year}年{b.month}月{b.day}日"
    return f"{start}至{end}"


def _meta_line(report: Report) -> str:
    parts = [f"数据文件：{_source_name(report)}"]
    span = date_range(report)
    if span:
        parts.append(f"数据时间：{span}（“{report.date_column}”列）")
    parts.append(f"模型版本：{report.model_version or '未记录'}")
    parts.append(f"生成时间：{time.strftime('%Y-%m-%d %H:%M')}")
    if report.by:
        parts.append(f"分组：按“{report.by}”")
    return "　".join(parts)


NOTES = [
    "分类由模型自动完成，置信度低于阈值的已标为“需复核”，请人工核对后再引用。",
    "文中的电话号码、身份证号、车牌号、电子邮箱和网址已替换为〈电话〉等占位符。",
    "占比以已分类的条数为分母；“行号”是分类结果文件中的行号，可据此查找原文。",
    "特征词：与其他主题相比，在该主题的意见中出现得特别多的词，括号内为出现的条数。",
]


def _groups_heading(report: Report) -> str:
    return f"分组情况（按“{report.by}”）"


# ---------------------------------------------------------------------------------------
# HTML

_SERIF = '"SimSun", "宋体", "NSimSun", "Songti SC", "STSong", "Noto Serif CJK SC", "Source Han Serif SC", serif'
_SANS = '"SimHei", "黑体", "Heiti SC", "STHeiti", "Microsoft YaHei", "微软雅黑", "PingFang SC", "Noto Sans CJK SC", "Source Han Sans SC", sans-serif'

_CSS = f"""
@page {{ size: A4; margin: 16mm 15mm 18mm; }}
* {{ box-sizing: border-box; }}
body {{ margin: 0; background: #f4f4f2; color: #1b1b1b; font-family: {_SERIF};
  font-size: 10.5pt; line-height: 1.65; }}
.page {{ max-width: 190mm; margin: 0 auto; padding: 14mm 12mm 16mm; background: #fff; }}
h1, h2, h3, h4, th, figcaption, .label {{ font-family: {_SANS}; font-weight: normal; }}
header {{ border-bottom: 2px solid #a31f1f; padding-bottom: 3mm; margin-bottom: 5mm; }}
h1 {{ margin: 0; text-align: center; font-size: 19pt; letter-spacing: 0.08em; color: #a31f1f; }}
.meta {{ margin: 2mm 0 0; text-align: center; font-size: 9pt; color: #555; }}
h2 {{ font-size: 14pt; margin: 8mm 0 3mm; padding-left: 2mm; border-left: 4px solid #a31f1f; }}
h3 {{ font-size: 12pt; margin: 6mm 0 2mm; }}
h4 {{ font-size: 10.5pt; margin: 4mm 0 1.5mm; }}
p.headline {{ text-indent: 2em; margin: 2mm 0 3mm; }}
table {{ width: 100%; border-collapse: collapse; margin: 1.5mm 0 4mm; font-size: 9.5pt; }}
caption {{ caption-side: top; text-align: left; font-family: {_SANS}; font-size: 9.5pt;
  padding-bottom: 1mm; }}
th, td {{ border: 1px solid #8c8c8c; padding: 0.8mm 2mm; vertical-align: top; }}
th {{ background: #ecebe8; text-align: center; }}
td.num {{ text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }}
td.text {{ word-break: break-all; }}
td.name {{ white-space: nowrap; }}
tr.total td {{ font-weight: bold; background: #f7f6f3; }}
figure {{ margin: 3mm 0 4mm; text-align: center; }}
figure svg {{ max-width: 100%; height: auto; }}
figcaption {{ font-size: 9pt; color: #444; }}
ol.examples {{ margin: 1mm 0 3mm; padding-left: 7mm; }}
ol.examples li {{ margin-bottom: 1.5mm; }}
.where {{ color: #666; font-size: 8.5pt; white-space: nowrap; }}
.none {{ color: #777; }}
.notes {{ margin-top: 8mm; padding-top: 2mm; border-top: 1px solid #8c8c8c; font-size: 8.5pt;
  color: #444; }}
.notes ol {{ margin: 1mm 0; padding-left: 6mm; }}
.more {{ font-size: 9pt; color: #444; }}
@media print {{
  body {{ background: #fff; font-size: 10.5pt; }}
  .page {{ max-width: none; padding: 0; }}
  h2, h3, h4, caption, p.lead {{ break-after: avoid; page-break-after: avoid; }}
  figure, tr, li, thead {{ break-inside: avoid; page-break-inside: avoid; }}
  thead {{ display: table-header-group; }}
  /* a table header never stands alone at a page bottom: keep it with two rows */
  table {{ orphans: 3; widows: 3; }}
  thead + tbody tr:first-child, thead + tbody tr:nth-child(2) {{
    break-before: avoid; page-break-before: avoid; }}
  a {{ color: inherit; text-decoration: none; }}
}}
"""


def _e(value: object) -> str:
    return html.escape(mask_for_display(value), quote=True)


def _table(
    headers: list[str],
    rows: list[list[tuple[str, object]]],
    *,
    caption: str | None = None,
    total: list[tuple[str, object]] | None = None,
) -> str:
    """An HTML table; cells are (css class, value) and every value is escaped."""
    out = ["<table>"]
    if caption:
        out.append(f"<caption>{_e(caption)}</caption>")
    out.append("<thead><tr>" + "".join(f"<th>{_e(h)}</th>" for h in headers) + "</tr></thead>")
    out.append("<tbody>")
    for row in rows:
        out.append("<tr>" + "".join(f'<td class="{c}">{_e(v)}</td>' for c, v in row) + "</tr>")
    if total is not None:
        out.append(
            '<tr class="total">' + "".join(f'<td class="{c}">{_e(v)}</td>' for c, v in total)
        )
        out.append("</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


def _html_distribution(section: Section) -> str:
    rows = [
        [
            ("name", zh),
            ("num", section.topics[t]),
            ("num", pct(section.topic_shares[t])),
            ("num", section.review_by_topic[t]),
        ]
        for t, zh in TOPICS.items()
    ]
    total = [
        ("name", "合计"),
        ("num", section.classified),
        ("num", pct(1.0 if section.classified else 0.0)),
        ("num", section.needs_review),
    ]
    topics = _table(["主题", "条数", "占比", "需复核"], rows, caption="主题分布", total=total)
    rows = [
        [("name", zh), ("num", section.stances[s]), ("num", pct(section.stance_shares[s]))]
        for s, zh in STANCES.items()
    ]
    stances = _table(["立场", "条数", "占比"], rows, caption="立场分布")
    return topics + "\n" + stances


def _html_crosstab(section: Section) -> str:
    ct = section.crosstab
    rows = [
        [("name", zh)] + [("num", ct.counts[t][s]) for s in STANCES] + [("num", ct.row_totals[t])]
        for t, zh in TOPICS.items()
    ]
    total = (
        [("name", "合计")] + [("num", ct.column_totals[s]) for s in STANCES] + [("num", ct.total)]
    )
    return _table(
        ["主题／立场", *STANCES.values(), "合计"],
        rows,
        caption="主题 × 立场 交叉表（条数）",
        total=total,
    )


def _html_confidence(section: Section) -> str:
    topic, stance = section.confidence["topic"], section.confidence["stance"]
    rows = [
        [
            ("name", f"{lo:.1f} – {hi:.1f}"),
            ("num", topic.counts[i]),
            ("num", stance.counts[i]),
        ]
        for i, (lo, hi) in enumerate(zip(topic.edges, topic.edges[1:], strict=False))
    ]
    return _table(["置信度区间", "主题（条）", "立场（条）"], rows, caption="置信度分布")


def _html_terms(section: Section) -> str:
    rows = []
    for t, zh in TOPICS.items():
        terms = section.terms[t]
        shown = "、".join(f"{term.term}（{term.count}）" for term in terms) or "—"
        rows.append([("name", zh), ("text", shown)])
    return _table(["主题", "特征词（出现条数）"], rows)


def _html_examples(section: Section, level: int) -> str:
    out = []
    for t, zh in TOPICS.items():
        out.append(f"<h{level}>{_e(zh)}</h{level}>")
        comments = section.examples[t]
        if not comments:
            out.append('<p class="none">（无可信度高的示例）</p>')
            continue
        out.append('<ol class="examples">')
        for c in comments:
            where_ = (
                f"第 {c.number} 行 · {STANCES[c.stance]} · 主题置信度 {conf(c.topic_confidence)}"
            )
            out.append(
                f'<li>{_e(first_sentences(c.text))} <span class="where">（{_e(where_)}）</span></li>'
            )
        out.append("</ol>")
    return "\n".join(out)


def _review_rows(comments: list[Comment], grouped: bool) -> list[list[tuple[str, object]]]:
    rows = []
    for c in comments:
        row: list[tuple[str, object]] = [("num", c.number)]
        if grouped:
            row.append(("name", c.group or ""))
        row += [
            ("text", c.text),
            ("name", TOPICS[c.topic]),
            ("num", conf(c.topic_confidence)),
            ("name", STANCES[c.stance]),
            ("num", conf(c.stance_confidence)),
        ]
        rows.append(row)
    return rows


_REVIEW_HEADERS = ["行号", "意见（已脱敏）", "主题", "主题置信度", "立场", "立场置信度"]


def _html_review(comments: list[Comment]) -> str:
    if not comments:
        return '<p class="none">（没有需要复核的意见）</p>'
    shown = _table(_REVIEW_HEADERS, _review_rows(comments[:MAX_HTML_REVIEW], False))
    if len(comments) > MAX_HTML_REVIEW:
        shown += (
            f'\n<p class="more">以上列出前 {num(MAX_HTML_REVIEW)} 条，共 {num(len(comments))} 条；'
            "完整名单请生成 XLSX 报告（opinions report … -o 报告.xlsx，“待复核”工作表），"
            "或在分类结果文件中按 needs_review（需人工复核）筛选。</p>"
        )
    return shown


def _html_disagreements(report: Report) -> str:
    rows = [
        [
            ("num", d.number),
            ("name", _HEAD_ZH[d.head]),
            ("text", "；".join(f"{c}={v}" for c, v in d.values.items())),
            ("name", (TOPICS if d.head == "topic" else STANCES).get(d.used, d.used)),
        ]
        for d in report.disagreements[:MAX_HTML_REVIEW]
    ]
    return _table(["行号", "标签", "各列的值", "本报告采用"], rows)


def _html_stance_by_group(report: Report) -> str:
    headers = [report.by or "分组", *STANCES.values(), "已分类"]
    rows = [
        [("name", s.name)]
        + [("num", num(s.stances[k])) for k in STANCES]
        + [("num", num(s.classified))]
        for s in report.groups.values()
    ]
    o = report.overall
    total = [("name", "合计")] + [("num", num(o.stances[k])) for k in STANCES]
    total.append(("num", num(o.classified)))
    return _table(headers, rows, caption=f"各{report.by}的立场分布（条数）", total=total)


def _html_errors(comments: list[Comment]) -> str:
    rows = [[("num", c.number), ("text", c.error), ("text", c.text or "—")] for c in comments]
    return _table(["行号", "原因", "意见（已脱敏）"], rows)


def _figure(svg: str, caption: str) -> str:
    return f"<figure>\n{svg}\n<figcaption>{_e(caption)}</figcaption>\n</figure>"


def render_html(report: Report, title: str | None = None) -> str:
    """The report as one self-contained HTML page (no external resources)."""
    title = title or default_title(report.source)
    charts = _Charts()
    o = report.overall
    grouped = bool(report.by)
    body: list[str] = [
        f"<header><h1>{_e(title)}</h1>",
        f'<p class="meta">{_e(_meta_line(report))}</p></header>',
    ]
    n = 0

    def h2(text: str) -> None:
        nonlocal n
        body.append(f"<h2>{_ordinal(n)}、{_e(text)}</h2>")
        n += 1

    h2("总体情况")
    body.append(f'<p class="headline">{_e(headline(o))}</p>')
    body.append(_html_distribution(o))
    body.append(_html_crosstab(o))
    body.append(_figure(charts.topics_by_stance(o), "图 1　各主题意见数（按立场）"))
    body.append(_figure(charts.review_share(o), "图 2　各主题需人工复核的比例"))
    if grouped:
        body.append(_html_stance_by_group(report))
    h2("各主题特征词")
    body.append(_html_terms(o))
    h2("代表性意见")
    body.append(_html_examples(o, 3))
    h2(f"待人工复核的意见（{o.needs_review} 条）")
    if grouped and o.review:
        body.append(f'<p class="none">按分组列出，见“{_e(_groups_heading(report))}”。</p>')
    else:
        body.append(_html_review(o.review))
    if o.errors:
        h2(f"无法分类的行（{o.errors} 条）")
        body.append(_html_errors(o.error_rows[:MAX_HTML_REVIEW]))
    if report.disagreements:
        h2(f"人工修改后两列不一致的行（{num(len(report.disagreements))} 条）")
        body.append(
            '<p class="lead">这些行的 id 列（topic/stance）与中文列（topic_zh/stance_zh）不一致，'
            "多为复核时只改了其中一列。本报告按中文列统计；请核对后把两列改成一致。</p>"
        )
        body.append(_html_disagreements(report))
    if grouped:
        h2(_groups_heading(report))
        body.append(_html_group_overview(report))
        for i, section in enumerate(report.groups.values()):
            body.append(f"<h3>（{_ordinal(i)}）{_e(section.name)}</h3>")
            body.append(f'<p class="headline">{_e(headline(section))}</p>')
            body.append(_html_crosstab(section))
            body.append(
                _figure(charts.topics_by_stance(section), f"{section.name}：各主题意见数（按立场）")
            )
            body.append("<h4>特征词</h4>")
            body.append(_html_terms(section))
            body.append("<h4>代表性意见</h4>")
            body.append(_html_examples_compact(section))
            body.append(f"<h4>待人工复核（{section.needs_review} 条）</h4>")
            body.append(_html_review(section.review))
            if section.errors:
                body.append(f"<h4>无法分类的行（{section.errors} 条）</h4>")
                body.append(_html_errors(section.error_rows[:MAX_HTML_REVIEW]))
    notes = "".join(f"<li>{_e(note)}</li>" for note in NOTES)
    body.append(f'<div class="notes"><span class="label">说明</span><ol>{notes}</ol></div>')
    return (
        "<!DOCTYPE html>\n"
        '<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n</head>\n"
        '<body>\n<main class="page">\n' + "\n".join(body) + "\n</main>\n</body>\n</html>\n"
    )


def _html_examples_compact(section: Section) -> str:
    rows = []
    for t, zh in TOPICS.items():
        for c in section.examples[t]:
            rows.append(
                [
                    ("name", zh),
                    ("num", c.number),
                    ("text", c.text),
                    ("name", STANCES[c.stance]),
                    ("num", conf(c.topic_confidence)),
                ]
            )
    if not rows:
        return '<p class="none">（无可信度高的示例）</p>'
    return _table(["主题", "行号", "意见（已脱敏）", "立场", "主题置信度"], rows)


def _html_group_overview(report: Report) -> str:
    headers = [report.by or "分组", "总数", *TOPICS.values(), "需复核", "无法分类"]
    rows = [
        [("name", s.name), ("num", s.total)]
        + [("num", s.topics[t]) for t in TOPICS]
        + [("num", s.needs_review), ("num", s.errors)]
        for s in report.groups.values()
    ]
    o = report.overall
    total = (
        [("name", "合计"), ("num", o.total)]
        + [("num", o.topics[t]) for t in TOPICS]
        + [("num", o.needs_review), ("num", o.errors)]
    )
    return _table(headers, rows, caption="各分组主题分布（条数）", total=total)


# ---------------------------------------------------------------------------------------
# Charts (matplotlib → inline SVG)

_SVG_PROLOGUE = re.compile(r"<\?xml[^>]*\?>\s*|<!DOCTYPE[^>]*>\s*", re.S)
_SVG_NAMESPACES = re.compile(r'\s+xmlns(?::\w+)?="[^"]*"')
_SVG_SIZE = re.compile(r'<svg([^>]*?)\swidth="([\d.]+)pt"\s+height="([\d.]+)pt"')


class _Charts:
    """Draws the report's charts; each gets its own id salt so inline SVGs never clash."""

    def __init__(self) -> None:
        self.count = 0

    def _render(self, draw: Callable, width: float, height: float, label: str) -> str:
        import matplotlib
        from matplotlib.figure import Figure

        self.count += 1
        rc = {
            "svg.fonttype": "none",
            "svg.hashsalt": f"report-chart-{self.count}",
            "font.family": "sans-serif",
            "font.sans-serif": CHART_FONTS,
            "font.size": 9,
            "axes.unicode_minus": False,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.edgecolor": "#555555",
            "xtick.color": "#333333",
            "ytick.color": "#333333",
        }
        buf = io.StringIO()
        with matplotlib.rc_context(rc), warnings.catch_warnings():
            # No CJK font needs to be installed here: the browser draws the text.
            warnings.filterwarnings("ignore", message="Glyph .* missing")
            warnings.filterwarnings("ignore", message="findfont")
            fig = Figure(figsize=(width, height))
            draw(fig)
            for ax in fig.axes:
                # Clipping would add clip-path="url(#…)" references; everything fits anyway.
                for artist in ax.get_children():
                    artist.set_clip_on(False)
            fig.savefig(
                buf,
                format="svg",
                metadata={"Creator": None, "Date": None, "Format": None, "Type": None},
            )
        return _inline_svg(buf.getvalue(), label)

    def topics_by_stance(self, section: Section) -> str:
        names = list(TOPICS.values())
        left_margin = _label_margin(names, 6.3)

        def draw(fig) -> None:
            ax = fig.add_subplot()
            fig.subplots_adjust(left=left_margin, right=0.95, top=0.86, bottom=0.17)
            positions = list(range(len(TOPICS)))[::-1]
            start = [0] * len(TOPICS)
            for s, zh in STANCES.items():
                values = [section.crosstab.counts[t][s] for t in TOPICS]
                ax.barh(
                    positions, values, left=start, color=STANCE_COLORS[s], label=zh, height=0.62
                )
                start = [a + b for a, b in zip(start, values, strict=True)]
            ax.set_yticks(positions, names)
            top = max(start) if start else 0
            for y, v in zip(positions, start, strict=True):
                ax.text(v + max(top, 1) * 0.01, y, str(v), va="center", fontsize=8)
            ax.set_xlim(0, max(top, 1) * 1.1)
            from matplotlib.ticker import MaxNLocator

            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.set_xlabel("条数")
            ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=3, frameon=False)

        return self._render(draw, 6.3, 2.9, "各主题意见数（按立场）")

    def confidence(self, section: Section) -> str:
        def draw(fig) -> None:
            ax = fig.add_subplot()
            fig.subplots_adjust(left=0.09, right=0.97, top=0.86, bottom=0.22)
            edges = section.confidence["topic"].edges
            xs = list(range(len(edges) - 1))
            for k, head in enumerate(("topic", "stance")):
                counts = section.confidence[head].counts
                offset = -0.2 if k == 0 else 0.2
                ax.bar(
                    [x + offset for x in xs],
                    counts,
                    width=0.4,
                    color=HEAD_COLORS[head],
                    label=_HEAD_ZH[head],
                )
            ax.set_xticks(
                xs, [f"{lo:.1f}–{hi:.1f}" for lo, hi in zip(edges, edges[1:], strict=False)]
            )
            ax.tick_params(axis="x", labelsize=7.5)
            ax.set_xlabel("置信度")
            ax.set_ylabel("条数")
            peak = max(
                [*section.confidence["topic"].counts, *section.confidence["stance"].counts, 1]
            )
            ax.set_ylim(0, peak * 1.1)
            from matplotlib.ticker import MaxNLocator

            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
            ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=2, frameon=False)

        return self._render(draw, 6.3, 2.5, "置信度分布")

    def review_share(self, section: Section) -> str:
        names = list(TOPICS.values())
        left_margin = _label_margin(names, 6.3)

        def draw(fig) -> None:
            ax = fig.add_subplot()
            fig.subplots_adjust(left=left_margin, right=0.93, top=0.88, bottom=0.14)
            positions = list(range(len(TOPICS)))[::-1]
            shares = [
                section.review_by_topic[t] / section.topics[t] if section.topics[t] else 0.0
                for t in TOPICS
            ]
            ax.barh(positions, [s * 100 for s in shares], color="#8a8f99", height=0.6)
            for y, t, s in zip(positions, TOPICS, shares, strict=True):
                ax.text(
                    s * 100 + 1,
                    y,
                    f"{pct(s)}（{section.review_by_topic[t]}/{section.topics[t]}）",
                    va="center",
                    fontsize=8,
                )
            ax.axvline(section.review_share * 100, color="#a31f1f", linewidth=1, linestyle="--")
            ax.set_yticks(positions, names)
            ax.set_xlim(0, 125)
            ax.set_xticks([0, 25, 50, 75, 100], ["0%", "25%", "50%", "75%", "100%"])
            ax.set_title(f"总体需复核 {pct(section.review_share)}（虚线）", fontsize=9)

        return self._render(draw, 6.3, 2.6, "各主题需人工复核的比例")


def _label_margin(labels: list[str], width_in: float, font_pt: float = 9) -> float:
    """Left margin (figure fraction) wide enough for CJK tick labels, whatever font measures."""
    longest = max(len(label) for label in labels)
    return min(0.45, (longest * font_pt * 1.1 + 14) / (width_in * 72))


def _inline_svg(svg: str, label: str) -> str:
    """matplotlib's SVG file made into inline HTML: no prologue, no namespace URLs."""
    svg = _SVG_PROLOGUE.sub("", svg)
    svg = _SVG_NAMESPACES.sub("", svg)
    svg = _SVG_SIZE.sub(
        lambda m: (
            f'<svg{m.group(1)} width="{m.group(2)}pt" height="{m.group(3)}pt"'
            f' role="img" aria-label="{_e(label)}"'
        ),
        svg,
        count=1,
    )
    return svg.strip()


# ---------------------------------------------------------------------------------------
# Markdown

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|])")
# Line and paragraph breaks of every kind (a bare CR too) and other control characters
# would end a table row or a heading: each becomes a space.
_MD_BREAKS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _md(value: object) -> str:
    return _MD_BREAKS.sub(" ", _MD_SPECIAL.sub(r"\\\1", mask_for_display(value)))


def _md_table(headers: list[str], rows: list[list[object]], numeric: set[int]) -> list[str]:
    align = ["---:" if i in numeric else "---" for i in range(len(headers))]
    out = ["| " + " | ".join(_md(h) for h in headers) + " |", "| " + " | ".join(align) + " |"]
    out += ["| " + " | ".join(_md(v) for v in row) + " |" for row in rows]
    return out + [""]


def _md_distribution(section: Section) -> list[str]:
    rows = [
        [zh, section.topics[t], pct(section.topic_shares[t]), section.review_by_topic[t]]
        for t, zh in TOPICS.items()
    ]
    rows.append(
        ["合计", section.classified, pct(1.0 if section.classified else 0.0), section.needs_review]
    )
    out = _md_table(["主题", "条数", "占比", "需复核"], rows, {1, 2, 3})
    rows = [[zh, section.stances[s], pct(section.stance_shares[s])] for s, zh in STANCES.items()]
    return out + _md_table(["立场", "条数", "占比"], rows, {1, 2})


def _md_crosstab(section: Section) -> list[str]:
    ct = section.crosstab
    rows = [[zh, *(ct.counts[t][s] for s in STANCES), ct.row_totals[t]] for t, zh in TOPICS.items()]
    rows.append(["合计", *(ct.column_totals[s] for s in STANCES), ct.total])
    return _md_table(["主题／立场", *STANCES.values(), "合计"], rows, {1, 2, 3, 4})


def _md_confidence(section: Section) -> list[str]:
    topic, stance = section.confidence["topic"], section.confidence["stance"]
    rows = [
        [f"{lo:.1f} – {hi:.1f}", topic.counts[i], stance.counts[i]]
        for i, (lo, hi) in enumerate(zip(topic.edges, topic.edges[1:], strict=False))
    ]
    return _md_table(["置信度区间", "主题（条）", "立场（条）"], rows, {1, 2})


def _md_terms(section: Section) -> list[str]:
    rows = [
        [zh, "、".join(f"{x.term}（{x.count}）" for x in section.terms[t]) or "—"]
        for t, zh in TOPICS.items()
    ]
    return _md_table(["主题", "特征词（出现条数）"], rows, set())


def _md_examples(section: Section, level: str) -> list[str]:
    out = []
    for t, zh in TOPICS.items():
        out.append(f"{level} {zh}")
        out.append("")
        comments = section.examples[t]
        if not comments:
            out += ["（无可信度高的示例）", ""]
            continue
        for i, c in enumerate(comments, 1):
            out.append(
                f"{i}. {_md(c.text)}（第 {c.number} 行；{STANCES[c.stance]}；"
                f"主题置信度 {conf(c.topic_confidence)}）"
            )
        out.append("")
    return out


def _md_review(comments: list[Comment]) -> list[str]:
    if not comments:
        return ["（没有需要复核的意见）", ""]
    rows = [[v for _, v in row] for row in _review_rows(comments, False)]
    return _md_table(_REVIEW_HEADERS, rows, {0, 3, 5})


def _md_errors(comments: list[Comment]) -> list[str]:
    rows = [[c.number, c.error, c.text or "—"] for c in comments]
    return _md_table(["行号", "原因", "意见（已脱敏）"], rows, {0})


def render_markdown(report: Report, title: str | None = None) -> str:
    """The report as Markdown: the same tables and lists as the HTML, without charts."""
    title = title or default_title(report.source)
    o = report.overall
    grouped = bool(report.by)
    out = [f"# {_md(title)}", "", _md(_meta_line(report)), ""]
    n = 0

    def h2(text: str) -> None:
        nonlocal n
        out.extend([f"## {_ordinal(n)}、{text}", ""])
        n += 1

    h2("总体情况")
    out += [_md(headline(o)), ""]
    out += ["### 主题与立场分布", ""] + _md_distribution(o)
    out += ["### 主题 × 立场 交叉表", ""] + _md_crosstab(o)
    out += ["### 置信度分布", ""] + _md_confidence(o)
    h2("各主题特征词")
    out += _md_terms(o)
    h2("代表性意见")
    out += _md_examples(o, "###")
    h2(f"待人工复核的意见（{o.needs_review} 条）")
    if grouped and o.review:
        out += [f"按分组列出，见“{_md(_groups_heading(report))}”。", ""]
    else:
        out += _md_review(o.review)
    if o.errors:
        h2(f"无法分类的行（{o.errors} 条）")
        out += _md_errors(o.error_rows)
    if grouped:
        h2(_md(_groups_heading(report)))
        headers = [report.by or "分组", "总数", *TOPICS.values(), "需复核", "无法分类"]
        rows = [
            [s.name, s.total, *(s.topics[t] for t in TOPICS), s.needs_review, s.errors]
            for s in report.groups.values()
        ]
        rows.append(["合计", o.total, *(o.topics[t] for t in TOPICS), o.needs_review, o.errors])
        out += _md_table(headers, rows, set(range(1, len(headers))))
        for i, section in enumerate(report.groups.values()):
            out += [f"### （{_ordinal(i)}）{_md(section.name)}", "", _md(headline(section)), ""]
            out += ["#### 主题 × 立场 交叉表", ""] + _md_crosstab(section)
            out += ["#### 特征词", ""] + _md_terms(section)
            out += ["#### 代表性意见", ""] + _md_examples(section, "#####")
            out += [f"#### 待人工复核（{section.needs_review} 条）", ""] + _md_review(
                section.review
            )
            if section.errors:
                out += [f"#### 无法分类的行（{section.errors} 条）", ""]
                out += _md_errors(section.error_rows)
    out += ["---", "", "说明：", ""]
    out += [f"{i}. {note}" for i, note in enumerate(NOTES, 1)]
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------------------
# XLSX

XLSX_SHEETS = ("汇总", "交叉表", "置信度", "特征词", "示例", "待复核", "出错行")
_ALL = "全部"


def _section_label(section: Section) -> str:
    return _ALL if section.name is None else section.name


def xlsx_tables(report: Report) -> dict[str, tuple[list[str], list[list[object]]]]:
    """Every sheet of the XLSX report as (header, rows) with typed values: numbers stay numbers."""
    group = report.by or "分组"
    sections = report.sections()
    summary = []
    for s in sections:
        g = _section_label(s)
        summary += [
            [g, "合计", "总数", "total", s.total, None],
            [g, "合计", "已分类", "classified", s.classified, _ratio(s.classified, s.total)],
            [g, "合计", "无法分类", "errors", s.errors, _ratio(s.errors, s.total)],
            [g, "合计", "需复核", "needs_review", s.needs_review, s.review_share],
        ]
        summary += [[g, "主题", zh, t, s.topics[t], s.topic_shares[t]] for t, zh in TOPICS.items()]
        summary += [
            [g, "立场", zh, k, s.stances[k], s.stance_shares[k]] for k, zh in STANCES.items()
        ]
    crosstab = []
    for s in sections:
        g, ct = _section_label(s), s.crosstab
        crosstab += [
            [g, zh, *(ct.counts[t][k] for k in STANCES), ct.row_totals[t]]
            for t, zh in TOPICS.items()
        ]
        crosstab.append([g, "合计", *(ct.column_totals[k] for k in STANCES), ct.total])
    confidence = []
    for s in sections:
        h_topic, h_stance = s.confidence["topic"], s.confidence["stance"]
        for i, (lo, hi) in enumerate(zip(h_topic.edges, h_topic.edges[1:], strict=False)):
            confidence.append(
                [
                    _section_label(s),
                    f"{lo:.1f}–{hi:.1f}",
                    lo,
                    hi,
                    h_topic.counts[i],
                    h_stance.counts[i],
                ]
            )
    terms = [
        [_section_label(s), TOPICS[t], rank, x.term, x.count, x.score]
        for s in sections
        for t in TOPICS
        for rank, x in enumerate(s.terms[t], 1)
    ]
    examples = [
        [
            _section_label(s),
            TOPICS[t],
            c.number,
            c.text,
            STANCES[c.stance],
            c.topic_confidence,
            c.stance_confidence,
        ]
        for s in sections
        for t in TOPICS
        for c in s.examples[t]
    ]
    grouped = bool(report.by)
    lead = [group] if grouped else []
    review = [
        [
            *([c.group] if grouped else []),
            c.number,
            c.text,
            TOPICS[c.topic],
            c.topic_confidence,
            STANCES[c.stance],
            c.stance_confidence,
        ]
        for c in report.overall.review
    ]
    errors = [
        [*([c.group] if grouped else []), c.number, c.error, c.text]
        for c in report.overall.error_rows
    ]
    return {
        "汇总": ([group, "类别", "名称", "标识", "条数", "占比"], summary),
        "交叉表": ([group, "主题", *STANCES.values(), "合计"], crosstab),
        "置信度": ([group, "置信度区间", "下限", "上限", "主题（条）", "立场（条）"], confidence),
        "特征词": ([group, "主题", "排名", "特征词", "出现条数", "得分"], terms),
        "示例": (
            [group, "主题", "行号", "意见（已脱敏）", "立场", "主题置信度", "立场置信度"],
            examples,
        ),
        "待复核": (
            [*lead, "行号", "意见（已脱敏）", "主题", "主题置信度", "立场", "立场置信度"],
            review,
        ),
        "出错行": ([*lead, "行号", "原因", "意见（已脱敏）"], errors),
    }


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


_NUMBER_FORMATS = {
    "占比": "0.0%",
    "主题置信度": "0.00",
    "立场置信度": "0.00",
    "得分": "0.000",
    "下限": "0.0",
    "上限": "0.0",
}
_WIDE_COLUMNS = {"意见（已脱敏）": 70, "原因": 30}


def write_xlsx(report: Report, path: str | os.PathLike[str], title: str | None = None) -> None:
    """Write the report as an XLSX workbook, one sheet per table, atomically."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    from nlp_pipeline.io.writers import xlsx_text

    workbook = Workbook()
    workbook.remove(workbook.active)
    workbook.properties.title = mask_for_display(title or default_title(report.source))
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="ECEBE8")
    wrap = Alignment(wrap_text=True, vertical="top")
    for name, (headers, rows) in xlsx_tables(report).items():
        sheet = workbook.create_sheet(name)
        sheet.append([xlsx_text(mask_for_display(h)) for h in headers])
        for row in rows:
            sheet.append([xlsx_text(mask_for_display(v)) if isinstance(v, str) else v for v in row])
        for cell in sheet[1]:
            cell.font, cell.fill = bold, fill
        for index, header in enumerate(headers, 1):
            letter = get_column_letter(index)
            width = _WIDE_COLUMNS.get(header, max(10, min(24, 2 * len(header) + 4)))
            sheet.column_dimensions[letter].width = width
            number_format = _NUMBER_FORMATS.get(header)
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # a text cell, never a formula
                    if header in _WIDE_COLUMNS:
                        cell.alignment = wrap
                elif number_format and isinstance(cell.value, float):
                    cell.number_format = number_format
        sheet.freeze_panes = "A2"
        if rows:
            sheet.auto_filter.ref = sheet.dimensions
    from nlp_pipeline.io.xlsx_guard import save_workbook

    atomic_write(path, lambda temp: save_workbook(workbook, temp))


# ---------------------------------------------------------------------------------------
# Files


def write_report(report: Report, path: str | os.PathLike[str], title: str | None = None) -> str:
    """Write the report in the format of ``path``'s extension; return the format written.

    .html/.htm: self-contained page; .md: Markdown; .xlsx: workbook. Anything else, or the
    classified file itself as the target, raises OutputError.
    """
    from nlp_pipeline.io.writers import same_file

    target = os.fspath(path)
    ext = os.path.splitext(target)[1].lower()
    if ext not in REPORT_EXTENSIONS:
        shown = repr(ext) if ext else "（没有扩展名）"
        pdf = (
            "；要 PDF：先生成 .html，用浏览器打开，打印（Ctrl+P）→ 目标选“另存为 PDF”，纸张 A4 "
            "(for PDF: open the .html report in a browser and print to PDF, A4)"
            if ext == ".pdf"
            else ""
        )
        raise OutputError(
            f"{where(target)}不支持的报告格式 {shown} (unsupported report format)；"
            f"可用 supported: {' '.join(REPORT_EXTENSIONS)}{pdf}"
        )
    if report.source != ROWS_SOURCE and same_file(report.source, target):
        raise OutputError(
            f"{where(target)}报告不能覆盖分类结果文件本身 (the report would overwrite its input)"
        )
    if ext == ".xlsx":
        write_xlsx(report, target, title)
        return "xlsx"
    if ext == ".md":
        write_text_atomic(target, render_markdown(report, title))
        return "md"
    write_text_atomic(target, render_html(report, title))
    return "html"
