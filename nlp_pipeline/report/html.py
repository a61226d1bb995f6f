"""The report as one self-contained HTML page: inline CSS and SVG charts, no external URL,
A4-friendly width and print CSS, 宋体/黑体 font stacks with fallbacks."""

from __future__ import annotations

from collections.abc import Sequence

from nlp_pipeline.report.charts import _Charts
from nlp_pipeline.report.compute import Comment, Report, Section
from nlp_pipeline.report.wording import (
    _HEAD_ZH,
    _REVIEW_HEADERS,
    MAX_HTML_REVIEW,
    NOTES,
    _e,
    _groups_heading,
    _meta_line,
    _ordinal,
    _review_rows,
    conf,
    default_title,
    first_sentences,
    headline,
    num,
    pct,
)
from nlp_pipeline.taxonomy import STANCES, TOPICS

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


def _table(
    headers: list[str],
    rows: Sequence[Sequence[tuple[str, object]]],
    *,
    caption: str | None = None,
    total: Sequence[tuple[str, object]] | None = None,
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


def _html_review(comments: list[Comment], limit: int = MAX_HTML_REVIEW) -> str:
    if not comments:
        return '<p class="none">（没有需要复核的意见）</p>'
    shown = _table(_REVIEW_HEADERS, _review_rows(comments[:limit], False))
    if len(comments) > limit:
        shown += (
            f'\n<p class="more">以上列出前 {num(limit)} 条，共 {num(len(comments))} 条；'
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
        # The groups share one page budget of review rows, so 80 towns stay a small page.
        per_group = max(10, MAX_HTML_REVIEW // max(len(report.groups), 1))
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
            body.append(_html_review(section.review, per_group))
            if section.errors:
                body.append(f"<h4>无法分类的行（{section.errors} 条）</h4>")
                body.append(_html_errors(section.error_rows[:per_group]))
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
