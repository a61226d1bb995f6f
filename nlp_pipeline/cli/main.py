"""The ``opinions`` command line: a thin shell over the library.

Each command parses options, calls one library function, and renders its result.
Results go to stdout; progress and messages go to stderr.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click

from nlp_pipeline import __version__
from nlp_pipeline.cli.common import echo_err, handle_errors, load_predictor, model_option
from nlp_pipeline.cli.curation import audit, suggest
from nlp_pipeline.cli.report import report
from nlp_pipeline.cli.serve import serve

EPILOG_TRIAGE = """\b
Examples / 示例:
  opinions triage "晚上小区里经常有人偷电动车，希望加强巡逻"
  echo "交警辛苦了" | opinions triage -
  opinions triage --json "派出所办身份证太慢了"
"""


INTERRUPTED = "已中断，未写出文件 (interrupted; no output was written)"


class _Group(click.Group):
    """Ctrl-C ends a command with a Chinese message and exit status 130, no traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            import warnings

            warnings.filterwarnings("ignore")  # worker pools shutting down say nothing more
            click.echo(f"\n{INTERRUPTED}", err=True)
            ctx.exit(130)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="opinions")
def cli() -> None:
    """opinions — 群众意见分类 triage of citizens' opinions for public-security bureaus.

    Sorts each comment into one of six topics (队伍建设、服务经济、执法办案、治安管理、
    交通管理、不属公安职责范围) and a stance (表扬、批评、建议、咨询), and flags doubtful
    ones for a person to review. Label guide: docs/LABELS.md.

    Model versions, added labels and the CURRENT pointer live in one workspace folder:
    $OPINIONS_HOME, else the per-user data folder (a source checkout uses itself).
    `opinions workspace` prints where everything lives.
    """


@cli.command(epilog=EPILOG_TRIAGE)
@click.argument("text", required=False)
@click.option("--json", "as_json", is_flag=True, help="输出一个 JSON 对象 (print one JSON object).")
@model_option
@handle_errors
def triage(text: str | None, as_json: bool, model: str | None) -> None:
    """Classify one comment 分类一条意见. TEXT is the comment, or - to read stdin."""
    from nlp_pipeline.cli.render import prediction_text

    if text is None:
        raise click.UsageError("请提供意见文本，或用 - 从标准输入读取 (give TEXT or -)")
    if text == "-":
        text = _read_stdin_text()
    if not text.strip():
        raise click.UsageError("意见文本为空 (the text is empty)")
    pred = load_predictor(model).predict_one(text)
    if as_json:
        click.echo(json.dumps(pred.to_dict(), ensure_ascii=False))
    else:
        click.echo(prediction_text(pred))


EPILOG_CLASSIFY = """\b
Examples / 示例:
  opinions classify 意见汇总.xlsx -o 分类结果.xlsx
  opinions classify hotline.csv --text-column 来电内容 -o out.csv
  opinions classify comments.jsonl > out.jsonl
  cat comments.txt | opinions classify - --quiet
"""


class Progress:
    """Rows done, rows/s and ETA on stderr, only when stderr is a terminal and not --quiet."""

    def __init__(self, total: int | None, enabled: bool) -> None:
        self.total = total
        self.enabled = enabled
        self.started = time.perf_counter()

    def __call__(self, done: int) -> None:
        if not self.enabled:
            return
        elapsed = max(time.perf_counter() - self.started, 1e-9)
        rate = done / elapsed
        msg = f"\r已处理 {done} 行 rows  {rate:,.0f} 行/秒"
        if self.total and rate > 0 and done < self.total:
            msg += f"  约剩 ETA {max(self.total - done, 0) / rate:,.0f} s"
        click.echo(msg.ljust(60), err=True, nl=False)

    def close(self) -> None:
        if self.enabled:
            click.echo("", err=True)


def estimate_rows(path: str) -> int | None:
    """Newline count of a text file (fast), as the progress bar's approximate total."""
    if path == "-" or Path(path).suffix.lower() not in {".csv", ".tsv", ".txt", ".jsonl"}:
        return None
    try:
        with open(path, "rb") as fh:
            return sum(block.count(b"\n") for block in iter(lambda: fh.read(1 << 20), b"")) or None
    except OSError:
        return None


