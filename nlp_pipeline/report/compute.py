"""The summary report of a classified file: the numbers a bureau hands up.

:func:`compute_report` reads what ``opinions classify`` wrote (.csv, .xlsx, .jsonl) — or
rows from :func:`nlp_pipeline.tasks.classify.classify_texts` — in one streaming pass and returns
plain data (dataclasses; :meth:`Report.to_dict` for JSON): counts and shares per topic and
stance in the order of the label guide (every label present, zeros included), the
topic × stance crosstab with totals, rows needing review and rows in error, confidence
histograms, the most characteristic words of each topic, a few representative comments,
and the list of comments to review. ``nlp_pipeline.report.render`` turns it into HTML,
Markdown or XLSX.

Personal data stays masked: every comment text a report holds has passed through
:func:`nlp_pipeline.text.normalize.normalize` (phone, ID-card, bank-card and QQ numbers,
plates, e-mails and URLs replaced by placeholders); the raw text is never kept. Group
values and error messages are masked too (two groups that differ only in a masked number
become one).

Decisions worth knowing:

* Shares of topics and stances are shares of the *classified* rows (rows without error);
  the share needing review is too.
* Characteristic terms are ranked by the log-odds ratio with an informative Dirichlet
  prior (Monroe, Colaresi & Quinn 2008, "Fightin' Words"): each topic against all the
  others, the prior being the whole section's word counts. Counts are numbers of comments
  containing the word (a word repeated in one comment counts once), so one long letter
  cannot dominate a topic. A term needs ``MIN_TERM_COUNT`` comments and a z above
  ``MIN_TERM_Z``; generic words (因为、很多、一家、两个 …) never count, and two-word phrases
  as written (加强巡逻) compete with single words — a word inside a chosen phrase is skipped.
* With ``by``, every row belongs to exactly one group (blank values to ``BLANK_GROUP``), so
  the group sections add up to the overall one.
* **Human corrections**: a reviewer corrects a label in the classified file, in the Chinese
  column (``topic_zh``/``stance_zh``, or 主题/立场 of ``--headers zh``) or in the id column.
  When the two columns of a row disagree, the report counts the Chinese one — the column a
  person reads and edits — and lists the row in ``Report.disagreements``: never silently.
* The headline's date range comes from the first column named like a date (日期, 时间,
  date …) whose values are dates.
"""

from __future__ import annotations

import datetime as dt
import functools
import heapq
import math
import os
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import asdict, dataclass, field

from nlp_pipeline.errors import InputError, LabelError, where
from nlp_pipeline.io.schema import FIELD_ALIASES, LABEL_COLUMNS, OUTPUT_FIELDS
from nlp_pipeline.io.writers import restore_formula
from nlp_pipeline.taxonomy import STANCES, TOPICS, parse_label

REQUIRED_COLUMNS = ("topic", "stance")
DATE_COLUMN_WORDS = ("日期", "时间", "date", "time")
_DATE_TEXT = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")
CONFIDENCE_EDGES = [round(i / 10, 1) for i in range(11)]
"""Histogram bin edges 0.0, 0.1, … 1.0; the last bin includes 1.0."""
MIN_TERM_COUNT = 2
"""A characteristic term must occur in at least this many comments of its topic."""
MIN_TERM_Z = 0.0
"""…and be more typical of its topic than of the others (log-odds z above this)."""
GENERIC_TERMS = frozenset(
    "因为 所以 但是 而且 如果 虽然 还是 就是 已经 现在 非常 很多 许多 一些 一下 一点 一家 "
    "一起 什么 怎么 为什么 这个 那个 这些 那些 这样 那样 这么 那么 这里 那里 我们 你们 他们 "
    "大家 自己 时候 没有 可以 能够 需要 问题 情况 方面 进行 有关 相关 一直 经常 总是 特别 "
    "比较 真的 其实 然后 还有 以及 或者 不是 不能 不会 之后 以后 之前 以前 今年 去年 有人 "
    "有些 还要 希望 感觉 觉得 知道 看到 出现 发现 东西 地方 事情 时间 谢谢 您好".split()
)
"""Words any comment may use: never shown as characteristic, whatever their score."""
_COUNTED = re.compile(
    r"^[一二两三四五六七八九十几百千万半每这那哪某各多好第]+"
    r"[个位家次件条天年月日号只辆名种些点回趟遍样块元岁分钟小时周]?$"
)
MAX_PHRASE_CHARS = 8
MIN_EXAMPLE_CHARS = 12
MAX_EXAMPLE_CHARS = 160
"""Representative comments are preferably this long: quotable, yet saying something."""
MAX_SHOWN_CHARS = 500
"""Comment texts in a report are cut to this many characters (the row number finds the rest)."""
BLANK_GROUP = "（未填写）"
NO_LABELS = "没有分类结果 (no topic/stance)"
ROWS_SOURCE = "<rows>"

