"""Guarded retraining: validation, the promotion gate, rollback, lock, interruption."""

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from click.testing import CliRunner
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    precision_recall_fscore_support,
)

from nlp_pipeline.cli.main import cli
from nlp_pipeline.data.corpus import read_jsonl
from nlp_pipeline.errors import TrainingError
from nlp_pipeline.model.predictor import Predictor
from nlp_pipeline.model.registry import current_version, version_dir
from nlp_pipeline.training.lock import training_lock
from nlp_pipeline.training.retrain import retrain

from ..conftest import CORPUS, small_corpus_lines

# Hand-written comments about a theme the corpus barely covers (drones over a village),
# all public_order / criticism, for the "the model learns new labels" test.
NEW_TEXTS = [
    "最近村里天天有人放无人机，飞到人家院子上空拍照，老百姓心里发毛",
    "小区楼顶有人半夜放无人机，嗡嗡响还带灯，吵得老人睡不着",
    "学校操场上空老有来路不明的无人机转悠，家长都很担心孩子安全",
    "无人机在加油站上面盘旋好几次了，出了事谁负责？",
    "有人用无人机偷拍女生宿舍，报上去也没见有人管",
    "水库边上无人机乱飞，还吓跑了鱼塘的鸭子，没人来管一管",
    "晚上十点多还有无人机在居民区低空飞，开着强光灯往窗户里照",
    "景区禁飞的牌子形同虚设，无人机一天到晚在人头顶上飞",
    "变电站附近有人放无人机，村里人都怕掉下来出事",
    "菜市场上面有无人机挂着喇叭喊卖货，吵死人了，也没人管",
    "无人机撞坏了我家太阳能热水器，飞的人跑了，找不到人",
    "幼儿园门口天天有人拿无人机拍小孩，问他干啥也不说",
]


def write_new_labels(path):
    """NEW_TEXTS labelled public_order / criticism, as a JSONL file."""
    lines = (
        json.dumps({"text": t, "topic": "public_order", "stance": "criticism"}, ensure_ascii=False)
        for t in NEW_TEXTS
    )
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def write_xlsx(path, rows, header=("意见内容", "主题", "立场")):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(list(header))
    for r in rows:
        ws.append(list(r))
    wb.save(path)


@pytest.fixture
def corpus(tmp_path, small_corpus):
    folder = tmp_path / "corpora"
    shutil.copytree(small_corpus, folder)
    return folder


def snapshot(folder: Path) -> dict:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    }


def test_retrain_learns_new_labels_and_records_lineage(
    default_model, corpus, models_root, tmp_path
):
    before = Predictor(default_model).probabilities([t for t in NEW_TEXTS])
    add = tmp_path / "labels.xlsx"
    write_xlsx(add, [(t, "治安管理", "批评") for t in NEW_TEXTS])
    out = retrain([add], corpus_dir=corpus, promote=True, force=True)
    assert out.n_added == len(NEW_TEXTS) and out.promoted
    assert current_version(models_root) == out.version
    added = read_jsonl(out.added_file)
    assert [r.text for r in added] == NEW_TEXTS and {r.topic for r in added} == {"public_order"}
    meta = json.loads((out.path / "meta.json").read_text(encoding="utf-8"))
    assert meta["parent"] == "default" and meta["corpus_files"][-1] == f"added/{out.version}.jsonl"
    after = Predictor(out.path).probabilities(NEW_TEXTS)
    i = Predictor(out.path).labels["topic"].index("public_order")
    assert after["topic"][:, i].mean() > before["topic"][:, i].mean()


def test_unknown_labels_empty_texts_and_conflicts_are_reported_by_row(
    default_model, corpus, tmp_path
):
    existing = json.loads((corpus / "train.jsonl").read_text(encoding="utf-8").splitlines()[0])
    other_topic = "traffic" if existing["topic"] != "traffic" else "team_building"
    add = tmp_path / "bad.xlsx"
    write_xlsx(
        add,
        [
            (NEW_TEXTS[0], "治安管理", "批评"),  # row 2: fine
            (NEW_TEXTS[1], "交通", "批评"),  # row 3: unknown topic
            ("   ", "治安管理", "批评"),  # row 4: empty text
            (existing["text"], other_topic, existing["stance"]),  # row 5: conflict with corpus
            (NEW_TEXTS[0], "治安管理", "批评"),  # row 6: duplicate of row 2
        ],
    )
    with pytest.raises(TrainingError) as err:
        retrain([add], corpus_dir=corpus)
    message = str(err.value)
    for row, word in ((3, "交通"), (4, "empty"), (5, "conflict")):
        assert f"第 {row} 行" in message and word in message
    assert "bad.xlsx 第 2 行:" not in message  # the good row is not an issue
    # a repeated row is reported as already there, but does not stop the training
    assert "第 6 行" not in message
    assert "3 处问题" in message


