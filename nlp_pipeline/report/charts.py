"""Report charts: matplotlib drawn to inline SVG with ``svg.fonttype = "none"`` (text stays
text, so the browser draws Chinese with its own fonts)."""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from nlp_pipeline.report.compute import Section
from nlp_pipeline.report.wording import _HEAD_ZH, _e, pct
from nlp_pipeline.taxonomy import STANCES, TOPICS

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

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
        rc: dict[RcKeyType, Any] = {
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