_TRUE = {"true", "t", "yes", "y", "1", "是", "需要", "需复核", "需要复核", "√"}
_FALSE = {"false", "f", "no", "n", "0", "否", "不需要", "无需复核", ""}


# ---------------------------------------------------------------------------------------
# The report's data


@dataclass
class Comment:
    """One comment as a report shows it: masked text and predicted labels."""

    number: int
    """Row in the classified file (the line or sheet row a person finds it under)."""
    text: str
    """Normalised text with personal data masked, cut to ``MAX_SHOWN_CHARS``."""
    topic: str = ""
    stance: str = ""
    topic_confidence: float | None = None
    stance_confidence: float | None = None
    needs_review: bool = False
    group: str | None = None
    error: str = ""
    no_opinion: bool = False
    """An answer stating no opinion (无, 无意见): counted on its own line, in no table."""


@dataclass
class Term:
    """A characteristic word of a topic."""

    term: str
    count: int
    """Comments of the topic that contain the word."""
    score: float
    """z-score of the log-odds ratio, topic against the other topics (higher: more typical)."""


@dataclass
class Histogram:
    """Confidence distribution of one head over the classified rows."""

    edges: list[float]
    counts: list[int]
    missing: int = 0
    """Classified rows without a confidence value."""


@dataclass
class Crosstab:
    """Topic × stance counts of the classified rows, with totals, in label-guide order."""

    counts: dict[str, dict[str, int]]
    row_totals: dict[str, int]
    column_totals: dict[str, int]
    total: int


@dataclass
class Section:
    """Every table of the report for one set of rows: the whole file, or one group."""

    name: str | None
    """``None`` for the overall section, else the group's value."""
    total: int
    classified: int
    errors: int
    needs_review: int
    no_opinion: int
    """Answers that state no opinion (无实质意见): in ``total``, not in ``classified``."""
    topics: dict[str, int]
    topic_shares: dict[str, float]
    stances: dict[str, int]
    stance_shares: dict[str, float]
    crosstab: Crosstab
    review_by_topic: dict[str, int]
    confidence: dict[str, Histogram]
    terms: dict[str, list[Term]]
    examples: dict[str, list[Comment]]
    review: list[Comment]
    error_rows: list[Comment]

    @property
    def review_share(self) -> float:
        """Share of the classified rows that need review."""
        return _share(self.needs_review, self.classified)


@dataclass
class Disagreement:
    """A row whose id and Chinese label columns say different things (a correction)."""

    number: int
    head: str
    values: dict[str, str]
    """Column → the value found there."""
    used: str
    """The label id the report counted (the Chinese column's)."""


@dataclass
class Report:
    """The report of one classified file: an overall section and, with ``by``, one per group."""

    source: str
    text_column: str
    by: str | None
    overall: Section
    groups: dict[str, Section] = field(default_factory=dict)
    disagreements: list[Disagreement] = field(default_factory=list)
    date_column: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    model_version: str | None = None
    """The model that classified the file, when the file records it (XLSX written by classify)."""

    @property
    def total(self) -> int:
        return self.overall.total

    def sections(self) -> list[Section]:
        """The overall section, then the groups in order of first appearance."""
        return [self.overall, *self.groups.values()]

    def to_dict(self) -> dict:
        """Plain JSON-ready data."""
        return asdict(self)


# ---------------------------------------------------------------------------------------
# Public API