def test_test_split_texts_cannot_be_added(default_model, corpus, tmp_path):
    test_rec = read_jsonl(corpus / "test.jsonl")[0]
    add = tmp_path / "leak.jsonl"
    add.write_text(
        json.dumps(
            {"text": test_rec.text, "topic": test_rec.topic, "stance": test_rec.stance},
            ensure_ascii=False,
        )
        + "\n",
        encoding="utf-8",
    )
    with pytest.raises(TrainingError, match="test split"):
        retrain([add], corpus_dir=corpus)


def test_skip_invalid_trains_on_the_rest(default_model, corpus, tmp_path):
    add = tmp_path / "mixed.xlsx"
    write_xlsx(add, [(NEW_TEXTS[0], "治安管理", "批评"), (NEW_TEXTS[1], "不存在", "批评")])
    out = retrain([add], corpus_dir=corpus, skip_invalid=True)
    assert out.n_added == 1 and len(out.issues) == 1 and not out.promoted


def test_gate_blocks_a_deliberately_mislabelled_file(default_model, corpus, models_root, tmp_path):
    small = {json.loads(line)["text"] for line in small_corpus_lines()}
    rest = [
        json.loads(x) for x in (CORPUS / "train.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    rest = [r for r in rest if r["text"] not in small][:900]
    topics = [
        "team_building",
        "serving_economy",
        "law_enforcement",
        "public_order",
        "traffic",
        "outside_remit",
    ]
    rng = random.Random(0)
    add = tmp_path / "wrong.jsonl"
    with open(add, "w", encoding="utf-8") as fh:
        for r in rest:  # every topic deliberately wrong
            wrong = rng.choice([t for t in topics if t != r["topic"]])
            fh.write(
                json.dumps(
                    {"text": r["text"], "topic": wrong, "stance": r["stance"]}, ensure_ascii=False
                )
                + "\n"
            )
    out = retrain([add], corpus_dir=corpus, promote=True)
    assert not out.gate_passed and not out.promoted
    assert current_version(models_root) == "default"
    assert out.meta["promotion"]["gate_passed"] is False
    # switching to it by hand needs --force too, and the forced switch is on record
    from nlp_pipeline.model.registry import switch_history

    runner = CliRunner()
    refused = runner.invoke(cli, ["models", "use", out.version])
    assert refused.exit_code != 0 and "--force" in refused.output
    assert current_version(models_root) == "default" and switch_history() == []
    forced = runner.invoke(cli, ["models", "use", out.version, "--force"])
    assert forced.exit_code == 0 and "forced" in forced.output, forced.output
    assert current_version(models_root) == out.version
    assert runner.invoke(cli, ["models", "use", "default"]).exit_code == 0
    listing = runner.invoke(cli, ["models", "history"]).output
    assert f"default → {out.version}  via cli  强制 forced" in listing
    history = switch_history()
    assert [(h["version"], h["previous"], h["forced"], h["via"]) for h in history] == [
        (out.version, "default", True, "cli"),
        ("default", out.version, False, "cli"),
    ]


def test_rollback_restores_exact_previous_predictions(default_model, corpus, models_root, tmp_path):
    texts = [r.text for r in read_jsonl(CORPUS / "test.jsonl")[:60]]
    before = [p.to_dict() for p in Predictor(version_dir("default")).predict(texts)]
    add = write_new_labels(tmp_path / "labels.jsonl")
    runner = CliRunner()
    result = runner.invoke(
        cli, ["train", "--add", str(add), "--corpus", str(corpus), "--promote", "--force", "-q"]
    )
    assert result.exit_code == 0, result.output
    assert current_version(models_root) != "default"
    result = runner.invoke(cli, ["models", "use", "default"])
    assert result.exit_code == 0, result.output
    after = [
        p.to_dict() for p in Predictor(version_dir(current_version(models_root))).predict(texts)
    ]
    assert after == before
    listing = runner.invoke(cli, ["models"]).output
    assert "* default" in listing.replace("*  default", "* default")


def test_second_training_is_refused_while_one_holds_the_lock(default_model, corpus, models_root):
    with training_lock(models_root):
        with pytest.raises(TrainingError, match="another training"):
            retrain([], corpus_dir=corpus, promote=True)
    assert not (models_root / ".train.lock").exists()


def test_stale_lock_of_a_dead_process_is_taken_over(default_model, corpus, models_root):
    (models_root / ".train.lock").write_text(
        json.dumps({"pid": 999_999_999, "host": os.uname().nodename}), encoding="utf-8"
    )
    out = retrain([], corpus_dir=corpus)
    assert out.path.is_dir()


@pytest.mark.parametrize("delay", [0.2, 0.6, 1.0, 1.6])
def test_killing_a_training_leaves_default_and_corpus_byte_identical(
    default_model, corpus, models_root, tmp_path, delay
):
    add = write_new_labels(tmp_path / "labels.jsonl")
    models_before, corpus_before = snapshot(default_model), snapshot(corpus)
    env = {**os.environ, "OPINIONS_MODELS_DIR": str(models_root)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "nlp_pipeline",
            "train",
            "--add",
            str(add),
            "--corpus",
            str(corpus),
            "--promote",
            "--force",
            "-q",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(delay)
    if proc.poll() is not None:
        pytest.skip(f"training finished within {delay} s: nothing to interrupt")
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert snapshot(default_model) == models_before
    assert snapshot(corpus) == corpus_before
    assert current_version(models_root) == "default"
    # Whatever the moment, the next training still works (the stale lock is taken over).
    assert retrain([], corpus_dir=corpus).path.is_dir()


def test_evaluate_matches_sklearn_metrics(default_model):
    records = read_jsonl(CORPUS / "test.jsonl")
    preds = Predictor(default_model).predict([r.text for r in records])
    result = CliRunner().invoke(cli, ["evaluate", "--json", str(CORPUS / "test.jsonl")])
    assert result.exit_code == 0, result.output
    got = json.loads(result.output)
    for head in ("topic", "stance"):
        truth = [getattr(r, head) for r in records]
        pred = [getattr(p, head) for p in preds]
        labels = got["details"][head]["labels"]
        assert got[f"eval_{head}_accuracy"] == pytest.approx(accuracy_score(truth, pred))
        assert got[f"eval_{head}_macro_f1"] == pytest.approx(f1_score(truth, pred, average="macro"))
        p, r, f, _ = precision_recall_fscore_support(truth, pred, labels=labels, zero_division=0)
        for i, lab in enumerate(labels):
            assert got["details"][head]["per_class"][lab]["f1"] == pytest.approx(f[i])
        assert np.array_equal(
            np.array(got["details"][head]["confusion"]),
            confusion_matrix(truth, pred, labels=labels),
        )


def test_evaluate_human_table(default_model):
    result = CliRunner().invoke(cli, ["evaluate", str(CORPUS / "test.jsonl")])
    assert result.exit_code == 0, result.output
    assert (
        "macro-F1" in result.output and "治安管理" in result.output and "coverage" in result.output
    )


def test_suggest_label_in_excel_then_train_add(default_model, corpus, models_root, tmp_path):
    """The README's loop: suggest → fill the sheet in Excel → train --add → roll back."""
    pool = tmp_path / "new.txt"
    pool.write_text("\n".join(NEW_TEXTS + ["=1+1 交警查车态度很凶"]) + "\n", encoding="utf-8")
    sheet = tmp_path / "to_label.xlsx"
    runner = CliRunner()
    result = runner.invoke(cli, ["suggest", str(pool), "-n", "8", "-o", str(sheet)])
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(sheet)
    ws = wb.worksheets[0]
    header = [c.value for c in ws[1]]
    t_col, s_col, x_col = (
        header.index("topic") + 1,
        header.index("stance") + 1,
        header.index("text") + 1,
    )
    texts = []
    for r in range(2, ws.max_row + 1):
        text = ws.cell(r, x_col).value
        texts.append(text.lstrip("'"))
        ws.cell(r, t_col).value = "队伍建设" if "态度" in text else "治安管理"
        ws.cell(r, s_col).value = "批评"
    wb.save(sheet)
    result = runner.invoke(
        cli, ["train", "--add", str(sheet), "--corpus", str(corpus), "--promote", "--force", "-q"]
    )
    assert result.exit_code == 0, result.output
    assert "before" in result.output and "after" in result.output
    added = read_jsonl(next((corpus / "added").glob("*.jsonl")))
    assert sorted(r.text for r in added) == sorted(texts)
    assert not any(r.text.startswith("'") for r in added)  # the anti-formula apostrophe is undone
    assert runner.invoke(cli, ["models", "use", "default"]).exit_code == 0


# Replaces every way into unpickling (C and pure-Python, which joblib subclasses) by a
# recorder that raises: numpy imports the pickle module, so its presence proves nothing.
RECORD_UNPICKLING = (
    "import sys, pickle, _pickle\n"
    "calls = []\n"
    "def recorder(name, original):\n"
    "    def record(*args, **kwargs):\n"
    "        calls.append(name)\n"
    "        raise RuntimeError(name + ' called')\n"
    "    if 'Unpickler' in name:  # a class others subclass (joblib's NumpyUnpickler)\n"
    "        return type(name, (original,), {'__init__': lambda self, *a, **k: record()})\n"
    "    return record\n"
    "for name in ('load', 'loads', 'Unpickler', '_load', '_loads', '_Unpickler'):\n"
    "    for module in (pickle, _pickle):\n"
    "        if hasattr(module, name):\n"
    "            original = getattr(module, name)\n"
    "            setattr(module, name, recorder(module.__name__ + '.' + name, original))\n"
)


def run_recorded(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", RECORD_UNPICKLING + code],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
    )


def test_cli_prediction_path_never_unpickles(default_model):
    out = run_recorded(
        "from nlp_pipeline.cli.main import cli\n"
        "from click.testing import CliRunner\n"
        "r = CliRunner().invoke(cli, ['triage', '交警辛苦了'])\n"
        "assert r.exit_code == 0, r.output\n"
        "print('unpickled:', ','.join(calls))\n"
        "print('loaded:', ','.join(m for m in ('sklearn', 'joblib', 'scipy') if m in sys.modules))\n"
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["unpickled: ", "loaded: "]


def test_unpickling_recorder_sees_the_joblib_pipelines_load(default_model):
    out = run_recorded(
        "from nlp_pipeline.model.format import load_pipelines\n"
        f"try:\n    load_pipelines({str(default_model)!r}, trust=True)\n"
        "except Exception as exc:\n    print(type(exc).__name__, exc, file=sys.stderr)\n"
        "print('unpickled:', ','.join(calls))\n"
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("unpickled: pickle."), out.stdout


def corpus_records_outside(corpus_dir: Path, n: int, skip: int = 0) -> list[dict]:
    """Records of the full corpus that the small test corpus does not hold (new to it)."""
    small = {json.loads(line)["text"] for line in small_corpus_lines()}
    test = {r.text for r in read_jsonl(corpus_dir / "test.jsonl")}
    rows = [
        json.loads(x) for x in (CORPUS / "train.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    rows = [r for r in rows if r["text"] not in small and r["text"] not in test]
    return [{k: r[k] for k in ("text", "topic", "stance")} for r in rows[skip : skip + n]]


def write_jsonl_rows(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


def test_added_weight_is_chosen_by_cross_validation_and_recorded(
    default_model, corpus, models_root, tmp_path
):
    from nlp_pipeline.training.adapt import WEIGHTS

    add = write_jsonl_rows(tmp_path / "own.jsonl", corpus_records_outside(corpus, 30))
    out = retrain([add], corpus_dir=corpus)
    chosen = out.meta["added_weight"]
    assert chosen["weight"] in WEIGHTS
    assert set(chosen["cv_scores"]) == {str(w) for w in WEIGHTS}
    assert out.meta["config"]["added_weight"] == chosen["weight"]
    added = out.meta["promotion"]["bureau"]["added"]
    assert added["before"]["n"] == added["after"]["n"] == 30
    assert any(n.startswith("(b)") for n in out.meta["promotion"]["notes"])


def test_few_added_samples_get_the_default_weight_without_a_fake_after(
    default_model, corpus, models_root, tmp_path
):
    from nlp_pipeline.training.adapt import DEFAULT_WEIGHT

    out = retrain([write_new_labels(tmp_path / "few.jsonl")], corpus_dir=corpus)
    assert out.meta["added_weight"]["weight"] == DEFAULT_WEIGHT
    assert out.meta["promotion"]["bureau"]["added"]["after"] is None  # no honest CV column


def test_eval_file_is_compared_before_and_after(default_model, corpus, models_root, tmp_path):
    add = write_new_labels(tmp_path / "new.jsonl")
    ev = write_jsonl_rows(tmp_path / "eval.jsonl", corpus_records_outside(corpus, 20, skip=40))
    out = retrain([add], corpus_dir=corpus, eval_file=ev)
    cmp = out.meta["promotion"]["bureau"]["eval"]
    assert cmp["before"]["n"] == cmp["after"]["n"] == 20
    assert any(n.startswith("(c)") for n in out.meta["promotion"]["notes"])


def test_gate_follows_the_bureau_labels_not_the_synthetic_split():
    from nlp_pipeline.training.retrain import gate

    base = {"test_topic_macro_f1": 0.95, "test_stance_macro_f1": 0.95}
    small_loss = {"test_topic_macro_f1": 0.94, "test_stance_macro_f1": 0.95}
    better = {
        "before": {"topic_accuracy": 0.7, "stance_accuracy": 0.6},
        "after": {"topic_accuracy": 0.8, "stance_accuracy": 0.7, "n": 50},
    }
    worse = {
        "before": {"topic_accuracy": 0.8, "stance_accuracy": 0.7},
        "after": {"topic_accuracy": 0.78, "stance_accuracy": 0.7, "n": 50},
    }
    assert gate(small_loss, base)[0] is False  # no bureau labels: the split decides
    assert gate(small_loss, base, bureau={"added": better})[0] is True  # reported, no veto
    assert gate(base, base, bureau={"added": worse})[0] is False
    collapse = {"test_topic_macro_f1": 0.80, "test_stance_macro_f1": 0.95}
    assert gate(collapse, base, bureau={"added": better})[0] is False  # contradicts the guide


def test_classify_output_is_refused_unless_reviewed(default_model, corpus, models_root, tmp_path):
    src = tmp_path / "in.csv"
    src.write_text("意见内容\n" + "\n".join(NEW_TEXTS) + "\n", encoding="utf-8")
    out_csv = tmp_path / "classified.csv"
    result = CliRunner().invoke(cli, ["classify", str(src), "-o", str(out_csv), "-q"])
    assert result.exit_code == 0, result.output
    with pytest.raises(TrainingError, match="已复核"):
        retrain([out_csv], corpus_dir=corpus)
    assert retrain([out_csv], corpus_dir=corpus, accept_predictions=True).n_added == len(NEW_TEXTS)


def test_only_rows_marked_reviewed_are_read(default_model, corpus, models_root, tmp_path):
    path = tmp_path / "reviewed.xlsx"
    rows = [(t, "治安管理", "批评", "是" if i < 2 else "") for i, t in enumerate(NEW_TEXTS)]
    write_xlsx(path, rows, header=("意见内容", "topic", "stance", "已复核"))
    # a classify output's columns, plus the review column: accepted, marked rows only
    out = retrain([path], corpus_dir=corpus)
    assert out.n_added == 2


def test_adding_the_same_file_twice_adds_nothing_new(default_model, corpus, models_root, tmp_path):
    add = write_new_labels(tmp_path / "labels.jsonl")
    retrain([add], corpus_dir=corpus, promote=True, force=True)
    files = sorted((corpus / "added").glob("*.jsonl"))
    with pytest.raises(TrainingError, match="nothing new"):
        retrain([add], corpus_dir=corpus, promote=True, force=True)
    assert sorted((corpus / "added").glob("*.jsonl")) == files


def test_no_opinion_rows_are_skipped_with_a_message(default_model, corpus, models_root, tmp_path):
    add = tmp_path / "mixed.jsonl"
    rows = [{"text": t, "topic": "public_order", "stance": "criticism"} for t in NEW_TEXTS]
    rows += [{"text": t, "topic": "team_building", "stance": "praise"} for t in ("无", "同上")]
    write_jsonl_rows(add, rows)
    out = retrain([add], corpus_dir=corpus)
    assert out.n_added == len(NEW_TEXTS) and out.skipped_no_opinion == 2


def test_classify_output_with_chinese_headers_is_refused_too(
    default_model, corpus, models_root, tmp_path
):
    src = tmp_path / "in.csv"
    src.write_text("意见内容\n" + "\n".join(NEW_TEXTS) + "\n", encoding="utf-8")
    out_csv = tmp_path / "classified_zh.csv"
    result = CliRunner().invoke(
        cli, ["classify", str(src), "-o", str(out_csv), "-q", "--headers", "zh"]
    )
    assert result.exit_code == 0, result.output
    with pytest.raises(TrainingError, match="已复核"):
        retrain([out_csv], corpus_dir=corpus)