@cli.command(epilog=EPILOG_CLASSIFY)
@click.argument("input_path", metavar="INPUT", type=str)
@click.option(
    "-o",
    "--output",
    "output_path",
    default="-",
    show_default=True,
    help="输出文件，格式由扩展名决定 (.csv .xlsx .jsonl; - = JSONL to stdout).",
)
@click.option(
    "--text-column", default=None, help="文本列名 (text column; found by name if omitted)."
)
@click.option(
    "--id-column",
    default=None,
    help="编号列名 (id column; checked to exist, kept like every column).",
)
@click.option("--sheet", default=None, help="Excel 工作表名 (sheet name; default: the first).")
@click.option(
    "--encoding",
    default=None,
    help="强制编码 (force an encoding, e.g. gbk; default: UTF-8, else GB18030).",
)
@click.option(
    "--encoding-errors",
    type=click.Choice(["strict", "rows"]),
    default="strict",
    show_default=True,
    help="无法解码的行: strict 整个文件报错; rows 记为出错行、其余照常分类 "
    "(rows: lines in another encoding become error rows).",
)
@click.option(
    "--header-row",
    type=click.IntRange(1),
    default=None,
    help="表头所在行号 (1-based row of the header; default: found by itself, title rows "
    "above it skipped, footer rows such as 合计/填表人 left out and reported).",
)
@click.option(
    "--headers",
    type=click.Choice(["id", "zh"]),
    default="id",
    show_default=True,
    help="输出列名: id = topic, stance, needs_review… (stable names for scripts); "
    "zh = 主题, 主题置信度, 立场, 需人工复核 是/否… (for people in Excel).",
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(1, 64),
    default=None,
    help="并行进程数 (worker processes; default: all cores).",
)
@click.option("-q", "--quiet", is_flag=True, help="不显示进度和汇总 (no progress bar or summary).")
@model_option
@handle_errors
def classify(
    input_path,
    output_path,
    text_column,
    id_column,
    sheet,
    encoding,
    encoding_errors,
    header_row,
    headers,
    jobs,
    quiet,
    model,
) -> None:
    """Classify every row of a file 批量分类. INPUT: .csv .tsv .xlsx .jsonl .txt, or - for stdin.

    Every input column is kept and topic, topic_zh, topic_confidence, stance, stance_zh,
    stance_confidence, needs_review and error are added; one output row per input row.
    """
    from nlp_pipeline.tasks.classify import classify_file

    if id_column is not None:
        _check_column(input_path, id_column, encoding, sheet, header_row, encoding_errors)
    progress = Progress(estimate_rows(input_path), enabled=not quiet and sys.stderr.isatty())
    try:
        summary = classify_file(
            input_path,
            output_path,
            model=model,
            text_column=text_column,
            encoding=encoding,
            sheet=sheet,
            jobs=jobs,
            progress=progress,
            header_row=header_row,
            encoding_errors=encoding_errors,
            headers=headers,
            warn=echo_err,
        )
    finally:
        progress.close()
    if not quiet:
        for line in summary.lines():
            echo_err(line)


def _check_column(
    path: str,
    column: str,
    encoding: str | None,
    sheet: str | None,
    header_row: int | None = None,
    encoding_errors: str = "strict",
) -> None:
    from nlp_pipeline.errors import InputError
    from nlp_pipeline.io.readers import open_table

    if path == "-":
        return
    with open_table(
        path, encoding=encoding, sheet=sheet, header_row=header_row, encoding_errors=encoding_errors
    ) as table:
        if column not in table.columns:
            raise InputError(
                f"{path}: 找不到编号列 {column!r}; 现有列 columns found: {', '.join(table.columns)}"
            )