def compute_report(
    path_or_rows: str | os.PathLike[str] | Iterable[Mapping[str, object]],
    *,
    by: str | None = None,
    text_column: str | None = None,
    examples: int = 4,
    top_terms: int = 10,
    jobs: int | None = None,
) -> Report:
    """Compute every table of the summary report of a classified file.

    ``path_or_rows`` is a file written by ``opinions classify`` (.csv, .xlsx, .jsonl…) or
    an iterable of row dicts such as :func:`nlp_pipeline.tasks.classify.classify_texts` returns.
    ``by`` names an input column (乡镇, 派出所…) to group every table by; ``text_column``
    the comment column (found by name when omitted, like ``classify`` does); ``examples``
    representative comments and ``top_terms`` characteristic words per topic. The words
    of a big file are found in ``jobs`` worker processes (default: all cores), as
    ``classify`` does; the file is read once, streaming.

    Raises InputError when the file has no rows, lacks the topic/stance columns, or holds
    a value that is not a label, a yes/no or a confidence.
    """
    if examples < 0 or top_terms < 0:
        raise ValueError("examples and top_terms must be >= 0")
    if isinstance(path_or_rows, (str, os.PathLike)):
        source = os.fspath(path_or_rows)
        _check_not_empty_file(source)
        from nlp_pipeline.io.readers import open_table

        with open_table(source) as table:
            result = _compute(
                source,
                table.columns,
                _table_rows(table.rows()),
                by,
                text_column,
                examples,
                top_terms,
                jobs,
            )
        result.model_version = recorded_model_version(source)
        return result
    rows = iter(path_or_rows)
    first = next(rows, None)
    if first is None:
        raise InputError(_no_rows_message(ROWS_SOURCE))
    columns = list(first)

    def numbered() -> Iterator[tuple[int, Mapping[str, object], str | None]]:
        yield 1, first, None
        for number, row in enumerate(rows, start=2):
            yield number, row, None

    return _compute(ROWS_SOURCE, columns, numbered(), by, text_column, examples, top_terms, jobs)


MODEL_KEYWORD = "opinions-model:"
"""Prefix of the model version in a classified workbook's keywords (document properties)."""


def recorded_model_version(path: str) -> str | None:
    """The model version a classified .xlsx records in its document properties, if any."""
    if not path.lower().endswith((".xlsx", ".xlsm")):
        return None
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            core = archive.read("docProps/core.xml")[:65536].decode("utf-8", "replace")
    except (OSError, KeyError, zipfile.BadZipFile):
        return None
    found = re.search(re.escape(MODEL_KEYWORD) + r"([A-Za-z0-9._-]{1,80})", core)
    return found.group(1) if found else None


def characteristic_terms(
    counts: Mapping[str, Counter],
    *,
    top: int = 10,
    min_count: int = MIN_TERM_COUNT,
) -> dict[str, list[Term]]:
    """The ``top`` most characteristic words of every topic, by log-odds with a prior.

    ``counts`` maps topic → Counter of word → number of comments containing it. The prior
    is the counts over all topics (an informative Dirichlet prior with α_w = y_w), which
    shrinks rare words towards "nothing special" and keeps frequent ones comparable.
    """
    background: Counter = Counter()
    for counter in counts.values():
        background.update(counter)
    a0 = sum(background.values())
    out: dict[str, list[Term]] = {}
    for topic in TOPICS:
        ck = counts.get(topic, Counter())
        nk = sum(ck.values())
        nr = a0 - nk
        scored = []
        for word, yk in ck.items():
            if yk < min_count:
                continue
            aw = background[word]
            yr = aw - yk
            rest_k = nk + a0 - yk - aw
            rest_r = nr + a0 - yr - aw
            if rest_k <= 0 or rest_r <= 0:
                continue
            delta = math.log((yk + aw) / rest_k) - math.log((yr + aw) / rest_r)
            z = delta / math.sqrt(1 / (yk + aw) + 1 / (yr + aw))
            if z > MIN_TERM_Z:
                scored.append(Term(word, yk, round(z, 3)))
        scored.sort(key=lambda t: (-t.score, -t.count, -len(t.term), t.term))
        chosen: list[Term] = []
        for term in scored:
            overlap = [k for k in chosen if term.term in k.term or k.term in term.term]
            if overlap:
                # A phrase that holds a chosen word replaces it when at least half of that
                # word's comments say it this way (加强巡逻 rather than 巡逻); else skipped.
                word = overlap[0]
                if len(overlap) == 1 and word.term in term.term and 2 * term.count >= word.count:
                    chosen[chosen.index(word)] = term
                continue
            if len(chosen) < top:
                chosen.append(term)
        chosen.sort(key=lambda t: (-t.score, -t.count, -len(t.term), t.term))
        out[topic] = chosen
    return out


