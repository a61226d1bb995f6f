"""Corpus audit: labels that are probably wrong, duplicates, near-duplicates and conflicts.

``opinions audit`` runs this over the training files. Each finding names the file, the
line and the record's id, so a person can open the file and fix it. Nothing is changed.

Probably-wrong labels come from cross-validated, out-of-fold predictions: every record is
judged by models that never saw it, so a label the rest of the corpus contradicts stands
out (the "confident learning" idea, kept to a simple rule: the given label gets a
probability below ``given_below`` while another label gets more than ``other_above``).
"""

from __future__ import annotations

import warnings
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from nlp_pipeline.data.corpus import read_jsonl
from nlp_pipeline.errors import InputError
from nlp_pipeline.training.config import TrainConfig

HEAD_NAMES = ("topic", "stance")
GIVEN_BELOW = 0.2
OTHER_ABOVE = 0.7
NEAR_DUPLICATE = 0.8
# Rows of the sparse bigram product computed at once: common bigrams (民警, 希望) make it
# nearly dense, so a block of rows against the whole corpus bounds the memory.
_PAIR_CELLS = 4_000_000


@dataclass
class AuditRecord:
    """Where a record is, and what it says."""

    file: str
    line: int
    id: str
    text: str
    topic: str
    stance: str

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass
class SuspectLabel:
    """A label the out-of-fold model contradicts with confidence."""

    record: AuditRecord
    head: str
    given: str
    given_probability: float
    suggested: str
    suggested_probability: float


@dataclass
class DuplicateGroup:
    """Records with the same text after normalisation (same labels: duplicate; else conflict)."""

    normalized: str
    records: list[AuditRecord]


@dataclass
class NearDuplicate:
    """Two records with different normalised texts but bigram Jaccard >= the threshold."""

    a: AuditRecord
    b: AuditRecord
    similarity: float

    @property
    def same_labels(self) -> bool:
        return (self.a.topic, self.a.stance) == (self.b.topic, self.b.stance)


@dataclass
class AuditReport:
    """Everything ``audit`` found; plain data, ``to_dict`` for JSON."""

    files: list[str]
    n_records: int
    suspects: list[SuspectLabel] = field(default_factory=list)
    duplicates: list[DuplicateGroup] = field(default_factory=list)
    near_duplicates: list[NearDuplicate] = field(default_factory=list)
    conflicts: list[DuplicateGroup] = field(default_factory=list)
    settings: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    """Why a check was skipped, if one was."""

    def counts(self) -> dict[str, int]:
        return {
            "suspects": len(self.suspects),
            "duplicates": len(self.duplicates),
            "near_duplicates": len(self.near_duplicates),
            "conflicts": len(self.conflicts),
        }

    def to_dict(self, limit: int | None = None) -> dict:
        """JSON-ready dict; ``limit`` caps every list (the counts stay complete)."""

        def cap(items: list) -> list:
            return items if limit is None else items[:limit]

        def near(p: NearDuplicate) -> dict:
            return {**asdict(p), "same_labels": p.same_labels}

        return {
            "files": self.files,
            "n_records": self.n_records,
            "counts": self.counts(),
            "settings": self.settings,
            "notes": self.notes,
            "suspects": [asdict(s) for s in cap(self.suspects)],
            "duplicates": [asdict(g) for g in cap(self.duplicates)],
            "near_duplicates": [near(p) for p in cap(self.near_duplicates)],
            "conflicts": [asdict(g) for g in cap(self.conflicts)],
        }

    def finding_rows(self, limit: int | None = None) -> list[dict]:
        """One flat row per record involved in a finding (for CSV / Excel review)."""
        rows: list[dict] = []

        def add(kind: str, group: int, rec: AuditRecord, detail: str) -> None:
            rows.append(
                {
                    "kind": kind,
                    "group": group,
                    "file": rec.file,
                    "line": rec.line,
                    "id": rec.id,
                    "topic": rec.topic,
                    "stance": rec.stance,
                    "text": rec.text,
                    "detail": detail,
                }
            )

        def cap(items: list) -> list:
            return items if limit is None else items[:limit]

        for i, s in enumerate(cap(self.suspects), 1):
            add(
                "suspect",
                i,
                s.record,
                f"{s.head}: {s.given} {s.given_probability:.2f} → "
                f"{s.suggested} {s.suggested_probability:.2f}",
            )
        for kind, groups in (("conflict", self.conflicts), ("duplicate", self.duplicates)):
            for i, g in enumerate(cap(groups), 1):
                for rec in g.records:
                    add(kind, i, rec, f"{len(g.records)} 条相同 (same text)")
        for i, p in enumerate(cap(self.near_duplicates), 1):
            detail = f"jaccard {p.similarity:.2f}" + ("" if p.same_labels else "，标注不同")
            add("near_duplicate", i, p.a, detail)
            add("near_duplicate", i, p.b, detail)
        return rows