@cli.command()
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
    from nlp_pipeline.cli.render import metrics_table
    from nlp_pipeline.data.labelled import read_labelled
    from nlp_pipeline.training.metrics import evaluate_predictions

    predictor = load_predictor(model)
    records = read_labelled(data, text_column=text_column).records
    if not records:
        raise click.ClickException(f"{data}: 没有可评估的记录 (no labelled records)")
    preds = predictor.predict([r.text for r in records])
    result = evaluate_predictions(records, preds, predictor.thresholds, prefix="eval")
    if as_json:
        click.echo(
            json.dumps(
                {"model": predictor.version, "data": str(data), **result},
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    click.echo(f"模型 model: {predictor.version}    数据 data: {data} ({result['n']} 条)")
    for head in ("topic", "stance"):
        click.echo(metrics_table(head, result["details"][head]))
    r = result["review"]
    click.echo(
        f"== 复核分流 review routing: coverage {r['coverage']:.3f} (自动通过 {r['accepted']} 条), "
        f"precision topic {r['topic_precision']:.3f}, stance {r['stance_precision']:.3f}, "
        f"both {r['joint_precision']:.3f}"
    )


@cli.command()
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


@cli.group(invoke_without_command=True)
@click.pass_context
@handle_errors
def models(ctx: click.Context) -> None:
    """List model versions and switch the default 模型版本管理.

    \b
    Examples:
      opinions models                  # list versions, * marks the default
      opinions models show default
      opinions models use 20261127-153012-3fa9c2e   # switch / roll back
    """
    if ctx.invoked_subcommand is not None:
        return
    from nlp_pipeline.model.registry import list_versions, models_root

    versions = list_versions()
    echo_err(f"模型目录 models folder: {models_root()}")
    if not versions:
        click.echo(f"没有模型 (no models in {models_root()})")
        return
    click.echo(
        f"{'':2}{'version':<28}{'n_train':>8}{'topic F1':>10}{'stance F1':>11}{'coverage':>10}  parent"
    )
    for v in versions:
        m = v["metrics"]

        def num(key: str, m: dict = m) -> str:
            return f"{m[key]:.3f}" if isinstance(m.get(key), (int, float)) else "—"

        click.echo(
            f"{'*' if v['default'] else ' ':2}{v['version']:<28}{v['n_train'] or '—':>8}"
            f"{num('test_topic_macro_f1'):>10}{num('test_stance_macro_f1'):>11}"
            f"{num('test_review_coverage'):>10}  {v['parent'] or '—'}"
        )


@models.command("use")
@click.argument("version")
@handle_errors
def models_use(version: str) -> None:
    """Make VERSION the default model 切换默认模型 (atomic switch; use it to roll back).

    \b
    Example:  opinions models use default
    """
    from nlp_pipeline.model.predictor import Predictor
    from nlp_pipeline.model.registry import set_current, version_dir

    Predictor(version_dir(version))  # refuse to switch to a broken or tampered model
    set_current(version)
    click.echo(f"默认模型已切换为 default model is now: {version}")


@models.command("show")
@click.argument("version", required=False)
@handle_errors
def models_show(version: str | None) -> None:
    """Show a version's meta.json 查看模型信息 (default: the current default model).

    \b
    Example:  opinions models show default
    """
    from nlp_pipeline.model.format import read_meta
    from nlp_pipeline.model.registry import resolve_model

    meta = read_meta(resolve_model(version))
    meta.pop("metrics_detail", None)
    click.echo(json.dumps(meta, ensure_ascii=False, indent=2))


@cli.command("workspace")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON (machine-readable output).")
@handle_errors
def workspace_cmd(as_json: bool) -> None:
    """Show where models, labels and data live 显示工作区位置.

    The workspace is $OPINIONS_HOME, else the platform's per-user data folder (a source
    checkout uses itself). The shipped model and base corpus are read-only.

    \b
    Example:  opinions workspace
    """
    from nlp_pipeline.workspace import locations

    locs = locations()
    if as_json:
        click.echo(
            json.dumps(
                {loc.name: str(loc.path) if loc.path else None for loc in locs},
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    for loc in locs:
        state = "" if loc.exists else "  (尚未创建 not created yet)"
        click.echo(f"{loc.name:<15}{loc.path or '—'}{state}\n{'':15}{loc.note}")


cli.add_command(suggest)
cli.add_command(audit)
cli.add_command(report)
cli.add_command(serve)


def _read_stdin_text() -> str:
    """Standard input decoded like an input file: BOM, else strict UTF-8, else GB18030."""
    import io

    from nlp_pipeline.io.encoding import detect_stream_encoding

    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:  # a text-only stdin (some IDEs): already decoded
        return sys.stdin.read()
    data = stream.read()
    encoding = detect_stream_encoding(io.BytesIO(data), None, name="<stdin>")
    return data.decode(encoding)


def _stop_cleanly_on_sigterm() -> None:
    """SIGTERM (``kill``, a service manager, a closed terminal session) unwinds like Ctrl+C.

    Python's default is to die on the spot, leaving temporaries behind; raising SystemExit
    instead runs every ``finally`` and ``with`` exit, which remove them.
    """
    import signal

    def stop(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    try:
        signal.signal(signal.SIGTERM, stop)
    except ValueError:  # not the main thread (embedded use): leave the default
        pass


def main() -> None:
    """Console-script entry point."""
    _stop_cleanly_on_sigterm()
    cli(prog_name="opinions")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