def parse_bool(value: object, location: str = "") -> bool:
    """A needs_review cell: bool, 1/0, True/False/TRUE/true, 是/否; blank is False."""
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise InputError(f"{location}needs_review 应为 是/否 或 True/False，而不是 {value!r}")


def parse_confidence(value: object, location: str = "") -> float | None:
    """A confidence cell: a number or numeric string in [0, 1] (``93%`` too); blank is None."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise InputError(f"{location}置信度应为 0 到 1 之间的数，而不是 {value!r}")
    try:
        if isinstance(value, str):
            text = value.strip()
            number = float(text[:-1]) / 100 if text.endswith("%") else float(text)
        else:
            number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InputError(
            f"{location}置信度应为 0 到 1 之间的数，而不是 {value!r} (confidence must be a number)"
        ) from None
    if math.isnan(number):
        return None
    if not -1e-9 <= number <= 1 + 1e-9:
        raise InputError(f"{location}置信度 {value!r} 不在 0 到 1 之间 (confidence out of range)")
    return min(max(number, 0.0), 1.0)


# ---------------------------------------------------------------------------------------
# Reading


def _check_not_empty_file(path: str) -> None:
    try:
        size = os.path.getsize(path)
    except OSError:
        return  # open_table says what is wrong (missing, folder, no permission)
    if size == 0:
        raise InputError(_no_rows_message(path))


def _no_rows_message(source: str) -> str:
    return (
        f"{where(source)}分类结果文件里没有数据行，无法生成报告 "
        "(the classified file has no rows; nothing to report)。"
        "请先用 opinions classify 处理有内容的意见文件 (classify a file with comments first)。"
    )


def _table_rows(rows: Iterable) -> Iterator[tuple[int, Mapping[str, object], str | None]]:
    for row in rows:
        yield row.number, row.values, row.error


def _check_columns(source: str, columns: list[str], by: str | None, text_column: str | None) -> str:
    """Check the required columns are there; return the text column."""
    from nlp_pipeline.io.readers import find_text_column

    found = "、".join(repr(c) for c in columns) if columns else "（没有列）"
    missing = [h for h in REQUIRED_COLUMNS if not any(c in columns for c in LABEL_COLUMNS[h])]
    if missing:
        raise InputError(
            f"{where(source)}缺少列 {'、'.join(missing)} (missing columns: {', '.join(missing)})；"
            "报告需要 opinions classify 生成的分类结果文件 "
            f"(produce it with: opinions classify 意见.xlsx -o 分类结果.xlsx)。找到的列: {found}"
        )
    if by is not None and by not in columns:
        raise InputError(
            f"{where(source)}没有名为 {by!r} 的分组列 (no column {by!r} to group by)；找到的列: {found}"
        )
    outputs = set(OUTPUT_FIELDS) | {a for names in FIELD_ALIASES.values() for a in names}
    outputs |= {c for names in LABEL_COLUMNS.values() for c in names}
    candidates = [c for c in columns if c not in outputs and c != by]
    if text_column is not None:
        return find_text_column(columns, text_column, path=source)
    return find_text_column(candidates, None, path=source)


def _compute(
    source: str,
    columns: list[str],
    rows: Iterable[tuple[int, Mapping[str, object], str | None]],
    by: str | None,
    text_column: str | None,
    examples: int,
    top_terms: int,
    jobs: int | None = None,
) -> Report:
    from nlp_pipeline.text.no_opinion import is_no_opinion
    from nlp_pipeline.text.normalize import mask_for_display, normalize

    column = _check_columns(source, columns, by, text_column)
    label_columns = {h: [c for c in names if c in columns] for h, names in LABEL_COLUMNS.items()}
    field_of = {
        f: next((c for c in names if c in columns), f) for f, names in FIELD_ALIASES.items()
    }
    date_column = _date_column(columns, by, column)
    dates: list[dt.date] = []
    disagreements: list[Disagreement] = []
    overall = _Tally(examples)
    groups: dict[str, _Tally] = {}

    def prepared() -> Iterator[tuple[Comment, str | None]]:
        """Each row's comment, and its text when its words are wanted."""
        for number, values, row_error in rows:
            comment, wanted = prepare(number, values, row_error)
            yield comment, wanted

    def prepare(
        number: int, values: Mapping[str, object], row_error: str | None
    ) -> tuple[Comment, str | None]:
        nonlocal dates
        location = where(source, number)
        raw = values.get(column)
        shown = _unneutralize(raw) if raw is not None and raw != "" else ""
        group = mask_for_display(_group_value(values.get(by))) if by is not None else None
        comment = Comment(number, _shorten(mask_for_display(shown).strip()), group=group)
        if date_column is not None:
            day = _as_date(values.get(date_column))
            if day is not None:
                if not dates:
                    dates = [day, day]
                else:
                    dates = [min(dates[0], day), max(dates[1], day)]
        error = mask_for_display(row_error or _text(values.get(field_of["error"])))
        wanted = None
        if not error:
            try:
                topic_value = _label_value("topic", label_columns, values, number, disagreements)
                stance_value = _label_value("stance", label_columns, values, number, disagreements)
            except LabelError as exc:
                raise LabelError(f"{location}{exc}") from None
            labelled = not (_blank(topic_value) and _blank(stance_value))
            if field_of["no_opinion"] in values and not labelled:
                comment.no_opinion = parse_bool(values.get(field_of["no_opinion"]), location)
            elif not labelled:
                comment.no_opinion = is_no_opinion(normalize(shown) if shown else "")
            if comment.no_opinion:
                pass
            elif _blank(topic_value) or _blank(stance_value):
                error = NO_LABELS
            else:
                try:
                    comment.topic = parse_label("topic", topic_value)
                    comment.stance = parse_label("stance", stance_value)
                except LabelError as exc:
                    raise LabelError(f"{location}{exc}") from None
                comment.topic_confidence = parse_confidence(
                    values.get(field_of["topic_confidence"]), location
                )
                comment.stance_confidence = parse_confidence(
                    values.get(field_of["stance_confidence"]), location
                )
                comment.needs_review = parse_bool(values.get(field_of["needs_review"]), location)
                wanted = shown or None
        comment.error = error
        return comment, wanted

    for comment, words in _with_words(prepared(), jobs):
        overall.add(comment, words)
        if comment.group is not None:
            tally = groups.get(comment.group)
            if tally is None:
                tally = groups[comment.group] = _Tally(examples)
            tally.add(comment, words)
    if overall.total == 0:
        raise InputError(_no_rows_message(source))
    sections = {
        name: tally.finish(name, top_terms)
        for name, tally in sorted(groups.items(), key=lambda kv: kv[0] == BLANK_GROUP)
    }
    return Report(
        source,
        column,
        by,
        overall.finish(None, top_terms),
        sections,
        disagreements=disagreements,
        date_column=date_column if dates else None,
        date_from=dates[0] if dates else None,
        date_to=dates[1] if dates else None,
    )