def read_records(files: Sequence[str | Path]) -> list[AuditRecord]:
    """Records of corpus JSONL files with their file and line (bad lines raise InputError)."""
    out: list[AuditRecord] = []
    for path in files:
        records = read_jsonl(path)
        # read_jsonl keeps one record per non-blank line and raises on anything else,
        # so the non-blank lines give each record its line number.
        text = Path(path).read_text(encoding="utf-8-sig")
        lines = [n for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
        for rec, number in zip(records, lines, strict=True):
            out.append(AuditRecord(str(path), number, rec.id, rec.text, rec.topic, rec.stance))
    return out


def audit(
    corpus_files: Sequence[str | Path],
    config: TrainConfig | None = None,
    *,
    given_below: float = GIVEN_BELOW,
    other_above: float = OTHER_ABOVE,
    near_threshold: float = NEAR_DUPLICATE,
    progress: Callable[[str], None] | None = None,
) -> AuditReport:
    """Audit labelled corpus files; returns what looks wrong, ranked, never changes a file.

    * **suspects**: per head, records whose given label gets an out-of-fold probability
      below ``given_below`` while another label gets more than ``other_above``; most
      confident disagreement first. Out-of-fold probabilities come from
      :func:`nlp_pipeline.training.fit.out_of_fold` with ``config`` (default ``TrainConfig()``).
    * **duplicates**: groups of records with the same text after ``normalize`` and the
      same labels; **conflicts**: the same text with different labels.
    * **near_duplicates**: pairs of records with different normalised texts whose
      character-bigram Jaccard is at least ``near_threshold``, most similar first.
    """
    config = config or TrainConfig()
    say = progress or (lambda _msg: None)
    files = [str(f) for f in corpus_files]
    say("读取语料 reading corpus")
    records = read_records(files)
    if not records:
        raise InputError(f"{', '.join(files)}: 语料中没有记录 (no records)")
    report = AuditReport(
        files=files,
        n_records=len(records),
        settings={
            "given_below": given_below,
            "other_above": other_above,
            "near_threshold": near_threshold,
            "cv_folds": config.cv_folds,
        },
    )
    say("查找重复 duplicates and conflicts")
    report.duplicates, report.conflicts = exact_groups(records)
    say("查找相近重复 near-duplicates")
    report.near_duplicates = near_duplicates(records, near_threshold)
    report.suspects = suspect_labels(
        records, config, given_below, other_above, report.notes, progress=say
    )
    return report


def exact_groups(
    records: Sequence[AuditRecord],
) -> tuple[list[DuplicateGroup], list[DuplicateGroup]]:
    """(duplicates, conflicts): groups sharing a normalised text, in corpus order."""
    from nlp_pipeline.text.normalize import normalize

    groups: dict[str, list[AuditRecord]] = defaultdict(list)
    for rec in records:
        groups[normalize(rec.text)].append(rec)
    duplicates: list[DuplicateGroup] = []
    conflicts: list[DuplicateGroup] = []
    for key, members in groups.items():
        if len(members) < 2:
            continue
        same = len({(r.topic, r.stance) for r in members}) == 1
        (duplicates if same else conflicts).append(DuplicateGroup(key, members))
    return duplicates, conflicts


def near_duplicates(records: Sequence[AuditRecord], threshold: float) -> list[NearDuplicate]:
    """Pairs of distinct normalised texts with bigram Jaccard >= threshold, best first.

    Exact duplicates are left to :func:`exact_groups`: each normalised text is compared
    once, through its first record.
    """
    from nlp_pipeline.text.normalize import normalize
    from nlp_pipeline.text.similarity import similar_pairs

    first: dict[str, AuditRecord] = {}
    for rec in records:
        first.setdefault(normalize(rec.text), rec)
    texts = list(first)
    owners = list(first.values())
    block = max(1, _PAIR_CELLS // max(len(texts), 1))
    pairs: list[tuple[int, int, float]] = []
    for start in range(0, len(texts), block):
        chunk = texts[start : start + block]
        # Compare the block with itself and everything after it (each pair once).
        for i, j, sim in similar_pairs(chunk, texts[start:], threshold):
            if i < j:
                pairs.append((start + i, start + j, sim))
    pairs.sort(key=lambda p: (-p[2], p[0], p[1]))
    return [NearDuplicate(owners[i], owners[j], round(s, 4)) for i, j, s in pairs]


def suspect_labels(
    records: Sequence[AuditRecord],
    config: TrainConfig,
    given_below: float,
    other_above: float,
    notes: list[str],
    progress: Callable[[str], None] | None = None,
) -> list[SuspectLabel]:
    """Labels the out-of-fold model contradicts, most confident disagreement first."""
    from nlp_pipeline.text.tokens import token_cache
    from nlp_pipeline.training.fit import out_of_fold

    say = progress or (lambda _msg: None)
    labels = {head: [getattr(r, head) for r in records] for head in HEAD_NAMES}
    # Every fold's training part must hold every label, or its columns would not line up.
    rare = {
        f"{head}={label}": n
        for head in HEAD_NAMES
        for label, n in sorted(Counter(labels[head]).items())
        if n < config.cv_folds
    }
    if rare:
        shown = "、".join(f"{k} ({n})" for k, n in rare.items())
        notes.append(
            f"未检查标错：这些标签少于 {config.cv_folds} 条 (mislabel check skipped: "
            f"fewer records than cv folds): {shown}"
        )
        return []
    say(f"交叉验证 cross-validate ({config.cv_folds} folds)")
    with token_cache(), warnings.catch_warnings():
        # A topic x stance cell smaller than the number of folds only weakens stratification.
        warnings.filterwarnings("ignore", message="The least populated class")
        oof = out_of_fold([r.text for r in records], labels, config)
    out = []
    for head in HEAD_NAMES:
        classes = sorted(set(labels[head]))
        index = {label: k for k, label in enumerate(classes)}
        proba = oof[head]
        for i, rec in enumerate(records):
            given = labels[head][i]
            p_given = float(proba[i, index[given]])
            if p_given >= given_below:
                continue
            row = proba[i].copy()
            row[index[given]] = -1.0
            k = int(row.argmax())
            if row[k] > other_above:
                out.append(
                    SuspectLabel(
                        rec, head, given, round(p_given, 4), classes[k], round(float(row[k]), 4)
                    )
                )
    out.sort(
        key=lambda s: (-s.suggested_probability, s.given_probability, s.record.file, s.record.line)
    )
    return out
