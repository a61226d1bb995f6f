"""Checks on the labelled corpus (issue 2): format, labels, duplicates, split, datasheet."""

import json
import re
from collections import Counter

import pytest

from nlp_pipeline.taxonomy import STANCES, TOPICS
from nlp_pipeline.text.normalize import normalize
from nlp_pipeline.text.similarity import similar_pairs

from .conftest import CORPUS


def load(name):
    records = []
    for number, line in enumerate((CORPUS / name).read_text(encoding="utf-8").splitlines(), 1):
        obj = json.loads(line)  # every line parses
        assert isinstance(obj, dict), f"{name}:{number}"
        records.append(obj)
    return records


@pytest.fixture(scope="module")
def splits():
    return {"train": load("train.jsonl"), "test": load("test.jsonl")}


def test_records_are_well_formed(splits):
    ids = set()
    for records in splits.values():
        for r in records:
            assert isinstance(r["text"], str) and r["text"].strip(), r
            assert r["topic"] in TOPICS and r["stance"] in STANCES, r
            assert r["source"] in {"written", "report"}, r
            assert r["id"] not in ids
            ids.add(r["id"])


def test_size_and_cell_minimums(splits):
    allr = splits["train"] + splits["test"]
    assert len(allr) >= 3000
    cells = Counter((r["topic"], r["stance"]) for r in allr)
    for t in TOPICS:
        for s in STANCES:
            need = 200 if t == "outside_remit" else 120
            assert cells[(t, s)] >= need, (t, s, cells[(t, s)])


def test_test_split_is_about_15_percent_stratified(splits):
    train = Counter((r["topic"], r["stance"]) for r in splits["train"])
    test = Counter((r["topic"], r["stance"]) for r in splits["test"])
    for cell in train:
        share = test[cell] / (train[cell] + test[cell])
        assert 0.10 <= share <= 0.20, (cell, share)


def test_variety_requirements(splits):
    allr = splits["train"] + splits["test"]
    long_share = sum(len(r["text"]) > 150 for r in allr) / len(allr)
    hard_share = sum(str(r.get("note", "")).startswith("hard") for r in allr) / len(allr)
    assert long_share >= 0.15
    assert hard_share >= 0.25
    assert any(len(r["text"]) <= 10 for r in allr)
    assert any(r["source"] == "report" for r in allr)


def test_no_exact_duplicates_after_normalisation(splits):
    keys = Counter(normalize(r["text"]) for recs in splits.values() for r in recs)
    dups = [k for k, n in keys.items() if n > 1]
    assert not dups, dups[:5]


def test_no_near_duplicates_across_splits(splits):
    pairs = similar_pairs(
        [r["text"] for r in splits["train"]], [r["text"] for r in splits["test"]], threshold=0.6
    )
    assert not pairs, [
        (splits["train"][i]["text"], splits["test"][j]["text"], s) for i, j, s in pairs[:3]
    ]


@pytest.mark.parametrize("name", ["train", "test"])
def test_no_near_duplicates_within_a_split(splits, name):
    texts = [r["text"] for r in splits[name]]
    pairs = [p for p in similar_pairs(texts, threshold=0.8) if p[2] > 0.8]
    assert not pairs, [(texts[i], texts[j], s) for i, j, s in pairs[:3]]


def test_datasheet_count_table_matches_the_files(splits):
    sheet = (CORPUS / "README.md").read_text(encoding="utf-8")
    block = sheet.split("<!-- counts:start -->")[1].split("<!-- counts:end -->")[0]
    rows = re.findall(r"^\| `(\w+)` \S+ \| `(\w+)` \S+ \| (\d+) \| (\d+) \| (\d+) \|$", block, re.M)
    assert len(rows) == 18
    train = Counter((r["topic"], r["stance"]) for r in splits["train"])
    test = Counter((r["topic"], r["stance"]) for r in splits["test"])
    for topic, stance, a, b, total in rows:
        assert (int(a), int(b)) == (train[(topic, stance)], test[(topic, stance)])
        assert int(total) == int(a) + int(b)
    total_row = re.search(r"^\| \*\*all\*\* \| \| (\d+) \| (\d+) \| (\d+) \|$", block, re.M)
    assert total_row and (int(total_row[1]), int(total_row[2])) == (
        len(splits["train"]),
        len(splits["test"]),
    )