TERM_CHUNK = 4000
"""Comments whose words are found per task (in a worker process for big files)."""


def chunk_terms(texts: list[str]) -> list[frozenset[str]]:
    """The report words of each raw comment: normalised, tokenised, terms and phrases."""
    from nlp_pipeline.text.normalize import normalize
    from nlp_pipeline.text.tokens import tokenize

    out = []
    for raw in texts:
        text = normalize(raw)
        out.append(frozenset(_terms(tokenize(text), text)) if text else frozenset())
    return out


def _warm_chunk_terms(texts: list[str]) -> list[frozenset[str]]:
    """chunk_terms in a worker: the whole dictionary loaded once per process."""
    from nlp_pipeline.tasks.classify import _ignore_ctrl_c_in_workers
    from nlp_pipeline.text.segment import warm_up

    global _WARM
    if not _WARM:
        _ignore_ctrl_c_in_workers()
        warm_up()
        _WARM = True
    return chunk_terms(texts)


_WARM = False


def _with_words(
    prepared: Iterator[tuple[Comment, str | None]], jobs: int | None
) -> Iterator[tuple[Comment, frozenset[str]]]:
    """Attach each comment's words, in order; chunks go to worker processes when there are
    several (the report of a big file takes no longer than classifying it did)."""
    from collections import deque
    from itertools import chain, islice

    def chunks() -> Iterator[list[tuple[Comment, str | None]]]:
        while chunk := list(islice(prepared, TERM_CHUNK)):
            yield chunk

    def texts(chunk: list[tuple[Comment, str | None]]) -> list[str]:
        return [t for _c, t in chunk if t]

    def joined(chunk, words) -> Iterator[tuple[Comment, frozenset[str]]]:
        found = iter(words)
        for comment, wanted in chunk:
            yield comment, next(found) if wanted else frozenset()

    jobs = jobs or os.cpu_count() or 1
    stream = chunks()
    head = list(islice(stream, 2))
    if jobs == 1 or len(head) < 2:
        for chunk in chain(head, stream):
            yield from joined(chunk, chunk_terms(texts(chunk)))
        return
    from joblib import Parallel, delayed

    from nlp_pipeline.tasks.classify import _quiet_pool_shutdown, _workers_ignore_ctrl_c

    pending: deque = deque()

    def tasks():
        for chunk in chain(head, stream):
            pending.append(chunk)
            yield delayed(_warm_chunk_terms)(texts(chunk))

    parallel = Parallel(n_jobs=jobs, return_as="generator", pre_dispatch="2*n_jobs")
    with _workers_ignore_ctrl_c():
        results = parallel(tasks())
    try:
        for words in results:
            yield from joined(pending.popleft(), words)
    except BaseException:
        _quiet_pool_shutdown()
        results.close()
        raise


