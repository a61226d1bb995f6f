"""``opinions models`` (list, use, show versions) and ``opinions workspace`` (where state lives)."""

from __future__ import annotations

import json

import click

from nlp_pipeline.cli.common import echo_err, handle_errors


@click.group(invoke_without_command=True)
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
        f"{'':2}{'version':<28}{'n_train':>8}{'topic F1':>10}{'stance F1':>11}{'coverage':>10}"
        f"  {'gate':<6}parent"
    )
    gates = {True: "passed", False: "FAILED", None: "—"}
    for v in versions:
        m = v["metrics"]

        def num(key: str, m: dict = m) -> str:
            return f"{m[key]:.3f}" if isinstance(m.get(key), (int, float)) else "—"

        click.echo(
            f"{'*' if v['default'] else ' ':2}{v['version']:<28}{v['n_train'] or '—':>8}"
            f"{num('test_topic_macro_f1'):>10}{num('test_stance_macro_f1'):>11}"
            f"{num('test_review_coverage'):>10}  {gates[v['gate']]:<6}{v['parent'] or '—'}"
        )
    if not any(v["default"] for v in versions):
        echo_err(
            "注意：CURRENT 指向的默认模型不存在 (warning: the default named in CURRENT does not "
            "exist; `opinions models use default` repairs it)"
        )


@models.command("use")
@click.argument("version")
@click.option(
    "--force",
    is_flag=True,
    help="Switch to a version whose quality gate failed 强制使用未通过质量门槛的版本.",
)
@handle_errors
def models_use(version: str, force: bool) -> None:
    """Make VERSION the default model 切换默认模型 (atomic switch; use it to roll back).

    Every switch is recorded in HISTORY.jsonl in the models folder.

    \b
    Example:  opinions models use default
    """
    from nlp_pipeline.model.registry import use_version

    record = use_version(version, force=force, via="cli")
    forced = "（强制 forced）" if record["forced"] else ""
    click.echo(f"默认模型已切换为 default model is now: {version}{forced}")


@models.command("history")
@handle_errors
def models_history() -> None:
    """List every switch of the default model 默认模型切换记录 (HISTORY.jsonl), oldest first.

    \b
    Example:  opinions models history
    """
    from nlp_pipeline.model.registry import switch_history

    records = switch_history()
    if not records:
        click.echo("还没有切换记录 (no switch recorded yet)")
    for r in records:
        if r.get("failed"):
            click.echo(
                f"{r.get('at', '?')}  {r.get('version', '?')}  切换失败 failed: {r['failed']}"
            )
            continue
        forced = "  强制 forced (gate failed)" if r.get("forced") else ""
        click.echo(
            f"{r.get('at', '?')}  {r.get('previous', '?')} → {r.get('version', '?')}"
            f"  via {r.get('via', '?')}{forced}"
        )


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


@click.command("workspace")
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
