"""``opinions evaluate`` (a model on labelled data) and ``opinions train`` (guarded retraining)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from nlp_pipeline.cli.common import echo_err, handle_errors, model_option


@click.command()
@click.argument("data", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="输出 JSON (machine-readable output).")
@click.option("--text-column", default=None, help="文本列名 (name of the text column).")
@model_option
@handle_errors
def evaluate(data: Path, as_json: bool, text_column: str | None, model: str | None) -> None:
    """Evaluate a model on labelled DATA 评估模型.

    DATA has text, topic and stance (ids or Chinese names): .jsonl, .csv, .tsv or .xlsx.

    \b
    Example:  opinions evaluate corpora/test.jsonl
    """
    from nlp_pipeline.api import evaluate as evaluate_model
    from nlp_pipeline.cli.render import metrics_table

    result = evaluate_model(data, model, text_column=text_column)
    if as_json:
        click.echo(
            json.dumps(
                {"model": result["model"], "data": str(data), **result},
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    click.echo(f"模型 model: {result['model']}    数据 data: {data} ({result['n']} 条)")
    for head in ("topic", "stance"):
        click.echo(metrics_table(head, result["details"][head]))
    r = result["review"]
    click.echo(
        f"== 复核分流 review routing: coverage {r['coverage']:.3f} (自动通过 {r['accepted']} 条), "
        f"precision topic {r['topic_precision']:.3f}, stance {r['stance_precision']:.3f}, "
        f"both {r['joint_precision']:.3f}"
    )


@click.command()
@click.option(
    "--add",
    "add_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="新标注的文件 (newly labelled .csv/.xlsx/.jsonl; text, topic, stance columns). Repeatable.",
)
@click.option(
    "--corpus",
    "corpus_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="语料目录 (corpus folder with train.jsonl and test.jsonl; default: corpora/).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    default=None,
    help="模型输出目录 (where to write the model; default: a new version under models/).",
)
@click.option(
    "--promote",
    is_flag=True,
    help="通过质量门槛后设为默认模型 (make it the default if it passes the gate).",
)
@click.option(
    "--force",
    is_flag=True,
    help="即使未通过门槛也设为默认 (promote even if the gate fails; recorded).",
)
@click.option(
    "--skip-invalid",
    is_flag=True,
    help="跳过有问题的新样本 (skip invalid new samples instead of stopping).",
)
@click.option(
    "--text-column", default=None, help="文本列名 (name of the text column in --add files)."
)
@click.option(
    "--eval",
    "eval_file",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="本单位留作评估的已标注文件，比较新旧模型 (a labelled file of your own, kept out "
    "of training: before → after accuracy on it decides the promotion).",
)
@click.option(
    "--accept-predictions",
    is_flag=True,
    help="允许把未复核的 classify 输出当作标注 (train on a classify output nobody "
    "reviewed; normally refused: mark reviewed rows in a 已复核 column instead).",
)
@click.option("-q", "--quiet", is_flag=True, help="不显示进度 (no progress messages).")
@handle_errors
def train(
    add_files,
    corpus_dir,
    output,
    promote,
    force,
    skip_invalid,
    text_column,
    eval_file,
    accept_predictions,
    quiet,
) -> None:
    """Train a model version, optionally on newly labelled samples 训练/再训练模型.

    \b
    Examples:
      opinions train --add labels.xlsx --promote     # learn 50 new labels, switch if not worse
      opinions train -o models/default --corpus corpora   # rebuild the shipped model
      opinions models use default                    # roll back
    """
    from nlp_pipeline.training.retrain import retrain

    say = (lambda m: None) if quiet else (lambda m: echo_err(f"… {m}"))
    if output is not None and not add_files and not promote:
        # Plain build of a model directory from a corpus (e.g. the shipped default).
        from nlp_pipeline.data.corpus import training_files
        from nlp_pipeline.training.build import build_model
        from nlp_pipeline.training.retrain import default_corpus_dir

        corpus = corpus_dir or default_corpus_dir()
        test = corpus / "test.jsonl"
        built = build_model(
            training_files(corpus), test if test.is_file() else None, output, progress=say
        )
        _print_metrics(built.meta["metrics"], {})
        click.echo(f"模型已保存 model saved: {built.path}")
        return
    out = retrain(
        add_files,
        corpus_dir=corpus_dir,
        output=output,
        promote=promote,
        force=force,
        skip_invalid=skip_invalid,
        text_column=text_column,
        progress=say,
        eval_file=eval_file,
        accept_predictions=accept_predictions,
    )
    for issue in out.issues:
        echo_err(f"跳过 skipped: {issue}")
    if out.skipped_no_opinion:
        echo_err(
            f"跳过 {out.skipped_no_opinion} 条无实质意见（无、同上等），不用于训练 "
            "(no-opinion answers skipped)"
        )
    if out.added_file:
        echo_err(f"新增样本 {out.n_added} 条已保存 saved to {out.added_file}")
    weight = out.meta.get("added_weight")
    if weight:
        echo_err(
            f"新增样本权重 weight of each added sample: {weight['weight']:g} 条语料 "
            f"({weight['reason']})"
        )
    _print_metrics(out.meta["metrics"], out.baseline)
    for note in out.meta["promotion"]["notes"]:
        click.echo(f"  {note}")
    click.echo(f"新版本 new version: {out.version}  ({out.path})")
    if out.promoted:
        click.echo(
            "已设为默认模型 promoted to default"
            + ("（强制 forced）" if not out.gate_passed else "")
        )
    elif promote:
        click.echo(
            f"未通过质量门槛，默认模型仍为 {out.parent} (gate failed; default unchanged; --force to override)"
        )
    else:
        click.echo(f"默认模型仍为 {out.parent}；切换: opinions models use {out.version}")


def _print_metrics(metrics: dict, baseline: dict) -> None:
    """Before/after table of the headline test metrics."""
    keys = [
        ("test_topic_macro_f1", "主题 topic macro-F1"),
        ("test_stance_macro_f1", "立场 stance macro-F1"),
        ("test_review_coverage", "自动通过 coverage"),
        ("cv_topic_macro_f1", "交叉验证 CV topic F1"),
        ("cv_stance_macro_f1", "交叉验证 CV stance F1"),
    ]
    click.echo(f"{'指标 metric':<26}{'before':>10}{'after':>10}")
    for key, label in keys:
        after = metrics.get(key)
        before = baseline.get(key)
        click.echo(
            f"{label:<26}{(f'{before:.4f}' if before is not None else '—'):>10}"
            f"{(f'{after:.4f}' if after is not None else '—'):>10}"
        )