def _label_value(
    head: str,
    label_columns: Mapping[str, list[str]],
    values: Mapping[str, object],
    number: int,
    disagreements: list[Disagreement],
) -> object:
    """The row's label for ``head``: the Chinese column's when the columns disagree (listed)."""
    present = [(c, values.get(c)) for c in label_columns[head]]
    filled = [(c, v) for c, v in present if not _blank(v)]
    if len(filled) < 2:
        return filled[0][1] if filled else None
    parsed = {c: parse_label(head, v) for c, v in filled}  # a typo is an error, not a fix
    if len(set(parsed.values())) > 1:
        disagreements.append(
            Disagreement(number, head, {c: _text(v) for c, v in filled}, parsed[filled[0][0]])
        )
    return filled[0][1]


def _date_column(columns: list[str], by: str | None, text_column: str) -> str | None:
    for c in columns:
        if c in (by, text_column):
            continue
        if any(w in c.lower() for w in DATE_COLUMN_WORDS):
            return c
    return None


def _as_date(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        found = _DATE_TEXT.match(value)
        if found:
            try:
                return dt.date(*(int(g) for g in found.groups()))
            except ValueError:
                return None
    return None


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def _unneutralize(value: object) -> str:
    """The text as typed: CSV writers prefix ``'`` to text starting with = + - @."""
    return str(restore_formula(str(value)))


def _group_value(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # 派出所 code 3 read from Excel as 3.0
    text = _text(value)
    return text or BLANK_GROUP


def _shorten(text: str) -> str:
    return text if len(text) <= MAX_SHOWN_CHARS else text[: MAX_SHOWN_CHARS - 1] + "…"


def _terms(tokens: list[str], text: str) -> set[str]:
    """Words worth showing, and the two-word phrases people wrote (加强巡逻, 电动车被盗)."""
    out = {w for w in tokens if _is_term(w)}
    for a, b in zip(tokens, tokens[1:], strict=False):
        phrase = a + b
        if (
            len(phrase) <= MAX_PHRASE_CHARS
            and (_is_term(a) or _is_term(b))
            and len(a) + len(b) >= 3
            and phrase in text
        ):
            out.add(phrase)
    return out


@functools.lru_cache(maxsize=1 << 18)
def _is_term(word: str) -> bool:
    """Words worth showing: two characters or more, not a number, not a generic word."""
    return (
        len(word) >= 2
        and not word.replace(".", "").isdigit()
        and word not in GENERIC_TERMS
        and not _COUNTED.match(word)
        and not word.startswith("〈")  # a masked phone number is not a topic's word
    )


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


# ---------------------------------------------------------------------------------------
# Counting


class _Tally:
    """Running counts of one section; memory grows with the vocabulary and the review list."""

    def __init__(self, examples: int) -> None:
        self.examples = examples
        self.total = 0
        self.crosstab = {t: dict.fromkeys(STANCES, 0) for t in TOPICS}
        self.review_by_topic = dict.fromkeys(TOPICS, 0)
        self.histograms = {h: [0] * (len(CONFIDENCE_EDGES) - 1) for h in ("topic", "stance")}
        self.missing = dict.fromkeys(("topic", "stance"), 0)
        self.words: dict[str, Counter] = {t: Counter() for t in TOPICS}
        # Per topic: normalised text -> (rank key, comment); the best `examples` distinct texts.
        self.best: dict[str, dict[str, tuple[tuple, Comment]]] = {t: {} for t in TOPICS}
        self.review: list[Comment] = []
        self.error_rows: list[Comment] = []
        self.no_opinion = 0

    def add(self, comment: Comment, words: AbstractSet[str]) -> None:
        self.total += 1
        if comment.error:
            self.error_rows.append(comment)
            return
        if comment.no_opinion:
            self.no_opinion += 1
            return
        self.crosstab[comment.topic][comment.stance] += 1
        for head, value in (
            ("topic", comment.topic_confidence),
            ("stance", comment.stance_confidence),
        ):
            if value is None:
                self.missing[head] += 1
            else:
                self.histograms[head][min(int(value * 10 + 1e-9), 9)] += 1
        self.words[comment.topic].update(words)
        if comment.needs_review:
            self.review_by_topic[comment.topic] += 1
            self.review.append(comment)
        elif self.examples and comment.text:
            self._offer_example(comment)

    def _offer_example(self, comment: Comment) -> None:
        key = (
            MIN_EXAMPLE_CHARS <= len(comment.text) <= MAX_EXAMPLE_CHARS,
            comment.topic_confidence or 0.0,
            comment.stance_confidence or 0.0,
            -comment.number,
        )
        best = self.best[comment.topic]
        held = best.get(comment.text)
        if held is not None:
            if key > held[0]:
                best[comment.text] = (key, comment)
            return
        if len(best) < self.examples:
            best[comment.text] = (key, comment)
            return
        worst_text, (worst_key, _) = min(best.items(), key=lambda kv: kv[1][0])
        if key > worst_key:
            del best[worst_text]
            best[comment.text] = (key, comment)

    def finish(self, name: str | None, top_terms: int) -> Section:
        topics = {t: sum(row.values()) for t, row in self.crosstab.items()}
        stances = {s: sum(self.crosstab[t][s] for t in TOPICS) for s in STANCES}
        classified = sum(topics.values())
        examples = {
            t: [c for _, c in heapq.nlargest(self.examples, held.values(), key=lambda kc: kc[0])]
            for t, held in self.best.items()
        }
        return Section(
            name=name,
            total=self.total,
            classified=classified,
            errors=len(self.error_rows),
            needs_review=len(self.review),
            no_opinion=self.no_opinion,
            topics=topics,
            topic_shares={t: _share(n, classified) for t, n in topics.items()},
            stances=stances,
            stance_shares={s: _share(n, classified) for s, n in stances.items()},
            crosstab=Crosstab(
                counts={t: dict(row) for t, row in self.crosstab.items()},
                row_totals=dict(topics),
                column_totals=dict(stances),
                total=classified,
            ),
            review_by_topic=dict(self.review_by_topic),
            confidence={
                h: Histogram(list(CONFIDENCE_EDGES), list(c), self.missing[h])
                for h, c in self.histograms.items()
            },
            terms=characteristic_terms(self.words, top=top_terms),
            examples=examples,
            review=self.review,
            error_rows=self.error_rows,
        )
